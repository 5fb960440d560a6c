import json

from conftest import run_cli

from claimbench.harness.safe_paths import folder_name


def test_help_is_there_for_a_newcomer():
    res = run_cli("--help")
    assert res.returncode == 0 and "run" in res.stdout and "examples:" in res.stdout
    res = run_cli("run", "--help")
    assert res.returncode == 0 and "--batch-size" in res.stdout and "--cache" in res.stdout


def test_list_tasks_models_metrics():
    res = run_cli("list", "tasks")
    assert res.returncode == 0 and "demo_arithmetic" in res.stdout and "demo_choice" in res.stdout
    assert "scripted" in run_cli("list", "models").stdout
    assert "exact_match" in run_cli("list", "metrics").stdout
    assert run_cli("list", "gizmos").returncode == 2


def test_list_says_what_a_task_measures_and_what_a_model_takes():
    """`list tasks` and `list models` inform: a task's family, dataset, methods and primary metric; an
    adapter's options with type, default and doc; --json gives the same as data."""
    tasks = {t["name"]: t for t in json.loads(run_cli("list", "tasks", "--json").stdout)}
    bamboogle = tasks["bamboogle"]
    assert (bamboogle["family"], bamboogle["dataset"], bamboogle["primary_metric"]) == ("multihop", "bamboogle", "exact_match")
    assert "self_ask" in bamboogle["methods"] and bamboogle["description"].startswith("Bamboogle")
    models = {m["name"]: m for m in json.loads(run_cli("list", "models", "--json").stdout)}
    llamacpp = {o["name"]: o for o in models["llamacpp"]["options"]}
    assert llamacpp["path"]["required"] and llamacpp["n_ctx"]["default"] == 2048 and "context" in llamacpp["n_ctx"]["doc"]
    assert "generate" in models["llamacpp"]["kinds"] and models["smollm2-135m"]["backends"] == ["hf", "llamacpp"]
    text = run_cli("list", "models").stdout
    assert "n_ctx: int, default 2048; context window in tokens" in text
    assert "family multihop; dataset bamboogle; primary metric exact_match" in run_cli("list", "tasks").stdout


def test_run_then_show(tmp_path):
    out = tmp_path / "out"
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic:method=decompose,limit=6,demo_choice",
                  "--limit", "10", "--output", str(out), "--cache", str(tmp_path / "c.sqlite"))
    assert res.returncode == 0, res.stderr
    arith = out / folder_name("demo_arithmetic:method=decompose,limit=6") / "results.json"
    assert str(arith) in res.stdout and str(out / "demo_choice" / "results.json") in res.stdout
    data = json.loads(arith.read_text())
    assert data["counts"]["rows"] == 10  # --limit beats the task's own limit
    assert data["command"][:2] == ["claimbench", "run"]
    assert "new=" in res.stderr  # the progress bar reports cached / dedup / new
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and "exact_match" in shown.stdout and "accuracy" in shown.stdout
    assert run_cli("show", str(tmp_path / "nothing")).returncode == 2


def test_bad_output_places_fail_before_any_model_work(tmp_path):
    """An output that is a file, or a folder that cannot be written, is refused before the model serves
    anything (the scripted model's log stays absent): before, after all the work, with a traceback."""
    a_file = tmp_path / "out.txt"
    a_file.write_text("x")
    log = tmp_path / "served.jsonl"
    for output in (a_file, a_file / "sub", "/sys/claimbench-not-writable"):
        res = run_cli("run", "--model", f"scripted:log={log}", "--tasks", "demo_arithmetic", "--output", str(output),
                      "--cache", ":memory:", "--no-progress")
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert str(output).split("/sub")[0] in res.stderr
        assert not log.exists()

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

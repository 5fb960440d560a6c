"""Inputs found to end in a traceback, each now a clear error (exit 2) naming the input and
the fix, with nothing half-written."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import COMMITTED_RESULTS, REPO, run_cli

RESULT = COMMITTED_RESULTS / "bamboogle" / "smollm2-135m"


def _refused(res: subprocess.CompletedProcess, *says: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and all(s in res.stderr for s in says), res.stderr


def _task_file(tmp_path, body: str):
    data = tmp_path / "rows.jsonl"
    shutil.copyfile(REPO / "tasks" / "demo" / "arithmetic.jsonl", data)
    path = tmp_path / "task.yaml"
    path.write_text(f"task: t\nversion: '1.0'\nhooks: demo_arithmetic\nmetrics: [exact_match]\n"
                    f"primary_metric: exact_match\n{body}")
    return path


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return run_cli("run", "--model", "scripted", "--cache", ":memory:", "--no-progress", *args, cwd=cwd)


def test_a_negative_seed(tmp_path):
    _refused(_run("--tasks", "demo_arithmetic:sample=3", "--seed", "-1", "--output", str(tmp_path / "o")),
             "seed must be an integer from 0")


@pytest.mark.parametrize("spec, says", [
    ("demo_arithmetic:max_tokens=abc", "param 'max_tokens' must be an integer, got 'abc'"),
    ("compositional_celebrities:match=fuzzy", "param 'match' must be one of"),
])
def test_wrongly_typed_task_params_are_refused_before_any_work(spec, says, tmp_path):
    _refused(_run("--tasks", spec, "--output", str(tmp_path / "o")), says)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("body, says", [
    ("dataset: {name: t, path: rows.jsonl}\nparams: [1, 2]\n", "option 'params' must be a mapping"),
    ("dataset: hello\n", "option 'dataset' must be a mapping"),
    ("dataset: {name: t, path: rows.jsonl}\ntask: again\n", "the key 'task' appears twice"),
    ("dataset: {name: t, path: rows.jsonl}\nparams:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: [*a, *a, *a, *a]\n",
     "an alias (*a) is not accepted"),
    ("dataset: {name: t, path: rows.jsonl, id_field: nosuch}\n", "has no id field 'nosuch'"),
])
def test_malformed_task_files(body, says, tmp_path):
    _refused(_run("--tasks", str(_task_file(tmp_path, body)), "--output", str(tmp_path / "o")), says)


def test_two_tasks_that_would_share_a_results_folder(tmp_path):
    for where in ("one", "two"):
        (tmp_path / where / "d").mkdir(parents=True)
        shutil.copyfile(REPO / "tasks" / "demo" / "arithmetic.jsonl", tmp_path / where / "d" / "rows.jsonl")
    specs = ",".join(f"demo_arithmetic:path={tmp_path / w / 'd' / 'rows.jsonl'}" for w in ("one", "two"))
    _refused(_run("--tasks", specs, "--output", str(tmp_path / "o")), "would write one results folder")


@pytest.mark.parametrize("damage, says", [
    (lambda p: p.write_bytes(p.read_bytes() + b"\xff\xfe"), "is not UTF-8 text"),
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nests too deeply"),
    (lambda p: p.write_text("[1, 2]"), "not a results object"),
])
def test_damaged_results_files(damage, says, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(RESULT, folder)
    damage(folder / "results.json")
    _refused(run_cli("show", str(folder)), says)


def test_report_out_naming_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    _refused(run_cli("report", str(RESULT), "--out", str(tmp_path / "afile")), "afile")


def test_a_tolerance_for_a_metric_neither_run_measured():
    _refused(run_cli("compare", str(RESULT), str(RESULT), "--tolerance", "exact_mtch=0.1"),
             "'exact_mtch', which neither run measured", "exact_match")


@pytest.mark.parametrize("cache", [":memory:", "CACHE"])
def test_a_full_disk_is_an_error_naming_the_file_and_leaves_no_half_file(cache, tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse writes past a size, as a full disk does (EFBIG/ENOSPC)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    out = tmp_path / "o"
    cache_arg = str(tmp_path / "c.sqlite") if cache == "CACHE" else cache
    res = subprocess.run([sys.executable, "-m", "claimbench", "run", "--model", "scripted", "--tasks", "demo_arithmetic",
                          "--output", str(out), "--cache", cache_arg, "--no-progress"],
                         preexec_fn=limit, capture_output=True, text=True, env=os.environ, timeout=300)
    _refused(res, "another disk")
    assert ("samples.jsonl" in res.stderr) if cache == ":memory:" else ("c.sqlite" in res.stderr)
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert all(json.loads(p.read_text()) for p in written if p.name == "results.json")  # whole files only
    assert not any(p.name.endswith(".tmp") for p in written)


@pytest.mark.parametrize("table, says", [("generate: [1, 2]\n", "under 'generate' give a mapping"),
                                         ("generate:\n  a: 1\n  a: 2\n", "the key 'a' appears twice"),
                                         (b"\xff\xfe: x\n", "is not UTF-8 text")])
def test_a_malformed_scripted_table(table, says, tmp_path):
    path = tmp_path / "table.yaml"
    path.write_bytes(table if isinstance(table, bytes) else table.encode())
    _refused(run_cli("run", "--model", f"scripted:table={path}", "--tasks", "demo_arithmetic", "--cache", ":memory:",
                     "--output", str(tmp_path / "o")), says)


@pytest.mark.parametrize("content, says", [(b"\xff\xfe{}\n", "cannot be read as jsonl"), (b'{"id": "x"\n', "not valid JSON")])
def test_an_unreadable_dataset_file(content, says, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)
    _refused(_run("--tasks", f"demo_arithmetic:path={path}", "--output", str(tmp_path / "o")), says, str(path))

"""The `ray` executor on a real local Ray cluster: the same results as serial whatever the worker
count (scripted and a real llama.cpp model), a worker killed mid-run has its batch retried, a
killed coordinator resumes on another worker count without recomputing what was cached, and a
cluster without the declared resources is refused within seconds."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import require_data

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

TASKS = ["demo_arithmetic", "demo_choice"]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """One small local cluster for the in-process tests (the executor uses it and leaves it up)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def outcome(results) -> list:
    return [({k: m["value"] for k, m in r.metrics.items()}, r.samples["sha256"]) for r in results]


def run(model: str, executor: str, tmp_path: Path, name: str, tasks=TASKS, **kw):
    return evaluate(model, tasks, executor=executor, cache=str(tmp_path / f"{name}.sqlite"), output=str(tmp_path / name),
                    batch_size=4, **kw)


@pytest.mark.parametrize("workers", [1, 2])
def test_scripted_results_equal_serial_whatever_the_worker_count(workers, tmp_path):
    serial = run("scripted", "serial", tmp_path, "serial")
    spread = run("scripted", f"ray:workers={workers},cpus_per_worker=0.5", tmp_path, "ray")
    assert outcome(spread) == outcome(serial)
    again = run("scripted", "serial", tmp_path, "ray")  # the ray run filled the one cache
    assert all(r.counts["requests"]["new"] == 0 for r in again)


def test_a_real_model_gives_the_same_greedy_answers_on_two_workers(tmp_path):
    from lm_fixtures import LLAMA_CPP, SMOLLM2, require

    require(*LLAMA_CPP)
    require(*SMOLLM2)
    model = "smollm2-135m:backend=llamacpp,threads=1"
    require_data("bamboogle")
    serial = run(model, "serial", tmp_path, "serial", tasks=["bamboogle"], limit=12)
    spread = run(model, "ray:workers=2", tmp_path, "ray", tasks=["bamboogle"], limit=12)
    assert outcome(spread) == outcome(serial)


def replica_pids() -> set[int]:
    return {p.pid for p in psutil.process_iter(["cmdline"]) if any("_Replica" in c for c in (p.info["cmdline"] or []))}


def test_a_worker_killed_mid_run_has_its_batch_retried(tmp_path):
    serial = run("scripted", "serial", tmp_path, "serial")
    before = replica_pids()
    served = tmp_path / "served.jsonl"
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            fresh = replica_pids() - before
            if len(fresh) == 2 and served.is_file() and served.stat().st_size:
                pid = sorted(fresh)[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    spread = run(f"scripted:delay=0.02,log={served}", "ray:workers=2,cpus_per_worker=0.5", tmp_path, "ray")
    killer.join()
    assert killed, "no worker was killed: the test did not exercise a failure"
    assert outcome(spread) == outcome(serial)


def test_missing_resources_are_refused_within_seconds(tmp_path):
    for spec, says in (("ray:workers=1,gpus_per_worker=1", "need 1 GPUs, but the cluster has 0"),
                       ("ray:workers=3,cpus_per_worker=1", "need 3 CPUs, but the cluster has 2")):
        t0 = time.monotonic()
        with pytest.raises(ConfigError, match=says):
            run("scripted", spec, tmp_path, "r")
        assert time.monotonic() - t0 < 10


def cached_rows(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:  # the coordinator has not created its table yet, or holds a write lock
        return 0


def test_a_killed_coordinator_resumes_on_another_worker_count_without_recomputing(tmp_path):
    cache, served = tmp_path / "c.sqlite", tmp_path / "served.jsonl"
    cmd = [sys.executable, "-m", "claimbench", "run", "--model", f"scripted:delay=0.05,log={served}",
           "--tasks", ",".join(TASKS), "--cache", str(cache), "--output", str(tmp_path / "out"), "--batch-size", "4",
           "--no-progress"]
    first = subprocess.Popen([*cmd, "--executor", "ray:workers=2,cpus_per_worker=0.5"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not cache.is_file() or cached_rows(cache) < 20):
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)  # the coordinator alone, as a crash would
    first.wait()
    try:  # then what its private cluster left behind, so the test leaves no process
        os.killpg(first.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    done = cached_rows(cache)
    assert 20 <= done < 220, "the coordinator was not killed mid-run"
    served.unlink()
    second = subprocess.run([*cmd, "--executor", "ray:workers=1"], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    resent = [json.loads(line) for line in served.read_text().splitlines()]
    assert len(resent) == cached_rows(cache) - done  # only what the cache lacked was served again
    serial = run("scripted", "serial", tmp_path, "serial")
    for task, (metrics, sha) in zip(TASKS, outcome(serial)):
        result = json.loads((tmp_path / "out" / task / "results.json").read_text())
        assert {k: m["value"] for k, m in result["metrics"].items()} == metrics and result["samples"]["sha256"] == sha


def test_a_worker_error_keeps_its_type_and_message_and_unpicklable_adapters_are_rebuilt(tmp_path):
    from claimbench.harness.errors import BackendError

    # the openai adapter holds an HTTP client (not picklable): the worker rebuilds it from its spec
    model = "openai:model=x,base_url=http://127.0.0.1:9/v1,max_retries=0,timeout=2"
    with pytest.raises(BackendError, match="openai server at http://127.0.0.1:9/v1 failed") as e:
        run(model, "ray:workers=1,cpus_per_worker=0.5", tmp_path, "r", tasks=["demo_arithmetic"], limit=4)
    assert "Traceback" not in str(e.value)

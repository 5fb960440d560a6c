"""A real `claimbench run` killed with SIGKILL mid-run, then resumed with the same command."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimbench.harness.cache import Cache
from claimbench.harness.model import load_model

TASKS = "demo_arithmetic:method=decompose,demo_choice"


def _command(tmp: Path, name: str, log: Path) -> list[str]:
    return [sys.executable, "-m", "claimbench", "run", "--model", f"scripted:delay=0.01,log={log}",
            "--tasks", TASKS, "--batch-size", "4", "--cache", str(tmp / f"{name}.sqlite"),
            "--output", str(tmp / name), "--no-progress"]


def _keys(log: Path, fingerprint: str) -> list[str]:
    import hashlib
    lines = log.read_text().splitlines() if log.exists() else []
    return [hashlib.sha256(f"{fingerprint}\n{line}".encode()).hexdigest() for line in lines]


def _outputs(run_dir: Path) -> tuple[list, list]:
    metrics, samples = [], []
    for f in sorted(run_dir.rglob("results.json")):
        metrics.append(json.loads(f.read_text())["metrics"])
        samples.append((f.parent / "samples.jsonl").read_text())
    return metrics, samples


@pytest.mark.parametrize("kill_after", [30, 150])  # during the two-round task / during the second task
def test_sigkill_then_resume_recomputes_nothing_finished(tmp_path, kill_after):
    fp = load_model("scripted").fingerprint()  # delay and log do not enter the fingerprint
    # Reference: the same command, uninterrupted.
    ref_log = tmp_path / "ref.log"
    subprocess.run(_command(tmp_path, "ref", ref_log), check=True, capture_output=True, timeout=300)
    total = len(_keys(ref_log, fp))

    log1 = tmp_path / "run1.log"
    proc = subprocess.Popen(_command(tmp_path, "run", log1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache_file = tmp_path / "run.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if cache_file.exists():
            with Cache(cache_file) as c:
                if len(c) >= kill_after:
                    break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Cache(cache_file) as c:
        finished = set(c.keys())
    assert kill_after <= len(finished) < total, "the kill must land mid-run"
    assert not (tmp_path / "run" / "demo_choice" / "results.json").exists()

    log2 = tmp_path / "run2.log"
    done = subprocess.run(_command(tmp_path, "run", log2), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = _keys(log2, fp)
    assert not finished & set(resumed), "a request that had finished before the kill was sent again"
    assert len(finished) + len(resumed) == total
    assert _outputs(tmp_path / "run") == _outputs(tmp_path / "ref")

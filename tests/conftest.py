"""Shared fixtures: every test gets its own cache dir, so nothing touches ~/.cache."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CLAIMBENCH_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path / "cbcache"))


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `claimbench ARGS` in a real subprocess with this interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


COMMITTED_RESULTS = REPO / "leaderboards" / "results"


@pytest.fixture(scope="session")
def committed_site(tmp_path_factory) -> Path:
    """The leaderboard site built once from the committed results, by the real CLI."""
    out = tmp_path_factory.mktemp("site")
    res = run_cli("leaderboard", str(COMMITTED_RESULTS), "--out", str(out), "--no-progress")
    assert res.returncode == 0, res.stderr
    return out

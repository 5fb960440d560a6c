"""Shared fixtures: every test gets its own cache dir, so nothing touches ~/.cache.

Test data follows one rule: `$CLAIMBENCH_DATA` (CI sets it to ../shared/data), made absolute here
so that every subprocess a test starts, from any folder, reads the same data the test's skip
condition looked at. Without it, data tests skip and say why; with CLAIMBENCH_REQUIRE_DATA=1 (CI) a
data test that would skip fails instead."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA: Path | None = None
if os.environ.get("CLAIMBENCH_DATA"):
    SHARED_DATA = Path(os.environ["CLAIMBENCH_DATA"]).resolve()
    os.environ["CLAIMBENCH_DATA"] = str(SHARED_DATA)


def require_data(*parts: str) -> Path:
    """The file or folder `parts` under $CLAIMBENCH_DATA; skips the test when it is not there."""
    if SHARED_DATA is None:
        why = "CLAIMBENCH_DATA is not set (CI sets it to ../shared/data)"
    else:
        path = SHARED_DATA.joinpath(*parts)
        if path.exists():
            return path
        why = f"{path} not found under CLAIMBENCH_DATA"
    if os.environ.get("CLAIMBENCH_REQUIRE_DATA"):
        pytest.fail(f"CLAIMBENCH_REQUIRE_DATA is set but {why}")
    pytest.skip(why)


os.environ["CLAIMBENCH_OFFLINE"] = "1"  # tests never download (a server on 127.0.0.1 still serves)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path / "cbcache"))


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `claimbench ARGS` in a real subprocess with this interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "claimbench", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


@pytest.fixture
def mnist_path() -> Path:
    """MNIST's test images (IDX, gzip) under $CLAIMBENCH_DATA."""
    return require_data("mnist", "t10k-images-idx3-ubyte.gz")


@pytest.fixture
def static_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving the files put in the folder it yields with its URL."""
    import http.server
    import threading
    from functools import partial

    folder = tmp_path / "srv"
    folder.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()


COMMITTED_RESULTS = REPO / "leaderboards" / "results"
COMMITTED_SWEEPS = REPO / "leaderboards" / "sensitivity"  # published protocol sensitivity sweeps


@pytest.fixture(scope="session")
def committed_site(tmp_path_factory) -> Path:
    """The leaderboard site built once from the committed results, by the real CLI, where the
    published thumbnails already lie (as when the committed site is rebuilt): the images the
    results name are not on a fresh machine, and the published thumbnails stand in for them."""
    out = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "leaderboards" / "site" / "media", out / "media")
    res = run_cli("leaderboard", str(COMMITTED_RESULTS), "--out", str(out), "--sensitivity", str(COMMITTED_SWEEPS),
                  "--no-progress")
    assert res.returncode == 0, res.stderr
    return out

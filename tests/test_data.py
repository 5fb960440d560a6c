"""Dataset resolution: explicit path, $CLAIMBENCH_DATA, pinned HTTPS-style download (real local server)."""
import hashlib
import http.server
import threading
from functools import partial

import pytest

from claimbench.harness.data import DatasetConfig, load
from claimbench.harness.errors import DataError

ROWS = b'{"q": "a", "a": 1}\n{"q": "b", "a": 2}\n'


def test_data_dir_and_explicit_path(tmp_path, monkeypatch):
    (tmp_path / "d" / "toy").mkdir(parents=True)
    (tmp_path / "d" / "toy" / "rows.jsonl").write_bytes(ROWS)
    monkeypatch.setenv("CLAIMBENCH_DATA", str(tmp_path / "d"))
    ds = load(DatasetConfig(name="toy", file="rows.jsonl", fields=("q", "a")))
    assert [r["a"] for r in ds.rows] == [1, 2] and ds.fingerprint == hashlib.sha256(ROWS).hexdigest()
    other = tmp_path / "other.jsonl"
    other.write_bytes(ROWS[:19])
    assert len(load(DatasetConfig(name="toy", file="rows.jsonl", path=str(other))).rows) == 1


def test_missing_dataset_names_files_and_places(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_DATA", str(tmp_path))
    with pytest.raises(DataError) as e:
        load(DatasetConfig(name="toy", file="rows.jsonl"))
    msg = str(e.value)
    assert "rows.jsonl" in msg and str(tmp_path / "toy" / "rows.jsonl") in msg and "CLAIMBENCH_DATA" in msg


@pytest.fixture
def server(tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "rows.jsonl").write_bytes(ROWS)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "srv"))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_with_pinned_sha256_then_cached(server, monkeypatch, tmp_path):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    cfg = DatasetConfig(name="toy", file="rows.jsonl", url=f"{server}/rows.jsonl", sha256=hashlib.sha256(ROWS).hexdigest())
    assert len(load(cfg).rows) == 2
    # Served from ~/.cache/claimbench now, even with the server's file gone.
    (tmp_path / "srv" / "rows.jsonl").unlink()
    assert len(load(cfg).rows) == 2


def test_download_with_wrong_sha256_is_refused(server, monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    cfg = DatasetConfig(name="toy2", file="rows.jsonl", url=f"{server}/rows.jsonl", sha256="0" * 64)
    with pytest.raises(DataError, match="sha256"):
        load(cfg)


def test_bad_json_line_is_named(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"q": 1}\n{"q": \n')
    with pytest.raises(DataError, match="line 2"):
        load(DatasetConfig(name="bad", path=str(p)))

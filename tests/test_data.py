"""Dataset resolution: explicit path, $CLAIMBENCH_DATA, pinned HTTPS-style download (real local server)."""
import hashlib
import http.server
import threading

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
def server(static_server):
    url, folder = static_server
    (folder / "rows.jsonl").write_bytes(ROWS)
    return url


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


class _Edges(http.server.BaseHTTPRequestHandler):
    """What a flaky or moved source does: a 404, a transfer cut short, redirects."""

    def do_GET(self):  # noqa: N802 (the http.server API)
        if self.path == "/cut.jsonl":
            self.send_response(200)
            self.send_header("Content-Length", str(len(ROWS) * 10))
            self.end_headers()
            self.wfile.write(ROWS)  # then the connection closes, short of its Content-Length
        elif self.path == "/moved-to-http":
            self.send_response(302)
            self.send_header("Location", "http://example.invalid/rows.jsonl")
            self.end_headers()
        elif self.path == "/moved-here":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/rows.jsonl")
            self.end_headers()
        elif self.path == "/rows.jsonl":
            self.send_response(200)
            self.send_header("Content-Length", str(len(ROWS)))
            self.end_headers()
            self.wfile.write(ROWS)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def edges():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Edges)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize("path, error", [("/missing.jsonl", "404"), ("/cut.jsonl", "cut short"),
                                         ("/moved-to-http", "not HTTPS; refused")])
def test_a_failed_download_says_why_and_leaves_nothing_in_the_cache(edges, path, error, tmp_path, monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    cfg = DatasetConfig(name="edge", file="rows.jsonl", url=edges + path, sha256=hashlib.sha256(ROWS).hexdigest())
    with pytest.raises(DataError, match=error) as e:
        load(cfg)
    assert edges + path in str(e.value) and "Put the file at $CLAIMBENCH_DATA/edge/rows.jsonl" in str(e.value)
    assert not any(p.is_file() for p in (tmp_path / "cbcache").rglob("*"))  # no partial file, no file at all


def test_a_redirect_within_https_or_the_test_server_is_followed_and_the_sha256_decides(edges, monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    cfg = DatasetConfig(name="moved", file="rows.jsonl", url=edges + "/moved-here", sha256=hashlib.sha256(ROWS).hexdigest())
    assert len(load(cfg).rows) == 2


def test_offline_never_downloads_and_says_so(monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    monkeypatch.setenv("CLAIMBENCH_OFFLINE", "1")
    cfg = DatasetConfig(name="far", file="rows.jsonl", url="https://example.invalid/rows.jsonl", sha256="0" * 64)
    with pytest.raises(DataError, match="not downloaded: \\$CLAIMBENCH_OFFLINE is set"):
        load(cfg)


def test_results_record_where_data_was_found_without_machine_folders(tmp_path, monkeypatch):
    (tmp_path / "d" / "toy").mkdir(parents=True)
    (tmp_path / "d" / "toy" / "rows.jsonl").write_bytes(ROWS)
    monkeypatch.setenv("CLAIMBENCH_DATA", str(tmp_path / "d"))
    assert load(DatasetConfig(name="toy", file="rows.jsonl")).source == "$CLAIMBENCH_DATA/toy/rows.jsonl"

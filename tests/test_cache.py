import hashlib
import multiprocessing as mp
import os
import random
import sqlite3
from pathlib import Path

import pytest

from claimbench.harness.cache import APPLICATION_ID, Cache
from claimbench.harness.cli import main
from claimbench.harness.errors import ConfigError
from claimbench.harness.runner import evaluate


def test_hit_miss_and_first_writer_wins(tmp_path):
    with Cache(tmp_path / "c.sqlite") as c:
        assert c.get_many(["k1", "k2"]) == {}
        c.put_many([("k1", "generate", "one"), ("k2", "loglikelihood", {"logprob": -1.0, "is_greedy": True})])
        c.put_many([("k1", "generate", "changed")])
        assert c.get_many(["k1", "k2", "k3"]) == {"k1": "one", "k2": {"logprob": -1.0, "is_greedy": True}}
        assert len(c) == 2
    with Cache(tmp_path / "c.sqlite") as c:  # persisted
        assert c.get_many(["k1"]) == {"k1": "one"}


def test_wal_mode(tmp_path):
    Cache(tmp_path / "c.sqlite").close()
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_directory_or_garbage_cache_path_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        Cache(tmp_path)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="cannot be opened as SQLite"):
        Cache(bad)


def _writer(path: str, worker: int, n_batches: int, batch: int, queue) -> None:
    try:
        c = Cache(path, timeout=120)
        for b in range(n_batches):
            # Half the keys are shared by all workers, half are this worker's own.
            rows = [(f"shared-{b}-{i}" if i % 2 else f"w{worker}-{b}-{i}", "generate", f"{worker}:{b}:{i}")
                    for i in range(batch)]
            c.put_many(rows)
            got = c.get_many(k for k, _, _ in rows)
            assert len(got) == batch
        c.close()
        queue.put((worker, "ok"))
    except BaseException as e:  # report to the parent instead of dying silently
        queue.put((worker, repr(e)))


def test_four_processes_write_one_cache_concurrently(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    n_batches, batch, workers = 60, 50, 4
    procs = [ctx.Process(target=_writer, args=(path, w, n_batches, batch, queue)) for w in range(workers)]
    for p in procs:
        p.start()
    outcomes = dict(queue.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert outcomes == {w: "ok" for w in range(workers)}, outcomes
    with Cache(path) as c:
        own = workers * n_batches * (batch // 2)
        shared = n_batches * (batch // 2)
        assert len(c) == own + shared  # no lost row, no duplicate
        assert all(c.get_many([f"w{w}-{b}-0" for w in range(workers) for b in range(n_batches)]).values())


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_applications_file_is_refused_and_left_unchanged(tmp_path):
    other = tmp_path / "app.db"
    db = sqlite3.connect(other)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO users (name) VALUES ('ada')")
    db.commit()
    db.close()
    before = _sha256(other)
    with pytest.raises(ConfigError, match=r"another application \(tables: users\).*pass another --cache path"):
        Cache(other)
    assert _sha256(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]  # no -wal, -shm or -journal left behind
    text = tmp_path / "notes.txt"
    text.write_bytes(b"not a database\n" * 100)
    before = _sha256(text)
    with pytest.raises(ConfigError, match="cannot be opened as SQLite"):
        Cache(text)
    assert _sha256(text) == before


def test_cache_of_an_earlier_version_is_adopted(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, kind TEXT NOT NULL, response TEXT NOT NULL, "
               "created REAL NOT NULL) WITHOUT ROWID")
    db.execute("INSERT INTO responses VALUES ('k1', 'generate', '\"one\"', 0.0)")
    db.commit()
    db.close()
    with Cache(path) as c:
        assert c.get_many(["k1"]) == {"k1": "one"}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def _damaged_cache(path) -> list[str]:
    """A real cache of 2,000 responses whose later pages are garbage; page 1 (header + schema) is intact."""
    keys = sorted(hashlib.sha256(str(i).encode()).hexdigest() for i in range(2000))
    with Cache(path) as c:
        c.put_many((k, "generate", "x" * 200) for k in keys)
    assert not Path(f"{path}-wal").exists()  # closing the last connection checkpointed the WAL into the file
    page_size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    pages = len(data) // page_size
    assert pages > 20
    rng = random.Random(0)
    for page in range(pages // 2, pages):  # keep page 1 and the first leaves: the cheap check at open passes
        data[page * page_size:(page + 1) * page_size] = rng.randbytes(page_size)
    path.write_bytes(bytes(data))
    return keys


def test_damaged_cache_is_a_config_error_and_left_unchanged(tmp_path):
    path = tmp_path / "c.sqlite"
    _damaged_cache(path)
    before = _sha256(path)
    with pytest.raises(ConfigError, match="is damaged.*move it aside"):
        Cache(path)  # opening checks every page (quick_check), by reads alone, before any write
    assert _sha256(path) == before and not path.with_name("c.sqlite-wal").exists()


def test_damaged_cache_exits_2_from_the_cli(tmp_path, capsys):
    path = tmp_path / "c.sqlite"
    _damaged_cache(path)
    before = _sha256(path)
    code = main(["run", "--model", "scripted", "--tasks", "demo_arithmetic", "--cache", str(path),
                 "--output", str(tmp_path / "out"), "--no-progress"])
    assert code == 2
    assert "is damaged" in capsys.readouterr().err
    assert _sha256(path) == before


def test_cache_path_under_a_file_is_a_config_error(tmp_path):
    (tmp_path / "somefile").write_text("x")
    with pytest.raises(ConfigError, match="which is a file"):
        Cache(tmp_path / "somefile" / "cache.sqlite")
    with pytest.raises(ConfigError, match="which is a file"):
        Cache(tmp_path / "somefile" / "deeper" / "cache.sqlite")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files and folders")
def test_read_only_cache_is_a_config_error_at_open(tmp_path):
    Cache(tmp_path / "c.sqlite").close()
    (tmp_path / "c.sqlite").chmod(0o444)
    with pytest.raises(ConfigError, match="cannot be written"):
        Cache(tmp_path / "c.sqlite")
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    with pytest.raises(ConfigError, match="cannot be written"):
        Cache(ro / "c.sqlite")


@pytest.mark.parametrize("stored", ["not json {", "NaN", "12", '{"text": 5, "usage": {}}', "null"])
def test_a_damaged_cached_row_is_asked_again_and_replaced(tmp_path, stored, capsys):
    """A row that is no response a run wrote (non-JSON, NaN, the wrong type) never reaches a task
    or a samples log: it is asked again, and the new response overwrites it."""
    path = tmp_path / "c.sqlite"
    first = evaluate("scripted", ["demo_arithmetic"], limit=3, cache=path, output=tmp_path / "a")[0]
    with sqlite3.connect(path) as db:
        [key] = db.execute("SELECT key FROM responses ORDER BY key LIMIT 1").fetchone()
        db.execute("UPDATE responses SET response = ? WHERE key = ?", (stored, key))
    db.close()
    again = evaluate("scripted", ["demo_arithmetic"], limit=3, cache=path, output=tmp_path / "b")[0]
    assert "1 cached response(s)" in capsys.readouterr().err
    assert again.counts["requests"]["cached"] == 2 and again.counts["requests"]["new"] == 1
    assert again.metrics == first.metrics
    log = (tmp_path / "b" / "demo_arithmetic" / "samples.jsonl").read_text()
    assert "NaN" not in log
    with Cache(path) as c:
        assert c.get_checked([key])[1] == set() and c.get_many([key])  # the row was mended

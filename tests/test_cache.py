import multiprocessing as mp
import sqlite3

import pytest

from harness.cache import Cache
from harness.errors import ConfigError


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

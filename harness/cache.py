"""Response cache: one SQLite file in WAL mode, shared safely by several processes.

Keys are sha256(model fingerprint, request canonical JSON) (see requests.Request.key),
so the cache does not depend on batch size or worker count and a killed run resumes
on any number of workers. Writers take the lock with BEGIN IMMEDIATE and wait up to
`timeout` seconds for it; WAL lets readers proceed while one process writes.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
) WITHOUT ROWID
"""
_CHUNK = 500  # keys per SELECT ... IN (...), below SQLite's variable limit


class Cache:
    """get_many / put_many over SQLite; an in-memory cache when path is None."""

    def __init__(self, path: str | Path | None, timeout: float = 600.0):
        self.path = None if path is None else Path(path)
        if self.path is not None:
            if self.path.exists() and self.path.is_dir():
                raise ConfigError(f"cache path {str(self.path)!r} is a directory; pass a file path such as {str(self.path / 'cache.sqlite')!r}.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if self.path is None else str(self.path)
        try:
            self._db = sqlite3.connect(target, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self.path is not None:
                self._retry(lambda: self._db.execute("PRAGMA journal_mode=WAL"), timeout)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._retry(lambda: self._db.execute(_SCHEMA), timeout)
        except sqlite3.DatabaseError as e:
            raise ConfigError(f"cache file {target!r} cannot be opened as SQLite ({e}); delete it or pass another --cache path.") from None
        self._timeout = timeout

    @staticmethod
    def _retry(fn, timeout: float):
        """Run fn, retrying on 'database is locked' (raised around WAL setup despite busy_timeout)."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Responses found for `keys` (missing keys are simply absent)."""
        keys = list(keys)
        found: dict[str, Any] = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            sql = f"SELECT key, response FROM responses WHERE key IN ({','.join('?' * len(chunk))})"
            rows = self._retry(lambda sql=sql, chunk=chunk: self._db.execute(sql, chunk).fetchall(), self._timeout)
            for key, text in rows:
                found[key] = json.loads(text)
        return found

    def put_many(self, items: Iterable[tuple[str, str, Any]]) -> None:
        """Store (key, kind, response) triples in one transaction; first writer wins."""
        rows = [(k, kind, json.dumps(v, ensure_ascii=False, allow_nan=False), time.time()) for k, kind, v in items]
        if not rows:
            return

        def write():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

        self._retry(write, self._timeout)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def keys(self) -> Iterator[str]:
        for (key,) in self._db.execute("SELECT key FROM responses"):
            yield key

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

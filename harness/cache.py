"""Response cache: one SQLite file in WAL mode, shared safely by several processes.

Keys are sha256(model fingerprint, request canonical JSON) (see requests.Request.key),
so the cache does not depend on batch size or worker count and a killed run resumes
on any number of workers. Writers take the lock with BEGIN IMMEDIATE and wait up to
`timeout` seconds for it; WAL lets readers proceed while one process writes.

Our files carry APPLICATION_ID. Opening reads before it writes and refuses, untouched,
a database of another application; an unwritable, damaged or non-SQLite file is a
ConfigError that names it and says what to do.
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ConfigError

# PRAGMA application_id (4 bytes at offset 68 of the SQLite header) of every ClaimBench
# cache: "ClBn" in ASCII. It tells our caches from other applications' databases.
APPLICATION_ID = 0x436C426E

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
) WITHOUT ROWID
"""
_COLUMNS = ["key", "kind", "response", "created"]
_CHUNK = 500  # keys per SELECT ... IN (...), below SQLite's variable limit
_UNWRITABLE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a response")  # NaN or Infinity: put_many never writes them


class Cache:
    """get_many / put_many over SQLite; an in-memory cache when path is None."""

    def __init__(self, path: str | Path | None, timeout: float = 600.0):
        self.path = None if path is None else Path(path)
        self._name = ":memory:" if self.path is None else str(self.path)
        self._timeout = timeout
        if self.path is not None:
            self._check_path(self.path)
            self._check_writable(self.path)
        with self._translated():
            self._db = sqlite3.connect(self._name, timeout=timeout, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _check_path(self, path: Path) -> None:
        """Refuse a folder, or a path under a file, before SQLite or mkdir turns it into a traceback."""
        if path.is_dir():
            raise ConfigError(f"cache path {self._name!r} is a directory; pass a file path such as {str(path / 'cache.sqlite')!r}.")
        existing = next(p for p in path.parents if p.exists())
        if not existing.is_dir():
            raise ConfigError(f"cache path {self._name!r} is inside {str(existing)!r}, which is a file, not a folder; pass another --cache path.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the folder of cache file {self._name!r} ({e.strerror}); "
                              "pass a --cache path in a folder you can write.") from None

    def _check_writable(self, path: Path) -> None:
        """Fail at open, not after the first batch: SQLite opens a read-only WAL file and fails only on INSERT."""
        for p in (path.parent, path):  # the folder holds the -wal and -shm files
            if p.exists() and not os.access(p, os.W_OK):
                raise ConfigError(f"cache file {self._name!r} cannot be written ({str(p)!r} is read-only); "
                                  "make it writable, or pass another --cache path.")

    def _open(self) -> None:
        """Check the file with reads only, then switch to WAL, create the schema and stamp our id."""
        app_id = 0
        if self.path is not None:
            app_id = self._run(self._inspect)
            self._run(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._write(lambda: self._create(app_id))

    def _inspect(self) -> int:
        """The file's application_id, after refusing a foreign database or a schema that does not read."""
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        schema = self._db.execute("SELECT type, name FROM sqlite_master").fetchall()
        if app_id != APPLICATION_ID and not (app_id == 0 and (not schema or self._is_old_cache(schema))):
            tables = ", ".join(sorted(name for kind, name in schema if kind == "table")) or "none"
            raise ConfigError(f"{self._name!r} is a SQLite database of another application (tables: {tables}); "
                              "ClaimBench will not modify it: pass another --cache path.")
        if ("table", "responses") in schema:
            # a damaged page anywhere is found now, by reads alone, before anything is written to the file
            problems = [row[0] for row in self._db.execute("PRAGMA quick_check(5)").fetchall()]
            if problems != ["ok"]:
                raise self._damaged(" ".join("; ".join(map(str, problems)).split())[:200])
        return app_id

    def _is_old_cache(self, schema: list[tuple[str, str]]) -> bool:
        """A cache written before ClaimBench stamped APPLICATION_ID: our responses table and nothing else."""
        if schema != [("table", "responses")]:
            return False
        return [row[1] for row in self._db.execute("PRAGMA table_info(responses)")] == _COLUMNS

    def _create(self, app_id: int) -> None:
        """The schema, and our id on a new or earlier-version file (rewriting it on every open would be a write)."""
        self._db.execute(_SCHEMA)
        if app_id != APPLICATION_ID:
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn an SQLite error on this file into a ConfigError that says what to do; others pass unchanged."""
        try:
            yield
        except sqlite3.DatabaseError as e:
            code = (e.sqlite_errorcode or 0) & 0xFF  # primary result code
            if code == sqlite3.SQLITE_CORRUPT:
                raise self._damaged(str(e)) from None
            if code == sqlite3.SQLITE_NOTADB:
                raise ConfigError(f"cache file {self._name!r} cannot be opened as SQLite ({e}); "
                                  "ClaimBench leaves it as it is: pass another --cache path.") from None
            if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
                raise ConfigError(f"cache file {self._name!r} could not be written (sqlite: {e}): the disk is full or "
                                  "refuses the write. Free space, or pass a --cache path on another disk; responses "
                                  "written before are kept.") from None
            if code in _UNWRITABLE:
                raise ConfigError(f"cache file {self._name!r} cannot be written (sqlite: {e}); make it and its folder "
                                  "writable, or pass another --cache path.") from None
            raise

    def _damaged(self, said: str) -> ConfigError:
        return ConfigError(f"cache file {self._name!r} is damaged (sqlite: {said}). ClaimBench leaves it as it is; move it "
                           f"aside and rerun (responses are recomputed), or try `sqlite3 {shlex.quote(self._name)} "
                           "'.recover' | sqlite3 new.sqlite`.")

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

    def _run(self, fn: Callable[[], Any]) -> Any:
        """fn() with lock retries and errors translated; every statement on the file goes through here."""
        with self._translated():
            return self._retry(fn, self._timeout)

    def _write(self, fn: Callable[[], None]) -> None:
        """fn() in one BEGIN IMMEDIATE transaction, rolled back if it fails."""
        def attempt():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                fn()
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (e.g. on corruption)
                    self._db.execute("ROLLBACK")
                raise

        self._run(attempt)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Responses found for `keys` (missing and damaged keys are simply absent)."""
        return self.get_checked(keys)[0]

    def get_checked(self, keys: Iterable[str]) -> tuple[dict[str, Any], set[str]]:
        """(responses found for `keys`, keys whose stored text is no JSON a run wrote: damaged rows,
        NaN included, which callers ask again and `put_many(..., replace=...)` overwrites)."""
        keys = list(keys)
        found: dict[str, Any] = {}
        damaged: set[str] = set()
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            sql = f"SELECT key, response FROM responses WHERE key IN ({','.join('?' * len(chunk))})"
            rows = self._run(functools.partial(self._select, sql, chunk))
            for key, text in rows:
                try:
                    found[key] = json.loads(text, parse_constant=_no_constant)
                except (TypeError, ValueError, RecursionError):
                    damaged.add(key)
        return found, damaged

    def put_many(self, items: Iterable[tuple[str, str, Any]], replace: Collection[str] = ()) -> None:
        """Store (key, kind, response) triples in one transaction; first writer wins, except over the
        keys in `replace` (rows found damaged), which the new response overwrites."""
        rows = [(k, kind, json.dumps(v, ensure_ascii=False, allow_nan=False), time.time()) for k, kind, v in items]
        fresh = [r for r in rows if r[0] not in replace]
        mended = [r for r in rows if r[0] in replace]
        if rows:
            self._write(functools.partial(self._insert, fresh, mended))

    def _select(self, sql: str, params: list[str]) -> list[tuple[str, str]]:
        return self._db.execute(sql, params).fetchall()

    def _insert(self, fresh: list[tuple], mended: list[tuple]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?)", fresh)
        self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", mended)

    def __len__(self) -> int:
        return self._run(lambda: self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def keys(self) -> Iterator[str]:
        with self._translated():
            for (key,) in self._db.execute("SELECT key FROM responses"):
                yield key

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

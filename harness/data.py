"""Finding and reading datasets (media fields: see media.py).

Resolution order (docs/design.md, "Data"): an explicit path; `$CLAIMBENCH_DATA/<name>/`; a
copy bundled in the package (`data/<name>/` beside the task's YAML); the canonical public source
(an HTTPS URL with a pinned sha256, or a `datasets` hub id), cached under `~/.cache/claimbench`. When none works, one DataError names
the files needed and every place that was looked at.
"""
from __future__ import annotations

import csv
import dataclasses
import gzip
import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import registry
from .errors import ConfigError, DataError
from .hashing import sha256_file
from .paths import cache_dir

DATA_ENV = "CLAIMBENCH_DATA"
OFFLINE_ENV = "CLAIMBENCH_OFFLINE"  # set (to anything but 0): never download; what is local still resolves


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "0") not in ("", "0")


def _local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "http://localhost"))


# Where a dataset comes from and under which terms, not which data a task evaluates (its bytes are
# the dataset fingerprint): recorded with the config but left out of its hash, so a new mirror,
# a pinned revision or a license line is not a new protocol.
_WHERE = {"provenance": True}


@dataclass(frozen=True)
class DatasetConfig:
    """Where a task's rows come from; `path` is relative to the task's YAML file."""

    name: str
    file: str | None = None          # file inside $CLAIMBENCH_DATA/<name>/ (or the download's name)
    path: str | None = None          # explicit file; wins over everything else
    url: str | None = field(default=None, metadata=_WHERE)      # canonical HTTPS source ...
    sha256: str | None = field(default=None, metadata=_WHERE)   # ... pinned by content hash
    hf: str | None = field(default=None, metadata=_WHERE)       # `datasets` hub id, used through datasets.load_dataset
    hf_config: str | None = field(default=None, metadata=_WHERE)
    split: str = "test"
    format: str | None = None        # jsonl | json | csv; default from the file suffix
    records: str | None = None       # key of the row list inside a JSON object ("data")
    fields: tuple[str, ...] = ()     # fields every row must have
    id_field: str | None = None      # row id; the row's position when absent
    media: dict[str, str] = field(default_factory=dict, metadata={"since": "0.2"})  # field -> "image" (media.py)
    media_root: str = field(default="", metadata={"since": "0.3"})  # folder media paths are relative to
    #                                                  (relative to the dataset file's folder; ChartQA: "png")
    hf_columns: dict[str, str] = field(default_factory=dict, metadata={"since": "0.3"})  # hub column -> field
    hf_filter: dict[str, Any] = field(default_factory=dict, metadata={"since": "0.3"})   # keep rows with field == value
    extra_files: tuple[str, ...] = field(default=(), metadata={"since": "0.3"})  # beside the file, rows appended
    source_field: str = field(default="", metadata={"since": "0.3"})  # set each file row's field to its file's stem
    instructions: str = field(default="", metadata={"since": "0.3", **_WHERE})  # how to get the data, shown when missing
    revision: str | None = field(default=None, metadata={"since": "0.4", **_WHERE})  # the hub dataset's pinned commit
    license: str = field(default="", metadata={"since": "0.4", **_WHERE})   # the data's license, as its authors state it
    citation: str = field(default="", metadata={"since": "0.4", **_WHERE})  # one line: who made it, where published


PROVENANCE = frozenset(f.name for f in dataclasses.fields(DatasetConfig) if f.metadata.get("provenance"))


@dataclass(frozen=True)
class Dataset:
    rows: list[dict]
    fingerprint: str      # sha256 of the file bytes (or the hub dataset's fingerprint)
    source: str           # where it was read from


def resolve(cfg: DatasetConfig, base_dir: Path | None = None) -> tuple[str, Path | None, str]:
    """('file', path, shown) for a local or downloaded file, or ('hf', None, shown) for a hub dataset;
    `shown` is what results record: the path as the user gave it, or relative to the data root or
    the download cache, never a folder of the machine the run was made on."""
    tried: list[str] = []
    if cfg.path:
        p = explicit_path(cfg, base_dir)
        if p.is_file():
            return "file", p, cfg.path
        raise DataError(f"dataset {cfg.name!r}: the explicit path {str(p)!r} is not a file. Fix the path, or drop it to use ${DATA_ENV}.")
    if cfg.file:
        here = local_copy(cfg, base_dir)
        if here:
            return "file", here[1], here[2]
        root = os.environ.get(DATA_ENV)
        tried.append(f"{Path(root) / cfg.name / cfg.file} (from ${DATA_ENV})" if root else
                     f"${DATA_ENV}/{cfg.name}/{cfg.file} (${DATA_ENV} is not set)")
        cached = cache_path(cfg)
        shown = f"download cache: {cfg.name}/{cfg.file}"
        if cfg.url and offline() and not _local(cfg.url):
            tried.append(f"{cfg.url} (not downloaded: ${OFFLINE_ENV} is set)")
        elif cfg.url:
            try:
                return "file", download(cfg.url, cached, cfg.sha256), shown
            except DataError as e:
                tried.append(f"{cfg.url} ({e})")
    if cfg.hf:
        return "hf", None, f"hf:{cfg.hf}/{cfg.split}"
    needed = cfg.file or "(no file named in the task config)"
    raise DataError(f"dataset {cfg.name!r} not found: it needs {needed}. Looked in: " + "; ".join(tried or ["nowhere"])
                    + f". {_where_to_put(cfg)}")


def local_copy(cfg: DatasetConfig, base_dir: Path | None = None) -> tuple[str, Path, str] | None:
    """(where, file, shown) of a copy of `cfg.file` already here, in the order `resolve` looks:
    $CLAIMBENCH_DATA, the package's bundled copy, the download cache (only if it matches its pin)."""
    root = os.environ.get(DATA_ENV)
    if root and cfg.file and (Path(root) / cfg.name / cfg.file).is_file():
        return DATA_ENV, Path(root) / cfg.name / cfg.file, f"${DATA_ENV}/{cfg.name}/{cfg.file}"
    bundled = bundled_path(cfg, base_dir)
    if bundled is not None and bundled.is_file():
        return "bundled", bundled, f"bundled: {cfg.name}/{cfg.file}"
    cached = cache_path(cfg)
    if cached.is_file() and (not cfg.sha256 or sha256_file(cached) == cfg.sha256):
        return "cache", cached, f"download cache: {cfg.name}/{cfg.file}"
    return None


def explicit_path(cfg: DatasetConfig, base_dir: Path | None) -> Path:
    """The file `path=` names (relative to the task's YAML file)."""
    p = Path(os.path.expanduser(cfg.path or ""))
    return base_dir / p if not p.is_absolute() and base_dir is not None else p


def bundled_path(cfg: DatasetConfig, base_dir: Path | None) -> Path | None:
    """Where a copy shipped inside the package lies: `data/<name>/<file>` beside the task's YAML
    (with its LICENSE and SOURCE.md), for sets whose license allows it."""
    return base_dir / "data" / cfg.name / cfg.file if base_dir is not None and cfg.file else None


def cache_path(cfg: DatasetConfig) -> Path:
    """Where a download of the dataset's file is kept."""
    return cache_dir() / "data" / cfg.name / (cfg.file or "")


def _where_to_put(cfg: DatasetConfig) -> str:
    """How a user supplies a missing dataset by hand: the files, their place, where to get them."""
    needed = cfg.file or "(no file named in the task config)"
    extra = "".join(f" and {f} beside it" for f in cfg.extra_files)
    return (f"Put the file at ${DATA_ENV}/{cfg.name}/{needed}{extra} (and set {DATA_ENV}), or pass its path "
            f"with the task option path=..." + (f" {cfg.instructions}" if cfg.instructions else ""))


class _HttpsRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another HTTPS source (mirrors, release assets): never down to plain
    HTTP; the pinned sha256 decides whatever host serves the bytes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if not (newurl.startswith("https://") or _local(newurl)):
            raise urllib.error.URLError(f"redirected to {newurl!r}, which is not HTTPS; refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpsRedirects)


def download(url: str, dest: Path, sha256: str | None, timeout: float = 60.0) -> Path:
    """Fetch `url` to `dest` atomically, verifying the pinned sha256."""
    if not (url.startswith("https://") or _local(url)):
        raise DataError(f"refusing to download {url!r}: only HTTPS sources (or a local test server) are allowed.")
    if not sha256:
        raise DataError(f"refusing to download {url!r} without a pinned sha256 in the task config.")
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        with _OPENER.open(url, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {dest.name}", leave=False) as bar:
                got = 0
                while block := resp.read(1 << 20):
                    h.update(block)
                    out.write(block)
                    bar.update(len(block))
                    got += len(block)
        if total is not None and got < total:
            raise DataError(f"download of {url!r} was cut short ({got} of {total} bytes); nothing was kept, run it again.")
        if h.hexdigest() != sha256:
            raise DataError(f"download of {url!r} has sha256 {h.hexdigest()}, expected {sha256}; the source changed or is corrupt.")
        os.replace(tmp, dest)
        return dest
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:  # HTTPException: a cut-off transfer
        raise DataError(f"cannot download {url!r}: {e!r}; nothing was kept, run it again or fetch the file by hand.") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(cfg: DatasetConfig, base_dir: Path | None = None) -> Dataset:
    """Read all rows of the dataset and check that each has the required fields."""
    how, path, shown = resolve(cfg, base_dir)
    if how == "hf":
        rows, fingerprint, source = _load_hf(cfg)
        if cfg.media:
            rows, fingerprint = _with_media(rows, fingerprint, cfg, None, source)
    else:
        assert path is not None
        rows, prints = [], []
        for part in [path, *_extra_paths(cfg, path)]:
            part_rows = _read_file(part, cfg)
            if cfg.source_field:  # e.g. ChartQA's test_human / test_augmented halves, read as one task
                part_rows = [{**row, cfg.source_field: part.name.split(".")[0]} if isinstance(row, dict) else row
                             for row in part_rows]
            part_print = sha256_file(part)
            if cfg.media:
                part_rows, part_print = _with_media(part_rows, part_print, cfg, part.parent / cfg.media_root, str(part))
            rows += part_rows
            prints.append(part_print)
        source = shown + "".join(f" + {f}" for f in cfg.extra_files)
        fingerprint = prints[0] if len(prints) == 1 else hashlib.sha256("|".join(prints).encode()).hexdigest()
    where = str(path) if path is not None else source  # errors name the real file
    if not rows:
        raise DataError(f"{where}: the dataset is empty (no rows{'' if how == 'hf' else ' in the file'}); "
                        "point the task at the right file (path=...) or check its split/records.")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(f"{where}: row {i} is a {type(row).__name__}, expected an object with fields {list(cfg.fields)}.")
        missing = [f for f in cfg.fields if f not in row]
        if missing:
            rid = row.get(cfg.id_field) if cfg.id_field else None
            raise DataError(f"{where}: row {i}{f' (id {rid!r})' if rid is not None else ''} is missing field {missing[0]!r}"
                            f" (required: {', '.join(cfg.fields)}). Fix the data file or the task's dataset.fields.")
    return Dataset(rows, fingerprint, source)


def _extra_paths(cfg: DatasetConfig, path: Path) -> list[Path]:
    """The dataset's extra files, which live beside its main file."""
    out = []
    for name in cfg.extra_files:
        p = path.parent / name
        if not p.is_file():
            raise DataError(f"dataset {cfg.name!r}: {str(p)!r}, listed in dataset.extra_files, is not a file; "
                            f"it belongs beside {str(path)!r}.")
        out.append(p)
    return out


def _with_media(rows: list[dict], fingerprint: str, cfg: DatasetConfig, media_dir: Path | None,
                source: str) -> tuple[list[dict], str]:
    """Rows with their images as ImageRefs; the images' hashes join the fingerprint (they are data)."""
    from .media import resolve_rows

    rows = resolve_rows(rows, cfg.media, media_dir, source)
    images = ",".join(row[name].sha256 for row in rows for name in cfg.media)
    return rows, hashlib.sha256(f"{fingerprint}|{images}".encode()).hexdigest()


_BUILTIN_FORMATS = ("jsonl", "json", "csv")


def _read_registered(fmt: str, path: Path, cfg: DatasetConfig) -> list[dict]:
    """Rows from a reader registered under `claimbench.readers` (a family's own file formats, e.g.
    face verification's pairs lists and InsightFace .bin files): `read(path, cfg) -> rows`, whose
    media fields may be paths relative to the file's folder or bytes, as in any other format."""
    read = registry.readers.get(fmt)
    if not callable(read):
        raise ConfigError(f"dataset reader {fmt!r} ({registry.readers.source(fmt)}) is not a function read(path, cfg).")
    return read(path, cfg)


def _read_file(path: Path, cfg: DatasetConfig) -> list[dict]:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    fmt = cfg.format or Path(name).suffix.lstrip(".")
    if fmt not in _BUILTIN_FORMATS and fmt in registry.readers:
        return _read_registered(fmt, path, cfg)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            if fmt == "jsonl":
                rows = []
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except json.JSONDecodeError as e:
                            raise DataError(f"{path}: line {n} is not valid JSON ({e.msg}).") from None
                return rows
            if fmt == "json":
                data = json.load(f)
                if cfg.records:
                    data = data[cfg.records]
                if not isinstance(data, list):
                    raise DataError(f"{path}: expected a JSON list of rows; set dataset.records to the key that holds it.")
                return data
            if fmt == "csv":
                return list(csv.DictReader(f))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError) as e:
        raise DataError(f"{path}: cannot be read as {fmt}: {e}") from None
    raise ConfigError(f"{path}: unknown dataset format {fmt!r}; set dataset.format to jsonl, json, csv or a "
                      f"registered reader ({', '.join(registry.readers.names()) or 'none installed'}).")


def _load_hf(cfg: DatasetConfig) -> tuple[list[dict], str, str]:
    try:
        import datasets  # optional: only for hub sources
    except ImportError:
        raise DataError(f"dataset {cfg.name!r} would come from the hub ({cfg.hf}) but `datasets` is not installed: "
                        "pip install datasets, or put the file under $CLAIMBENCH_DATA.") from None
    try:
        ds = datasets.load_dataset(cfg.hf, cfg.hf_config, split=cfg.split, revision=cfg.revision)
    except Exception as e:  # network, auth, missing split: all user-fixable
        raise DataError(f"dataset {cfg.name!r}: datasets.load_dataset({cfg.hf!r}, split={cfg.split!r}) failed: {e}. "
                        + (f"Offline: {_where_to_put(cfg)}" if cfg.file else f"Offline, put the file under ${DATA_ENV}/{cfg.name}/.")) from None
    missing = [c for c in [*cfg.hf_columns, *cfg.hf_filter] if c not in ds.column_names]
    if missing:
        raise DataError(f"dataset {cfg.name!r}: {cfg.hf} has no column {missing[0]!r} (it has {', '.join(ds.column_names)}); "
                        "fix dataset.hf_columns / dataset.hf_filter in the task config.")
    if cfg.hf_filter:  # e.g. ChartQA's human or augmented half of one hub split
        ds = ds.filter(lambda row: all(row[k] == v for k, v in cfg.hf_filter.items()))
    if cfg.hf_columns:  # hub column names -> the original layout's, so one set of hooks reads both
        ds = ds.rename_columns(dict(cfg.hf_columns))
    for name in cfg.media:  # the stored image bytes, not a PIL decode: hashes match the original files
        ds = ds.cast_column(name, datasets.Image(decode=False))
    return [dict(r) for r in ds], f"hf:{cfg.hf}:{ds._fingerprint}", f"hf:{cfg.hf}/{cfg.split}"

"""`claimbench data`: every task's source and license, what is here, fetch into the cache, verify."""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from conftest import require_data, run_cli

from claimbench.harness import data_catalog
from claimbench.harness.data import DatasetConfig
from claimbench.harness.errors import DataError

ROWS = b'{"q": "a"}\n'


def test_list_names_every_registered_task_with_a_source_and_a_license(monkeypatch):
    res = run_cli("data", "list", env={"CLAIMBENCH_DATA": ""})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split()[:4] == ["task", "dataset", "present", "size"]
    from claimbench.harness import registry
    listed = {line.split()[0] for line in lines[1:]}
    assert listed == set(registry.tasks.names())
    for e in data_catalog.entries():
        if e.dataset is not None:
            assert e.dataset.license and e.dataset.citation, e.task  # every task says where its data comes from
            assert e.dataset.url or e.dataset.hf or e.dataset.path or e.dataset.instructions, e.task
    assert "demo_arithmetic" in res.stdout and "package" in next(x for x in lines if x.startswith("demo_arithmetic"))


def test_verify_finds_a_changed_local_copy(tmp_path, monkeypatch):
    bamboogle = require_data("bamboogle", "bamboogle_with_decompositions.json")
    root = tmp_path / "data"
    (root / "bamboogle").mkdir(parents=True)
    shutil.copy(bamboogle, root / "bamboogle" / bamboogle.name)
    monkeypatch.setenv("CLAIMBENCH_DATA", str(root))
    [entry] = data_catalog.entries(["bamboogle"])
    assert data_catalog.verify(entry) == "ok"
    (root / "bamboogle" / bamboogle.name).write_bytes(b"[]")
    assert data_catalog.verify(entry).startswith("MISMATCH")
    res = run_cli("data", "verify", "bamboogle", env={"CLAIMBENCH_DATA": str(root)})
    assert res.returncode == 2 and "MISMATCH" in res.stdout and "claimbench data fetch" in res.stderr


def test_fetch_downloads_into_the_cache_once(static_server, monkeypatch):
    url, folder = static_server
    (folder / "rows.jsonl").write_bytes(ROWS)
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    cfg = DatasetConfig(name="toy", file="rows.jsonl", url=f"{url}/rows.jsonl", sha256=hashlib.sha256(ROWS).hexdigest())
    entry = data_catalog.Entry("toy", cfg, None)
    assert data_catalog.fetch(entry) == "fetched: download cache: toy/rows.jsonl"
    assert data_catalog.fetch(entry).startswith("already here (cache:")
    assert data_catalog.verify(entry) == "ok"


def test_fetch_of_a_set_without_a_download_says_how_to_get_it(monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    [entry] = data_catalog.entries(["lfw"])
    with pytest.raises(DataError, match="no download source.*pairs.txt"):
        data_catalog.fetch(entry)


def test_bundled_sets_carry_their_license_source_and_pinned_bytes(monkeypatch):
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    bundled = [e for e in data_catalog.entries() if (e.local() or ("",))[0] == "bundled"]
    assert {e.task for e in bundled} >= {"2wikimultihopqa", "musique"}
    for e in bundled:
        _, path = e.local()
        assert (path.parent / "LICENSE").is_file() and (path.parent / "SOURCE.md").is_file(), e.task
        assert e.dataset.sha256 and e.dataset.sha256 in (path.parent / "SOURCE.md").read_text(), e.task
        assert data_catalog.verify(e) == "ok", e.task


def test_a_bundled_task_runs_with_no_data_folder_and_records_where_its_rows_came_from(tmp_path):
    res = run_cli("run", "--model", "scripted", "--tasks", "2wikimultihopqa", "--limit", "5", "--output", str(tmp_path),
                  "--cache", ":memory:", "--no-progress", env={"CLAIMBENCH_DATA": ""})
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "2wikimultihopqa" / "results.json").read_text())
    assert result["dataset"]["source"] == "bundled: 2wikimultihopqa/dev_first1000_with_aliases.json"
    assert result["dataset"]["fingerprint"] == data_catalog.entries(["2wikimultihopqa"])[0].dataset.sha256

"""Nothing ClaimBench writes or deletes lands outside its destination, whatever the names in
task files, results and site manifests say; distinct specs never share a folder."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from conftest import COMMITTED_RESULTS, REPO, run_cli

from claimbench.harness.errors import ConfigError
from claimbench.harness.safe_paths import folder_name, inside

ONE_RESULT = COMMITTED_RESULTS / "bamboogle" / "smollm2-135m"


def crafted_result(tmp_path: Path, name: str, task_spec: str, model_label: str, *, gz: bool = True) -> Path:
    """A real committed result with hostile task and model names (its samples log kept, so it stays consistent)."""
    folder = tmp_path / "results" / name
    folder.mkdir(parents=True)
    data = json.loads((ONE_RESULT / "results.json").read_text())
    data["task"]["spec"] = data["task"]["name"] = task_spec
    data["model"]["label"] = model_label
    (folder / "results.json").write_text(json.dumps(data))
    if gz:
        shutil.copyfile(ONE_RESULT / "samples.jsonl.gz", folder / "samples.jsonl.gz")
    else:
        (folder / "samples.jsonl").write_bytes(gzip.decompress((ONE_RESULT / "samples.jsonl.gz").read_bytes()))
    return folder


def test_folder_names_are_distinct_per_spec_and_never_climb():
    assert folder_name("demo_arithmetic") == "demo_arithmetic" and folder_name("smollm2-135m") == "smollm2-135m"
    pairs = [("demo_arithmetic:path=/x/a/b.jsonl", "demo_arithmetic:path=/x/a_b.jsonl"),
             ("t:x=" + "a" * 200 + "1", "t:x=" + "a" * 200 + "2"),  # differ only after the readable part's cut
             ("Model", "model"),  # one folder on a case-insensitive file system
             ("x-1a2b3c4d", "x")]
    for a, b in pairs:
        assert folder_name(a) != folder_name(b), (a, b)
    for hostile in ("..", ".", "../../etc", "/abs/path", "a/../../b", "", ".hidden"):
        name = folder_name(hostile)
        assert "/" not in name and name not in ("", ".", "..") and not name.startswith("."), hostile
        assert len(name) <= 130


def test_inside_refuses_escapes_and_symlinks(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    assert inside(root, "a", "b.json") == root / "a" / "b.json"
    for parts in (("..", "x"), ("/etc/passwd",), ("link", "x"), (".",)):
        with pytest.raises(ConfigError, match="outside"):
            inside(root, *parts)


def test_task_named_dotdot_writes_inside_output(tmp_path):
    task = tmp_path / "task.yaml"
    text = (REPO / "tasks" / "demo" / "arithmetic.yaml").read_text()
    task.write_text(text.replace("task: demo_arithmetic", "task: '..'")
                    .replace("path: arithmetic.jsonl", f"path: {REPO / 'tasks' / 'demo' / 'arithmetic.jsonl'}"))
    out = tmp_path / "deep" / "out"
    res = run_cli("run", "--model", "scripted", "--tasks", str(task), "--output", str(out), "--cache", ":memory:",
                  "--no-progress")
    assert res.returncode == 0, res.stderr
    assert [p.parent.parent for p in out.rglob("results.json")] == [out]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]


def test_two_dataset_paths_that_sanitise_alike_get_two_folders(tmp_path):
    """Labels keep a path's last two components (a/b_c.jsonl, a_b/c.jsonl): one folder before, two now."""
    rows = (REPO / "tasks" / "demo" / "arithmetic.jsonl").read_text()
    for rel in ("a/b_c.jsonl", "a_b/c.jsonl"):
        (tmp_path / rel).parent.mkdir()
        (tmp_path / rel).write_text(rows)
    out = tmp_path / "out"
    specs = [f"demo_arithmetic:path={tmp_path}/a/b_c.jsonl", f"demo_arithmetic:path={tmp_path}/a_b/c.jsonl"]
    for spec in specs:
        res = run_cli("run", "--model", "scripted", "--tasks", spec, "--output", str(out), "--cache", ":memory:",
                      "--no-progress", "--limit", "3")
        assert res.returncode == 0, res.stderr
    found = sorted(json.loads(p.read_text())["task"]["spec"] for p in out.rglob("results.json"))
    assert len(found) == 2 and found[0] != found[1]


def test_symlinked_task_folder_pointing_elsewhere_is_refused_before_work(tmp_path):
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "out"
    elsewhere.mkdir()
    out.mkdir()
    (out / "demo_arithmetic").symlink_to(elsewhere)
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--output", str(out), "--cache", ":memory:",
                  "--no-progress")
    assert res.returncode == 2 and "outside" in res.stderr and "Traceback" not in res.stderr
    assert list(elsewhere.iterdir()) == []


def test_publish_of_dotdot_names_stays_under_dest(tmp_path):
    src = crafted_result(tmp_path, "evil", "..", "..", gz=False)
    dest = tmp_path / "pub" / "root"
    res = run_cli("publish", str(src), "--dest", str(dest))
    assert res.returncode == 0, res.stderr
    written = list(dest.rglob("results.json"))
    assert len(written) == 1 and written[0].parent.parent.parent == dest
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["root"]


def test_leaderboard_entry_cannot_replace_the_site_index(tmp_path):
    crafted_result(tmp_path, "evil", "..", "index")
    site = tmp_path / "site"
    res = run_cli("leaderboard", str(tmp_path / "results"), "--out", str(site), "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "<h1>ClaimBench leaderboard</h1>" in (site / "index.html").read_text()
    reports = list((site / "runs").rglob("*.html"))
    assert len(reports) == 1 and reports[0].parent.parent == site / "runs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "site"]


@pytest.mark.parametrize("entry", ["../victim.txt", "ABSOLUTE", "runs/../../victim.txt", "index\0.html", "\udcff.html"])
def test_edited_site_manifest_deletes_nothing_outside(tmp_path, entry):
    site = tmp_path / "site"
    first = run_cli("leaderboard", str(ONE_RESULT), "--out", str(site), "--no-progress")
    assert first.returncode == 0, first.stderr
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    entry = str(victim) if entry == "ABSOLUTE" else entry
    (site / ".claimbench-site").write_bytes(f"index.html\n{entry}\n".encode("utf-8", "surrogateescape"))
    res = run_cli("leaderboard", str(ONE_RESULT), "--out", str(site), "--no-progress")
    assert res.returncode == 2 and ".claimbench-site" in res.stderr and "Traceback" not in res.stderr
    assert victim.read_text() == "keep me"


def test_manifest_still_removes_the_sites_own_stale_pages(tmp_path):
    site = tmp_path / "site"
    both = tmp_path / "both"
    shutil.copytree(ONE_RESULT, both / "a")
    shutil.copytree(COMMITTED_RESULTS / "bamboogle" / next(p.name for p in (COMMITTED_RESULTS / "bamboogle").iterdir()
                                                           if p.name != "smollm2-135m"), both / "b")
    assert run_cli("leaderboard", str(both), "--out", str(site), "--no-progress").returncode == 0
    assert len(list((site / "runs").rglob("*.html"))) == 2
    shutil.rmtree(both / "b")
    assert run_cli("leaderboard", str(both), "--out", str(site), "--no-progress").returncode == 0
    assert len(list((site / "runs").rglob("*.html"))) == 1
    manifest = (site / ".claimbench-site").read_text().split()
    assert all(not Path(rel).is_absolute() and ".." not in Path(rel).parts for rel in manifest)

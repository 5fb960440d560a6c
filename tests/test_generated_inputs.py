"""Property: no generated input makes the CLI end in a traceback. Task YAMLs, dataset rows, command
lines, results files, samples logs and cache files are generated (hypothesis) and fed to
`claimbench` in-process; every outcome must be an exit status the README documents (0, 2 bad
input, 3 backend, 4-7 gates), never an exception, and nothing outside the output folder may
change. Budgets are bounded (a few dozen examples each) so CI stays fast."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import COMMITTED_RESULTS, REPO

from claimbench.harness.cli import main

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ALLOWED = {0, 2, 3, 4, 5, 6, 7}
BUDGET = settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _snapshot(root: Path, skip: tuple[Path, ...]) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not any(s == p or s in p.parents for s in skip)}


def _cli(argv: list[str], root: Path, out: Path, writes: tuple[Path, ...] = ()) -> int:
    """main(argv) with its output swallowed; the exit status, asserting that nothing changed outside
    `out`, the files the command is meant to write (`writes`) and ClaimBench's own cache folder."""
    skip = (out, root / "cbcache", *writes)
    before = _snapshot(root, skip)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse refusing the arguments: status 2 with its usage line
            code = e.code if isinstance(e.code, int) else 2
    assert code in ALLOWED, (argv, buf.getvalue()[-2000:])
    assert _snapshot(root, skip) == before, argv
    return code


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(REPO / "tasks" / "demo" / "arithmetic.jsonl", tmp_path / "rows.jsonl")
    return tmp_path


task_fields = st.fixed_dictionaries({}, optional={
    "task": st.one_of(st.text(max_size=12), values), "version": values,
    "hooks": st.one_of(st.sampled_from(["demo_arithmetic", "multihop_qa", "nosuch", "os:system"]), values),
    "dataset": st.one_of(values, st.fixed_dictionaries({"name": st.text(max_size=8)}, optional={
        "path": st.sampled_from(["rows.jsonl", "nosuch.jsonl", "", "/", "rows.jsonl/x"]),
        "format": st.one_of(st.sampled_from(["jsonl", "json", "csv", "parquet"]), values),
        "fields": values, "id_field": values, "records": values, "split": values})),
    "metrics": st.one_of(st.lists(st.sampled_from(["exact_match", "nosuch", "mean:field=x", "anls:variant=zz"]),
                                  max_size=3), values),
    "params": values, "method": values, "methods": values, "limit": values, "sample": values,
    "primary_metric": values, "include": values, "shortcuts": values})


@BUDGET
@given(raw=task_fields, as_bytes=st.booleans(), junk=st.binary(max_size=40))
def test_generated_task_files(workdir, raw, as_bytes, junk):
    path = workdir / "task.yaml"
    path.write_bytes(junk if as_bytes else json.dumps(raw, allow_nan=True).encode())  # JSON is YAML
    _cli(["run", "--model", "scripted", "--tasks", str(path), "--output", str(workdir / "out"),
          "--cache", ":memory:", "--no-progress"], workdir, workdir / "out")


rows = st.one_of(st.binary(max_size=60).map(lambda b: b.decode("latin1")),
                 values.map(lambda v: json.dumps(v, allow_nan=True)),
                 st.fixed_dictionaries({"id": values, "a": values, "op1": values, "b": values, "op2": values,
                                        "c": values, "answer": values}).map(lambda d: json.dumps(d, allow_nan=True)))


@BUDGET
@given(lines=st.lists(rows, max_size=4))
def test_generated_dataset_rows(workdir, lines):
    (workdir / "data.jsonl").write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    _cli(["run", "--model", "scripted", "--tasks", f"demo_arithmetic:path={workdir / 'data.jsonl'}",
          "--output", str(workdir / "out"), "--cache", ":memory:", "--no-progress"], workdir, workdir / "out")


words = st.one_of(st.sampled_from(["run", "show", "compare", "report", "list", "data", "claims", "rescore", "publish",
                                   "leaderboard", "--model", "--tasks", "--limit", "--seed", "--batch-size",
                                   "--tolerance", "--sweep", "--executor", "scripted", "demo_arithmetic",
                                   "demo_arithmetic:limit=0", "demo_arithmetic:method=nope", "bamboogle:sample=-3",
                                   "-1", "0", "1e9", "x=y", "fid=", "tasks", "models", str(COMMITTED_RESULTS / "idiomem")]),
                  st.text(max_size=12))


@BUDGET
@given(argv=st.lists(words, min_size=1, max_size=6))
def test_generated_command_lines(workdir, argv):
    out = workdir / "out"
    if argv[0] == "run":
        argv = [*argv, "--output", str(out), "--cache", ":memory:", "--no-progress"]
    if argv[0] in ("report", "leaderboard", "rescore"):
        argv = [*argv, "--out", str(out)]
    if argv[0] == "publish":
        argv = [*argv, "--dest", str(out)]
    _cli(argv, workdir, out)


@BUDGET
@given(result=st.one_of(st.binary(max_size=80), values.map(lambda v: json.dumps(v, allow_nan=True).encode())),
       log=st.one_of(st.binary(max_size=80), st.lists(values, max_size=3).map(
           lambda xs: "".join(json.dumps(x, allow_nan=True) + "\n" for x in xs).encode())),
       which=st.sampled_from(["results", "log", "both", "field"]), field=st.sampled_from(["task", "model", "metrics",
                                                                                          "counts", "samples"]),
       command=st.sampled_from(["show", "report", "compare", "leaderboard", "rescore", "claims"]))
def test_generated_results_and_samples_files(workdir, result, log, which, field, command):
    shutil.rmtree(workdir / "results", ignore_errors=True)  # each example starts from the committed run
    run = workdir / "results" / "t" / "m"
    shutil.copytree(COMMITTED_RESULTS / "bamboogle" / "smollm2-135m", run)
    if which in ("results", "both"):
        (run / "results.json").write_bytes(result)
    if which in ("log", "both"):
        (run / "samples.jsonl.gz").unlink()
        (run / "samples.jsonl").write_bytes(log)
    if which == "field":
        data = json.loads((run / "results.json").read_text())
        data[field] = json.loads(result) if result[:1] in b"[{\"0123456789-nft" and _parses(result) else None
        (run / "results.json").write_text(json.dumps(data, allow_nan=True))
    out = workdir / "out"
    argv = {"show": ["show", str(run)], "report": ["report", str(run), "--out", str(out)],
            "compare": ["compare", str(run), str(COMMITTED_RESULTS / "bamboogle" / "smollm2-135m")],
            "leaderboard": ["leaderboard", str(workdir / "results"), "--out", str(out), "--no-progress"],
            "rescore": ["rescore", str(run), "--out", str(out)],
            "claims": ["claims", str(workdir / "results")]}[command]
    _cli(argv, workdir, out)


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
        return True
    except ValueError:
        return False


@BUDGET
@given(content=st.one_of(st.binary(max_size=200), st.just(b"SQLite format 3\x00" + bytes(84))))
def test_generated_cache_files(workdir, content):
    cache = workdir / "cache.sqlite"
    cache.write_bytes(content)
    _cli(["run", "--model", "scripted", "--tasks", "demo_arithmetic:limit=2", "--output", str(workdir / "out"),
          "--cache", str(cache), "--no-progress"], workdir, workdir / "out",
         writes=(cache, cache.with_name("cache.sqlite-wal"), cache.with_name("cache.sqlite-shm")))

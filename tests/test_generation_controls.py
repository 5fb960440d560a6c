"""Run controls from lm-eval's habits: --apply-chat-template, --system-instruction, --fewshot-as-multiturn, --gen-kwargs.

They are task options (`generation.*`): a chat run is its own protocol, with its own label,
config hash and cache keys, while every task and request without them keeps its hash and keys."""
from __future__ import annotations

import gzip
import json

import pytest
from conftest import COMMITTED_RESULTS, require_data, run_cli
from lm_fixtures import GEMMA3, LLAMA_CPP, SMOLLM2, TRANSFORMERS, preset, require

from claimbench.harness import evaluate, results
from claimbench.harness.errors import ConfigError
from claimbench.harness.generation import task_options
from claimbench.harness.requests import Generate, canonical_json
from claimbench.harness.runner import selected_rows
from claimbench.harness.task_files import load_task

QUESTION = "Who was president of the U.S. when superconductivity was discovered?"
SYSTEM = "Answer with a name only."


def test_generation_options_are_task_options_with_their_own_hash():
    plain = load_task("bamboogle")
    recorded = json.loads((COMMITTED_RESULTS / "bamboogle" / "smollm2-135m" / "results.json").read_text())
    assert "generation" not in plain.config_json() and plain.config_hash() == recorded["task"]["config_hash"]
    chat = load_task(f"bamboogle:generation.chat=true,generation.system=\"{SYSTEM}\"")
    assert chat.config_json()["generation"]["chat"] is True and chat.config_hash() != plain.config_hash()
    sent = chat.adjust(Generate("Q: x", max_tokens=8, stop=("\n",)))
    assert sent.chat and sent.system == SYSTEM and sent.messages()[0] == {"role": "system", "content": SYSTEM}
    tuned = load_task("bamboogle:generation.max_tokens=16,generation.stop=Q:;A:,generation.temperature=0.7,generation.seed=3")
    sampled = tuned.adjust(Generate("Q: x", max_tokens=8))
    assert (sampled.max_tokens, sampled.stop, sampled.temperature, sampled.seed) == (16, ("Q:", "A:"), 0.7, 3)
    assert task_options(chat=True, system=SYSTEM, gen_kwargs="max_tokens=16,top_p=0.9") == [
        ("generation.chat", "true"), ("generation.system", SYSTEM), ("generation.max_tokens", "16"), ("generation.top_p", "0.9")]


@pytest.mark.parametrize("spec, words", [
    ("bamboogle:generation.system=hi", "--apply-chat-template"),
    ("bamboogle:generation.temperature=0.7", "seed"),
    ("bamboogle:generation.top_p=1.5", "top_p"),
    ("bamboogle:generation.chatt=true", "generation.chat"),
])
def test_bad_generation_options_are_refused_by_name(spec, words):
    with pytest.raises(ConfigError, match=words.replace(".", r"\.")):
        load_task(spec)


def test_bad_gen_kwargs_on_the_cli_exit_2_naming_the_keys(tmp_path):
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--gen-kwargs", "max_new_tokens=5",
                  "--output", str(tmp_path / "out"), "--cache", ":memory:")
    assert res.returncode == 2 and "max_tokens, temperature, top_p, stop, seed" in res.stderr and "Traceback" not in res.stderr


def test_requests_recorded_before_the_new_fields_keep_their_keys():
    """system and top_p left at their defaults are not in the canonical form: cached answers and
    recorded runs (rescore replays them) match the requests tasks ask today."""
    with gzip.open(COMMITTED_RESULTS / "bamboogle" / "smollm2-135m" / "samples.jsonl.gz", "rt") as f:
        recorded = json.loads(f.readline())["requests"][0]["request"]
    fields = {k: tuple(v) if k == "stop" else v for k, v in recorded.items() if k != "kind"}
    assert Generate(**fields).canonical_json() == canonical_json(recorded)


def test_smollm2_chat_prompts_are_the_tokenizers_own_template_on_both_backends():
    smol = preset("smollm2-135m", SMOLLM2, TRANSFORMERS)
    request = Generate(QUESTION, max_tokens=8, chat=True, system=SYSTEM)
    expected = smol.tok.apply_chat_template(request.messages(), tokenize=True, add_generation_prompt=True)
    expected = list(expected["input_ids"]) if hasattr(expected, "keys") else list(expected)  # a BatchEncoding in newer releases
    assert smol._prompt_ids(request) == expected
    assert smol.tok.decode(expected).startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>")
    cpp = preset("smollm2-135m:backend=llamacpp", SMOLLM2, LLAMA_CPP)
    assert cpp.chat_template == smol.tok.chat_template  # the GGUF carries the same template
    [answer] = cpp.serve("generate", [request])
    assert answer["usage"]["prompt_tokens"] == len(expected)  # llama.cpp rendered the same turns, token for token


def test_a_model_without_a_template_refuses_chat_clearly():
    require(*GEMMA3)
    require(*LLAMA_CPP)
    for spec in ("gemma3-270m", "gemma3-270m:backend=llamacpp"):  # the packaged GGUF carries no chat template
        with pytest.raises(ConfigError, match="chat template"):
            preset(spec, GEMMA3).serve("generate", [Generate(QUESTION, max_tokens=4, chat=True)])


def test_a_chat_run_records_its_controls_and_answers_differently(tmp_path):
    require_data("bamboogle")
    for needs in (SMOLLM2, TRANSFORMERS):
        require(*needs)
    out = tmp_path / "runs"
    common = dict(limit=6, cache=":memory:", output=out)
    plain = evaluate("smollm2-135m", ["bamboogle"], **common)[0]
    chat = evaluate("smollm2-135m", ["bamboogle"], apply_chat_template=True, system_instruction=SYSTEM,
                    gen_kwargs="max_tokens=24", **common)[0]
    assert chat.task["spec"] != plain.task["spec"] and chat.task["config"]["generation"]["system"] == SYSTEM
    assert len(list(out.iterdir())) == 2  # two protocols, two results folders
    chat_dir = next(p for p in out.iterdir() if "chat" in p.name)
    samples = results.read_samples(chat_dir)
    assert all(s["requests"][0]["request"]["chat"] and s["requests"][0]["request"]["system"] == SYSTEM for s in samples)
    assert all(s["requests"][0]["request"]["max_tokens"] == 24 for s in samples)
    plain_dir = next(p for p in out.iterdir() if "chat" not in p.name)
    before = [s["prediction"] for s in results.read_samples(plain_dir)]
    assert [s["prediction"] for s in samples] != before


def test_fewshot_as_multiturn_sends_each_exemplar_as_a_turn_pair():
    """generation.multiturn: the same exemplars, as (user, assistant) turns before the question's own user turn;
    written back as text they are the plain prompt, byte for byte."""
    require_data("bamboogle")
    for method in ("direct", "self_ask"):
        plain, turns = (load_task(f"bamboogle:method={method}{extra}")
                        for extra in ("", ",generation.chat=true,generation.multiturn=true"))
        row = selected_rows(plain, 0, 1).rows[0]
        [asked] = plain.hooks.requests(row, [])
        [split] = [turns.adjust(r) for r in turns.hooks.requests(row, [])]
        assert split.chat and len(split.shots) == 4 and split.plain_text() == asked.prompt
        roles = [m["role"] for m in split.messages()]
        assert roles == ["user", "assistant"] * 4 + ["user"] and split.messages()[-1]["content"] == split.prompt
        assert asked.prompt.endswith(split.prompt) and split.messages()[1]["content"].endswith("Rutherford B. Hayes")
    require_data("compositional_celebrities")
    plain, turns = (load_task(f"compositional_celebrities{extra}") for extra in ("", ":generation.chat=true,generation.multiturn=true"))
    row = selected_rows(plain, 0, 1).rows[0]
    selected_rows(turns, 0, 1)  # prepare() draws the exemplars
    for asked, split in zip(plain.hooks.requests(row, []), turns.hooks.requests(row, [])):
        assert len(split.shots) == 2 and split.plain_text() == asked.prompt  # the paper's two people per category


def test_fewshot_as_multiturn_is_refused_without_chat_or_exemplars(tmp_path):
    with pytest.raises(ConfigError, match="--apply-chat-template"):
        load_task("bamboogle:generation.multiturn=true")
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--apply-chat-template", "--fewshot-as-multiturn",
                  "--output", str(tmp_path / "out"), "--cache", ":memory:")
    assert res.returncode == 2 and "no few-shot exemplars" in res.stderr and "Traceback" not in res.stderr


def test_smollm2_renders_exemplar_turns_with_its_own_template(tmp_path):
    require_data("bamboogle")
    for needs in (SMOLLM2, TRANSFORMERS):
        require(*needs)
    smol = preset("smollm2-135m", SMOLLM2, TRANSFORMERS)
    request = Generate.few_shot([("Question: What is the capital of Chile?\nAnswer:", "Santiago")], f"Question: {QUESTION}\nAnswer:",
                                as_turns=True, max_tokens=8)
    expected = smol.tok.apply_chat_template(request.messages(), tokenize=True, add_generation_prompt=True)
    expected = list(expected["input_ids"]) if hasattr(expected, "keys") else list(expected)
    assert smol._prompt_ids(request) == expected
    assert "<|im_start|>assistant\nSantiago<|im_end|>" in smol.tok.decode(expected)
    out = tmp_path / "runs"
    run = evaluate("smollm2-135m", ["bamboogle"], apply_chat_template=True, fewshot_as_multiturn=True, limit=3,
                   cache=":memory:", output=out)[0]
    assert run.task["config"]["generation"]["multiturn"] is True
    [folder] = out.iterdir()
    assert all(len(s["requests"][0]["request"]["shots"]) == 4 for s in results.read_samples(folder))

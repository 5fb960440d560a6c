import dataclasses

import pytest

from claimbench.harness.errors import AdapterError, ConfigError
from claimbench.harness.requests import (
    BUILT_IN,
    AnswerImageQuestion,
    ClassifyImage,
    EmbedImage,
    Generate,
    ImageRef,
    LogLikelihood,
    SampleImages,
    TokenLens,
)


def test_the_seven_built_in_kinds_are_registered_and_frozen():
    from claimbench.harness.registry import request_kinds

    assert {cls.kind for cls in BUILT_IN} <= set(request_kinds.names())
    assert all(request_kinds.get(cls.kind) is cls for cls in BUILT_IN)
    assert {cls.kind for cls in BUILT_IN} == {"generate", "loglikelihood", "token_lens", "answer_image_question",
                          "sample_images", "embed_image", "classify_image"}
    r = Generate("hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.prompt = "other"


def test_canonical_json_is_stable_and_keyed_by_fingerprint():
    a = Generate("Q: x?\nA:", max_tokens=8, stop=["\n"])
    b = Generate("Q: x?\nA:", max_tokens=8, stop=("\n",))
    assert a == b and a.canonical_json() == b.canonical_json()
    assert a.canonical_json() == '{"chat":false,"kind":"generate","max_tokens":8,"prompt":"Q: x?\\nA:","seed":null,"stop":["\\n"],"temperature":0.0}'
    assert a.key("m1") == b.key("m1") != a.key("m2")
    assert Generate("Q: x?\nA:", max_tokens=9).key("m1") != a.key("m1")


def test_sampled_generation_needs_a_seed_and_keys_by_it():
    with pytest.raises(ConfigError, match="seed"):
        Generate("p", temperature=0.7)
    assert Generate("p", temperature=0.7, seed=1).key("m") != Generate("p", temperature=0.7, seed=2).key("m")


def test_images_are_referenced_by_content_hash(tmp_path):
    (tmp_path / "a.png").write_bytes(b"same bytes")
    (tmp_path / "b.png").write_bytes(b"same bytes")
    (tmp_path / "c.png").write_bytes(b"other bytes")
    ra, rb, rc = (EmbedImage(ImageRef.from_file(tmp_path / n)) for n in ("a.png", "b.png", "c.png"))
    assert ra.key("m") == rb.key("m") != rc.key("m")
    assert "path" not in ra.canonical_json() and "a.png" not in ra.canonical_json()
    with pytest.raises(ConfigError, match="does not exist"):
        ImageRef.from_file(tmp_path / "missing.png")


@pytest.mark.parametrize("req,good,bad", [
    (Generate("p"), "text", 3),
    (LogLikelihood("c", " x"), {"logprob": -1.5, "is_greedy": False}, {"logprob": 0.5, "is_greedy": False}),
    (TokenLens("p", "t"), {"ranks": [5, 1], "probs": [0.1, 0.9]}, {"ranks": [0], "probs": [0.1]}),
    (AnswerImageQuestion(ImageRef("0" * 64), "q"), "answer", None),
    (SampleImages(2, 0, steps=4), [{"sha256": "a"}, {"sha256": "b"}], [{"sha256": "a"}]),
    (EmbedImage(ImageRef("0" * 64)), [0.1, 0.2], [float("nan")]),
    (ClassifyImage(ImageRef("0" * 64), top_k=2), {"labels": [1, 2], "probs": [0.6, 0.3]}, {"labels": [1], "probs": [0.6]}),
])
def test_response_shapes_are_checked(req, good, bad):
    req.check_response(good)
    with pytest.raises(AdapterError, match=req.kind):
        req.check_response(bad)


def test_generate_responses_may_carry_a_well_formed_usage_record():
    use = {"prompt_tokens": 10, "reused_prompt_tokens": 8, "generated_tokens": 3, "seconds": 0.01}
    Generate("p").check_response({"text": "x", "usage": use})
    for bad in ({**use, "reused_prompt_tokens": 11}, {**use, "seconds": -1}, {**use, "generated_tokens": 1.5},
                {k: v for k, v in use.items() if k != "seconds"}, {**use, "extra": 1}):
        with pytest.raises(AdapterError, match="usage"):
            Generate("p").check_response({"text": "x", "usage": bad})


def test_bad_request_fields_are_clear_errors():
    with pytest.raises(ConfigError, match="max_tokens"):
        Generate("p", max_tokens=0)
    with pytest.raises(ConfigError, match="continuation"):
        LogLikelihood("c", "")
    with pytest.raises(ConfigError, match="sample_images.n"):
        SampleImages(0, 1)

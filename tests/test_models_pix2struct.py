"""The pix2struct adapter on a tiny randomly initialised VQA checkpoint built here (no download):
the real path through transformers' processor (header rendering, patches) and generate.

A random model's text can differ between machines (CPU kernels), so runs are compared with
each other, never with a fixed string."""
import json
import shutil
import string
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("PIL")
font_manager = pytest.importorskip("matplotlib.font_manager")

from test_media import image_task  # noqa: E402

from claimbench.harness import evaluate  # noqa: E402
from claimbench.harness.errors import ConfigError  # noqa: E402
from claimbench.harness.model import load_model  # noqa: E402
from claimbench.harness.requests import AnswerImageQuestion, ImageRef  # noqa: E402

DEJAVU = str(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
SERIF = str(Path(DEJAVU).with_name("DejaVuSerif.ttf"))
WORDS = "what is the total revenue in year of chart document page title value answer".split()
PATCHES = 64


def tiny_tokenizer():
    """A T5 (unigram) tokenizer from a hand-made vocabulary: T5's special ids, some words, single characters."""
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(f"▁{w}", -3.0) for w in WORDS] + [(c, -5.0) for c in string.ascii_lowercase + string.digits]
    return transformers.T5Tokenizer(vocab=vocab, extra_ids=0)


def save_checkpoint(folder: Path, is_vqa: bool = True) -> Path:
    tok = tiny_tokenizer()
    torch.manual_seed(0)
    config = transformers.Pix2StructConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4),
        vision_config=dict(hidden_size=32, patch_embed_hidden_size=16 * 16 * 3, d_kv=8, d_ff=64,
                           num_hidden_layers=2, num_attention_heads=4),
        is_vqa=is_vqa)
    transformers.Pix2StructForConditionalGeneration(config).save_pretrained(folder)
    image_processor = transformers.Pix2StructImageProcessor(is_vqa=is_vqa, max_patches=PATCHES)
    transformers.Pix2StructProcessor(image_processor=image_processor, tokenizer=tok).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("pix2struct"))


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[ImageRef]:
    """Three small images of random pixels, of different shapes."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    refs = []
    for i, shape in enumerate([(40, 60, 3), (64, 32, 3), (8, 8, 3)]):
        path = folder / f"{i}.png"
        Image.fromarray(np.random.default_rng(i).integers(0, 255, shape, dtype=np.uint8)).save(path)
        refs.append(ImageRef.from_file(path))
    return refs


def spec(ckpt: Path, **extra: str) -> str:
    options = {"path": str(ckpt), "font": DEJAVU, "max_patches": str(PATCHES), **extra}
    return "pix2struct:" + ",".join(f"{k}={v}" for k, v in options.items())


@pytest.fixture(scope="module")
def model(ckpt):
    return load_model(spec(ckpt)).loaded()


def test_a_batch_answers_as_one_by_one_and_repeats_itself(model, images):
    reqs = [AnswerImageQuestion(images[0], "what is the total revenue", max_tokens=12),
            AnswerImageQuestion(images[1], "what is the title", max_tokens=5),
            AnswerImageQuestion(images[2], "which year", max_tokens=8)]
    batch = model.serve("answer_image_question", reqs)
    alone = [model.serve("answer_image_question", [r])[0] for r in reqs]
    assert all(isinstance(a, str) for a in batch)
    assert batch == alone
    assert model.serve("answer_image_question", [reqs[0], reqs[0]]) == [batch[0], batch[0]]
    assert len(set(batch)) > 1  # the tiny model answers differently: the comparison above means something


def test_the_question_and_the_font_reach_the_patches(model, images):
    def patches(question: str) -> torch.Tensor:
        return model.inputs([AnswerImageQuestion(images[0], question)])["flattened_patches"]

    first = patches("what is the total")
    assert first.shape == (1, PATCHES, 2 + 16 * 16 * 3)
    assert torch.equal(first, patches("what is the total"))
    assert not torch.equal(first, patches("which year"))
    serif = load_model(spec(Path(model.options.path), font=SERIF))
    assert not torch.equal(first, serif.inputs([AnswerImageQuestion(images[0], "what is the total")])["flattened_patches"])


def test_fingerprint_covers_patches_font_and_files_without_loading(ckpt, tmp_path):
    base = load_model(spec(ckpt))
    fp = base.fingerprint()
    assert base.model is None  # described, not loaded
    assert load_model(spec(ckpt, max_patches="32")).fingerprint() != fp
    assert load_model(spec(ckpt, font=SERIF)).fingerprint() != fp
    assert load_model(spec(ckpt, threads="1")).fingerprint() == fp  # speed only
    moved_font = shutil.copy(DEJAVU, tmp_path / "any-name.ttf")
    copy = shutil.copytree(ckpt, tmp_path / "copy")
    assert load_model(spec(copy, font=moved_font)).fingerprint() == fp  # identified by content, not place
    config = json.loads((copy / "processor_config.json").read_text())
    config["image_processor"]["do_normalize"] = False
    (copy / "processor_config.json").write_text(json.dumps(config))
    assert load_model(spec(copy)).fingerprint() != fp


@pytest.mark.parametrize(("override", "named"), [
    ({"path": "/no/such/folder"}, "path="),
    ({"max_patches": "0"}, "max_patches"),
    ({"font": "/no/such/font.ttf"}, "font="),
    ({"dtype": "float64"}, "dtype"),
])
def test_bad_options_name_the_option(ckpt, override, named):
    with pytest.raises(ConfigError, match=named):
        load_model(spec(ckpt, **override))


def test_an_empty_folder_or_a_non_vqa_checkpoint_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="processor of path="):
        load_model(spec(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="is_vqa=false"):
        load_model(spec(save_checkpoint(tmp_path / "captioning", is_vqa=False)))


def test_without_font_and_hub_it_says_to_pass_font(ckpt, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ConfigError, match="pass font=FILE.ttf.*DejaVuSans"):
        load_model(f"pix2struct:path={ckpt}")


def test_an_image_task_runs_end_to_end(ckpt, tmp_path):
    task = image_task(tmp_path, "tiny_vqa", "ImageQuestionHooks", "anls")
    [r] = evaluate(spec(ckpt), [str(task)], output=tmp_path / "out", cache=":memory:")
    assert r.counts["rows"] == 3
    assert 0 <= r.metric("anls") <= 1
    line = json.loads(next((tmp_path / "out").rglob("samples.jsonl")).read_text().splitlines()[0])
    assert isinstance(line["requests"][0]["response"], str)

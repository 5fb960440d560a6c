"""`pix2struct`: Pix2Struct document and chart VQA checkpoints through transformers.

Serves answer_image_question with the reference implementation, transformers'
`Pix2StructForConditionalGeneration` and `Pix2StructProcessor`: a VQA checkpoint's processor
renders the question as a header above the image (with a TrueType font), cuts the result into
at most `max_patches` 16x16 patches (padded to exactly `max_patches`, with an attention mask),
and the model decodes greedily (`do_sample=False`, `num_beams=1`); the answer is the decoded
text without special tokens, stripped.

Checkpoints, for users with network: `google/pix2struct-docvqa-base`,
`google/pix2struct-docvqa-large` and `google/pix2struct-chartqa-base` are on the hub. A
converted ChartQA Large checkpoint was not confirmed there; google-research/pix2struct's
README lists the original T5X checkpoints on GCS, "charqa" being their spelling:
`gs://pix2struct-data/chartqa_base/checkpoint_287600`, `gs://pix2struct-data/charqa_large/checkpoint_182600`.

Font: transformers renders the header with Arial downloaded from the hub (`ybelkada/fonts`,
`Arial.TTF`), and the original code with a local `arial.ttf`: the reference numbers used
Arial. `font=FILE.ttf` renders with another font (offline, e.g. matplotlib's DejaVuSans.ttf),
which is another setting: the font file's sha256 is in the fingerprint. transformers 5.23
refuses a `font_path` argument (its keyword check lacks it although `render_header` takes it),
so the adapter widens that check on its own image-processor instance.

max_patches: 2048 by default, transformers' default (the image processor's class default and
the processor's call-time default, which overrides the checkpoint's preprocessor_config.json).

Building the adapter loads the processor and hashes the checkpoint's files (or resolves a hub
id's commit) and the font; the weights are loaded by load().
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

from claimbench.harness.errors import ConfigError
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import AnswerImageQuestion

from .hf.loading import Source, resolve_source, weights_identity
from .image.preprocessing import open_rgb

_HUB_FONT = ("ybelkada/fonts", "Arial.TTF")  # what transformers downloads when given no font
_HUB_HINT = "is the hub reachable? offline, download the checkpoint and pass path=FOLDER"
# Beyond hf_loading's weight files: what also changes outputs in a saved Pix2Struct folder.
_PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json", "generation_config.json",
                    "special_tokens_map.json", "spiece.model")


class Pix2StructAdapter(ModelAdapter):
    kinds = frozenset({"answer_image_question"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(fingerprint=False, doc="local checkpoint folder or hub id (identified by its files' "
                                                  "sha256 or the hub commit, not by the path)")
        revision: str | None = option(None, fingerprint=False, doc="hub revision (branch, tag or commit)")
        font: str | None = option(None, fingerprint=False, doc="TrueType file the question is rendered with "
                                                               "(identified by its sha256); default: Arial from the hub")
        max_patches: int = option(2048, doc="image patches given to the encoder (transformers' default)")
        dtype: Literal["float32", "bfloat16", "float16"] = option("float32")
        device: str = option("cpu")
        threads: int | None = option(None, fingerprint=False, doc="torch CPU threads")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        _check_numbers(options)
        self.source = _source(options)
        self.font = _font_file(options.font)
        self.processor = _load_processor(options, self.source)
        self._weights = weights_identity(options, self.source)
        self.model = None  # the torch module, built by load()

    def identity(self) -> dict[str, Any]:
        import PIL
        import transformers

        ident = dict(self._weights)
        if self.source.kind == "dir":
            folder = Path(self.source.location)
            ident["processor_files"] = {name: sha256_file_cached(folder / name)
                                        for name in _PROCESSOR_FILES if (folder / name).is_file()}
        ident.update(font_sha256=sha256_file_cached(self.font), transformers=transformers.__version__,
                     pillow=PIL.__version__,  # rasterises the header
                     image_processor=type(self.processor.image_processor).__name__)  # torchvision or PIL backend
        return ident

    def load(self) -> None:
        import torch
        import transformers

        o = self.options
        if o.threads:
            torch.set_num_threads(o.threads)
        self.torch = torch
        try:
            model = transformers.Pix2StructForConditionalGeneration.from_pretrained(
                self.source.location, dtype=getattr(torch, o.dtype), **_revision(self.source))
        except OSError as e:
            raise ConfigError(f"pix2struct: cannot load the weights of path={o.path!r} ({_where(self.source)}): {e}") from None
        self.model = model.to(o.device).eval()

    def inputs(self, requests: Sequence[AnswerImageQuestion]) -> Any:
        """What the encoder sees: each question rendered above its image, as patches padded to max_patches."""
        return self.processor(images=[open_rgb(r.image, who="pix2struct") for r in requests], text=[r.question for r in requests],
                              font_path=str(self.font), max_patches=self.options.max_patches, return_tensors="pt")

    def serve(self, kind: str, requests: Sequence[AnswerImageQuestion]) -> list[Any]:
        """One greedy run for the batch up to its longest max_tokens; each answer is cut at its own
        max_tokens, which greedy decoding makes the same as running it alone."""
        enc = self.inputs(requests)
        with self.torch.inference_mode():
            seqs = self.model.generate(flattened_patches=enc["flattened_patches"].to(self.model.device, self.model.dtype),
                                       attention_mask=enc["attention_mask"].to(self.model.device),
                                       max_new_tokens=max(r.max_tokens for r in requests), do_sample=False, num_beams=1,
                                       temperature=None, top_p=None, top_k=None, use_cache=True)
        answers = seqs[:, 1:]  # after the decoder start token
        decode = self.processor.tokenizer.decode
        return [decode(row[:r.max_tokens], skip_special_tokens=True).strip() for row, r in zip(answers, requests)]


def _check_numbers(o: Pix2StructAdapter.Options) -> None:
    if o.max_patches < 1:
        raise ConfigError(f"pix2struct: max_patches must be >= 1, got {o.max_patches}; transformers' default is 2048.")
    if o.threads is not None and o.threads < 1:
        raise ConfigError(f"pix2struct: threads must be >= 1, got {o.threads}.")


def _source(o: Pix2StructAdapter.Options) -> Source:
    """A local folder or a hub id; a path that looks local must be a folder."""
    refused = ConfigError(f"pix2struct: path={o.path!r} is not a checkpoint folder; give a folder saved with "
                          "save_pretrained or a hub id such as google/pix2struct-docvqa-base.")
    try:
        src = resolve_source(o.path, None, o.revision)
    except ConfigError:
        raise refused from None
    if src.kind == "gguf":
        raise refused
    return src


def _revision(src: Source) -> dict[str, str]:
    return {"revision": src.revision} if src.revision else {}


def _where(src: Source) -> str:
    return src.location if src.kind == "dir" else f"the hub; {_HUB_HINT}"


def _font_file(font: str | None) -> Path:
    """The TrueType file the question is rendered with; without font=, the Arial transformers would download."""
    if font is None:
        from huggingface_hub import hf_hub_download

        try:
            return Path(hf_hub_download(*_HUB_FONT))
        except OSError as e:
            raise ConfigError(f"pix2struct: no font= given and the default font (Arial, {'/'.join(_HUB_FONT)} on the "
                              f"hub) cannot be downloaded ({type(e).__name__}); pass font=FILE.ttf, e.g. matplotlib's "
                              "DejaVuSans.ttf (a different font than the reference numbers used).") from None
    path = Path(font).expanduser()
    if not path.is_file():
        raise ConfigError(f"pix2struct: font={font!r} is not a file; give a .ttf file, e.g. matplotlib's DejaVuSans.ttf.")
    from PIL import ImageFont

    try:
        ImageFont.truetype(str(path), size=12)
    except OSError:
        raise ConfigError(f"pix2struct: font={font!r} is not a TrueType font PIL can open.") from None
    return path


def _load_processor(o: Pix2StructAdapter.Options, src: Source) -> Any:
    """The checkpoint's processor, checked to be a VQA one, accepting font_path."""
    import transformers

    try:
        processor = transformers.Pix2StructProcessor.from_pretrained(src.location, **_revision(src))
    except (OSError, ValueError) as e:
        raise ConfigError(f"pix2struct: cannot load the processor of path={o.path!r} ({_where(src)}): {e}") from None
    if not processor.image_processor.is_vqa:
        raise ConfigError(f"pix2struct: path={o.path!r} is not a VQA checkpoint (its image processor has is_vqa=false), "
                          "so the question would not be rendered; use a DocVQA or ChartQA checkpoint.")
    _accept_font_path(processor.image_processor)
    return processor


def _accept_font_path(image_processor: Any) -> None:
    """Let this instance take `font_path`: transformers checks keywords against a TypedDict that lacks it,
    although its render_header uses it; without it every header would need Arial from the hub."""
    base = type(image_processor).valid_kwargs
    if "font_path" not in base.__annotations__:
        image_processor.valid_kwargs = TypedDict("Pix2StructFontKwargs", {**base.__annotations__, "font_path": str},
                                                 total=False)

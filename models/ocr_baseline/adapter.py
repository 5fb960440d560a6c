"""`ocr-baseline`: Tesseract OCR plus a simple answer picker, a floor for document and chart QA.

Tesseract (Debian/Ubuntu `apt install tesseract-ocr`, macOS `brew install tesseract`) reads the
words and their boxes through pytesseract (`pip install claimbench[ocr]`); answer_picker.py
chooses the answer from them. It is a baseline that proves the pipeline runs for real and sets
a floor, not a model of the papers. The fingerprint covers the Tesseract version, its language
data's sha256, the page segmentation mode and the picker's code, so a change to any of them is
a new model for the cache. Each image is read once per process, however many questions it has.
"""
from __future__ import annotations

import functools
import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimbench.harness.errors import AdapterError, ConfigError
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import AnswerImageQuestion

from . import answer_picker
from .answer_picker import Word, pick

INSTALL = ("Install Tesseract (Debian/Ubuntu: apt install tesseract-ocr; macOS: brew install tesseract) "
           "and pytesseract (pip install 'claimbench[ocr]').")


class OCRBaselineAdapter(ModelAdapter):
    """Tesseract words + answer_picker.pick: a labelled floor for answer_image_question."""

    kinds = frozenset({"answer_image_question"})

    @dataclass(frozen=True)
    class Options:
        lang: str = option("eng", doc="Tesseract language data (e.g. eng, deu, eng+fra)")
        psm: int = option(12, doc="Tesseract page segmentation mode; 12 (sparse text with orientation detection) "
                                  "finds chart labels and form fields that 3 (a page of text) merges or misses")
        min_width: int = option(1600, doc="images narrower than this are enlarged to it (Lanczos) before OCR: "
                                          "Tesseract misses chart labels at their printed size")
        workers: int = option(2, fingerprint=False, doc="images read at once (Tesseract processes)")

        def __post_init__(self) -> None:
            if not 0 <= self.psm <= 13:
                raise ConfigError(f"ocr-baseline: psm must be a Tesseract page segmentation mode 0..13, got {self.psm}.")
            if self.min_width < 1:
                raise ConfigError(f"ocr-baseline: min_width must be a positive number of pixels, got {self.min_width}.")
            if self.workers < 1:
                raise ConfigError(f"ocr-baseline: workers must be at least 1, got {self.workers}.")
            if not re.fullmatch(r"[A-Za-z_]+(\+[A-Za-z_]+)*", self.lang):
                raise ConfigError(f"ocr-baseline: lang {self.lang!r} is not a Tesseract language list like eng or eng+fra.")

    def __init__(self, options: Any, spec, label=None):
        super().__init__(options, spec, label)
        self._words: dict[str, list[Word]] = {}

    def identity(self) -> dict[str, Any]:
        version, tessdata = _tesseract()
        langs = {}
        osd = ["osd"] if self.options.psm in (0, 1, 12) else []  # these modes also detect orientation and script
        for lang in self.options.lang.split("+") + osd:
            data = tessdata / f"{lang}.traineddata"
            if not data.is_file():
                raise ConfigError(f"ocr-baseline: Tesseract has no language data {lang!r} (looked for {data}); "
                                  f"install it (Debian: apt install tesseract-ocr-{lang}).")
            langs[lang] = sha256_file_cached(data)
        return {"tesseract": version, "traineddata": langs, "picker": _picker_hash()}

    def load(self) -> None:
        try:
            import pytesseract  # noqa: F401
        except ImportError:
            raise ConfigError(f"ocr-baseline needs pytesseract. {INSTALL}") from None
        self.identity()  # fails now, with the fix, when Tesseract or its language data is missing

    def serve(self, kind: str, requests: Sequence[AnswerImageQuestion]) -> list[str]:
        todo = list(dict.fromkeys(r.image for r in requests if r.image.sha256 not in self._words))
        with ThreadPoolExecutor(self.options.workers) as pool:
            for ref, words in zip(todo, pool.map(self._read, todo)):
                self._words[ref.sha256] = words
        return [pick(self._words[r.image.sha256], r.question) for r in requests]

    def _read(self, ref) -> list[Word]:
        import pytesseract
        from PIL import Image

        try:
            with Image.open(ref.path) as im:
                im = im.convert("RGB")
            if im.width < self.options.min_width:
                im = im.resize((self.options.min_width, round(im.height * self.options.min_width / im.width)),
                               Image.Resampling.LANCZOS)
            data = pytesseract.image_to_data(im, lang=self.options.lang,
                                             config=f"--psm {self.options.psm}", output_type=pytesseract.Output.DICT)
        except (OSError, pytesseract.TesseractError) as e:
            raise AdapterError(f"ocr-baseline: Tesseract could not read image {ref.path} ({ref.sha256[:12]}): {e}") from None
        return [Word(text.strip(), data["left"][i], data["top"][i], data["width"][i], data["height"][i])
                for i, text in enumerate(data["text"]) if text.strip()]


@functools.cache
def _tesseract() -> tuple[str, Path]:
    """The Tesseract version and its tessdata folder, asked of the binary itself."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError(f"ocr-baseline: the tesseract program is not on PATH. {INSTALL}")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    first = (version.stdout or version.stderr).splitlines()[0].strip()
    where = re.search(r'"([^"]+)"', langs.stdout + langs.stderr)
    if not where:
        raise ConfigError(f"ocr-baseline: could not find Tesseract's language data folder from `tesseract --list-langs`. {INSTALL}")
    return first, Path(where.group(1))


@functools.cache
def _picker_hash() -> str:
    return hashlib.sha256(Path(answer_picker.__file__).read_bytes()).hexdigest()

"""`dlib-face`: dlib's face recognition ResNet (128-d descriptors), with dlib's own face alignment.

The reference implementation behind the `face_recognition` library: weights from the PyPI package
`face-recognition-models` and dlib from `dlib-bin` (`pip install 'claimbench[face]'`). Per image:
the decoded RGB image (mirrored first for `flip`), dlib's HOG frontal face detector (`upsample`
times upsampled; the largest face wins), a 5- or 68-point shape predictor inside that box,
`dlib.get_face_chip(img, shape, size=150, padding=0.25)`, then `compute_face_descriptor(chip,
jitters)`. The descriptor is returned raw (norms of about 1.3-1.5 on photos); Euclidean distances
under 0.6 mean the same person by dlib's convention.

detect: `fallback` (default) uses the whole image as the face box when the detector finds none,
which is what aligned 112x112 benchmark crops need; `true` refuses such an image, naming it;
`false` always uses the whole image. The response must stay a list of floats, so images embedded
without a detected face are counted and logged (a warning on the first batch with one, and the
total when the adapter closes), never recorded per sample.

jitters: dlib jitters only when num_jitters > 1, so 0 and 1 are the same (no jitter; given as 0).
With N > 1 dlib averages N randomly zoomed, rotated, shifted and mirrored copies drawn from a
random generator inside the model object, whose state carries over from call to call; to keep
an image's descriptor independent of what was served before it, each image then gets a freshly
loaded model (its generator at dlib's default seed). That costs a model load (~0.05 s) per image
on top of N forward passes.

Identity: the sha256 of the two .dat files used and dlib's version (its detector is built in).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimbench.harness.errors import ConfigError, RequestRejected
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import EmbedImage

from .preprocessing import open_rgb

log = logging.getLogger(__name__)
INSTALL = "pip install 'claimbench[face]'"
CHIP_SIZE, CHIP_PADDING = 150, 0.25  # what the ResNet was trained on (dlib's defaults)
_DETECT = {"fallback": "fallback", "true": "true", "yes": "true", "1": "true", "false": "false", "no": "false", "0": "false"}


class DlibFaceEmbedder(ModelAdapter):
    kinds = frozenset({"embed_image"})

    @dataclass(frozen=True)
    class Options:
        detect: str = option("fallback", doc="fallback: whole image when no face is found; true: refuse such an "
                                             "image; false: always the whole image")
        upsample: int = option(1, doc="times the HOG detector upsamples the image (finds smaller faces, slower)")
        landmarks: int = option(5, doc="shape predictor used for alignment: 5 or 68 points")
        jitters: int = option(0, doc="dlib's num_jitters: 0 (= 1) no jitter; N > 1 averages N jittered copies")

        def __post_init__(self) -> None:
            detect = _DETECT.get(str(self.detect).lower())
            if detect is None:
                raise ConfigError(f"dlib-face: option 'detect' must be true, false or fallback, got {self.detect!r}.")
            object.__setattr__(self, "detect", detect)
            if self.upsample < 0:
                raise ConfigError(f"dlib-face: option 'upsample' must be >= 0, got {self.upsample}; dlib's default is 1.")
            if self.landmarks not in (5, 68):
                raise ConfigError(f"dlib-face: option 'landmarks' must be 5 or 68 (the shape predictors shipped), got {self.landmarks}.")
            if self.jitters < 0:
                raise ConfigError(f"dlib-face: option 'jitters' must be >= 0, got {self.jitters}; 0 means no jitter.")
            if self.jitters == 1:
                object.__setattr__(self, "jitters", 0)  # dlib treats both alike: one cache entry

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        self.files = _weight_files(options.landmarks)
        self.undetected = 0  # images embedded whole because no face was found (detect=fallback), over the adapter's life
        self.embedded = 0
        self._warned = False

    def identity(self) -> dict[str, Any]:
        import PIL

        return {**{f"{name}_sha256": sha256_file_cached(p) for name, p in self.files.items()},
                "dlib": _dlib().__version__, "pillow": PIL.__version__}

    def load(self) -> None:
        dlib = _dlib()
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(self.files["shape_predictor"]))
        self.encoder = dlib.face_recognition_model_v1(str(self.files["recognition"]))

    def serve(self, kind: str, requests: Sequence[EmbedImage]) -> list[list[float]]:
        import numpy as np

        chips, missed = [], 0
        for r in requests:
            img = np.asarray(open_rgb(r.image, r.flip, "dlib-face"), dtype=np.uint8)
            box = self._face(img, r)
            if box is None:
                missed += self.options.detect == "fallback"
                box = self.dlib.rectangle(0, 0, img.shape[1] - 1, img.shape[0] - 1)
            shape = self.predictor(img, box)
            chips.append(self.dlib.get_face_chip(img, shape, size=CHIP_SIZE, padding=CHIP_PADDING))
        out = [self._descriptor(chip) for chip in chips]
        self._count(missed, len(requests))
        return out

    def _face(self, img: Any, r: EmbedImage) -> Any:
        """The largest face the detector finds, or None (then the whole image) unless detect=true refuses."""
        if self.options.detect == "false":
            return None
        faces = list(self.detector(img, self.options.upsample))
        if faces:
            return max(faces, key=lambda d: d.width() * d.height())  # first of equals: the detector's order
        if self.options.detect == "true":
            raise RequestRejected(f"dlib-face: no face found in image {r.image.path} ({r.image.sha256[:12]}) with "
                                  "detect=true; use detect=fallback to embed the whole image, or a larger upsample=.", r)
        return None

    def _descriptor(self, chip: Any) -> list[float]:
        encoder = self.encoder
        if self.options.jitters > 1:  # a fresh random generator per image: see the module docstring
            encoder = self.dlib.face_recognition_model_v1(str(self.files["recognition"]))
        return list(encoder.compute_face_descriptor(chip, self.options.jitters))

    def _count(self, missed: int, n: int) -> None:
        self.undetected += missed
        self.embedded += n
        if missed and not self._warned:
            self._warned = True
            log.warning("dlib-face: no face found in %d of %d images of a batch; they are embedded whole "
                        "(detect=fallback). The total is logged when the model closes.", missed, n)

    def close(self) -> None:
        if self.undetected:
            log.warning("dlib-face: %d of %d images had no detected face and were embedded whole (detect=fallback).",
                        self.undetected, self.embedded)


def _dlib() -> Any:
    try:
        import dlib
    except ImportError:
        raise ConfigError(f"the dlib-face adapter needs dlib: {INSTALL} (dlib-bin is a prebuilt dlib).") from None
    return dlib


def _weight_files(landmarks: int) -> dict[str, Path]:
    """The recognition ResNet and the shape predictor inside the face-recognition-models package:
    the files its `face_recognition_model_location()` and `pose_predictor_*_location()` name, found
    without importing it (its __init__ needs pkg_resources, which setuptools 81 removed)."""
    import importlib.util

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the dlib-face adapter needs the face-recognition-models package (its weights): {INSTALL}.")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    predictor = "shape_predictor_5_face_landmarks.dat" if landmarks == 5 else "shape_predictor_68_face_landmarks.dat"
    files = {"recognition": folder / "dlib_face_recognition_resnet_model_v1.dat", "shape_predictor": folder / predictor}
    for name, p in files.items():
        if not p.is_file():
            raise ConfigError(f"dlib-face: the {name} weights {p} are missing; reinstall them: "
                              "pip install --force-reinstall face-recognition-models.")
    return files

"""Project-made verification sets in every layout the face tasks read, with known identities.

No face-verification set is reachable on these machines, so the loaders and the protocol are
exercised on images the project draws: each identity is a seeded coarse colour pattern, and
each of its images that pattern with its own noise and brightness, saved as JPEG (as the
releases and InsightFace's .bin files hold them). These are not faces: they check that every
layout yields the same pairs and that the protocol separates identities a simple embedder can
tell apart; no paper figure applies to them.

`write(out, identities=20, pairs_per_fold=6, folds=10, seed=0)` writes under `out`:
`lfw/` (pairs.txt + lfw/<name>/...), `cfp_fp/Protocol/...` + `cfp_fp/Data/Images/...`,
`calfw/pairs_CALFW.txt` + `calfw/aligned images/`, `cplfw/` likewise, `agedb_30/agedb_30_pairs.txt`,
and each set's InsightFace file `<set>.bin` beside its folder, all with the same pairs in the
same order: per fold `pairs_per_fold` same pairs, then as many different ones.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

SETS = ("lfw", "cfp_fp", "agedb_30", "calfw", "cplfw")


def _image(rng: np.random.Generator, pattern: np.ndarray) -> bytes:
    from PIL import Image

    big = np.kron(pattern, np.ones((14, 14, 1)))  # 8x8 cells -> 112x112 pixels
    pixels = big * rng.uniform(0.85, 1.15) + rng.normal(0, 12, big.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def pairs(identities: int, pairs_per_fold: int, folds: int, seed: int) -> list[tuple[tuple[int, int], tuple[int, int], bool]]:
    """((identity, image number), (identity, image number), same) per pair, fold by fold."""
    if identities < 2 or pairs_per_fold < 1 or folds < 1:
        raise ValueError("need at least 2 identities, 1 pair per fold and 1 fold")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(folds):
        for _ in range(pairs_per_fold):
            person = int(rng.integers(identities))
            i, j = rng.choice(3, size=2, replace=False) + 1
            out.append(((person, int(i)), (person, int(j)), True))
        for _ in range(pairs_per_fold):
            a, b = rng.choice(identities, size=2, replace=False)
            out.append(((int(a), int(rng.integers(3)) + 1), (int(b), int(rng.integers(3)) + 1), False))
    return out


def write(out: Path, identities: int = 20, pairs_per_fold: int = 6, folds: int = 10, seed: int = 0) -> list[tuple]:
    """Write every layout (see the module docstring); returns the pairs."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 256, size=(identities, 8, 8, 3)).astype(np.float64)
    images = {(p, k): _image(rng, patterns[p]) for p in range(identities) for k in (1, 2, 3)}
    chosen = pairs(identities, pairs_per_fold, folds, seed)
    name = [f"Person_{p:03d}" for p in range(identities)]

    def put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    for (p, k), data in images.items():
        put(out / "lfw" / "lfw" / name[p] / f"{name[p]}_{k:04d}.jpg", data)
        put(out / "cfp_fp" / "Data" / "Images" / f"{p + 1:03d}" / "frontal" / f"{k:02d}.jpg", data)
        put(out / "cfp_fp" / "Data" / "Images" / f"{p + 1:03d}" / "profile" / f"{k:02d}.jpg", data)
        for s in ("calfw", "cplfw"):
            put(out / s / "aligned images" / f"{name[p]}_{k:04d}.jpg", data)
        put(out / "agedb_30" / "imgs" / f"{p}_{name[p]}_{k}.jpg", data)

    lfw = [f"{folds}\t{pairs_per_fold}"]
    lfw += [f"{name[a]}\t{i}\t{j}" if same else f"{name[a]}\t{i}\t{name[b]}\t{j}" for (a, i), (b, j), same in chosen]
    _text(out / "lfw" / "pairs.txt", lfw)
    for s in ("calfw", "cplfw"):
        lines = []
        for n, ((a, i), (b, j), same) in enumerate(chosen):
            label = n + 1 if same else 0  # CALFW numbers its positive pairs; different pairs say 0
            lines += [f"{name[a]}_{i:04d}.jpg {label}", f"{name[b]}_{j:04d}.jpg {label}"]
        _text(out / s / f"pairs_{s.upper()}.txt", lines)
    _text(out / "agedb_30" / "agedb_30_pairs.txt",
          [f"imgs/{a}_{name[a]}_{i}.jpg imgs/{b}_{name[b]}_{j}.jpg {int(same)}" for (a, i), (b, j), same in chosen])
    _cfp(out / "cfp_fp" / "Protocol", identities, chosen, pairs_per_fold)
    for s in SETS:
        bins = [images[x] for first, second, _ in chosen for x in (first, second)]
        (out / f"{s}.bin").write_bytes(pickle.dumps((bins, [same for *_, same in chosen]), protocol=4))
    return chosen


def _cfp(protocol: Path, identities: int, chosen: list[tuple], per_fold: int) -> None:
    """CFP's lists: frontal and profile image k of identity p have index 3p + k in their list."""
    index = lambda p, k: 3 * p + k  # noqa: E731
    for side, folder in (("F", "frontal"), ("P", "profile")):
        _text(protocol / f"Pair_list_{side}.txt",
              [f"{index(p, k)} ../Data/Images/{p + 1:03d}/{folder}/{k:02d}.jpg" for p in range(identities) for k in (1, 2, 3)])
    for f in range(len(chosen) // (2 * per_fold)):
        fold = chosen[2 * per_fold * f: 2 * per_fold * (f + 1)]
        for file, want in (("same.txt", True), ("diff.txt", False)):
            _text(protocol / "Split" / "FP" / f"{f + 1:02d}" / file,
                  [f"{index(*a)},{index(*b)}" for a, b, same in fold if same == want])


def _text(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

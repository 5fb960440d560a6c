"""Readers of the face-verification benchmarks' pair lists, as their releases ship them.

Each returns rows `{"pair": n, "image1", "image2", "same": bool}` in the list's order (the
10-fold protocol cuts folds from that order); images are paths relative to the list's folder
(under dataset.media_root) or, for .bin files, the encoded image bytes. Registered under
`claimbench.readers`, so a task's `dataset.format` names them and the data layer does the rest
(finding the file, media fields, fingerprint, missing-data errors).

- `insightface_bin`: InsightFace's `lfw.bin`, `cfp_fp.bin`, `agedb_30.bin`, ...: a pickle of
  (list of encoded images, list of same-flags), images 2k and 2k+1 forming pair k. Read with
  the harness's restricted unpickler (harness/safe_pickle.py): a crafted file cannot run code.
- `lfw_pairs`: LFW's pairs.txt: a header "folds n", then per fold n matched lines
  "name i j" and n mismatched lines "name1 i name2 j"; images name/name_000i.jpg.
- `cfp_pairs`: CFP's Protocol folder: Pair_list_F.txt / Pair_list_P.txt ("index path") and
  Split/FP/01..10/same.txt, diff.txt ("i,j": frontal i, profile j); per split its same pairs,
  then its different ones.
- `consecutive_pairs`: CALFW's pairs_CALFW.txt and CPLFW's pairs_CPLFW.txt: "file label" lines,
  two consecutive lines a pair; the pair is one identity when the label is non-zero (both lines
  must carry the same label).
- `pairs_list`: any list of "image1 image2 label" lines (label 1/0, true/false; separated by
  whitespace, commas or tabs): AgeDB's release ships no AgeDB-30 pairs list, so a folder copy of
  it comes with such a list.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from claimbench.harness.errors import DataError

from .binfile import load_bin


def _lines(path: Path, sep: str = r"\s+") -> list[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text pairs list ({e.reason}); check dataset.format.") from None
    return [(n, [t for t in re.split(sep, line.strip()) if t]) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _bad(path: Path, n: int, expected: str) -> DataError:
    return DataError(f"{path}: line {n} is not {expected}; is dataset.format right for this file?")


def _pair(k: int, a: Any, b: Any, same: bool) -> dict:
    return {"pair": k, "image1": a, "image2": b, "same": same}


def insightface_bin(path: Path, cfg: Any = None) -> list[dict]:
    images, same = load_bin(path)
    return [_pair(k, images[2 * k], images[2 * k + 1], same[k]) for k in range(len(same))]


def lfw_pairs(path: Path, cfg: Any = None) -> list[dict]:
    lines = _lines(path)
    if lines and all(tok.isdigit() for tok in lines[0][1]) and len(lines[0][1]) <= 2:
        lines = lines[1:]  # the header: number of folds and pairs per class (pairsDevTest.txt: one number)
    rows = []
    for n, tok in lines:
        if len(tok) == 3 and tok[1].isdigit() and tok[2].isdigit():
            a, b, same = _lfw_image(tok[0], tok[1]), _lfw_image(tok[0], tok[2]), True
        elif len(tok) == 4 and tok[1].isdigit() and tok[3].isdigit():
            a, b, same = _lfw_image(tok[0], tok[1]), _lfw_image(tok[2], tok[3]), False
        else:
            raise _bad(path, n, "'name i j' (same person) or 'name1 i name2 j' (two people)")
        rows.append(_pair(len(rows), a, b, same))
    return rows


def _lfw_image(name: str, number: str) -> str:
    return f"{name}/{name}_{int(number):04d}.jpg"


def cfp_pairs(path: Path, cfg: Any = None) -> list[dict]:
    """`path` is Protocol/Pair_list_F.txt; its P list and Split/FP/ are beside it."""
    frontal = _index_list(path)
    second = _index_list(path.with_name("Pair_list_P.txt"))
    split_root = path.parent / "Split" / "FP"
    splits = sorted(p for p in split_root.glob("*") if p.is_dir()) if split_root.is_dir() else []
    if not splits:
        raise DataError(f"{path}: CFP's split folders are missing: expected {split_root}/01 ... 10 with same.txt "
                        "and diff.txt (unpack the whole cfp-dataset, keeping its Protocol folder).")
    rows = []
    for split in splits:
        for name, same in (("same.txt", True), ("diff.txt", False)):
            for n, tok in _lines(split / name):
                m = re.fullmatch(r"(\d+),(\d+)", "".join(tok))
                if not m or int(m[1]) not in frontal or int(m[2]) not in second:
                    raise _bad(split / name, n, "'i,j' with i in Pair_list_F.txt and j in the second list")
                rows.append(_pair(len(rows), frontal[int(m[1])], second[int(m[2])], same))
    return rows


def _index_list(path: Path) -> dict[int, str]:
    if not path.is_file():
        raise DataError(f"{path} is missing; CFP's Protocol folder holds Pair_list_F.txt and Pair_list_P.txt.")
    out = {}
    for n, tok in _lines(path):
        if len(tok) != 2 or not tok[0].isdigit():
            raise _bad(path, n, "'index path'")
        out[int(tok[0])] = tok[1]
    return out


def consecutive_pairs(path: Path, cfg: Any = None) -> list[dict]:
    lines = _lines(path)
    if len(lines) % 2:
        raise DataError(f"{path}: {len(lines)} lines; pairs take two consecutive lines each, so the count must be even.")
    rows = []
    for (n1, t1), (n2, t2) in zip(lines[0::2], lines[1::2]):
        for n, tok in ((n1, t1), (n2, t2)):
            if len(tok) != 2 or not re.fullmatch(r"-?\d+", tok[1]):
                raise _bad(path, n, "'file label'")
        if t1[1] != t2[1]:
            raise DataError(f"{path}: lines {n1} and {n2} form a pair but carry labels {t1[1]} and {t2[1]}; "
                            "both lines of a pair carry the same label.")
        rows.append(_pair(len(rows), t1[0], t2[0], int(t1[1]) != 0))
    return rows


_TRUE, _FALSE = {"1", "true", "same"}, {"0", "false", "diff", "different"}


def pairs_list(path: Path, cfg: Any = None) -> list[dict]:
    rows = []
    for n, tok in _lines(path, r"[,\s]+"):
        if len(tok) != 3 or tok[2].lower() not in _TRUE | _FALSE:
            raise _bad(path, n, "'image1 image2 label' with label 1/0 or true/false")
        rows.append(_pair(len(rows), tok[0], tok[1], tok[2].lower() in _TRUE))
    return rows

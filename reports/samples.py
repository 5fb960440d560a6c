"""What per-sample logs (read by harness.results.read_samples) show a reader: the samples to look
at first, their row keys, one sample's view."""
from __future__ import annotations

import json
from collections import Counter

from .media import Thumbnails, image_refs, sample_images

IMAGES_PER_SAMPLE = 8  # a generator's chunk may hold hundreds; a case shows its first few


def row_keys(samples: list[dict]) -> list[tuple[str, int]]:
    """One key per sample that pairs two runs' logs row by row: its id and, since logs written
    before a task made its ids unique may repeat one, the k-th occurrence of that id."""
    seen: Counter = Counter()
    keys = []
    for s in samples:
        seen[str(s["id"])] += 1
        keys.append((str(s["id"]), seen[str(s["id"])]))
    return keys


def near_misses(samples: list[dict], primary: str, higher_is_better: dict[str, bool], limit: int = 15) -> list[dict]:
    """Samples failing the primary metric (its worst score: the lowest, or the highest for an
    error rate), those scoring best on the other metrics first: the answers that were almost
    right say most about what went wrong. `higher_is_better` gives each metric's direction."""
    scored = [s for s in samples if isinstance(s.get("scores", {}).get(primary), (int, float))]
    if not scored:
        return []
    sign = {k: 1 if up else -1 for k, up in higher_is_better.items()}
    worst = min(sign.get(primary, 1) * s["scores"][primary] for s in scored)
    if worst == max(sign.get(primary, 1) * s["scores"][primary] for s in scored):
        return []  # everything scored the same: no failure stands out

    def others(s: dict) -> float:
        return sum(sign.get(k, 1) * v for k, v in s["scores"].items() if k != primary and isinstance(v, (int, float)))

    failing = [s for s in scored if sign.get(primary, 1) * s["scores"][primary] == worst]
    return sorted(failing, key=others, reverse=True)[:limit]


def matching(samples: list[dict], where: dict, limit: int = 15) -> list[dict]:
    """The first samples whose fields equal `where` (a metric's `cases` view); the report shows each with `view`."""
    return [s for s in samples if all(k in s.get("fields", {}) and s["fields"][k] == v for k, v in where.items())][:limit]


def view(sample: dict, thumbs: Thumbnails | None = None) -> dict:
    """What a report shows of one sample: its answer, references, scores, its exchange (`exchange`), and
    its images (what it was asked about, then what was generated) as thumbnails where `thumbs` finds them."""
    last = exchange(sample)
    request = last.get("request", {})
    response = last.get("response")
    asked, made = sample_images(sample) if thumbs else ([], [])
    images = [{"sha256": sha, "src": thumbs.of_file(sha, path) if thumbs else None}
              for sha, path in asked + made[:IMAGES_PER_SAMPLE]]
    return {"id": str(sample.get("id")), "prediction": str(sample.get("prediction", "")), "images": images,
            "references": ", ".join(map(str, sample.get("references") or [])),
            "scores": {k: v for k, v in sample.get("scores", {}).items() if v is not None},
            "fields": {k: v for k, v in sample.get("fields", {}).items() if not isinstance(v, (list, dict))},
            "prompt": prompt_text(request), "response": response if isinstance(response, str) else json.dumps(rounded(response))}


def exchange(sample: dict) -> dict:
    """The exchange a reader looks at: the last one that answered in text (a generation, not the
    logit lens read beside it), else the last one; {} when the sample asked nothing."""
    logged = sample.get("requests") or []
    return next((r for r in reversed(logged) if isinstance(r.get("response"), str)), logged[-1] if logged else {})


def prompt_text(request: dict) -> str:
    """What the model was given, in words: the prompt; else the request's own fields (a question,
    top_k...), its images left to the thumbnails."""
    if "prompt" in request:
        return str(request["prompt"])
    return "\n".join(f"{k}: {v}" for k, v in request.items() if k != "kind" and not image_refs(v))


def rounded(value: object) -> object:
    """Floats to 4 significant digits, inside lists and mappings too: what a reader compares."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [rounded(x) for x in value]
    if isinstance(value, dict):
        return {k: rounded(x) for k, x in value.items()}
    return value

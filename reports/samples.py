"""Per-sample logs (samples.jsonl, or the committed samples.jsonl.gz) and the samples a
reader should look at first."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from harness.compositionality import FIELDS as GAP_FIELDS
from harness.errors import ConfigError


def read(task_dir: Path) -> list[dict]:
    """The samples beside a results.json; [] when the log is absent (a report still shows the metrics)."""
    for name, opener in (("samples.jsonl", open), ("samples.jsonl.gz", gzip.open)):
        path = task_dir / name
        if path.is_file():
            with opener(path, "rt", encoding="utf-8") as f:
                try:
                    return [json.loads(line) for line in f if line.strip()]
                except json.JSONDecodeError as e:
                    raise ConfigError(f"{path} has a line that is not JSON ({e}); the run's log is damaged.") from None
    return []


def near_misses(samples: list[dict], primary: str, limit: int = 15) -> list[dict]:
    """Samples failing the primary metric (lowest score), those scoring best on the other
    metrics first: the answers that were almost right say most about what went wrong."""
    scored = [s for s in samples if isinstance(s.get("scores", {}).get(primary), (int, float))]
    if not scored:
        return []
    worst = min(s["scores"][primary] for s in scored)
    if worst == max(s["scores"][primary] for s in scored):
        return []  # everything scored the same: no failure stands out

    def others(s: dict) -> float:
        return sum(v for k, v in s["scores"].items() if k != primary and isinstance(v, (int, float)))

    failing = [s for s in scored if s["scores"][primary] == worst]
    return sorted(failing, key=others, reverse=True)[:limit]


def gap_cases(samples: list[dict], limit: int = 15) -> list[dict]:
    """Both sub-questions answered right, the two-hop question wrong: the compositionality gap itself."""
    out = [s for s in samples if all(f in s.get("fields", {}) for f in GAP_FIELDS)
           and s["fields"]["q1_correct"] and s["fields"]["q2_correct"] and not s["fields"]["hop_correct"]]
    return out[:limit]


def view(sample: dict) -> dict:
    """What a report shows of one sample: its answer, references, scores, and the final exchange."""
    last = sample.get("requests", [])[-1] if sample.get("requests") else {}
    request = last.get("request", {})
    response = last.get("response")
    return {"id": str(sample.get("id")), "prediction": str(sample.get("prediction", "")),
            "references": ", ".join(map(str, sample.get("references") or [])),
            "scores": {k: v for k, v in sample.get("scores", {}).items() if v is not None},
            "fields": {k: v for k, v in sample.get("fields", {}).items() if not isinstance(v, (list, dict))},
            "prompt": str(request.get("prompt", json.dumps(request) if request else "")),
            "response": response if isinstance(response, str) else json.dumps(response)[:600]}

"""One self-contained HTML page per run (`claimbench report RUN_DIR`): what was run, every
metric with its CI, per-category breakdowns with plots, and the samples worth reading."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from harness import atomic, results, safe_paths

from . import plots, samples
from .formatting import unit_of
from .html import environment

FILENAME = "report.html"


def _breakdowns(result: results.RunResult) -> list[dict]:
    """Per-group rates of `mean:...,by=FIELD` metrics: a table and a bar plot each."""
    out = []
    for name, m in result.metrics.items():
        groups = m["extra"].get("groups")
        if groups and all("value" in g for g in groups.values()):
            out.append({"name": name, "groups": groups, "unit": unit_of(name, m),
                        "plot": plots.bars_with_ci(f"{name} (95% CI)", groups)})
    return out


def _gap(result: results.RunResult) -> dict | None:
    m = result.metrics.get("compositionality_gap")
    if not m:
        return None
    by_key = next((k for k in m["extra"] if k.startswith("by_")), None)
    per = m["extra"].get(by_key, {}) if by_key else {}
    defined = {k: {"value": g["gap"], "ci": g["ci"], "n": g["both_subq_right"]}
               for k, g in per.items() if g["gap"] is not None}
    return {"breakdown": m["extra"]["breakdown"], "by": by_key, "per": per,
            "plot": plots.bars_with_ci(f"compositionality gap {by_key} (95% CI)", defined) if defined else None}


def _lens(result: results.RunResult) -> str | None:
    m = result.metrics.get("lens_curves")
    if not m or "all" not in m["extra"]:
        return None
    return plots.lens_curves(f"logit lens: {result.model['label']}", m["extra"])


def context(task_dir: Path, result: results.RunResult | None = None) -> dict:
    result = result or results.read(task_dir)
    rows = samples.read(task_dir)
    primary = result.task["config"].get("primary_metric") or next(iter(result.metrics))
    return {"r": result, "primary": primary, "breakdowns": _breakdowns(result), "gap": _gap(result),
            "lens": _lens(result), "n_samples": len(rows),
            "near_misses": [samples.view(s) for s in samples.near_misses(rows, primary)],
            "gap_cases": [samples.view(s) for s in samples.gap_cases(rows)],
            "image": {name: m["extra"] for name, m in result.metrics.items() if "network" in m["extra"]}}


def render(task_dir: Path, *, result: results.RunResult | None = None, nav: list[tuple[str, str]] | None = None) -> str:
    """The report page of one task's results folder (`result`: its results.json, if already read);
    `nav` adds site links (label, href)."""
    return environment().get_template("report.html.j2").render(**context(task_dir, result), nav=nav or [])


def write_reports(run_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """A report.html for every results.json under run_dir (beside it, or mirrored under `out`)."""
    root = Path(run_dir)
    files = results.find_required(root)
    base = root if root.is_dir() else root.parent
    written = []
    for f in tqdm(files, desc="reports", unit="run", disable=len(files) < 2):
        dest = f.parent / FILENAME if out is None else safe_paths.inside(out, f.parent.relative_to(base), FILENAME)
        atomic.write_text(dest, render(f.parent))
        written.append(dest)
    return written

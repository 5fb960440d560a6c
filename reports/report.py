"""One self-contained HTML page per run (`claimbench report RUN_DIR`): what was run, every
metric with its CI, each metric's own views (breakdowns, curves, facts, the samples worth
reading), and the near misses of the primary metric."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from claimbench.harness import atomic, results, safe_paths

from . import samples, views
from .html import environment

FILENAME = "report.html"


def context(task_dir: Path, result: results.RunResult | None = None) -> dict:
    result = result or results.read(task_dir)
    rows = results.read_samples(task_dir)
    primary = result.task["config"].get("primary_metric") or next(iter(result.metrics))
    return {"r": result, "primary": primary, "n_samples": len(rows),
            "sections": [s for name, m in result.metrics.items() for s in views.render(name, m, rows)],
            "near_misses": [samples.view(s) for s in samples.near_misses(
                rows, primary, {name: m["higher_is_better"] for name, m in result.metrics.items()})]}


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

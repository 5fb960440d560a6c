"""One self-contained HTML page per run (`claimbench report RUN_DIR`): what was run, every
metric with its CI, each metric's own views (breakdowns, curves, facts, the samples worth
reading, with their images), the near misses of the primary metric, generated images beside
the reference set, and a browser over every sample."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from claimbench.harness import atomic, results, safe_paths

from . import browser, galleries, samples, views, words
from .html import environment
from .media import Thumbnails

FILENAME = "report.html"


def context(task_dir: Path, result: results.RunResult | None = None, rows: list[dict] | None = None,
            thumbs: Thumbnails | None = None, samples_src: str | None = None) -> dict:
    """What report.html.j2 draws (`result`, `rows`: the folder's results.json and samples, if already
    read). `thumbs` makes the images (inline when not given); `samples_src` is the sample
    browser's data file, loaded when asked for (inline when not given)."""
    result = result or words.refreshed(results.read(task_dir))
    thumbs = thumbs or Thumbnails()
    rows = results.read_samples(task_dir) if rows is None else rows
    primary = result.task["config"].get("primary_metric") or next(iter(result.metrics))
    sections = [s for name, m in result.metrics.items() for s in views.render(name, m, rows)]
    for s in sections:
        if s["kind"] == "cases":
            s["samples"] = [samples.view(x, thumbs) for x in s["samples"]]
    near = samples.near_misses(rows, primary, {name: m["higher_is_better"] for name, m in result.metrics.items()})
    return {"r": result, "primary": primary, "n_samples": len(rows), "sections": sections,
            "near_misses": [samples.view(s, thumbs) for s in near],
            "galleries": galleries.build(result, rows, thumbs), "missing_images": thumbs.missing,
            "browser": {"src": samples_src, "inline": None if samples_src else browser.encode(rows), "n": len(rows)}}


def render(task_dir: Path, *, result: results.RunResult | None = None, rows: list[dict] | None = None,
           nav: list[tuple[str, str]] | None = None, thumbs: Thumbnails | None = None, samples_src: str | None = None,
           sensitivity: list[tuple[str, str, str]] | None = None) -> str:
    """The report page of one task's results folder; `nav` adds site links (label, href),
    `sensitivity` the plots of published protocol sweeps of this run's task and model (title,
    image, link to their table); the rest as in `context`."""
    return environment().get_template("report.html.j2").render(
        **context(task_dir, result, rows, thumbs, samples_src), nav=nav or [], sensitivity=sensitivity or [])


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

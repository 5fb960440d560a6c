"""`claimbench leaderboard`: tables, a static HTML site and a README summary from result files.

The site needs no server (open index.html from disk): each page carries its own CSS,
script and plots. Pages: index.html (a sortable, filterable table per task, every number
linking to its run's report), claims.html (relational claims with verdicts and evidence, papers' numbers beside ours), plots.html, and
runs/<task>/<model>.html (one report per run, with its sample browser's data in
<model>.samples.js beside it). Thumbnails of the images reports show lie under media/, named by content. Also tables/<task>.md|.csv, leaderboard.md,
summary.md (the README's table) and verdicts.md (the README's verdicts).
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from claimbench.harness import atomic, results, safe_paths
from claimbench.harness.errors import ConfigError
from claimbench.reports import browser, markdown, report
from claimbench.reports.formatting import fmt, fmt_ci, unit_of
from claimbench.reports.html import environment
from claimbench.reports.media import Thumbnails

from ..claims import across, verdicts
from ..claims import catalog as claims_mod
from ..claims import views as verdict_views
from ..entries import Entry
from . import plots, sensitivity_page, tables

TEMPLATES = Path(__file__).with_name("templates")
NAV = [("Leaderboard", "index.html"), ("Claims", "claims.html"), ("Plots", "plots.html"), ("Sensitivity", "sensitivity.html")]


def summary_markdown(entries: list[Entry], link_prefix: str = "") -> str:
    """One row per run: the task's primary metric with its CI (the README's table)."""
    lines = ["| task | model | metric | value | 95% CI | n |", "|---|---|---|---|---|---|"]
    for e in entries:
        primary = e.result.task["config"].get("primary_metric") or next(iter(e.result.metrics))
        m = e.metric(primary)
        unit = unit_of(m)
        value = fmt(unit, m["value"]) if m else "-"
        cells = [markdown.text(e.task_spec), markdown.text(e.model_label), markdown.text(primary),
                 markdown.link(value, link_prefix + e.report_path),
                 fmt_ci(unit, m["ci"] if m else None), str(m["n"] if m else "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- leaderboard:start -->\n", "<!-- leaderboard:end -->"
VERDICTS_START, VERDICTS_END = "<!-- verdicts:start -->\n", "<!-- verdicts:end -->"


def update_readme(readme: str | Path, entries: list[Entry], site_dir: str) -> None:
    """Rewrite what lies between the README's markers: the run table (leaderboard markers, links
    pointing into site_dir) and the verdicts (verdicts markers, from the built site's verdicts.md)."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    blocks = [(README_START, README_END, lambda: summary_markdown(entries, link_prefix=site_dir.rstrip("/") + "/")),
              (VERDICTS_START, VERDICTS_END, lambda: (Path(site_dir) / "verdicts.md").read_text(encoding="utf-8"))]
    present = [b for b in blocks if b[0] in text]
    if not present:
        raise ConfigError(f"{path} has no '{README_START.strip()}' ... '{README_END}' (or '{VERDICTS_START.strip()}' ... "
                          f"'{VERDICTS_END}') markers; add them where the table goes.")
    for start, end, body in present:
        if end not in text:
            raise ConfigError(f"{path} has '{start.strip()}' but no '{end}'; add the closing marker.")
        head, rest = text.split(start, 1)
        text = head + start + body() + end + rest.split(end, 1)[1]
    atomic.write_text(path, text)


MANIFEST = ".claimbench-site"  # the files the last build wrote, so a rebuild removes only its own stale pages


def build(entries: list[Entry], claims: list[claims_mod.Claim | claims_mod.Relation], out: str | Path, *,
          progress: bool = True, sweeps: Sequence[sensitivity_page.Published] = ()) -> Path:
    """Write the whole site under `out`; returns the index page. `sweeps`: published protocol
    sensitivity sweeps (their page, and each relational claim tested across their settings)."""
    out = safe_paths.writable_folder(out, "site folder")
    stale = _manifest(out)  # checked before anything is written
    written: list[str] = []

    def _write(rel: str, text: str) -> None:
        atomic.write_text(safe_paths.inside(out, rel), text)
        written.append(rel)

    env = environment(TEMPLATES)
    task_tables = tables.build(entries)
    numbers = [c for c in claims if isinstance(c, claims_mod.Claim)]
    checks = claims_mod.check(numbers, entries)
    tested = [verdicts.evaluate(r, entries) for r in tqdm([c for c in claims if isinstance(c, claims_mod.Relation)],
                                                          desc="relational claims", unit="claim", disable=not progress)]
    counts = verdict_views.counts(tested)
    sweep_runs = [e for p in sweeps for e in p.runs]
    crossed = {f"{v.claim.paper['id']}/{v.claim.id}": across.evaluate(v.claim, sweep_runs) for v in tested} if sweep_runs else {}
    families = [(name, list(group)) for name, group in groupby(task_tables, key=lambda t: t.task_name)]

    _write("index.html", env.get_template("index.html.j2").render(
        nav=NAV, families=families, n_runs=len(entries), n_claims=len(numbers), n_relations=len(tested),
        verdict_counts=counts))
    _write("claims.html", env.get_template("claims.html.j2").render(
        nav=NAV, checks=checks, verdicts=[(v, verdict_views.plot(v)) for v in tested], verdict_counts=counts,
        fmt=fmt, fmt_ci=fmt_ci, shown=verdict_views.shown, across={k: a for k, a in crossed.items() if a}))
    plots_of = [p.plot() for p in sweeps]
    _write("sensitivity.html", env.get_template("sensitivity.html.j2").render(nav=NAV, sweeps=list(zip(sweeps, plots_of)), fmt=fmt))
    _write("plots.html", env.get_template("plots.html.j2").render(nav=NAV, figures=plots.figures(entries)))

    for e in tqdm(entries, desc="run reports", unit="run", disable=not progress):
        depth = "../" * e.report_path.count("/")
        thumbs = Thumbnails(out, depth)
        data = e.report_path.removesuffix(".html") + ".samples.js"
        rows = results.read_samples(e.path.parent)
        _write(data, browser.script(rows, PurePosixPath(data).name))
        swept = [(p.title, plots_of[i], f"{depth}sensitivity.html#sweep-{i + 1}") for i, p in enumerate(sweeps) if p.tests(e)]
        _write(e.report_path, report.render(e.path.parent, result=e.result, rows=rows, thumbs=thumbs,
                                            samples_src=PurePosixPath(data).name, sensitivity=swept,
                                            nav=[(label, depth + href) for label, href in NAV]))
        written.extend(thumbs.written)
    for t in task_tables:
        stem = safe_paths.folder_name(t.task_spec)  # may hold dots: never treat its tail as a suffix
        _write(f"tables/{stem}.md", f"## {markdown.text(t.task_spec)}\n\n" + tables.to_markdown(t, link_prefix="../"))
        _write(f"tables/{stem}.csv", tables.to_csv(t))
    _write("leaderboard.md", "# ClaimBench leaderboard\n\n" + "\n".join(
        f"## {markdown.text(t.task_spec)}\n\n{tables.to_markdown(t, link_prefix='')}" for t in task_tables))
    _write("summary.md", summary_markdown(entries))
    _write("verdicts.md", verdict_views.table(tested, reasons=False) + f"\n{counts}; why, and the evidence of each: "
           "claims.html.\n")
    for rel in sorted(set(stale) - set(written)):
        stale[rel].unlink(missing_ok=True)
        for folder in stale[rel].parents:  # and the folders that held only it
            if folder == out or not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()
    atomic.write_text(out / MANIFEST, "\n".join(sorted(set(written))) + "\n")
    atomic.remove_orphans(out)
    return out / "index.html"


def _manifest(out: Path) -> dict[str, Path]:
    """The files the last build wrote; refused whole if any entry is not a file inside the site (an edited
    manifest must not delete anything elsewhere)."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return {}
    listed = {}
    try:
        lines = manifest.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError:
        raise ConfigError(f"{manifest} is not UTF-8 text, so not ClaimBench's manifest. Nothing was written or deleted: "
                          "remove it and rebuild.") from None
    for rel in filter(None, lines):
        try:
            path = None if "\0" in rel else safe_paths.inside(out, rel)
        except (ConfigError, ValueError):
            path = None
        if path is None or Path(rel).is_absolute() or path.is_dir():
            raise ConfigError(f"{manifest} lists {rel!r}, which is not a file inside {str(out)!r}; the manifest was "
                              "edited or is not ClaimBench's. Nothing was written or deleted: fix or remove it and rebuild.")
        listed[rel] = path
    return listed

"""A metric's declared views (harness.metrics.metadata) turned into what a report page shows.

Nothing here knows a metric by name: each view says where its data lies in the metric's
`extra` and how to label and format it, so a plug-in metric's views render as ours do.
"""
from __future__ import annotations

from typing import Any

from claimbench.harness import registry

from . import plots, samples
from .formatting import display_name, fmt, fmt_ci


def _source(metric: dict, view: dict) -> Any:
    return metric.get("extra", {}).get(view["source"]) if view["source"] else metric.get("extra", {})


def _cell(column: dict, record: dict) -> str:
    value = record.get(column["field"])
    return fmt_ci(column["unit"], value) if column["field"] == "ci" else fmt(column["unit"], value)


def _facts(view: dict, data: dict) -> dict | None:
    items = [(c["label"], _cell(c, data)) for c in view["columns"] if c["field"] in data] if view["columns"] \
        else [(k, fmt("number", v)) for k, v in data.items() if not isinstance(v, (dict, list))]
    return {"kind": "facts", "items": items} if items else None


def _table(view: dict, data: dict) -> dict:
    rows = [(str(key), [(_cell(c, rec), rec.get(c["field"]) if c["field"] != "ci" else None) for c in view["columns"]])
            for key, rec in data.items() if isinstance(rec, dict)]
    out = {"kind": "table", "header": [c["label"] for c in view["columns"]], "rows": rows}
    if view["kind"] == "bars" and view["columns"]:
        out["plot"] = plots.bars(view["title"], data, view["columns"])
    return out


def series(metric: dict, data: dict) -> dict[str, dict]:
    """A curves view's series, labelled `FIELD=key` when the metric says which field grouped them (extra.by)."""
    by = metric.get("extra", {}).get("by")
    return {(f"{by}={k}" if by else str(k)): v for k, v in data.items() if isinstance(v, dict)}


class ViewKind:
    """How one kind of declared view is shown: `report` gives a section of one run's report page
    ({"kind": "facts" | "table" | "cases" | "plot", ...} as report.html.j2 draws them, or None);
    `site` gives the leaderboard's figure across runs (a PNG data URI, or None). Kinds register
    in the `claimbench.views` entry-point group, so a plug-in metric can bring its own."""

    def report(self, title: str, metric: dict, view: dict, rows: list[dict]) -> dict | None:
        return None

    def site(self, entries: list, name: str, view: dict) -> str | None:
        return None


class Facts(ViewKind):
    """A mapping of scalars shown as labelled values."""

    def report(self, title: str, metric: dict, view: dict, rows: list[dict]) -> dict | None:
        data = _source(metric, view)
        return _facts(view, data) if isinstance(data, dict) and data else None


class Table(ViewKind):
    """A mapping of group -> record: one row per group, one column per declared column."""

    def report(self, title: str, metric: dict, view: dict, rows: list[dict]) -> dict | None:
        data = _source(metric, view)
        return _table(view, data) if isinstance(data, dict) and data else None


class Bars(Table):
    """A table plus a bar chart of its first column, with the `ci` column as error bars."""


class Cases(ViewKind):
    """The samples whose fields equal the view's `where`: those worth reading first (logged
    samples under `samples`; the report page shows each with its images)."""

    def report(self, title: str, metric: dict, view: dict, rows: list[dict]) -> dict | None:
        found = samples.matching(rows, dict(view["where"]))
        return {"kind": "cases", "title": f"{title} (first {len(found)})", "samples": found} if found else None


class Curves(ViewKind):
    """Series of per-layer lists, one panel per column (the site half overlays runs: leaderboards.plots)."""

    def report(self, title: str, metric: dict, view: dict, rows: list[dict]) -> dict | None:
        data = _source(metric, view)
        if not isinstance(data, dict) or not data:
            return None
        return {"kind": "plot", "plot": plots.curves(title, series(metric, data), view["columns"], x_label="layer")}


def render(name: str, metric: dict, rows: list[dict]) -> list[dict]:
    """The report sections of one metric's views; a view whose kind is not installed is left out."""
    out = []
    for view in (metric.get("metadata") or {}).get("views", []):
        if view["kind"] not in registry.views:
            continue
        title = f"{display_name(name, metric)}: {view['title']}"
        section = registry.views.subclass(view["kind"], ViewKind)().report(title, metric, view, rows)
        if section:
            out.append({"title": title, **section})
    return out

"""A metric's declared views (harness.metrics.metadata) turned into what a report page shows.

Nothing here knows a metric by name: each view says where its data lies in the metric's
`extra` and how to label and format it, so a plug-in metric's views render as ours do.
"""
from __future__ import annotations

from typing import Any

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


def render(name: str, metric: dict, rows: list[dict]) -> list[dict]:
    """The report sections of one metric's views (cross-run views are the leaderboard's)."""
    out = []
    for view in (metric.get("metadata") or {}).get("views", []):
        title = f"{display_name(name, metric)}: {view['title']}"
        if view["kind"] == "cases":
            found = samples.matching(rows, dict(view["where"]))
            if found:
                out.append({"kind": "cases", "title": f"{title} (first {len(found)})", "samples": found})
            continue
        data = _source(metric, view)
        if not isinstance(data, dict) or not data:
            continue
        if view["kind"] == "facts":
            section = _facts(view, data)
        elif view["kind"] in ("table", "bars"):
            section = _table(view, data)
        elif view["kind"] == "curves":
            section = {"kind": "plot", "plot": plots.curves(title, series(metric, data), view["columns"], x_label="layer")}
        else:
            continue
        if section:
            out.append({"title": title, **section})
    return out

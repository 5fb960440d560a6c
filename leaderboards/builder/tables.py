"""Per-task leaderboard tables (models x metrics with CIs) as data, Markdown and CSV.

One table per task spec up to its numeric settings: a method or a reference set is part
of what was measured, so `bamboogle:method=self_ask` and `bamboogle` are separate tables,
while the cells of a `steps` sweep are rows of one table with a `steps` column. Where a metric's values
compare only under some condition (its metadata's comparable_on: FID's feature network), the table names it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import groupby

from claimbench.harness.options import Spec
from claimbench.reports import markdown
from claimbench.reports.formatting import description, display_name, fmt, fmt_ci, unit_of

from ..entries import Entry, as_number, spec_of

COST = "generated tokens / row"


@dataclass
class Cell:
    text: str
    sort: float | str | None = None   # the raw value to sort by
    href: str | None = None           # the run report that measured it


@dataclass
class Table:
    task_spec: str        # the group's spec: the task spec without its numeric settings (group_key)
    task_name: str
    columns: list[str]
    metrics: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)  # metric -> what it measures, where a run says
    labels: dict[str, str] = field(default_factory=dict)       # metric -> its display name (pages show it, the id in a tooltip)


def shown_metrics(entries: list[Entry]) -> list[str]:
    """Metrics with a value, in first-seen order, except those whose metadata leaves them to reports
    (a breakdown repeating another column's overall value)."""
    names: dict[str, None] = {}
    for e in entries:
        for name, m in e.result.metrics.items():
            if m["value"] is not None and (m.get("metadata") or {}).get("in_tables", True):
                names[name] = None
    return list(names)


def group_key(e: Entry) -> str:
    """The task spec without its numeric settings: runs that differ only in steps, guidance or a
    sample size share a table (FIDs against one reference are comparable), with a column per setting."""
    spec = spec_of(e.task_spec)
    return Spec(spec.name, tuple((k, v) for k, v in spec.options if as_number(v) is None)).text


def _settings(group: list[Entry]) -> list[str]:
    """Numeric task options whose value differs between the group's runs (or is absent in some)."""
    keys = dict.fromkeys(k for e in group for k, v in spec_of(e.task_spec).options if as_number(v) is not None)
    return [k for k in keys if len({e.task_options.get(k) for e in group}) > 1]


def build(entries: list[Entry]) -> list[Table]:
    tables = []
    for key, group in groupby(sorted(entries, key=lambda e: (group_key(e), e.model_label)), key=group_key):
        group = list(group)
        settings = _settings(group)
        group.sort(key=lambda e: (e.model_label, [float(e.task_options.get(k, "-inf")) for k in settings]))
        metrics = shown_metrics(group)
        condition = next((c[0] for c in map(Entry.comparable_on, group) if c), None)
        cost = any(e.result.counts.get("tokens") for e in group)
        columns = (["model", *settings, "parameters", "n"] + ([COST] if cost else []) + metrics
                   + ([condition] if condition else []))
        definitions = {name: description(m) for e in group for name, m in e.result.metrics.items()
                       if name in metrics and description(m)}
        labels = {name: display_name(name, m) for e in group for name, m in e.result.metrics.items() if name in metrics}
        table = Table(key, group[0].task_name, columns, metrics, entries=group, definitions=definitions, labels=labels)
        for e in group:
            params = e.parameters
            row = [Cell(e.model_label, e.model_label, e.report_path)]
            for k in settings:
                value = e.task_options.get(k)
                row.append(Cell(value or "-", float(value) if value else None))
            n = _n(e)
            row += [Cell(f"{params / 1e6:.0f}M" if params else "-", params), Cell(str(n), n)]
            if cost:
                per_row = generated_per_row(e)
                row.append(Cell("-" if per_row is None else f"{per_row:.1f}", per_row))
            for name in metrics:
                m = e.metric(name)
                if m is None or m["value"] is None:
                    row.append(Cell("-"))
                    continue
                unit = unit_of(m)
                row.append(Cell(f"{fmt(unit, m['value'])} {fmt_ci(unit, m['ci'])}".strip(), m["value"], e.report_path))
            if condition:
                row.append(Cell(_condition_text(e.comparable_on())))
            table.rows.append(row)
        tables.append(table)
    return tables


def generated_per_row(e: Entry) -> float | None:
    """Tokens the model generated per dataset row (all of a row's requests; harness/usage.py), where
    the run's backend counted them: the cost by which the self-ask paper compares methods."""
    tokens = e.result.counts.get("tokens")
    rows = e.result.counts["rows"]
    return tokens["generated_tokens"] / rows if tokens and rows else None


def _condition_text(condition: tuple[str, dict] | None) -> str:
    """A comparability condition in a few words: its values, long hashes cut to 12 hex."""
    if not condition:
        return "-"
    return " ".join(f"{k}:{v[:12]}" if isinstance(v, str) and len(v) >= 32 else str(v) for k, v in condition[1].items())


def _n(e: Entry) -> int:
    """Samples behind the row: the largest metric n (questions; images for FID, not chunks)."""
    return max((m["n"] for m in e.result.metrics.values()), default=e.result.counts["scored"])


def to_markdown(table: Table, link_prefix: str | None = None) -> str:
    """A GitHub Markdown table; with link_prefix, values link to their run reports."""
    lines = [f"| {' | '.join(map(markdown.text, table.columns))} |", "|" + "---|" * len(table.columns)]
    for row in table.rows:
        cells = [markdown.link(c.text, link_prefix + c.href) if link_prefix is not None and c.href
                 else markdown.text(c.text) for c in row]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    """Raw numbers: value, CI bounds and n per metric, one row per model."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["task", "model", "parameters", "n", "generated_tokens_per_row"]
    for name in table.metrics:
        header += [name, f"{name}_ci_low", f"{name}_ci_high"]
    conditions = [e.comparable_on() for e in table.entries]
    keys = list(dict.fromkeys(f"{c[0]}_{k}" for c in conditions if c for k in c[1]))
    w.writerow([markdown.csv_cell(h) for h in header + keys])
    for e, condition in zip(table.entries, conditions):
        per_row = generated_per_row(e)
        row = [e.task_spec, e.model_label, e.parameters or "", _n(e), "" if per_row is None else round(per_row, 3)]
        for name in table.metrics:
            m = e.metric(name) or {"value": None, "ci": None}
            ci = m["ci"] or ["", ""]
            row += ["" if m["value"] is None else m["value"], ci[0], ci[1]]
        values = {f"{condition[0]}_{k}": v for k, v in condition[1].items()} if condition else {}
        row += [values.get(k, "") for k in keys]
        w.writerow([markdown.csv_cell(c) for c in row])
    return buf.getvalue()

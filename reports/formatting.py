"""How numbers are shown: each metric's declared unit decides (harness.metrics.metadata.UNITS)."""
from __future__ import annotations

from typing import Any


def unit_of(metric: dict | None) -> str:
    """The unit a result declares for a metric; shown as measured when it declares none."""
    return (metric or {}).get("unit") or "number"


def is_rate(unit: str) -> bool:
    return unit == "rate"


def fmt(unit: str, value: Any) -> str:
    if value is None:
        return "-"
    if unit == "text" or isinstance(value, (str, bool)):
        return str(value)
    if unit == "count":
        return f"{int(value):,}"
    return f"{100 * value:.1f}%" if is_rate(unit) else f"{value:.4g}"


def fmt_ci(unit: str, ci: list | tuple | None) -> str:
    return f"[{fmt(unit, ci[0])}, {fmt(unit, ci[1])}]" if ci else ""


def display_name(name: str, metric: dict | None) -> str:
    """The metric's own name for itself (its metadata), or the key it is stored under."""
    return ((metric or {}).get("metadata") or {}).get("display_name") or name


def description(metric: dict | None) -> str:
    """What the metric measures, in words: its metadata, or a task's definition of a field mean."""
    m = metric or {}
    return (m.get("metadata") or {}).get("description") or m.get("extra", {}).get("definition") or ""

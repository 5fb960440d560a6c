"""How numbers are shown: each metric's unit decides (a rate in percent, a number as measured)."""
from __future__ import annotations

_RAW_METRICS = ("fid", "kid", "inception_score")  # results written before metrics declared a unit


def unit_of(name: str, metric: dict | None = None) -> str:
    """The unit a result declares for a metric ("rate" or "number"); older results get it from the name."""
    if metric and metric.get("unit"):
        return metric["unit"]
    return "number" if name.startswith(_RAW_METRICS) else "rate"


def is_rate(unit: str) -> bool:
    return unit == "rate"


def fmt(unit: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if is_rate(unit) else f"{value:.4g}"


def fmt_ci(unit: str, ci: list | tuple | None) -> str:
    return f"[{fmt(unit, ci[0])}, {fmt(unit, ci[1])}]" if ci else ""

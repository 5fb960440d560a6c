"""How numbers are shown: rates in percent, image metrics as measured, CIs in brackets."""
from __future__ import annotations

_RAW_METRICS = ("fid", "kid", "inception_score")  # shown as measured; every other metric is a rate


def is_rate(metric: str) -> bool:
    return not metric.startswith(_RAW_METRICS)


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if is_rate(metric) else f"{value:.4g}"


def fmt_ci(metric: str, ci: list | tuple | None) -> str:
    return f"[{fmt(metric, ci[0])}, {fmt(metric, ci[1])}]" if ci else ""

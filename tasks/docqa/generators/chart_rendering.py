"""A chart spec drawn as PNG bytes with matplotlib: bars, lines and pies, with data labels where
the spec carries them, byte-identical for the same spec and pinned matplotlib.
"""
from __future__ import annotations

import io
import math

from .chart_specs import ChartSpec

_SIZE_IN, _DPI = (8.0, 5.6), 100


def render_chart(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes: matplotlib's default style, fixed size and dpi, no version metadata."""
    import matplotlib.style
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"):
        fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
        ax = fig.add_subplot()
        {"vertical_bar": _bars, "horizontal_bar": _bars, "grouped_bar": _bars, "line": _line, "pie": _pie}[spec.chart_type](ax, spec)
        ax.set_title(spec.title, fontsize=15, pad=14)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _frame(ax, spec: ChartSpec, horizontal: bool) -> None:
    """Axis titles, light grid on the value axis, and no top/right spines."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x" if horizontal else "y", color="#dddddd")
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=12)
    set_cat, set_val = (ax.set_ylabel, ax.set_xlabel) if horizontal else (ax.set_xlabel, ax.set_ylabel)
    set_cat(spec.category_axis, fontsize=13)
    set_val(spec.value_axis, fontsize=13)
    if not horizontal and len(spec.categories) * max(map(len, spec.categories)) > 48:
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    if spec.series:
        ax.legend(fontsize=12, frameon=False)


def _bars(ax, spec: ChartSpec) -> None:
    horizontal = spec.chart_type == "horizontal_bar"
    k = len(spec.values)
    width = 0.8 / k
    positions = range(len(spec.categories))
    for s, row in enumerate(spec.values):
        offsets = [p + (s - (k - 1) / 2) * width for p in positions]
        draw = ax.barh if horizontal else ax.bar
        bars = draw(offsets, row, width * 0.95, color=spec.colors[s], label=spec.series[s] if spec.series else None)
        if spec.data_labels:
            ax.bar_label(bars, labels=[spec.text(s, c) for c in positions], padding=3, fontsize=11)
    top = max(map(max, spec.values)) * 1.15
    if horizontal:
        ax.set_yticks(list(positions), spec.categories)
        ax.invert_yaxis()
        ax.set_xlim(0, top)
    else:
        ax.set_xticks(list(positions), spec.categories)
        ax.set_ylim(0, top)
    _frame(ax, spec, horizontal)


def _line(ax, spec: ChartSpec) -> None:
    x = list(range(len(spec.categories)))
    for s, row in enumerate(spec.values):
        ax.plot(x, row, marker="o", linewidth=2.2, color=spec.colors[s], label=spec.series[s] if spec.series else None)
    if spec.data_labels:
        for s, row in enumerate(spec.values):
            for c, v in enumerate(row):
                ax.annotate(spec.text(s, c), (c, v), textcoords="offset points", ha="center", va="center",
                            xytext=(0, 13 if _label_above(spec, s, c) else -13), fontsize=11, zorder=5, color=spec.colors[s],
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xticks(x, spec.categories)
    ax.margins(x=0.06, y=0.18)
    _frame(ax, spec, False)


def _label_above(spec: ChartSpec, s: int, c: int) -> bool:
    """Where a line's data label goes so the line does not cross it: the upper of two series
    above, the lower below; one series above a point that is not lower than its neighbours' mean."""
    row = spec.values[s]
    if len(spec.values) > 1:
        return row[c] == max(r[c] for r in spec.values)
    near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
    return row[c] >= sum(near) / len(near)


def _pie(ax, spec: ChartSpec) -> None:
    wedges, _ = ax.pie(spec.values[0], labels=spec.categories, colors=spec.colors, startangle=90,
                       counterclock=False, wedgeprops={"edgecolor": "white"}, textprops={"fontsize": 12})
    for c, wedge in enumerate(wedges):
        angle = math.radians((wedge.theta1 + wedge.theta2) / 2)
        ax.text(0.68 * math.cos(angle), 0.68 * math.sin(angle), f"{spec.text(0, c)}%", ha="center", va="center",
                fontsize=11)
    ax.set_aspect("equal")

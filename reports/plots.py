"""Matplotlib figures for run reports and the leaderboard, returned as PNG data URIs.

PNG inside <img src="data:..."> keeps every page self-contained (no server, no files
beside it) and inert: labels drawn into pixels cannot carry markup into the page.
"""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on CI machines; set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 100


def new_figure(width: float = 6.4, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def legend_below(ax: Axes, y: float) -> None:
    """The axes' legend under it, at `y` in axes coordinates (below the tick and axis labels), off the data."""
    legend = ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, y), frameon=False)
    legend.set_in_layout(False)  # the axes keep their size; the saved image grows to hold the legend


def to_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + fig.legends  # outside ones stay in
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight", bbox_extra_artists=legends)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bars(title: str, groups: dict[str, dict], columns: list[dict]) -> str:
    """One bar per group: the view's first column, with its `ci` column as error bars and its
    first count column as n under each label."""
    value, unit = columns[0]["field"], columns[0]["unit"]
    n_field = next((c["field"] for c in columns if c["unit"] == "count"), None)
    keys = [k for k, g in groups.items() if isinstance(g, dict) and g.get(value) is not None]
    scale = 100 if unit == "rate" else 1
    values = [scale * groups[k][value] for k in keys]
    cis = [groups[k].get("ci") for k in keys]
    lo = [v - scale * ci[0] if ci else 0 for v, ci in zip(values, cis)]
    hi = [scale * ci[1] - v if ci else 0 for v, ci in zip(values, cis)]
    fig, (ax,) = new_figure(max(4.0, 0.6 * len(keys) + 2), 3.4)
    # error bars only where the view gives CIs: a bar without one is drawn bare, not with a zero-length bar
    ax.bar(range(len(keys)), values, yerr=[lo, hi] if any(cis) else None, capsize=3, color="#4c72b0")
    labels = [f"{k}\n(n={groups[k][n_field]})" if n_field else k for k in keys]
    ax.set_xticks(range(len(keys)), labels, rotation=90 if len(keys) > 4 else 0, fontsize=8)  # upright: never over a neighbour
    ax.set_ylabel(f"{columns[0]['label']} (%)" if unit == "rate" else columns[0]["label"])
    ax.set_title(title, fontsize=10)
    return to_data_uri(fig)


def curves(title: str, series: dict[str, dict], panels: list[dict], *, x_label: str, relative: bool = False) -> str:
    """One panel per column: each series' list of values against its position (1..L, or
    position / L on a relative axis, so models of different depth share one); rank columns on a log axis."""
    fig, axes = new_figure(4.6 * len(panels) + 0.8, 3.6, ncols=len(panels))
    for label, curve in series.items():
        for ax, panel in zip(axes, panels):
            ys = curve.get(panel["field"])
            if not ys:
                continue
            xs = [(i + 1) / len(ys) if relative else i + 1 for i in range(len(ys))]
            ax.plot(xs, ys, marker="." if not relative else None, label=label + (f" (n={curve['n']})" if "n" in curve else ""))
    for ax, panel in zip(axes, panels):
        if panel["unit"] == "rank":
            ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_ylabel(panel["label"])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    entries = {label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels())}
    legend = fig.legend(list(entries.values()), list(entries), fontsize=7, loc="upper center",  # the same series in every
                        bbox_to_anchor=(0.5, 0.0), ncol=min(2, len(entries)), frameon=False)  # panel: one legend under all
    legend.set_in_layout(False)
    return to_data_uri(fig)

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
from matplotlib.figure import Figure  # noqa: E402

DPI = 100


def new_figure(width: float = 6.4, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def to_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def bars_with_ci(title: str, groups: dict[str, dict], *, percent: bool = True) -> str:
    """One bar per group (value with its 95% CI as an error bar), e.g. a rate by source."""
    keys = list(groups)
    scale = 100 if percent else 1
    values = [scale * (g["value"] or 0) for g in groups.values()]
    lo = [v - scale * g["ci"][0] if g.get("ci") else 0 for v, g in zip(values, groups.values())]
    hi = [scale * g["ci"][1] - v if g.get("ci") else 0 for v, g in zip(values, groups.values())]
    fig, (ax,) = new_figure(max(4.0, 0.6 * len(keys) + 2), 3.4)
    ax.bar(range(len(keys)), values, yerr=[lo, hi], capsize=3, color="#4c72b0")
    ax.set_xticks(range(len(keys)), [f"{k}\n(n={groups[k]['n']})" for k in keys], rotation=30 if len(keys) > 4 else 0,
                  ha="right" if len(keys) > 4 else "center", fontsize=8)
    ax.set_ylabel("%" if percent else "value")
    ax.set_title(title, fontsize=10)
    return to_data_uri(fig)


def lens_curves(title: str, extra: dict) -> str:
    """Median rank and mean probability of the target at each layer, per group (memorized or not)."""
    fig, (ax_rank, ax_prob) = new_figure(9.0, 3.4, ncols=2)
    series = {f"{extra.get('by', 'group')}={k}": v for k, v in extra.get("groups", {}).items()} or {"all": extra["all"]}
    for label, curve in series.items():
        layers = range(1, len(curve["median_rank"]) + 1)
        ax_rank.plot(layers, curve["median_rank"], marker=".", label=f"{label} (n={curve['n']})")
        ax_prob.plot(layers, curve["mean_prob"], marker=".", label=f"{label} (n={curve['n']})")
    ax_rank.set_yscale("log")
    ax_rank.set_xlabel("layer")
    ax_rank.set_ylabel("median rank of the target")
    ax_prob.set_xlabel("layer")
    ax_prob.set_ylabel("mean probability of the target")
    ax_rank.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return to_data_uri(fig)

"""Cross-run plots for the leaderboard: what a claim looks like across models and settings.

- compositionality gap and sub-question accuracy against model size (Press et al.'s Figure-1 view);
- idiom memorization by layer (logit-lens curves of every model, on relative depth);
- FID against whatever numeric setting varies between runs of one reference set
  (sampling steps and guidance of a sweep, or the noise level of a degradation series).
"""
from __future__ import annotations

from collections import defaultdict

from harness.options import Spec
from reports.plots import new_figure, to_data_uri

from .entries import Entry, as_number, spec_of


def gap_vs_size(entries: list[Entry]) -> str | None:
    runs = [e for e in entries if e.metric("compositionality_gap") and e.parameters
            and e.metric("compositionality_gap")["value"] is not None]
    if not runs:
        return None
    fig, (ax_gap, ax_acc) = new_figure(10.0, 3.8, ncols=2)
    by_spec: dict[str, list[Entry]] = defaultdict(list)
    for e in runs:
        by_spec[e.task_spec].append(e)
    for spec, group in sorted(by_spec.items()):
        group.sort(key=lambda e: e.parameters)
        xs = [e.parameters for e in group]
        gaps = [e.metric("compositionality_gap") for e in group]
        err = [[100 * (g["value"] - g["ci"][0]) if g["ci"] else 0 for g in gaps],
               [100 * (g["ci"][1] - g["value"]) if g["ci"] else 0 for g in gaps]]
        ax_gap.errorbar(xs, [100 * g["value"] for g in gaps], yerr=err, marker="o", capsize=3, label=spec)
        for e, g in zip(group, gaps):
            ax_gap.annotate(e.model_label, (e.parameters, 100 * g["value"]), fontsize=7,
                            xytext=(4, 4), textcoords="offset points")
        for metric, style in (("q1_correct", "o-"), ("q2_correct", "s-"), ("exact_match", "^--")):
            if all(e.metric(metric) for e in group):
                ax_acc.plot(xs, [100 * e.metric(metric)["value"] for e in group], style, label=f"{metric} ({spec})")
    sizes = sorted({e.parameters for e in runs})
    for ax, label in ((ax_gap, "compositionality gap (%)"), (ax_acc, "accuracy (%)")):
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(sizes, [f"{p / 1e6:.0f}M" for p in sizes])
        ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
        ax.set_xlabel("parameters (log scale)")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    ax_gap.set_title("gap vs model size (95% CI)", fontsize=10)
    ax_acc.set_title("sub-question (Q1, Q2) and two-hop accuracy", fontsize=10)
    return to_data_uri(fig)


def memorization_by_layer(entries: list[Entry]) -> str | None:
    runs = [e for e in entries if e.metric("lens_curves") and "groups" in e.metric("lens_curves")["extra"]]
    if not runs:
        return None
    fig, (ax_rank, ax_prob) = new_figure(10.0, 3.8, ncols=2)
    for e in runs:
        extra = e.metric("lens_curves")["extra"]
        for key, curve in sorted(extra["groups"].items()):
            depth = [(i + 1) / extra["layers"] for i in range(extra["layers"])]
            label = f"{e.model_label}, {extra['by']}={key} (n={curve['n']})"
            style = "-" if key in ("1.0", "True", "true") else ":"
            ax_rank.plot(depth, curve["median_rank"], style, label=label)
            ax_prob.plot(depth, curve["mean_prob"], style, label=label)
    ax_rank.set_yscale("log")
    ax_rank.set_ylabel("median rank of the idiom's last word")
    ax_prob.set_ylabel("mean probability of the last word")
    for ax in (ax_rank, ax_prob):
        ax.set_xlabel("relative depth (layer / layers)")
        ax.legend(fontsize=6)
    ax_rank.set_title("idiom memorization by layer (solid: memorized)", fontsize=10)
    return to_data_uri(fig)


def _without(spec: Spec, key: str) -> str:
    return Spec(spec.name, tuple((k, v) for k, v in spec.options if k != key)).text


def fid_series(entries: list[Entry], metric: str = "fid") -> dict[str, dict[str, list[tuple[float, float]]]]:
    """{axis: {series label: [(x, value), ...]}} for every numeric option that varies between
    runs that agree on everything else (task and model spec without that option)."""
    runs = [e for e in entries if e.metric(metric) and e.metric(metric)["value"] is not None]
    out: dict[str, dict[str, list]] = {}
    for e in runs:
        for where, spec in (("model", e.model), ("task", spec_of(e.task_spec))):
            for key, value in spec.options:
                x = as_number(value)
                if x is None:
                    continue
                model = _without(spec, key) if where == "model" else e.model_label
                task = _without(spec, key) if where == "task" else e.task_spec
                reference = e.task_options.get("reference")
                series = f"{model} vs {reference}" if reference and where == "model" else f"{model} on {task}"
                out.setdefault(key, {}).setdefault(series, []).append((x, e.metric(metric)["value"]))
    return {axis: {s: sorted(points) for s, points in series.items() if len({x for x, _ in points}) > 1}
            for axis, series in out.items() if any(len({x for x, _ in p}) > 1 for p in series.values())}


def fid_vs_setting(entries: list[Entry]) -> str | None:
    axes = fid_series(entries)
    if not axes:
        return None
    fig, panels = new_figure(8.0 * len(axes), 4.4, ncols=len(axes))
    for ax, (axis, series) in zip(panels, sorted(axes.items())):
        xs = sorted({x for points in series.values() for x, _ in points})
        for label, points in sorted(series.items()):
            ax.plot([x for x, _ in points], [y for _, y in points], "o-", label=label)
        if xs[0] > 0 and xs[-1] / xs[0] >= 10:  # sampling steps 1..50: a log axis spreads the few-step end
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.set_xlabel(axis)
        ax.set_ylabel("FID (lower is closer to the reference)")
        ax.set_title(f"FID vs {axis}", fontsize=10)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16))  # below: long labels stay off the curve
    return to_data_uri(fig)

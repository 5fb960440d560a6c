"""Cross-run plots for the leaderboard, drawn from the views that metrics declare (metadata):

- `vs_size`: a metric against model size, per task spec, with CIs, and the metrics the view
  names in `also` beside it (e.g. Press et al.'s Figure-1 view of the compositionality gap);
- `curves`: every run's per-layer curves overlaid on relative depth (logit-lens curves);
- `vs_setting`: a metric against whatever numeric setting varies between runs that agree on
  everything else (sampling steps or guidance of a sweep, the noise of a degradation series).
No metric is known here by name: a plug-in metric that declares these views gets these plots.
"""
from __future__ import annotations

import textwrap
from collections import defaultdict

from claimbench.harness import registry
from claimbench.reports import views
from claimbench.reports.formatting import display_name
from claimbench.reports.plots import curves, legend_below, new_figure, to_data_uri
from claimbench.reports.views import ViewKind, series

from ..entries import Entry, as_number, spec_of, without


def figures(entries: list[Entry]) -> list[tuple[str, str]]:
    """(title, PNG data URI) of every cross-run view the runs' metrics declare, in first-seen order."""
    views: dict[tuple[str, str, str], tuple[str, dict]] = {}
    for e in entries:
        for name, m in e.result.metrics.items():
            for view in (m.get("metadata") or {}).get("views", []):
                views.setdefault((name, view["kind"], view["title"]), (display_name(name, m), view))
    out = []
    for (name, kind, _), (shown, view) in views.items():
        uri = registry.views.subclass(kind, ViewKind)().site(entries, name, view) if kind in registry.views else None
        if uri:
            out.append((f"{shown}: {view['title']}", uri))
    return out


def _scale(m: dict) -> float:
    return 100.0 if m.get("unit") == "rate" else 1.0


def vs_size(entries: list[Entry], name: str, view: dict) -> str | None:
    runs = [e for e in entries if e.metric(name) and e.parameters and e.metric(name)["value"] is not None]
    if not runs:
        return None
    also = [a for a in view.get("also", []) if any(e.metric(a) for e in runs)]
    fig, axes = new_figure(10.0 if also else 5.5, 3.8, ncols=2 if also else 1)
    by_spec: dict[str, list[Entry]] = defaultdict(list)
    for e in runs:
        by_spec[e.task_spec].append(e)
    for spec, group in sorted(by_spec.items()):
        group.sort(key=lambda e: e.parameters)
        xs = [e.parameters for e in group]
        ms = [e.metric(name) for e in group]
        k = _scale(ms[0])
        err = [[k * (m["value"] - m["ci"][0]) if m["ci"] else 0 for m in ms],
               [k * (m["ci"][1] - m["value"]) if m["ci"] else 0 for m in ms]]
        axes[0].errorbar(xs, [k * m["value"] for m in ms], yerr=err, marker="o", capsize=3, label=spec)
        for other, style in zip(also, ("o-", "s-", "^--", "v:")):
            if all(e.metric(other) for e in group):
                axes[1].plot(xs, [_scale(e.metric(other)) * e.metric(other)["value"] for e in group], style,
                             label=f"{display_name(other, group[0].metric(other))} ({spec})")
    sizes = sorted({e.parameters for e in runs})
    models = {p: sorted({e.model_label for e in runs if e.parameters == p}) for p in sizes}  # named under the axis, not on the points
    labels = [display_name(name, runs[0].metric(name)) + (" (%)" if _scale(runs[0].metric(name)) == 100 else "")]
    labels += ["value (%)"] if also else []
    for ax, label in zip(axes, labels):
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(sizes, [f"{p / 1e6:.0f}M\n" + "\n".join(models[p]) for p in sizes], fontsize=7)
        ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
        ax.set_xlabel("parameters (log scale)")
        ax.set_ylabel(label)
        legend_below(ax, -0.4)
    axes[0].set_title(textwrap.fill(view["title"], 60), fontsize=10)
    if also:
        shown = [display_name(a, next(e.metric(a) for e in runs if e.metric(a))) for a in also]
        axes[1].set_title(textwrap.fill(", ".join(shown) + " of the same runs", 60), fontsize=10)
    return to_data_uri(fig)


def overlaid_curves(entries: list[Entry], name: str, view: dict) -> str | None:
    lines = {}
    for e in entries:
        m = e.metric(name)
        data = m["extra"].get(view["source"]) if m else None
        if isinstance(data, dict) and data:
            lines.update({f"{e.model_label}, {label}": curve for label, curve in series(m, data).items()})
    if not lines:
        return None
    return curves(view["title"], lines, view["columns"], x_label="relative depth (layer / layers)", relative=True)


def setting_series(entries: list[Entry], metric: str) -> dict[str, dict[str, list[tuple[float, float]]]]:
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
                model = without(spec, key) if where == "model" else e.model_label
                task = without(spec, key) if where == "task" else e.task_spec
                reference = e.task_options.get("reference")
                series = f"{model} vs {reference}" if reference and where == "model" else f"{model} on {task}"
                out.setdefault(key, {}).setdefault(series, []).append((x, e.metric(metric)["value"]))
    return {axis: {s: sorted(points) for s, points in series.items() if len({x for x, _ in points}) > 1}
            for axis, series in out.items() if any(len({x for x, _ in p}) > 1 for p in series.values())}


def vs_setting(entries: list[Entry], name: str, view: dict) -> str | None:
    axes = setting_series(entries, name)
    if not axes:
        return None
    fig, panels = new_figure(8.0 * len(axes), 4.4, ncols=len(axes))
    for ax, (axis, lines) in zip(panels, sorted(axes.items())):
        xs = sorted({x for points in lines.values() for x, _ in points})
        for label, points in sorted(lines.items()):
            ax.plot([x for x, _ in points], [y for _, y in points], "o-", label=textwrap.fill(label, 100))
        if xs[0] > 0 and xs[-1] / xs[0] >= 10:  # sampling steps 1..50: a log axis spreads the few-step end
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.set_xlabel(axis)
        m = next(e.metric(name) for e in entries if e.metric(name))
        ax.set_ylabel(display_name(name, m) + (" (lower is better)" if not m["higher_is_better"] else ""))
        ax.set_title(f"{display_name(name, m)} vs {axis}", fontsize=10)
        legend_below(ax, -0.16)  # long labels stay off the curve
    return to_data_uri(fig)


class VsSize(ViewKind):
    """Across runs, the value against model size, with the metrics named in `also` beside it."""

    site = staticmethod(vs_size)


class Curves(views.Curves):
    """Per-run curves in reports; on the site, every run's curves overlaid on relative depth."""

    site = staticmethod(overlaid_curves)


class VsSetting(ViewKind):
    """Across runs, the value against any numeric setting that differs between them."""

    site = staticmethod(vs_setting)

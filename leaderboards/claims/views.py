"""How verdicts are shown: a Markdown table (`claimbench claims`, the README), and one plot per
claim with each run's measure and its CI (the claims page's evidence)."""
from __future__ import annotations

import math
import textwrap

from claimbench.reports import markdown as md
from claimbench.reports.formatting import display_name
from claimbench.reports.plots import new_figure, to_data_uri

from .verdicts import Test, Verdict, axis_value

UPPER_BOUND = "oracle upper bound"
MARK = {"holds": "holds", "contradicted": "CONTRADICTED", "inconclusive": "inconclusive", "out of scope": "out of scope"}


def mark(v: Verdict) -> str:
    """The verdict as shown: a transfer test (beyond the paper's scope) and an oracle upper-bound
    test (not the paper's search engine) say so."""
    return MARK[v.status] + (" (transfer)" if v.transfer else "") + (f" ({UPPER_BOUND})" if v.upper_bound else "")


def table(verdicts: list[Verdict], reasons: bool = True) -> str:
    """One row per relational claim: paper, claim, kind, verdict, the models it was tested on, and
    (with `reasons`) why; the README's copy leaves the reasons to the claims page."""
    head = ["paper", "claim", "kind", "verdict", "our scope"] + (["why"] if reasons else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in verdicts:
        r = v.claim
        scope = ", ".join(v.models) or "no run"
        cells = [r.paper["id"], f"{r.id}: {r.statement}", r.kind, mark(v), scope + (f"; transfer: {v.transfer}" if v.transfer else "")]
        lines.append("| " + " | ".join(md.text(c) for c in cells + ([v.reason] if reasons else [])) + " |")
    return "\n".join(lines) + "\n"


def counts(verdicts: list[Verdict]) -> str:
    """'5 hold, 3 contradicted, 15 inconclusive, 1 out of scope; transfer tests: 1 hold, ...': tests
    beyond the papers' own scope, and oracle upper-bound tests, are counted apart."""
    def line(vs: list[Verdict]) -> str:
        n = {s: sum(v.status == s for v in vs) for s in MARK}
        return (f"{n['holds']} hold, {n['contradicted']} contradicted, {n['inconclusive']} inconclusive, "
                f"{n['out of scope']} out of scope")
    own = [v for v in verdicts if not v.transfer and not v.upper_bound]
    transfer = [v for v in verdicts if v.transfer]
    bound = [v for v in verdicts if v.upper_bound and not v.transfer]
    return (line(own) + (f"; transfer tests (beyond the papers' scope): {line(transfer)}" if transfer else "")
            + (f"; {UPPER_BOUND} tests (gold data in place of the paper's search engine): {line(bound)}" if bound else ""))


def plot(verdict: Verdict) -> str | None:
    """Each test's runs: the measure with its 95% CI, along the axis for a trend."""
    tests = [t for t in verdict.tests if t.stats]
    if not tests:
        return None
    fig, axes = new_figure(max(4.0, 3.2 * len(tests)), 3.0, ncols=len(tests))
    for ax, test in zip(axes, tests):
        _draw(ax, verdict, test)
    return to_data_uri(fig)


def _draw(ax, verdict: Verdict, test: Test) -> None:
    k = 100.0 if test.stats[0].unit == "rate" else 1.0
    names = list(verdict.claim.sides)
    xs = test.xs or list(range(len(test.stats)))
    for i, (x, s) in enumerate(zip(xs, test.stats)):
        y = s.value if s.value is not None and math.isfinite(s.value) else None
        ci = test.side_cis[i] if i < len(test.side_cis) else None
        if y is None:
            ax.annotate("never", (x, 0.03), xycoords=("data", "axes fraction"), fontsize=7, ha="center")  # inside its panel
            continue
        err = None
        if ci and all(math.isfinite(c) for c in ci):
            err = [[k * max(0.0, y - ci[0])], [k * max(0.0, ci[1] - y)]]
        ax.errorbar([x], [k * y], yerr=err, marker="o", capsize=3, color=f"C{i if not test.xs else 0}")
    if test.xs:
        for x, s in zip(xs, test.stats):
            if s.value is not None:
                axis = verdict.claim.axis
                ax.annotate(s.entry.model_label if axis == "parameters" else f"{axis}={axis_value(s.entry, axis):g}",
                            (x, k * s.value), fontsize=6, xytext=(4, 4), textcoords="offset points")
        ax.plot(xs, [k * s.value if s.value is not None else math.nan for s in test.stats], "-", color="C0", alpha=0.5)
        ax.set_xlabel(("log10 " if verdict.claim.log_x else "") + verdict.claim.axis)
    else:
        ax.set_xticks(xs, [f"{names[min(i, len(names) - 1)]}\n{_short(s)}" for i, s in enumerate(test.stats)], fontsize=6)
        ax.set_xlim(-0.6, len(xs) - 0.4)
    ax.set_ylabel(", ".join(dict.fromkeys(map(shown, test.stats))) + (" (%)" if k == 100 else ""), fontsize=7)
    ax.set_title(textwrap.fill(textwrap.shorten(test.scope, 120) + f": {test.status}", 55), fontsize=7)  # fits its panel


def shown(stat) -> str:
    """What a side measures on its run, as a reader reads it: the metric's display name (a quantity by its name)."""
    side = stat.side
    if not side.metric:
        return side.measures
    return display_name(side.metric, stat.entry.metric(side.metric)) + "".join(f" [{k}={v}]" for k, v in side.where)


def _short(s) -> str:
    """The side's run, wrapped to fit under its tick (specs break after their separators)."""
    where = "".join(f" {k}={v}" for k, v in s.side.where)
    name = (s.entry.model_label if s.side.model or not s.side.task else s.entry.task_spec)[:40] + where
    return textwrap.fill(name.replace(":", ": ").replace(",", ", "), 20)

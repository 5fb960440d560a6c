"""Every kind of figure reports and the site draw, from the committed results: no text overlaps
another text, and no legend covers a plot's data area (matplotlib's own text extents)."""
from __future__ import annotations

from itertools import combinations

import pytest
from conftest import COMMITTED_RESULTS, COMMITTED_SWEEPS
from matplotlib.figure import Figure

from claimbench.harness import results
from claimbench.leaderboards import entries
from claimbench.leaderboards.builder import plots as site_plots
from claimbench.leaderboards.builder import sensitivity_page
from claimbench.leaderboards.claims import catalog, verdicts
from claimbench.leaderboards.claims import views as verdict_views
from claimbench.reports import plots as report_plots
from claimbench.reports import views


def _texts(fig: Figure, renderer) -> list[tuple[str, object]]:
    """(what, window extent) of every visible, non-empty text the figure draws."""
    found = []
    for i, ax in enumerate(fig.axes):
        drawn_ticks = ax.xaxis._update_ticks() + ax.yaxis._update_ticks()  # those inside the view limits: the ones drawn
        ticks = [(f"axes {i} tick", t.label1) for t in drawn_ticks]
        named = [(f"axes {i} title", ax.title), (f"axes {i} x label", ax.xaxis.label), (f"axes {i} y label", ax.yaxis.label)]
        legend = ax.get_legend()
        found += ticks + named + [(f"axes {i} text", t) for t in ax.texts] + \
            ([(f"axes {i} legend", t) for t in legend.get_texts()] if legend else [])
    found += [("suptitle", fig._suptitle)] if fig._suptitle else []
    found += [("figure legend", t) for legend in fig.legends for t in legend.get_texts()]
    return [(f"{what} {t.get_text()!r}", t.get_window_extent(renderer)) for what, t in found
            if t.get_visible() and t.get_text().strip()]


def problems(fig: Figure) -> list[str]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _texts(fig, renderer)
    out = [f"{a} overlaps {b}" for (a, box_a), (b, box_b) in combinations(texts, 2)
           if box_a.shrunk(0.98, 0.9).overlaps(box_b.shrunk(0.98, 0.9))]  # touching edges are not overlap
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        out += [f"a legend covers axes {i}" for i, ax in enumerate(fig.axes) if box.overlaps(ax.get_window_extent(renderer))]
    return out


@pytest.fixture
def drawn(monkeypatch):
    """Every figure drawn while the test runs, checked just before it is encoded: {kind: [problems]}."""
    seen: list[list[str]] = []
    encode = report_plots.to_data_uri

    def check(fig: Figure) -> str:
        fig.tight_layout()
        seen.append(problems(fig))
        return encode(fig)

    monkeypatch.setattr(report_plots, "to_data_uri", check)
    monkeypatch.setattr(site_plots, "to_data_uri", check)
    monkeypatch.setattr(verdict_views, "to_data_uri", check)
    monkeypatch.setattr(sensitivity_page, "to_data_uri", check)
    return seen


def test_site_figures_have_no_overlapping_text(drawn):
    figures = site_plots.figures(entries.load([COMMITTED_RESULTS]))
    kinds = {title.split(": ", 1)[1] for title, _ in figures}
    assert len(drawn) == len(figures) >= 5 and any("model size" in k for k in kinds) and any("layer" in k for k in kinds)
    assert any("settings" in k for k in kinds)
    for (title, _), found in zip(figures, drawn):
        assert found == [], title


@pytest.mark.parametrize("run", ["mnist/localmixer-m116-bp-mnist5k", "idiomem/smollm2-135m", "compositional_celebrities/smollm2-135m",
                                 "synthetic_docvqa/ocr-baseline"])
def test_report_figures_have_no_overlapping_text(drawn, run):
    result = results.read(COMMITTED_RESULTS / run)
    rows = results.read_samples(COMMITTED_RESULTS / run)
    sections = [s for name, m in result.metrics.items() for s in views.render(name, m, rows)]
    assert drawn and sum(1 for s in sections if s.get("plot")) == len(drawn)
    for found in drawn:
        assert found == [], run


def test_claims_evidence_figures_have_no_overlapping_text(drawn):
    runs = entries.load([COMMITTED_RESULTS])
    tested = [verdicts.evaluate(r, runs) for r in catalog.relations()]
    titles = [v.claim.id for v in tested if verdict_views.plot(v)]
    assert len(titles) == len(drawn) >= 10
    for title, found in zip(titles, drawn):
        assert found == [], title


def test_sensitivity_figures_have_no_overlapping_text(drawn):
    published = sensitivity_page.load([COMMITTED_SWEEPS])
    for p in published:
        p.plot()
    assert len(drawn) == len(published) >= 1
    for p, found in zip(published, drawn):
        assert found == [], p.title

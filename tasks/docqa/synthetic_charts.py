"""Project-made charts with known answers, in ChartQA's original layout (`test/test_synthetic.json`
beside `test/png/`), so offline chart QA runs use the same loader as the public set.

Each chart is a pure `ChartSpec` (drawn data, labels, whether the marks carry data labels)
plus its questions, built from a random.Random seeded by (seed, index): chart i is the same
in every run of any length. Questions that need a number (value, difference, sum, average,
counting above a threshold) are asked only of charts that print their values; charts without
data labels get questions a reader answers by looking (which is larger, highest, how many),
and their values are spread on a grid wide enough that no two marks look alike.
"""
from __future__ import annotations

import io
import json
import math
import random
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from claimbench.harness import atomic

from .synthetic_set import render_set

DATASET = "claimbench_charts"
ANNOTATIONS = "test/test_synthetic.json"
QUESTION_TYPES = ("value", "compare", "extreme", "count", "arithmetic")
CHART_TYPES = ("vertical_bar", "horizontal_bar", "grouped_bar", "line", "pie")
_CHART_WEIGHTS = (3, 2, 2, 3, 2)
_LABELED_WEIGHTS = {"value": 4, "compare": 2, "extreme": 2, "count": 1, "arithmetic": 2}
_UNLABELED_WEIGHTS = {"compare": 2, "extreme": 2, "count": 1}
_MIN_SPREAD = 0.06  # unlabeled charts: values differ by at least this share of the largest
_SIZE_IN, _DPI = (8.0, 5.6), 100
_DARK = (("#2f6f9f", "#e08a2e", "#4f9a5a"), ("#23798e", "#c4504a", "#7d62a8"), ("#3d5a80", "#ee6c4d", "#6b8f3d"))
_LIGHT = (("#8fbcdb", "#f4b183", "#a9d18e", "#f19c99", "#c5b0d5", "#d9c29c"),
          ("#9fd3c7", "#f9d56e", "#f3a683", "#b8b5e0", "#a3c4f3", "#e6b8c8"))


@dataclass(frozen=True)
class Domain:
    """What the categories are; `ordered` domains (years, months) are drawn as consecutive runs."""

    noun: str
    plural: str
    prep: str
    names: tuple[str, ...]
    ordered: bool = False


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
DOMAINS = {
    "country": Domain("country", "countries", "in", (
        "Germany", "France", "Italy", "Spain", "Poland", "Sweden", "Norway", "Japan", "Brazil", "Canada",
        "Mexico", "India", "Kenya", "Chile", "Egypt", "Turkey", "Vietnam", "Australia", "Argentina",
        "Portugal", "Greece", "Ireland", "Finland", "Austria")),
    "year": Domain("year", "years", "in", tuple(str(y) for y in range(2005, 2024)), ordered=True),
    "month": Domain("month", "months", "in", _MONTHS, ordered=True),
    "product": Domain("product", "products", "for", (
        "Laptops", "Tablets", "Smartphones", "Monitors", "Printers", "Headphones", "Cameras", "Speakers",
        "Routers", "Keyboards")),
    "age group": Domain("age group", "age groups", "for", ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")),
    "channel": Domain("channel", "channels", "for", (
        "Email", "Search", "Social media", "Video", "Podcasts", "Print", "Radio", "Television")),
    "sector": Domain("sector", "sectors", "for", (
        "Agriculture", "Industry", "Services", "Construction", "Mining", "Tourism", "Finance", "Retail")),
}


@dataclass(frozen=True)
class Theme:
    """A measured quantity: its range and precision, the domains it makes sense for, and the
    series pairs a two-series chart of it may compare. `share` themes are pies summing to 100."""

    title: str
    axis: str
    short: str
    lo: float
    hi: float
    decimals: int
    domains: tuple[str, ...]
    series: tuple[tuple[str, str], ...] = ()
    share: bool = False
    prep: str = ""  # overrides the domain's preposition ("share of exports to Egypt")


THEMES = (
    Theme("Unemployment rate", "Unemployment rate (%)", "unemployment rate", 2, 16, 1,
          ("country", "year", "month"), (("Urban", "Rural"), ("2019", "2023"))),
    Theme("Revenue", "Revenue (million USD)", "revenue", 40, 900, 0,
          ("year", "product", "month", "country"), (("Online", "In-store"), ("Domestic", "International"))),
    Theme("Units sold", "Units sold (thousands)", "number of units sold", 12, 480, 0,
          ("product", "month", "year"), (("Online", "In-store"), ("2021", "2022"))),
    Theme("Average rainfall", "Rainfall (mm)", "average rainfall", 8, 220, 0, ("month",), (("North", "South"),)),
    Theme("International tourist arrivals", "Arrivals (millions)", "number of tourist arrivals", 1.5, 42, 1,
          ("country", "year"), (("Business", "Leisure"),)),
    Theme("Internet users", "Share of population (%)", "share of internet users", 30, 98, 1,
          ("country", "year"), (("Urban", "Rural"),)),
    Theme("Average hourly wage", "Wage (USD per hour)", "average hourly wage", 6, 38, 2,
          ("country", "sector", "year"), (("Full-time", "Part-time"),)),
    Theme("Number of employees", "Employees", "number of employees", 120, 4800, 0,
          ("sector", "year", "country"), (("Full-time", "Part-time"),)),
    Theme("Website visits", "Visits (thousands)", "number of website visits", 15, 640, 0,
          ("month", "channel"), (("Desktop", "Mobile"),)),
    Theme("Customer satisfaction score", "Score (0-100)", "customer satisfaction score", 35, 95, 0,
          ("product", "channel", "year"), (("2022", "2023"), ("Online", "In-store"))),
    Theme("CO2 emissions per capita", "Tonnes per person", "CO2 emissions per capita", 0.8, 16.5, 1,
          ("country", "year"), (("2000", "2020"),)),
    Theme("Respondents by age group", "", "share of respondents", 0, 0, 1, ("age group",), share=True),
    Theme("Marketing budget by channel", "", "share of the marketing budget", 0, 0, 0, ("channel",), share=True),
    Theme("Employment by sector", "", "share of employment", 0, 0, 1, ("sector",), share=True),
    Theme("Sales by product", "", "share of sales", 0, 0, 0, ("product",), share=True),
    Theme("Exports by destination", "", "share of exports", 0, 0, 1, ("country",), share=True, prep="to"),
)


@dataclass(frozen=True)
class ChartSpec:
    """Everything drawn: values[s][c] is series s at category c; one unnamed series when `series` is empty."""

    chart_type: str
    title: str
    category_axis: str
    value_axis: str
    categories: tuple[str, ...]
    series: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    decimals: int
    data_labels: bool
    colors: tuple[str, ...]

    def text(self, s: int, c: int) -> str:
        """The value as printed on the chart and given as a gold label."""
        return f"{self.values[s][c]:.{self.decimals}f}"


@dataclass(frozen=True)
class ChartQuestion:
    query: str
    label: str
    question_type: str


@dataclass(frozen=True)
class ChartItem:
    spec: ChartSpec
    questions: tuple[ChartQuestion, ...]
    theme: Theme
    domain: Domain


def chart_item(seed: int, index: int) -> ChartItem:
    """Chart `index` of the set made with `seed` and its two questions (pure: nothing is drawn)."""
    rng = random.Random(f"claimbench-charts:{seed}:{index}")
    chart_type = rng.choices(CHART_TYPES, weights=_CHART_WEIGHTS)[0]
    theme, domain = rng.choice(_combos(chart_type))
    item = ChartItem(_spec(rng, chart_type, theme, domain), (), theme, domain)
    weights = _LABELED_WEIGHTS if item.spec.data_labels else _UNLABELED_WEIGHTS
    return replace(item, questions=tuple(_BUILDERS[t](item, rng) for t in _pick(rng, weights, 2)))


@cache
def _combos(chart_type: str) -> tuple[tuple[Theme, Domain], ...]:
    """The (theme, domain) pairs a chart type can show: pies need shares, lines an ordered axis,
    two-series charts a pair of series that is not a pair of years on a year axis."""
    out = []
    for theme in THEMES:
        for name in theme.domains:
            if (chart_type == "pie") != theme.share or (chart_type == "line" and not DOMAINS[name].ordered):
                continue
            if chart_type == "grouped_bar" and not _pairs(theme, name):
                continue
            out.append((theme, DOMAINS[name]))
    return tuple(out)


def _pairs(theme: Theme, domain: str) -> list[tuple[str, str]]:
    return [p for p in theme.series if not (domain == "year" and p[0].isdigit())]


def _spec(rng: random.Random, chart_type: str, theme: Theme, domain: Domain) -> ChartSpec:
    n = {"vertical_bar": (4, 8), "horizontal_bar": (4, 8), "grouped_bar": (3, 5), "line": (5, 9), "pie": (3, 6)}[chart_type]
    categories = _categories(rng, domain, rng.randint(*n))
    pairs = _pairs(theme, domain.noun)
    two = chart_type == "grouped_bar" or (chart_type == "line" and bool(pairs) and rng.random() < 0.4)
    series = rng.choice(pairs) if two else ()
    labeled = chart_type == "pie" or two or rng.random() < 0.7
    if chart_type == "pie":
        values = (_shares(rng, len(categories), theme.decimals),)
    else:
        values = _series_values(rng, theme, len(categories), max(1, len(series)), labeled)
    year = "" if domain.noun == "year" or (series and series[0].isdigit()) else f", {rng.randint(2015, 2023)}"
    title = f"{theme.title}{year}" if theme.share else f"{theme.title} by {domain.noun}{year}"
    colors = rng.choice(_LIGHT if chart_type == "pie" else _DARK)
    return ChartSpec(chart_type, title, domain.noun.capitalize(), theme.axis, categories, series, values,
                     theme.decimals, labeled, colors)


def _categories(rng: random.Random, domain: Domain, n: int) -> tuple[str, ...]:
    if domain.ordered:
        start = rng.randint(0, len(domain.names) - n)
        return domain.names[start:start + n]
    return tuple(rng.sample(domain.names, n))


def _series_values(rng: random.Random, theme: Theme, n: int, k: int, labeled: bool) -> tuple[tuple[float, ...], ...]:
    """k series of n distinct values; two series never tie at a category (so "which is higher" has an answer)."""
    unit = 10 ** theme.decimals
    lo, hi = round(theme.lo * unit), round(theme.hi * unit)
    step = 1 if labeled else math.ceil(_MIN_SPREAD * hi)
    while True:
        rows = tuple(tuple(v / unit for v in rng.sample(range(lo, hi + 1, step), n)) for _ in range(k))
        if k == 1 or all(len(set(col)) == k for col in zip(*rows)):
            return rows


def _shares(rng: random.Random, n: int, decimals: int) -> tuple[float, ...]:
    """n distinct percentages summing to exactly 100, each at least 6 (room for its label)."""
    unit = 10 ** decimals
    floor, free = 6 * unit, (100 - 6 * n) * unit
    while True:
        cuts = sorted(rng.sample(range(1, free), n - 1))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, free])]
        if len(set(parts)) == n:
            return tuple((floor + p) / unit for p in parts)


def _pick(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """k distinct question types drawn by weight."""
    pool, out = dict(weights), []
    for _ in range(k):
        choice = rng.choices(list(pool), weights=list(pool.values()))[0]
        out.append(choice)
        del pool[choice]
    return out


def _place(item: ChartItem, c: int, s: int | None = None) -> str:
    """'in Germany', 'in Germany in 2019' or 'in Germany (Urban)': how a question names one mark."""
    where = f"{_prep(item)} {item.spec.categories[c]}"
    return where + _series_part(item.spec, s) if s is not None else where


def _prep(item: ChartItem) -> str:
    return item.theme.prep or item.domain.prep


def _series_part(spec: ChartSpec, s: int) -> str:
    """' in 2019' for a year series, ' (Urban)' for another, '' for a one-series chart."""
    if not spec.series:
        return ""
    name = spec.series[s]
    return f" in {name}" if name.isdigit() else f" ({name})"


def _number(value: Decimal, places: int) -> str:
    """A computed answer as ChartQA writes numbers: rounded half up, no trailing zeros ("3.5", "12")."""
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _dec(spec: ChartSpec, s: int, c: int) -> Decimal:
    return Decimal(spec.text(s, c))


def _value(item: ChartItem, rng: random.Random) -> ChartQuestion:
    s, c = rng.randrange(len(item.spec.values)), rng.randrange(len(item.spec.categories))
    return ChartQuestion(f"What is the {item.theme.short} {_place(item, c, s)}?", item.spec.text(s, c), "value")


def _compare(item: ChartItem, rng: random.Random) -> ChartQuestion:
    spec, short = item.spec, item.theme.short
    if spec.series:  # the two series at one category (they never tie)
        c = rng.randrange(len(spec.categories))
        a, b = _dec(spec, 0, c), _dec(spec, 1, c)
        where = _place(item, c)
        if rng.random() < 0.5:
            s1, s2 = spec.series
            return ChartQuestion(f"{where[0].upper()}{where[1:]}, which is higher: {s1} or {s2}?",
                                 spec.series[0 if a > b else 1], "compare")
        return ChartQuestion(f"What is the difference between {spec.series[0]} and {spec.series[1]} {where}?",
                             _number(abs(a - b), spec.decimals), "compare")
    i, j = rng.sample(range(len(spec.categories)), 2)
    a, b = _dec(spec, 0, i), _dec(spec, 0, j)
    names = spec.categories[i], spec.categories[j]
    if not spec.data_labels or rng.random() < 0.5:
        prep = _prep(item)
        return ChartQuestion(f"Which is higher, the {short} {prep} {names[0]} or {prep} {names[1]}?",
                             names[0] if a > b else names[1], "compare")
    return ChartQuestion(f"What is the difference in {short} between {names[0]} and {names[1]}?",
                         _number(abs(a - b), spec.decimals), "compare")


def _extreme(item: ChartItem, rng: random.Random) -> ChartQuestion:
    spec = item.spec
    s = rng.randrange(len(spec.values))
    highest = rng.random() < 0.6
    pick = (max if highest else min)(range(len(spec.categories)), key=lambda c: spec.values[s][c])
    which = "highest" if highest else "lowest"
    return ChartQuestion(f"Which {item.domain.noun} has the {which} {item.theme.short}{_series_part(spec, s)}?",
                         spec.categories[pick], "extreme")


def _count(item: ChartItem, rng: random.Random) -> ChartQuestion:
    spec, n = item.spec, len(item.spec.categories)
    if spec.data_labels and spec.chart_type != "pie" and rng.random() < 0.5:
        s = rng.randrange(len(spec.values))
        ordered = sorted(_dec(spec, s, c) for c in range(n))
        i = rng.randrange(n - 1)
        threshold = _number((ordered[i] + ordered[i + 1]) / 2, spec.decimals + 1)
        return ChartQuestion(f"For how many {item.domain.plural} is the {item.theme.short} above {threshold}"
                             f"{_series_part(spec, s)}?",
                             str(n - 1 - i), "count")
    if spec.chart_type == "pie":
        return ChartQuestion("How many segments does the pie chart have?", str(n), "count")
    if spec.chart_type == "line":
        if spec.series:
            return ChartQuestion("How many lines are shown in the chart?", str(len(spec.series)), "count")
        return ChartQuestion(f"How many {item.domain.plural} are shown in the chart?", str(n), "count")
    return ChartQuestion("How many bars are there in the chart?", str(n * max(1, len(spec.series))), "count")


def _arithmetic(item: ChartItem, rng: random.Random) -> ChartQuestion:
    spec = item.spec
    s = rng.randrange(len(spec.values))
    suffix = _series_part(spec, s)
    if spec.chart_type == "pie" or rng.random() < 0.5:
        i, j = sorted(rng.sample(range(len(spec.categories)), 2))
        total = _dec(spec, s, i) + _dec(spec, s, j)
        a, b = spec.categories[i], spec.categories[j]
        return ChartQuestion(f"What is the sum of the {item.theme.short} {_prep(item)} {a} and {b}{suffix}?",
                             _number(total, spec.decimals), "arithmetic")
    n = len(spec.categories)
    mean = sum(_dec(spec, s, c) for c in range(n)) / n
    return ChartQuestion(f"What is the average {item.theme.short} across all {item.domain.plural}{suffix}? "
                         "Round to two decimal places.", _number(mean, 2), "arithmetic")


_BUILDERS = {"value": _value, "compare": _compare, "extreme": _extreme, "count": _count, "arithmetic": _arithmetic}


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


def chart_rows(item: ChartItem, imgname: str) -> list[dict]:
    """The item's rows in ChartQA's keys, plus question_type and chart_type for per-type breakdowns."""
    return [{"imgname": imgname, "query": q.query, "label": q.label, "question_type": q.question_type,
             "chart_type": item.spec.chart_type} for q in item.questions]


def write_charts(out: Path, n: int, seed: int = 0, progress: bool = False) -> Path:
    """Render n charts under out/claimbench_charts/test/png/ and write their questions; returns the JSON's path."""
    root = Path(out) / DATASET / "test"

    def one(index: int) -> list[dict]:
        item = chart_item(seed, index)
        imgname = f"chart_{index + 1:05d}.png"
        atomic.write_bytes(root / "png" / imgname, render_chart(item.spec))
        return chart_rows(item, imgname)

    rows = render_set(n, "charts", "chart", progress, one)
    path = Path(out) / DATASET / ANNOTATIONS
    atomic.write_text(path, json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    return path

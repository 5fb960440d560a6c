"""What a project-made chart shows, drawn before anything is rendered or asked: the domains
(what the categories are), the themes (what is measured), and the pure `ChartSpec` (drawn data,
labels, whether the marks carry data labels), built from a random.Random so chart i is the
same in every run of any length. Values of charts without data labels are spread on a grid
wide enough that no two marks look alike. `ChartItem` pairs a spec with its questions.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache

CHART_TYPES = ("vertical_bar", "horizontal_bar", "grouped_bar", "line", "pie")
_CHART_WEIGHTS = (3, 2, 2, 3, 2)
_MIN_SPREAD = 0.06  # unlabeled charts: values differ by at least this share of the largest
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

"""The questions asked of a project-made chart, and `chart_item`, which draws a chart's spec and
then its two questions from one random.Random seeded by (seed, index). Questions that need a
number (value, difference, sum, average, counting above a threshold) are asked only of charts
that print their values; charts without data labels get questions a reader answers by looking
(which is larger, highest, how many).
"""
from __future__ import annotations

import random
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from .chart_specs import _CHART_WEIGHTS, CHART_TYPES, ChartItem, ChartQuestion, ChartSpec, _combos, _spec

QUESTION_TYPES = ("value", "compare", "extreme", "count", "arithmetic")
_LABELED_WEIGHTS = {"value": 4, "compare": 2, "extreme": 2, "count": 1, "arithmetic": 2}
_UNLABELED_WEIGHTS = {"compare": 2, "extreme": 2, "count": 1}


def chart_item(seed: int, index: int) -> ChartItem:
    """Chart `index` of the set made with `seed` and its two questions (pure: nothing is drawn)."""
    rng = random.Random(f"claimbench-charts:{seed}:{index}")
    chart_type = rng.choices(CHART_TYPES, weights=_CHART_WEIGHTS)[0]
    theme, domain = rng.choice(_combos(chart_type))
    item = ChartItem(_spec(rng, chart_type, theme, domain), (), theme, domain)
    weights = _LABELED_WEIGHTS if item.spec.data_labels else _UNLABELED_WEIGHTS
    return replace(item, questions=tuple(_BUILDERS[t](item, rng) for t in _pick(rng, weights, 2)))


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

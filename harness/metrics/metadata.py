"""What a metric says about itself, so reports and the leaderboard render it without knowing its name.

Like HELM's MetricMetadata and torchmetrics' plot(): each metric declares its display name,
unit, direction and the views it offers of its own result. The metadata is written into
results.json beside the value, so a plug-in metric gets its tables and plots on the site
with no change to ClaimBench, and an old result still renders as it was measured.

View kinds are registered in the `claimbench.views` entry-point group (`claimbench list views`),
each with its report half and its site half (reports.views.ViewKind); a plug-in adds its own.
Ours (data is read from the metric's `extra[source]`, or from samples for `cases`):
- `facts`: a mapping of scalars shown as labelled values (columns pick and name them);
- `table`: a mapping of group -> record, one row per group, one column per `columns` entry;
- `bars`: a `table` plus a bar chart of its first column, with the `ci` column as error bars;
- `curves`: a mapping of series -> record of per-layer lists, one panel per column, drawn
  per run in reports and overlaid across runs (on relative depth) on the leaderboard;
- `cases`: the samples whose fields equal `where` (the samples worth reading first);
- `vs_size`: across runs, the value against model size, with the metrics in `also` beside it;
- `vs_setting`: across runs, the value against any numeric setting that differs between them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .. import registry
from ..errors import ConfigError

UNITS = ("rate", "number", "count", "rank", "text")  # rate: a share in percent; rank: 1 = best, on log axes


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    unit: str = "number"


@dataclass(frozen=True)
class View:
    kind: str
    title: str
    source: str = ""
    columns: tuple[Column, ...] = ()
    where: tuple[tuple[str, Any], ...] = ()   # cases: sample field -> value
    also: tuple[str, ...] = ()                # vs_size: other metrics of the same runs, drawn beside

    def __post_init__(self) -> None:
        if self.kind not in registry.views:
            raise ConfigError(f"view kind {self.kind!r} is not registered; registered: {', '.join(registry.views.names())} "
                              "(`claimbench list views`; a plug-in registers its own in the `claimbench.views` group).")


@dataclass(frozen=True)
class MetricMetadata:
    display_name: str
    description: str = ""
    views: tuple[View, ...] = ()
    in_tables: bool = True       # False: a breakdown whose overall value another entry already shows
    comparable_on: str = ""      # an extra key that must match for two values to compare (FID's network)

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self)))  # tuples as lists, as results.json holds them

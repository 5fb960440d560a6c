"""Project-made charts with known answers, in ChartQA's original layout (`test/test_synthetic.json`
beside `test/png/`), so offline chart QA runs use the same loader as the public set: the set
writer, which renders each chart and writes the questions of all of them.
"""
from __future__ import annotations

import json
from pathlib import Path

from claimbench.harness import atomic

from ..synthetic_set import render_set
from .chart_questions import chart_item
from .chart_rendering import render_chart
from .chart_specs import ChartItem

DATASET = "claimbench_charts"
ANNOTATIONS = "test/test_synthetic.json"


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

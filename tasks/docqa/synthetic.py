"""Write the project-made chart and document QA sets (generators/charts.py, generators/documents.py)
where the data layer looks for them, so the synthetic tasks run offline with no setup:

    python -m claimbench.tasks.docqa.synthetic [--out DIR] [--charts N] [--documents N] [--seed S]

The default DIR is the cache's data folder (~/.cache/claimbench/data, or $CLAIMBENCH_CACHE_DIR/data),
which holds claimbench_charts/test/test_synthetic.json and claimbench_docs/val/val_v1.0.json after
a run. The same arguments always give byte-identical files.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from claimbench.harness.paths import cache_dir

from .generators.charts import write_charts
from .generators.documents import write_documents

__all__ = ["main", "write_charts", "write_documents"]


def _count(text: str, minimum: int) -> int:
    """An argparse type: an integer of at least `minimum`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m claimbench.tasks.docqa.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the two datasets (default: the cache's data folder)")
    parser.add_argument("--charts", type=lambda s: _count(s, 1), default=500, help="number of charts (2 questions each)")
    parser.add_argument("--documents", type=lambda s: _count(s, 1), default=300, help="number of pages (2-3 questions each)")
    parser.add_argument("--seed", type=lambda s: _count(s, 0), default=0, help="base seed (non-negative)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out or cache_dir() / "data"
    start = time.perf_counter()
    charts = write_charts(out, args.charts, args.seed, progress=True)
    docs = write_documents(out, args.documents, args.seed, progress=True)
    chart_questions = len(json.loads(charts.read_text(encoding="utf-8")))
    doc_questions = len(json.loads(docs.read_text(encoding="utf-8"))["data"])
    print(f"charts:    {args.charts} images, {chart_questions} questions -> {charts}")
    print(f"documents: {args.documents} images, {doc_questions} questions -> {docs}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

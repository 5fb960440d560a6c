"""What writing either project-made set shares: n items rendered in order, with a progress bar."""
from __future__ import annotations

from collections.abc import Callable


def render_set(n: int, what: str, unit: str, progress: bool, one: Callable[[int], list[dict]]) -> list[dict]:
    """The rows of items 0..n-1, each written by `one(index)`, which returns that item's rows."""
    from tqdm.auto import tqdm

    if n < 1:
        raise ValueError(f"the number of {what} must be positive, got {n}")
    rows: list[dict] = []
    for index in tqdm(range(n), desc=what, unit=unit, disable=not progress, dynamic_ncols=True):
        rows.extend(one(index))
    return rows

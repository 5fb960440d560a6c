"""The one typeface pages are laid out and drawn in: DejaVu Sans (bundled with matplotlib, so
present wherever the project runs), and word wrap measured in it. Layouts and rendering both
use it, so it sits apart from either.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def font(size: int, style: str = "regular"):
    """DejaVu Sans from matplotlib's own data folder: always installed with the project, never PIL's bitmap font."""
    import matplotlib
    from PIL import ImageFont

    name = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "italic": "DejaVuSans-Oblique.ttf"}[style]
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def wrap(text: str, size: int, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels at `size` px."""
    lines: list[str] = []
    for word in text.split():
        if lines and font(size).getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines

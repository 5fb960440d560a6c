"""The Jinja2 environment that renders every page: autoescaping on, so model names,
answers and prompts from result files always reach the page as text, never as markup."""
from __future__ import annotations

from pathlib import Path

import jinja2

from .formatting import description, display_name, fmt, fmt_ci, unit_of

TEMPLATES = Path(__file__).with_name("templates")


def environment(*template_dirs: Path) -> jinja2.Environment:
    """Templates from `template_dirs` first, then the shared ones here (base.html.j2)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([*map(str, template_dirs), str(TEMPLATES)]),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = lambda value, unit: fmt(unit, value)
    env.filters["fmt_ci"] = lambda ci, unit: fmt_ci(unit, ci)
    env.filters["unit"] = unit_of
    env.filters["description"] = description
    env.filters["display_name"] = display_name
    env.filters["clip"] = lambda text, n=600: text if len(text) <= n else text[:n] + f"… ({len(text) - n} more characters)"
    return env

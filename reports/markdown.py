"""Markdown and CSV text from names anyone can choose (task, model and metric names come from
task files, plug-ins and results in pull requests), rendered inert.

Markdown: the characters that make a link target, an autolink, HTML, a code span or a new
table cell are backslash-escaped (`[x](...)` without its parentheses is plain text: a table
row cannot hold the reference definition a bare `[x]` would need), so readable names keep
their underscores and CIs their brackets; links point only to http(s) or relative targets.
CSV: a text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
leading apostrophe (OWASP's advice). In both, control and formatting characters (a terminal
escape, a bidi override) are written as escapes (harness.visible).
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from claimbench.harness.visible import visible

_SPECIAL = re.compile(r"([\\`()<>|])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: object) -> str:
    """`value` as literal Markdown text (also safe inside a table cell)."""
    return _SPECIAL.sub(r"\\\1", " ".join(visible(value).splitlines()))


def safe_href(href: str) -> str | None:
    """The link target percent-encoded, or None unless it is http(s) or relative."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (not parts.scheme and href.startswith("//")):
        return None
    return quote(href, safe="/:#?&=%.-_~+")


def link(label: str, href: str) -> str:
    """[label](href) with the label escaped; a target of another scheme leaves the label unlinked."""
    target = safe_href(href)
    return f"[{text(label)}]({target})" if target else text(label)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: numbers pass, formula-like text is prefixed with '."""
    if isinstance(value, str):
        value = visible(value)
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value

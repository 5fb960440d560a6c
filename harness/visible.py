"""Names from files anyone can write (a results.json in a pull request, a plug-in's task) shown
inert: a control or formatting character would move the cursor, recolour or rewrite a terminal
line, or reorder what a reader sees, so each is written as its escape (ESC -> \\x1b,
RIGHT-TO-LEFT OVERRIDE -> \\u202e)."""
from __future__ import annotations

import unicodedata

_HIDDEN = ("Cc", "Cf", "Zl", "Zp")  # controls, formatting (bidi, zero-width), line and paragraph separators


def visible(value: object) -> str:
    """`value` as text whose control and formatting characters are escapes (newlines and tabs kept)."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) not in _HIDDEN else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in str(value))

"""Every relative link in the README and docs/ resolves to a file inside the repository."""
from __future__ import annotations

import re

from conftest import REPO

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_resolves_inside_the_repository():
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for link in LINK.findall(page.read_text(encoding="utf-8")):
            if link.startswith(("http://", "https://", "mailto:", "#")):
                continue
            target = (page.parent / link.split("#")[0]).resolve()
            if not target.exists() or not target.is_relative_to(REPO):
                broken.append(f"{page.relative_to(REPO)}: {link}")
    assert not broken

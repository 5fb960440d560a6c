"""docs/plugins.md quotes tests/plugin_pkg and carries tables generated from the code: both must
still match, so the guide a plug-in author follows cannot drift from what runs."""
import re
from pathlib import Path

from claimbench.harness import reference

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "plugins.md"
QUOTE = re.compile(r"<!-- quote: (\S+) -->\n```\w*\n(.*?)\n```", re.S)
GENERATED = re.compile(r"<!-- generated: claimbench\.harness\.reference -->\n(.*)\n<!-- end generated -->", re.S)


def test_every_quote_in_the_plugin_guide_is_in_its_file():
    quotes = QUOTE.findall(GUIDE.read_text())
    assert len(quotes) >= 8
    stale = [(path, block.splitlines()[0]) for path, block in quotes if block not in (REPO / path).read_text()]
    assert not stale, f"docs/plugins.md quotes text its files no longer hold: {stale}"


def test_the_guide_reference_tables_are_generated_from_the_code():
    found = GENERATED.search(GUIDE.read_text())
    assert found, "docs/plugins.md lost its generated section"
    assert found.group(1).strip() == reference.markdown(), (
        "docs/plugins.md is out of date: replace its generated section with claimbench.harness.reference.markdown()")

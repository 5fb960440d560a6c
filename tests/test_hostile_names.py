"""Markdown and CSV outputs stay inert whatever the task and model names hold: rendered by a real
CommonMark renderer (markdown-it-py, GFM tables) they carry no HTML, no javascript: link; a
spreadsheet reads no formula from the CSV."""
from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import REPO, run_cli
from test_confinement import crafted_result

from claimbench.reports import markdown

MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt

HOSTILE_MODEL = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE_TASK = "[click](javascript:alert(3))"
FORMULA_MODEL = '=HYPERLINK("http://evil.example","x")'


def render(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


def assert_inert(html: str) -> None:
    """No tag from a name survived, and no link has a scheme other than http(s)."""
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert not re.search(r'href="(?!https?://)[a-z][a-z0-9+.-]*:', html, re.IGNORECASE)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    crafted_result(tmp, "a", HOSTILE_TASK, HOSTILE_MODEL)
    crafted_result(tmp, "b", HOSTILE_TASK, FORMULA_MODEL)
    crafted_result(tmp, "c", "bamboogle", "[x](javascript:alert(4)) | <b>bold</b>")
    readme = tmp / "README.md"
    readme.write_text("# t\n\n<!-- leaderboard:start -->\n<!-- leaderboard:end -->\n")
    site = tmp / "site"
    res = run_cli("leaderboard", str(tmp / "results"), "--out", str(site), "--readme", str(readme), "--no-progress")
    assert res.returncode == 0, res.stderr
    return site, readme


def test_markdown_outputs_render_without_html_or_script_links(hostile_site):
    site, readme = hostile_site
    files = [site / "leaderboard.md", site / "summary.md", readme, *(site / "tables").glob("*.md")]
    assert len(files) >= 5
    shown = 0
    for f in files:
        text = f.read_text()
        html = render(text)
        assert_inert(html)
        if "<script" in text.replace("\\", ""):  # a file with the hostile model's row: its name shows as text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f
            shown += 1
    assert shown >= 4  # leaderboard.md, summary.md, the README table and the hostile task's table
    table = render((site / "summary.md").read_text())
    assert table.count("<tr>") == 4  # header + three runs: the `|` in a name did not add cells
    assert 'href="runs/' in table  # our own relative links survive


def test_csv_cells_are_not_formulas(hostile_site):
    site, _ = hostile_site
    cells = [c for f in (site / "tables").glob("*.csv") for row in csv.reader(io.StringIO(f.read_text())) for c in row]
    assert any(c == "'" + FORMULA_MODEL for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    numbers = [c for c in cells if c.startswith("-")]
    assert all(float(c) < 0 for c in numbers)  # negative numbers stay numbers


def test_link_targets_limited_to_http_and_relative():
    assert markdown.link("x", "runs/a.html") == "[x](runs/a.html)"
    assert markdown.link("x", "https://example.org/a b") == "[x](https://example.org/a%20b)"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>", "//evil.example/x", "vbscript:x"):
        assert "](" not in markdown.link("x", bad), bad


def test_compare_summary_escapes_names(tmp_path):
    run = tmp_path / "run"
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--output", str(run), "--cache", ":memory:",
                  "--no-progress", "--limit", "5")
    assert res.returncode == 0, res.stderr
    hostile = tmp_path / "<img src=x onerror=alert(1)>"
    run.rename(hostile)
    out = run_cli("compare", str(hostile), str(hostile), env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert out.returncode == 0, out.stderr
    assert_inert(render((tmp_path / "summary.md").read_text()))


def test_the_projects_summary_table_stays_readable():
    """Escaping leaves ordinary names readable: underscores and CI brackets are not escaped."""
    block = (REPO / "leaderboards" / "site" / "summary.md").read_text()
    assert "compositional_celebrities" in block and "\\_" not in block and "\\[" not in block


ESCAPES = "\x1b[2J\x1b]0;pwned\x07evil\u202egnp.exe\x00"


def test_escape_sequences_in_names_reach_no_terminal_markdown_or_csv(tmp_path):
    """A label that would clear the screen, retitle the terminal or reverse the text is shown as
    escapes everywhere it is printed or written."""
    folder = crafted_result(tmp_path, "esc", "bamboogle", ESCAPES)
    shown = run_cli("show", str(folder))
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout and "\\x1b[2J\\x1b]0;pwned\\x07evil\\u202e" in shown.stdout
    site = tmp_path / "site"
    assert run_cli("leaderboard", str(tmp_path / "results"), "--out", str(site), "--no-progress").returncode == 0
    for f in [site / "leaderboard.md", site / "summary.md", *(site / "tables").glob("*.*")]:
        text = f.read_text()
        assert not any(c in text for c in "\x1b\x07\x00\u202e"), f
    assert "\\x1b[2J" in (site / "summary.md").read_text()
    compared = run_cli("compare", str(folder), str(folder))
    assert "\x1b" not in compared.stdout + compared.stderr and "\\x1b" in compared.stdout

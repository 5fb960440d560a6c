"""The OCR baseline: the answer picker's rules on hand-made word boxes (pure logic), and the real
path, Tesseract reading a rendered page, through the harness. CI installs Tesseract and sets
CLAIMBENCH_REQUIRE_TESSERACT=1 so that there these tests fail instead of skipping."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics.anls import anls
from claimbench.harness.model import load_model
from claimbench.models.ocr_baseline.answer_picker import Word, as_number, pick


def line(y: int, *texts: str, x: int = 10) -> list[Word]:
    """Words of one printed line, 12 px per character, a space's width apart."""
    out = []
    for t in texts:
        out.append(Word(t, x, y, 12 * len(t), 20))
        x += 12 * len(t) + 12
    return out


FORM = [*line(10, "Invoice", "number:", "INV-0042"), *line(50, "Date:", "March", "3,", "2021"),
        *line(90, "Total", "amount"), *line(130, "$1,234.50"), *line(170, "Employee", "ID:"),
        *line(170, "E-5077", x=400)]
TABLE = [*line(10, "Item", x=10), *line(10, "Qty", x=300), *line(10, "Price", x=400),
         *line(50, "Office", "Chair", x=10), *line(50, "12", x=300), *line(50, "$240.47", x=400),
         *line(90, "Desk", "Lamp", x=10), *line(90, "3", x=300), *line(90, "$54.01", x=400),
         *line(130, "Paper", x=10), *line(130, "7", x=300), *line(130, "$5.10", x=400)]
CHART = [*line(10, "Sales", "by", "country"), *line(60, "120", x=40), *line(60, "75", x=140, ),
         *line(35, "310", x=240), *line(200, "France", x=30), *line(200, "Spain", x=130), *line(200, "Italy", x=230),
         *line(80, "0", x=0), *line(130, "100", x=-24), *line(180, "200", x=-24)]


def test_picker_reads_the_value_after_the_key_or_on_the_next_line():
    assert pick(FORM, "What is the invoice number?") == "INV-0042"
    assert pick(FORM, "What is the date?") == "March 3, 2021"
    assert pick(FORM, "What is the total amount?") == "$1,234.50"  # the key line is empty: the line below
    assert pick(FORM, "What is the employee ID?") == "E-5077"        # the next segment of the row
    assert pick(FORM, "Who signed the letter?") == ""                # nothing shared, no number asked


def test_picker_reads_a_table_cell_under_its_header():
    assert pick(TABLE, "What is the qty of Desk Lamp?") == "3"
    assert pick(TABLE, "What is the price of Office Chair?") == "$240.47"


def test_picker_compares_and_finds_extremes_by_nearest_numbers():
    assert pick(CHART, "Which is larger, France or Spain?") == "France"
    assert pick(CHART, "Which is smaller, Italy or Spain?") == "Spain"
    assert pick(CHART, "Which country has the highest sales?") == "Italy"
    assert pick(CHART, "What is the value of Spain?") == "75"


def test_picker_counts_computes_and_finds_titles():
    assert pick(CHART, "How many bars are there in the chart?") == "3"             # the data values
    assert pick(CHART, "For how many countries is the value above 100?") == "2"
    assert pick(CHART, "What is the sum of the sales for France and Spain?") == "195"
    assert pick(CHART, "What is the difference between Italy and Spain?") == "235"
    assert pick(CHART, "What is the average sales across all countries?") == "168.33"
    big = [Word("QUARTERLY", 10, -80, 200, 40), Word("REPORT", 230, -80, 150, 40), *FORM]
    assert pick(big, "What is the title of the document?") == "QUARTERLY REPORT"


def test_axis_ticks_are_not_data_but_a_table_column_is():
    from claimbench.models.ocr_baseline.answer_picker import Page

    chart = {w.text for w, _ in Page(CHART, [], []).data}
    assert chart == {"120", "75", "310"}                          # 0, 100, 200 step evenly: a y axis
    table = {w.text for w, _ in Page(TABLE, [], []).data}
    assert table == {"12", "3", "7", "$240.47", "$54.01", "$5.10"}  # columns that do not step evenly


def test_numbers_as_printed():
    assert as_number("$1,234.50") == 1234.5 and as_number("42%") == 42 and as_number("(3.5)") == 3.5
    assert as_number("INV-0042") is None and as_number("2021") == 2021


def test_bad_options_name_the_fix():
    with pytest.raises(ConfigError, match="psm"):
        load_model("ocr-baseline:psm=40")
    with pytest.raises(ConfigError, match="lang"):
        load_model("ocr-baseline:lang=../etc")


def have_tesseract() -> bool:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        found = False
    else:
        found = shutil.which("tesseract") is not None
    if not found and os.environ.get("CLAIMBENCH_REQUIRE_TESSERACT"):
        raise RuntimeError("CLAIMBENCH_REQUIRE_TESSERACT is set but tesseract or pytesseract is missing")
    return found


needs_tesseract = pytest.mark.skipif(not have_tesseract(), reason="tesseract-ocr and pytesseract are not installed")


def render_form(path, fields: dict[str, str]) -> None:
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 26)
    im = Image.new("RGB", (900, 120 + 70 * len(fields)), "white")
    draw = ImageDraw.Draw(im)
    for i, (key, value) in enumerate(fields.items()):
        draw.text((50, 50 + 70 * i), f"{key}: {value}", fill="black", font=font)
    im.save(path)


@needs_tesseract
def test_tesseract_reads_a_rendered_form_through_the_harness(tmp_path):
    """A real page, a real OCR engine, the real task path. Answers are compared by ANLS, not
    exactly: an OCR engine's output may differ slightly between builds and machines."""
    forms = [{"Invoice number": "INV-20931", "Date": "March 3, 2021", "Total amount": "$1,234.50"},
             {"Invoice number": "INV-77310", "Date": "June 18, 2019", "Total amount": "$56.20"}]
    (tmp_path / "documents").mkdir()
    rows = []
    for d, fields in enumerate(forms):
        render_form(tmp_path / "documents" / f"d{d}.png", fields)
        for key, value in fields.items():
            rows.append({"questionId": len(rows), "question": f"What is the {key.lower()}?", "question_types": ["form"],
                         "image": f"documents/d{d}.png", "docId": d, "answers": [value]})
    data = tmp_path / "val_v1.0.json"
    data.write_text(json.dumps({"dataset_name": "forms", "data": rows}))
    [r] = evaluate("ocr-baseline", [f"docvqa:path={data}"], output=tmp_path / "out", cache=":memory:")
    [log] = (tmp_path / "out").glob("*/samples.jsonl")
    samples = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(samples) == 6
    for s in samples:
        assert anls(s["prediction"], s["references"]) >= 0.8, s
    assert r.metrics["anls"]["value"] >= 0.8
    assert set(r.metrics["anls"]["extra"]["groups"]) == {"form"}

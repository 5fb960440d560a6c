"""The OCR baseline's answer picker: a documented heuristic over OCR words, to set a floor.

The page's words (text + box) are grouped into visual rows by their vertical position and each
row into segments at wide gaps (a form's label and its value, a table's cells, a chart's tick
label and its bar's value). Numbers are data values unless they are axis ticks (three or more
evenly stepped numbers in one column or row) or sit inside text (a title's year). The question's
words (crudely stemmed, "Qty" read as quantity) find anchors on the page. In this order:
1. "Which is larger/smaller, A or B?": the option whose anchor's aligned value wins.
2. "What is the title?": the segment printed largest.
3. "Which ... highest/lowest ...?": the label aligned with the largest (smallest) data value.
4. "How many ...?": the data values above/below a threshold the question names, else the number
   of data values, else the longest run of labels sharing a row or a right edge.
5. "The sum of A and B", "the difference between A and B", "the average ... across all ...":
   computed from the values aligned with A and B, or from all data values.
6. A table cell: two anchors in different rows (a column header, an item): the item row's word
   under the header.
7. A quantity asked of a label (a segment of at most three words): the value aligned with it.
8. Otherwise the text after the best anchor segment (names and numbers of the question count
   double, unshared words count against): the rest of the segment, else the next segment of its
   row, else the text under it; then the part that answers the question: a number for a
   quantity, a date, a time, a run of capitalised words for who/where/which company, else at
   most six words. Fallbacks: the first date on the page for a date question, the value aligned
   with any anchor for a quantity, else "".
"Aligned" means sharing a row or a column (centred, left or right), then near. It reads no
colours or shapes and knows nothing of any dataset.
"""
from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

STOPWORDS = frozenset(
    "a an and are as at be by does did do for from has have how in is it its of on or per the this to was what "
    "when where which who whom whose will with value values according chart graph figure document shown shows "
    "show given many much".split())
QUANTITY = re.compile(r"\b(how many|how much|value|total|amount|price|cost|percentage|percent|share|sum|"
                      r"average|difference|quantity|rate|count|number of|fee|budget|subtotal|tax)\b", re.I)
ABBREVIATIONS = {"qty": "quantity", "amt": "amount", "no": "number", "tel": "phone", "dept": "department"}
NUMBER = re.compile(r"^[($€£-]*\d[\d,]*(\.\d+)?[%)]*[.:,]?$")
HIGH = re.compile(r"\b(highest|largest|greatest|maximum|most|biggest|larger|higher|greater|bigger|more)\b", re.I)
LOW = re.compile(r"\b(lowest|smallest|least|minimum|fewest|smaller|lower|less|fewer)\b", re.I)
CHOICE = re.compile(r"([^,:?]+?)\s+or\s+([^,?]+?)\s*\??$", re.I)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}, \d{4}|\d{1,2}/\d{1,2}/\d{2,4}")
TIME = re.compile(r"\d{1,2}:\d{2}(?: ?[AaPp]\.?[Mm]\.?)?")
ARITHMETIC = re.compile(r"\b(sum)\b of|\b(difference)\b between|\b(average)\b .*\b(?:across|over) all\b", re.I)
ABOVE = re.compile(r"\b(above|more than|greater than|over|exceed\w*)\s+\$?(-?[\d.,]+)", re.I)
BELOW = re.compile(r"\b(below|less than|under)\s+\$?(-?[\d.,]+)", re.I)
TITLE = re.compile(r"\b(?<!job )(title|heading)\b", re.I)
NAME = re.compile(r"(?:[A-Z][\w.&'-]*)(?: (?:[A-Z][\w.&'-]*|&|of|and))*")


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2

    @property
    def right(self) -> int:
        return self.left + self.width


def tokens(text: str) -> list[str]:
    """Lower-case content words of a question or a word box, punctuation stripped, common
    abbreviations spelled out (a table's "Qty" answers "What is the quantity ...")."""
    out = []
    for t in re.findall(r"[\w.%$-]+", text.lower()):
        t = t.strip(".-")
        if t and t not in STOPWORDS:
            out.append(_stem(ABBREVIATIONS.get(t, t)))
    return out


def _stem(word: str) -> str:
    """A crude stem, so that "billed" finds "Bill To" and "units" finds "Unit": -ed and a plural -s dropped."""
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def shares(word: Word, q: list[str]) -> bool:
    """Whether a word box shares a content word with the question's `q`."""
    return any(t in q for t in tokens(word.text))


def as_number(text: str) -> float | None:
    """The value of a printed number ("$1,234.50", "42%", "(3.5)"), or None."""
    if not NUMBER.match(text):
        return None
    try:
        return float(re.sub(r"[^\d.]", "", text.rstrip(".:,")))
    except ValueError:
        return None


def clean(text: str) -> str:
    return text.strip().rstrip(":,;.").strip()


def rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual rows (vertical centres within half a word's height), left to right."""
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.center[1]):
        if out and abs(w.center[1] - statistics.fmean(x.center[1] for x in out[-1])) <= w.height / 2:
            out[-1].append(w)
        else:
            out.append([w])
    return [sorted(r, key=lambda w: w.left) for r in out]


def segments(row: list[Word]) -> list[list[Word]]:
    """A row cut where the gap between two words exceeds twice the word height."""
    out = [[row[0]]]
    for prev, w in zip(row, row[1:]):
        if w.left - prev.right > 2 * max(prev.height, w.height):
            out.append([w])
        else:
            out[-1].append(w)
    return out


def pick(words: list[Word], question: str) -> str:
    """The baseline's answer to `question` from the page's OCR `words` (see the module docstring)."""
    if not words:
        return ""
    q = tokens(question)
    # names and numbers the question mentions (not its first word): the likeliest anchors
    names = tokens(" ".join(w for w in question.split()[1:] if w[:1].isupper() or any(c.isdigit() for c in w)))
    page = Page(words, q, names)
    high, low = bool(HIGH.search(question)), bool(LOW.search(question))
    choice = CHOICE.search(question)
    if choice and (high or low):
        return page.choose(tokens(choice.group(1)), tokens(choice.group(2)), high)
    if TITLE.search(question):
        return page.heading()
    if question.lower().startswith("which") and (high or low):
        return page.extreme(high)
    if question.lower().startswith(("how many", "for how many")):
        return page.count(question)
    if m := ARITHMETIC.search(question):
        return page.arithmetic(next(g for g in m.groups() if g).lower(), question)
    wants_number = bool(QUANTITY.search(question))
    cell = page.cell()
    if cell:
        return shape(cell, question, wants_number) or clean(cell)
    anchor = page.anchor_segment()
    if wants_number and anchor and len(anchor[1]) <= 3:  # a label (a chart's category, a form's short key)
        value = page.aligned_value(box(anchor[1]))
        return clean(value[0].text).rstrip("%") if value else ""
    answer = page.after_anchor(anchor)
    answer = shape(answer, question, wants_number) if answer else ""
    if answer:
        return answer
    return page.fallback(question, wants_number)


def shape(text: str, question: str, wants_number: bool) -> str:
    """The part of `text` that answers the kind of question asked."""
    lower = question.lower()
    if "time" in lower and (m := TIME.search(text)):
        return m.group(0)
    if lower.startswith("when") or " date" in lower:
        m = DATE.search(text)
        return m.group(0) if m else ""
    if wants_number:
        return next((clean(t) for t in text.split() if as_number(t) is not None), "")
    if lower.startswith(("who", "where", "which company", "which department", "what company")):
        m = NAME.search(text)
        return clean(m.group(0)) if m else ""
    return clean(" ".join(text.split()[:6]))


class Page:
    """A page's rows and segments, and the question's anchors on it."""

    def __init__(self, words: list[Word], q: list[str], names: list[str]):
        self.words, self.q, self.names = words, q, names
        self.rows = rows(words)
        self.segments = [segments(row) for row in self.rows]  # per row, cut once
        self.numbers = [(w, v) for w in words if (v := as_number(w.text)) is not None]
        self.ticks = _ticks(self.numbers)
        in_text = {w for segs in self.segments for seg in segs if len(seg) > 1 for w in seg}
        # data values: numbers standing alone (a bar's label), not ticks, not inside text (a title's year)
        self.data = [(w, v) for w, v in self.numbers if w not in self.ticks and w not in in_text]
        self.values = self.data or [(w, v) for w, v in self.numbers if w not in self.ticks]
        self.labels = [w for segs in self.segments for seg in segs if len(seg) <= 3 for w in seg
                       if (w in self.ticks or as_number(w.text) is None) and any(c.isalnum() for c in w.text)
                       and not shares(w, q)]

    def anchors(self, q: list[str]) -> list[Word]:
        return [w for w in self.words if shares(w, q)]

    def aligned_value(self, anchor: Word) -> tuple[Word, float] | None:
        """The data value on the anchor's row or column (a bar's label and its value)."""
        if not self.values:
            return None
        return min(self.values, key=lambda nv: _alignment(nv[0], anchor))

    def choose(self, a: list[str], b: list[str], high: bool) -> str:
        """The option whose aligned value is the larger (smaller), as the page spells it."""
        best = []
        for option in (a, b):
            found = [(w, v) for w in self.anchors([t for t in option if t not in b or t not in a])
                     if (v := self.aligned_value(w)) is not None]
            if found:
                w, (_, value) = min(found, key=lambda f: _alignment(f[1][0], f[0]))
                best.append((value, w.text))
        if len(best) < 2:
            return ""
        return clean((max if high else min)(best)[1])

    def extreme(self, high: bool) -> str:
        """The label (a short segment's word, not the question's) aligned with the largest (smallest) data value."""
        if not self.data or not self.labels:
            return ""
        target = (max if high else min)(self.data, key=lambda nv: nv[1])[0]
        return clean(min(self.labels, key=lambda w: _alignment(w, target)).text)

    def heading(self) -> str:
        """The segment printed largest (a title)."""
        segs = [seg for row_segs in self.segments for seg in row_segs]
        return clean(" ".join(w.text for w in max(segs, key=lambda seg: statistics.fmean(w.height for w in seg))))

    def cell(self) -> str:
        """Two anchors in different rows, the upper one a column header: the item row's word under it."""
        hits = [(i, w) for i, row in enumerate(self.rows) for w in row if shares(w, self.q)]
        for i, header in hits:
            for j, item in hits:
                if j > i and item.left < header.left - header.width:
                    below = [w for w in self.rows[j] if w.left >= header.left - header.width and w is not item]
                    if below:
                        return min(below, key=lambda w: abs(w.center[0] - header.center[0])).text
        return ""

    def anchor_segment(self) -> tuple[int, list[Word], int] | None:
        """(row index, segment, index of its last anchor word) of the segment that best matches the
        question: 2 per shared name or number ("Routers", "2017"), 1 per other shared word, -0.5 per
        word not shared (so a label "Routers" beats a title "Units sold by product, 2017", and a key
        "Invoice No.:" beats a heading "INVOICE")."""
        best, found = 0.0, None
        for i, row_segs in enumerate(self.segments):
            for seg in row_segs:
                hits = [j for j, w in enumerate(seg) if shares(w, self.q)]
                score = sum(2 if shares(seg[j], self.names) else 1 for j in hits)
                score -= 0.5 * (len(seg) - len(hits))
                if hits and score > best:
                    best, found = score, (i, seg, hits[-1])
        return found

    def after_anchor(self, anchor: tuple[int, list[Word], int] | None) -> str:
        """The text after the anchor: the rest of its segment, the next segment, or the text below."""
        if anchor is None:
            return ""
        i, seg, last = anchor
        segs = self.segments[i]
        k = next(n for n, s in enumerate(segs) if s[0] is seg[0])
        rest = seg[last + 1:] or (segs[k + 1] if k + 1 < len(segs) else [])
        if not rest and i + 1 < len(self.rows):
            rest = [w for w in self.rows[i + 1] if w.right > seg[0].left and w.left < seg[-1].right]
        return " ".join(w.text for w in rest)

    def count(self, question: str) -> str:
        """How many data values pass a threshold, or how many marks (values, else aligned labels) there are."""
        values = [v for _, v in self.data]
        for pattern, passes in ((ABOVE, lambda v, t: v > t), (BELOW, lambda v, t: v < t)):
            if m := pattern.search(question):
                threshold = as_number(m.group(2).rstrip(".,"))
                return str(sum(passes(v, threshold) for v in values)) if threshold is not None else ""
        if len(values) >= 2:
            return str(len(values))
        labels = [w for w in self.words if as_number(w.text) is None and any(c.isalpha() for c in w.text)]
        groups: dict[tuple[str, int], int] = {}
        for w in labels:  # a category axis: labels sharing a row, or a right edge
            for key in (("row", round(w.center[1] / 6)), ("column", round(w.right / 6))):
                groups[key] = groups.get(key, 0) + 1
        return str(max(groups.values())) if groups else ""

    def arithmetic(self, op: str, question: str) -> str:
        """The sum or difference of the values aligned with the question's two anchors, or the
        average of all data values ("across all years")."""
        if op == "average":
            values = [v for _, v in self.data]
            return _format(sum(values) / len(values)) if values else ""
        m = re.search(r"(?:between|of|for)\s+(?:the\s+)?(.+?)\s+and\s+(.+?)(?:\s+(?:in|for)\s+.*)?\?", question)
        if not m:
            return ""
        picked = []
        for option in (m.group(1), m.group(2)):
            anchors = self.anchors(tokens(option.split()[-1]))
            found = [v for a in anchors if (v := self.aligned_value(a))]
            if not found:
                return ""
            picked.append(min(found, key=lambda nv: min(_alignment(nv[0], a) for a in anchors))[1])
        return _format(sum(picked) if op == "sum" else abs(picked[0] - picked[1]))

    def fallback(self, question: str, wants_number: bool) -> str:
        lower = question.lower()
        text = " ".join(w.text for r in self.rows for w in r)
        if lower.startswith("when") or " date" in lower:
            m = DATE.search(text)
            return m.group(0) if m else ""
        anchors = self.anchors(self.q)
        if wants_number and anchors and (found := [v for a in anchors if (v := self.aligned_value(a))]):
            return clean(min(found, key=lambda nv: min(_alignment(nv[0], a) for a in anchors))[0].text)
        return ""


def box(words: list[Word]) -> Word:
    """One box around several words (a segment such as "Total amount")."""
    left, top = min(w.left for w in words), min(w.top for w in words)
    return Word(" ".join(w.text for w in words), left, top, max(w.right for w in words) - left,
                max(w.top + w.height for w in words) - top)


def _alignment(a: Word, b: Word) -> float:
    """Small when a and b share a row or a column (centred, left- or right-aligned): the smallest
    offset, plus a tenth of the distance."""
    (ax, ay), (bx, by) = a.center, b.center
    offsets = (abs(ax - bx), abs(a.left - b.left), abs(a.right - b.right), abs(ay - by))
    return min(offsets) + 0.1 * math.hypot(ax - bx, ay - by)


def _ticks(numbers: list[tuple[Word, float]]) -> set[Word]:
    """Axis tick labels: three or more numbers in one column (a y axis) or one row (an x axis) whose
    values step evenly (0, 100, 200; 2015, 2016, 2017), unlike a table's column of amounts."""
    ticks: set[Word] = set()
    axes = ((lambda w: round(w.right / 6), lambda w: w.top), (lambda w: round(w.center[1] / 6), lambda w: w.left))
    for key, position in axes:
        groups: dict[int, list[tuple[Word, float]]] = {}
        for w, v in numbers:
            groups.setdefault(key(w), []).append((w, v))
        for group in groups.values():
            ordered = [v for _, v in sorted(group, key=lambda wv: position(wv[0]))]
            steps = {round(b - a, 6) for a, b in zip(ordered, ordered[1:])}
            if len(group) >= 3 and len(steps) == 1:
                ticks.update(w for w, _ in group)
    return ticks


def _format(value: float) -> str:
    """A computed number as charts' answers print it: two decimals at most, no trailing zeros."""
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")

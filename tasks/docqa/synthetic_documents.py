"""Project-made document pages with known answers, in DocVQA's original layout
(`val/val_v1.0.json` beside `val/documents/`), so offline document QA runs use the same loader
as the public set.

Each page is a pure `Document`: a list of drawing items (text, boxes, rules) and 2-3 questions
whose first gold answer is text printed on the page, built from a random.Random seeded by
(seed, index) so page i is the same in every run of any length. Pages are forms, invoices and
letters in turn, rendered by PIL in DejaVu Sans (bundled with matplotlib, so present wherever
the project runs) at 18 px or more, large enough for OCR.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from claimbench.harness import atomic

from .synthetic_set import render_set

DATASET = "claimbench_docs"
ANNOTATIONS = "val/val_v1.0.json"
QUESTION_TYPES = ("form", "table/list", "layout", "free_text")
KINDS = ("form", "invoice", "letter")
PAGE = (1000, 1300)
_LEFT, _RIGHT = 70, 930
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    size: int = 22
    style: str = "regular"  # regular | bold | italic
    anchor: str = "la"      # PIL anchors: la left, ra right, ma centred (top of the ascender)


@dataclass(frozen=True)
class Rect:
    box: tuple[int, int, int, int]
    width: int = 2
    fill: int | None = None


@dataclass(frozen=True)
class Rule:
    points: tuple[int, int, int, int]
    width: int = 2


@dataclass(frozen=True)
class DocQuestion:
    question: str
    answers: tuple[str, ...]
    question_types: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    kind: str
    items: tuple[Text | Rect | Rule, ...]
    questions: tuple[DocQuestion, ...]

    def text(self) -> str:
        """All printed text in drawing order, lines joined by spaces (wrapped lines rejoin as written)."""
        return " ".join(item.text for item in self.items if isinstance(item, Text))


_FIRST = ("James", "Maria", "Daniel", "Aisha", "Thomas", "Elena", "Samuel", "Priya", "Lucas", "Hannah", "Omar",
          "Grace", "Victor", "Julia", "Noah", "Leila", "Peter", "Sofia", "Marcus", "Clara", "Ethan", "Nadia")
_LAST = ("Whitfield", "Moreno", "Okafor", "Lindqvist", "Patel", "Brennan", "Kowalski", "Ferreira", "Nakamura",
         "Dubois", "Hartley", "Castillo", "Adeyemi", "Novak", "Sinclair", "Romano", "Bergstrom", "Quinn", "Mensah",
         "Fischer", "Delgado", "Ashworth")
_COMPANY = (("Blue Ridge", "Silver Oak", "Redwood", "Harbor Point", "Summit", "Granite", "Maple Leaf", "Crescent",
             "Pioneer", "Lakeside", "Cedar Grove", "Beacon", "Northgate", "Ironbridge", "Westfield"),
            ("Logistics", "Supplies", "Consulting", "Foods", "Engineering", "Textiles", "Analytics", "Printing",
             "Medical", "Electric", "Builders", "Software"),
            ("Inc.", "LLC", "Ltd.", "Co.", "Group"))
_STREETS = (("Oak", "Pine", "Elm", "Maple", "Cedar", "Lake", "Hill", "Park", "River", "Church", "Mill", "Station"),
            ("Street", "Avenue", "Road", "Lane", "Drive"))
_CITIES = (("Springfield", "IL"), ("Riverton", "WY"), ("Fairview", "OR"), ("Madison", "WI"), ("Georgetown", "TX"),
           ("Salem", "MA"), ("Franklin", "TN"), ("Clinton", "IA"), ("Ashland", "KY"), ("Dover", "DE"),
           ("Bristol", "CT"), ("Oxford", "MS"), ("Burlington", "VT"), ("Greenville", "SC"), ("Lancaster", "PA"))
_DEPARTMENTS = ("Finance", "Human Resources", "Marketing", "Operations", "Research", "Sales", "Logistics", "Legal")
_JOBS = ("Accountant", "Project Manager", "Sales Director", "Research Analyst", "Office Manager", "Engineer",
         "Operations Lead", "Legal Counsel", "Procurement Officer", "Chief Financial Officer")
_ITEMS = (("A4 Copy Paper (box)", 25, 60), ("Toner Cartridge", 45, 180), ("Office Chair", 120, 450),
          ("Desk Lamp", 18, 90), ("USB-C Cable", 6, 25), ("Wireless Mouse", 12, 60), ("Filing Cabinet", 150, 420),
          ("Whiteboard Markers", 5, 20), ("Safety Gloves (pair)", 3, 15), ("Shipping Labels (roll)", 8, 30),
          ("Consulting Hours", 80, 220), ("Installation Service", 150, 900), ("Laptop Stand", 25, 80),
          ("Label Printer", 90, 350), ("Storage Boxes", 10, 45))  # name, unit price range in dollars


class _Fake:
    """Invented names, places, dates and amounts for one page; dates are in one format per page."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.base = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        self.date_format = rng.randrange(4)
        self.holder = self.person()  # whom the page is about: a form's name and email agree

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def company(self) -> str:
        return " ".join(self.rng.choice(part) for part in _COMPANY)

    def street(self) -> str:
        return f"{self.rng.randint(12, 9800)} {self.rng.choice(_STREETS[0])} {self.rng.choice(_STREETS[1])}"

    def city(self) -> str:
        name, state = self.rng.choice(_CITIES)
        return f"{name}, {state} {self.rng.randint(10000, 99999)}"

    def phone(self) -> str:
        return f"({self.rng.randint(201, 989)}) {self.rng.randint(200, 999)}-{self.rng.randint(0, 9999):04d}"

    def email(self, person: str) -> str:
        domain = self.rng.choice(_COMPANY[0]).replace(" ", "").lower()
        return f"{person.replace(' ', '.').lower()}@{domain}.com"

    def date(self, lo: int = 0, hi: int = 0) -> str:
        d = self.base + dt.timedelta(days=self.rng.randint(lo, hi))
        return (f"{_MONTHS[d.month - 1]} {d.day}, {d.year}", f"{d.month:02d}/{d.day:02d}/{d.year}",
                d.isoformat(), f"{d.day} {_MONTHS[d.month - 1]} {d.year}")[self.date_format]

    def cents(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo * 100, hi * 100)

    def code(self, pattern: str) -> str:
        """`pattern` with every # replaced by a digit."""
        return "".join(str(self.rng.randrange(10)) if ch == "#" else ch for ch in pattern)


def money(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):,.2f}"


def _dollar_answers(printed: str) -> tuple[str, ...]:
    """A printed amount and the same amount with or without its dollar sign."""
    return (printed, printed[1:]) if printed.startswith("$") else (printed, "$" + printed)


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


def document(seed: int, index: int) -> Document:
    """Page `index` of the set made with `seed`: kinds take turns so every prefix has all three."""
    rng = random.Random(f"claimbench-docs:{seed}:{index}")
    kind = KINDS[index % len(KINDS)]
    items, required, optional = {"form": _form, "invoice": _invoice, "letter": _letter}[kind](_Fake(rng))
    k = rng.choice((2, 3)) - len(required)
    return Document(kind, tuple(items), (*required, *rng.sample(optional, k)))


Layout = tuple[list[Text | Rect | Rule], list[DocQuestion], list[DocQuestion]]  # items, always asked, drawn from


@dataclass(frozen=True)
class _Field:
    label: str
    question: str
    value: Callable[[_Fake], str]
    wide: bool = False


_FORMS = {
    "EMPLOYEE INFORMATION FORM": (
        _Field("Full Name", "What is the employee's full name?", lambda f: f.holder),
        _Field("Employee ID", "What is the employee ID?", lambda f: f.code("E-#####")),
        _Field("Department", "Which department does the employee work in?", lambda f: f.rng.choice(_DEPARTMENTS)),
        _Field("Job Title", "What is the employee's job title?", lambda f: f.rng.choice(_JOBS)),
        _Field("Start Date", "What is the start date?", lambda f: f.date(0, 0)),
        _Field("Phone", "What is the phone number?", _Fake.phone),
        _Field("Email", "What is the email address?", lambda f: f.email(f.holder), wide=True),
        _Field("Home Address", "What is the home address?", lambda f: f"{f.street()}, {f.city()}", wide=True)),
    "VENDOR REGISTRATION FORM": (
        _Field("Company Name", "What is the name of the vendor company?", _Fake.company, wide=True),
        _Field("Contact Person", "Who is the contact person?", lambda f: f.holder),
        _Field("Tax ID", "What is the tax ID?", lambda f: f.code("##-#######")),
        _Field("Phone", "What is the phone number?", _Fake.phone),
        _Field("Registration Date", "What is the registration date?", lambda f: f.date(0, 0)),
        _Field("Email", "What is the email address?", lambda f: f.email(f.holder), wide=True),
        _Field("Business Address", "What is the business address?", lambda f: f"{f.street()}, {f.city()}", wide=True),
        _Field("Payment Terms", "What are the payment terms?", lambda f: f.rng.choice(("Net 15", "Net 30", "Net 45")))),
    "TRAVEL REQUEST FORM": (
        _Field("Traveler Name", "Who is the traveler?", lambda f: f.holder),
        _Field("Employee ID", "What is the employee ID?", lambda f: f.code("T-####")),
        _Field("Destination", "What is the destination?", lambda f: f.city().rsplit(" ", 1)[0]),
        _Field("Purpose of Travel", "What is the purpose of travel?",
               lambda f: f.rng.choice(("Client meeting", "Trade fair", "Training course", "Site inspection", "Conference"))),
        _Field("Departure Date", "What is the departure date?", lambda f: f.date(10, 40)),
        _Field("Return Date", "What is the return date?", lambda f: f.date(45, 60)),
        _Field("Estimated Cost", "What is the estimated cost?", lambda f: "$" + money(f.cents(300, 6000))),
        _Field("Approved By", "Who approved the travel request?", _Fake.person)),
}


def _form(fake: _Fake) -> Layout:
    """A titled form of labelled boxes in two columns (long values span both), and a signature line."""
    title = fake.rng.choice(sorted(_FORMS))
    org = fake.company()
    items: list = [Text(_LEFT, 60, org, 24, "bold"), Text(_RIGHT, 60, fake.code("Form ##-###"), 20, anchor="ra"),
                   Text(500, 130, title, 36, "bold", "ma"),
                   Text(500, 190, "Please complete all fields in block letters.", 20, anchor="ma")]
    questions = [DocQuestion("What is the title of the form?", (title,), ("layout",)),
                 DocQuestion("Which organization issued the form?", (org,), ("layout",))]
    y, column = 250, 0
    for field in _FORMS[title]:
        value = field.value(fake)
        if field.wide and column:
            y, column = y + 100, 0
        x0, x1 = (_LEFT, _RIGHT) if field.wide else (_LEFT + column * 440, _LEFT + column * 440 + 420)
        items += [Rect((x0, y, x1, y + 84)), Text(x0 + 12, y + 10, field.label, 19, "bold"), Text(x0 + 12, y + 42, value, 24)]
        questions.append(DocQuestion(field.question, _dollar_answers(value) if value.startswith("$") else (value,), ("form",)))
        column = 0 if field.wide or column else 1
        y += 100 if column == 0 else 0
    y += 160 if column else 60
    signer = fake.person()
    items += [Text(_LEFT, y, "Signature:", 20, "bold"), Text(_LEFT + 140, y - 14, signer, 30, "italic"),
              Rule((_LEFT + 130, y + 28, 520, y + 28)), Text(560, y, "Date:", 20, "bold"),
              Text(640, y, fake.date(0, 3), 22), Rule((630, y + 28, _RIGHT, y + 28)),
              Text(500, 1220, "Page 1 of 1", 18, anchor="ma")]
    return items, [], questions


_COLUMNS = (("Description", _LEFT + 12, "la"), ("Qty", 575, "ra"), ("Unit Price", 735, "ra"), ("Amount", _RIGHT - 15, "ra"))


def _invoice(fake: _Fake) -> Layout:
    """Seller and buyer blocks, an items table (quantity, unit price, amount), and the totals."""
    seller, buyer, buyer_company = fake.company(), fake.person(), fake.company()
    number, date, due = fake.code("INV-#####"), fake.date(0, 0), fake.date(30, 30)
    items: list = [Text(_LEFT, 70, seller, 30, "bold"), Text(_RIGHT, 64, "INVOICE", 46, "bold", "ra"),
                   Text(_LEFT, 118, fake.street(), 20), Text(_LEFT, 146, fake.city(), 20),
                   Text(_LEFT, 174, f"Phone: {fake.phone()}", 20),
                   Text(_RIGHT, 134, f"Invoice No.: {number}", 22, anchor="ra"),
                   Text(_RIGHT, 166, f"Date: {date}", 22, anchor="ra"), Text(_RIGHT, 198, f"Due Date: {due}", 22, anchor="ra"),
                   Rule((_LEFT, 245, _RIGHT, 245)), Text(_LEFT, 270, "BILL TO", 20, "bold")]
    items += [Text(_LEFT, 302 + 30 * i, line, 22) for i, line in enumerate((buyer, buyer_company, fake.street(), fake.city()))]
    rows = [(name, fake.rng.randint(1, 40), fake.cents(lo, hi)) for name, lo, hi in fake.rng.sample(_ITEMS, fake.rng.randint(3, 6))]
    items += _table(rows)
    subtotal = sum(q * c for _, q, c in rows)
    rate = fake.rng.choice((5, 6, 7, 8, 10))
    tax = (subtotal * rate + 50) // 100
    total = "$" + money(subtotal + tax)
    y = 520 + 46 * len(rows) + 40
    items += [Text(640, y, "Subtotal", 22), Text(_RIGHT - 15, y, money(subtotal), 22, anchor="ra"),
              Text(640, y + 36, f"Tax ({rate}%)", 22), Text(_RIGHT - 15, y + 36, money(tax), 22, anchor="ra"),
              Rect((625, y + 72, _RIGHT, y + 118)), Text(640, y + 82, "Total", 24, "bold"),
              Text(_RIGHT - 15, y + 82, total, 24, "bold", "ra"),
              Text(_LEFT, 1160, f"Payment terms: Net 30. Please quote {number} with your payment.", 20),
              Text(_LEFT, 1195, "Thank you for your business!", 20, "italic")]
    (qty_item, qty, _), (price_item, _, price), (amount_item, amount_q, amount_c) = (fake.rng.choice(rows) for _ in range(3))
    questions = [
        DocQuestion("What is the invoice number?", (number,), ("form",)),
        DocQuestion("What is the invoice date?", (date,), ("form",)),
        DocQuestion("When is the payment due?", (due,), ("form",)),
        DocQuestion(f"What is the quantity of {qty_item}?", (str(qty),), ("table/list",)),
        DocQuestion(f"What is the unit price of {price_item}?", _dollar_answers(money(price)), ("table/list",)),
        DocQuestion(f"What is the amount for {amount_item}?", _dollar_answers(money(amount_q * amount_c)), ("table/list",)),
        DocQuestion("What is the subtotal?", _dollar_answers(money(subtotal)), ("table/list",)),
        DocQuestion("What is the total amount?", _dollar_answers(total), ("table/list",)),
        DocQuestion("Who is the invoice billed to?", (buyer, buyer_company), ("layout",)),
        DocQuestion("Which company issued the invoice?", (seller,), ("layout",)),
    ]
    return items, [], questions


def _table(rows: list[tuple[str, int, int]]) -> list[Text | Rect | Rule]:
    """The items table: a shaded header row, then one ruled row per item."""
    top, height = 474, 46
    out: list[Text | Rect | Rule] = [Rect((_LEFT, top, _RIGHT, top + height), fill=225)]
    out += [Text(x, top + 11, name, 20, "bold", anchor) for name, x, anchor in _COLUMNS]
    for i, (name, qty, cents) in enumerate(rows):
        y = top + height * (i + 1)
        cells = (name, str(qty), money(cents), money(qty * cents))
        out += [Text(x, y + 11, cell, 22, anchor=anchor) for cell, (_, x, anchor) in zip(cells, _COLUMNS)]
        out.append(Rule((_LEFT, y + height, _RIGHT, y + height), 1))
    bottom = top + height * (len(rows) + 1)
    out += [Rule((x, top, x, bottom), 1) for x in (_LEFT, 500, 590, 750, _RIGHT)]
    return out


_VENUES = ("Grand Harbor Hotel", "City Conference Center", "Riverside Pavilion", "Museum of Science", "Lakeview Lodge")
_PROJECTS = ("Horizon", "Atlas", "Keystone", "Meridian", "Northstar", "Catalyst")
_CLOSINGS = (
    "Please do not hesitate to contact me if you have any questions. We look forward to working with you.",
    "If any of the details above are incorrect, kindly let us know at your earliest convenience.",
    "Thank you for your continued trust. A copy of this letter has been sent to our records office.",
)


def _letter_body(fake: _Fake) -> tuple[str, str, list[DocQuestion]]:
    """(subject, paragraph, questions answered by the paragraph) for one of four kinds of letter."""
    rng, later = fake.rng, fake.date(20, 90)
    kind = rng.randrange(4)
    if kind == 0:
        qty, product, city = str(rng.randint(20, 900)), rng.choice(_ITEMS)[0], fake.city().split(",")[0]
        text = (f"Thank you for your order of {qty} units of {product}, placed on {fake.date(-30, -5)}. We are pleased to confirm that "
                f"the shipment will leave our warehouse in {city} within {rng.randint(2, 9)} business days.")
        return f"Order confirmation {fake.code('SO-#####')}", text, [
            DocQuestion(f"How many units of {product} were ordered?", (qty,), ("free_text",)),
            DocQuestion("From which city will the shipment leave?", (city,), ("free_text",))]
    if kind == 1:
        venue, time = rng.choice(_VENUES), f"{rng.randint(8, 11)}:{rng.choice(('00', '15', '30', '45'))} AM"
        text = (f"We are delighted to invite you to our annual partner meeting, which will take place on {later} at the "
                f"{venue}. The program starts at {time} and includes a review of this year's results.")
        return "Invitation to the annual partner meeting", text, [
            DocQuestion("Where will the partner meeting take place?", (venue, f"the {venue}"), ("free_text",)),
            DocQuestion("At what time does the program start?", (time, time.removesuffix(" AM")), ("free_text",))]
    if kind == 2:
        number, fee = fake.code("M-######"), "$" + money(fake.cents(40, 900))
        text = (f"This letter confirms that membership number {number} has been renewed until {later}. The annual fee "
                f"of {fee} will be charged to the account on file, and your new card will arrive within two weeks.")
        return "Renewal of your membership", text, [
            DocQuestion("What is the annual fee?", _dollar_answers(fee), ("free_text",)),
            DocQuestion("Until when has the membership been renewed?", (later,), ("free_text",))]
    project, budget, lead = rng.choice(_PROJECTS), "$" + money(fake.cents(5000, 250000)), fake.person()
    text = (f"Following our conversation last week, I am writing to confirm that a budget of {budget} has been approved "
            f"for the {project} project. The first progress report is due on {later}, and {lead} will coordinate the work.")
    return f"Approval of the {project} budget", text, [
        DocQuestion(f"What budget was approved for the {project} project?", _dollar_answers(budget), ("free_text",)),
        DocQuestion("When is the first progress report due?", (later,), ("free_text",)),
        DocQuestion("Who will coordinate the work?", (lead,), ("free_text",))]


def _letter(fake: _Fake) -> Layout:
    """Letterhead, date, addressee block, subject, two paragraphs and a signature."""
    company, date = fake.company(), fake.date(0, 0)
    addressee, addressee_job, addressee_company = fake.person(), fake.rng.choice(_JOBS), fake.company()
    sender, sender_job = fake.person(), fake.rng.choice(_JOBS)
    subject, body, body_questions = _letter_body(fake)
    items: list = [Text(_LEFT, 70, company, 32, "bold"),
                   Text(_LEFT, 116, f"{fake.street()}, {fake.city()}  |  Phone: {fake.phone()}", 20),
                   Rule((_LEFT, 160, _RIGHT, 160), 3), Text(_LEFT, 200, date, 22)]
    block = (addressee, addressee_job, addressee_company, fake.street(), fake.city())
    items += [Text(_LEFT, 270 + 32 * i, line, 22) for i, line in enumerate(block)]
    items += [Text(_LEFT, 460, f"Subject: {subject}", 22, "bold"), Text(_LEFT, 516, f"Dear {addressee},", 22)]
    y = 566
    for paragraph in (body, fake.rng.choice(_CLOSINGS)):
        for line in wrap(paragraph, 22, _RIGHT - _LEFT):
            items.append(Text(_LEFT, y, line, 22))
            y += 34
        y += 24
    items += [Text(_LEFT, y + 10, "Sincerely,", 22), Text(_LEFT, y + 60, sender, 32, "italic"),
              Text(_LEFT, y + 120, sender, 22), Text(_LEFT, y + 152, sender_job, 22), Text(_LEFT, y + 184, company, 22)]
    questions = [
        DocQuestion("Who is the letter addressed to?", (addressee,), ("layout",)),
        DocQuestion("Who signed the letter?", (sender,), ("layout",)),
        DocQuestion("What is the date of the letter?", (date,), ("layout",)),
        DocQuestion("What is the subject of the letter?", (subject,), ("layout",)),
        DocQuestion(f"What is the job title of {sender}?", (sender_job,), ("layout",)),
        DocQuestion("Which company sent the letter?", (company,), ("layout",)),
    ]
    return items, [fake.rng.choice(body_questions)], questions


def render_document(doc: Document) -> bytes:
    """The page as a grayscale PNG (black on white), with no metadata beyond the pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    for item in doc.items:
        if isinstance(item, Text):
            draw.text((item.x, item.y), item.text, fill=0, font=font(item.size, item.style), anchor=item.anchor)
        elif isinstance(item, Rect):
            draw.rectangle(item.box, outline=0, width=item.width, fill=item.fill)
        else:
            draw.line(item.points, fill=0, width=item.width)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def document_rows(doc: Document, doc_id: int, image: str) -> list[dict]:
    """The page's questions as DocVQA rows; question ids are doc_id * 10 + k, so they stay put as n grows."""
    return [{"questionId": doc_id * 10 + k, "question": q.question, "question_types": list(q.question_types),
             "image": image, "docId": doc_id, "answers": list(q.answers)} for k, q in enumerate(doc.questions)]


def write_documents(out: Path, n: int, seed: int = 0, progress: bool = False) -> Path:
    """Render n pages under out/claimbench_docs/val/documents/ and write their questions; returns the JSON's path."""
    root = Path(out) / DATASET / "val"

    def one(index: int) -> list[dict]:
        doc = document(seed, index)
        image = f"documents/doc_{index + 1:05d}.png"
        atomic.write_bytes(root / image, render_document(doc))
        return document_rows(doc, index + 1, image)

    data = render_set(n, "documents", "doc", progress, one)
    path = Path(out) / DATASET / ANNOTATIONS
    payload = {"dataset_name": DATASET, "dataset_split": "val", "dataset_version": "1.0", "data": data}
    atomic.write_text(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path

"""The page layouts: forms, invoices and letters in turn, each placing its items and writing
2-3 questions whose first gold answer is text printed on the page (at 18 px or more, large
enough for OCR). `document` builds page i from a random.Random seeded by (seed, index), so
page i is the same in every run of any length.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .document_content import _DEPARTMENTS, _ITEMS, _JOBS, _dollar_answers, _Fake, money
from .document_fonts import wrap
from .document_items import DocQuestion, Document, Rect, Rule, Text

KINDS = ("form", "invoice", "letter")
_LEFT, _RIGHT = 70, 930


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

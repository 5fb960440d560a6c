"""Invented content for project-made pages: names, companies, addresses, phone numbers, dates
(one format per page) and amounts, all drawn from the page's random.Random, and how amounts
are printed and accepted as answers.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
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

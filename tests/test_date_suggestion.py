"""A text in a date cell that names one day gets «Mente dere 01.03.2027?» (issue 28.6): the
validator says which day it read, and still asks for a real date (the error stays an error,
so Sjekk and validate count the same)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smso_xl.template.values import date_suggestion, named_day
from tests.test_rules import TODAY, check, clean_plan

D = dt.date


@pytest.mark.parametrize(("text", "day"), [
    ("1. mars", D(2026, 3, 1)), ("1 mars", D(2026, 3, 1)), ("1.mars", D(2026, 3, 1)),
    ("1.3", D(2026, 3, 1)), ("1/3", D(2026, 3, 1)), ("15. mai 2027", D(2027, 5, 15)),
    ("ca. 1. mars", D(2026, 3, 1)),  # «about» a day still names it
    ("mars", None), ("uke 12", None), ("Q2", None), ("snart", None), ("første mars", None),
])
def test_named_day(text: str, day: dt.date | None) -> None:
    assert named_day(text, 2026) == day


def test_suggestion_text() -> None:
    assert date_suggestion("1. mars", 2027) == " Mente dere 01.03.2027?"
    assert date_suggestion("mars", 2027) == ""
    assert date_suggestion(45000, 2027) == ""


def test_the_finding_says_which_day(tmp_path: Path) -> None:
    report = check(clean_plan(tmp_path, action={"Frist": "1. mars"}))
    (item,) = [f for f in report.findings if f.code == "date-invalid"]
    assert (item.sheet, item.cell, item.severity) == ("Tiltak", "L2", "error")
    assert item.message == ("Tiltak L2: Frist «1. mars» er ikke en dato. Mente dere "
                            "01.03.2026? Skriv datoen som dd.mm.åååå, f.eks. 15.03.2026.")
    assert TODAY.year == 2026  # the plan year completes the date: the premise


def test_a_period_gets_no_suggestion(tmp_path: Path) -> None:
    report = check(clean_plan(tmp_path, action={"Frist": "mars"}))
    (item,) = [f for f in report.findings if f.code == "date-invalid"]
    assert "Mente dere" not in item.message

"""Forankring, the page the parties sign: the plan in brief, live, of a fixed size.

Its values are formulas on the plan's sheets. A workbook smso-xl writes carries their true
cached results (a status round, read here with openpyxl); a plan typed into afterwards
shows what was typed once the application recalculates (LibreOffice here). It prints on one
page (test_print.py) and adds no check.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from smso_xl.round.rounds import generate_round
from smso_xl.template.config import default_parties, default_regions
from smso_xl.template.definition import load_template
from smso_xl.workbook import selfcheck
from smso_xl.workbook.fill import fill_plan
from tests.libreoffice import convert_many, require_soffice
from tests.workbooks import template_copy

TEMPLATE = load_template()
V3 = TEMPLATE.version  # the newest: what generate writes
SHEET = TEMPLATE.sheet("Forankring")
YEAR = 2026
D = dt.date
#: Excel 2010's functions the page and its helpers may use (no FILTER, no dynamic arrays).
ALLOWED = {"IF", "INDEX", "MATCH", "IFERROR", "N", "LEN", "AND", "OR"}


def _rows() -> dict[str, list[dict[str, object]]]:
    goals = [{"ID": f"M{i}", "Mål": f"Mål nummer {i}", "Ansvarlig": f"Person {i}",
              "Frist": D(YEAR, 6, i)} for i in range(1, 4)]
    actions = [{"ID": f"T{i}", "Mål-ID": "M1", "Tiltak": f"Tiltak nummer {i}",
                "Ansvarlig": f"Eier {i}", "Ansvarlig part": "LO", "Frist": D(YEAR, 9, i)}
               for i in range(1, 13)]  # two more than the page shows
    actions[1]["Frist"] = "snart"  # typed, not a date: shown as typed
    parties = [{"Part": p.name, "Deltakelse": "Deltar" if i % 2 == 0 else "Skal inviteres",
                "Representant": f"Rep {p.name}", "Timer per år": 10 * (i + 1)}
               for i, p in enumerate(default_parties()[:7])]
    return {"Mål": goals, "Tiltak": actions, "Parter": parties}


FORM = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
        "Overordnet mål for samarbeidet": "Mindre svart arbeid i Agder"}


def _expected() -> list[list[object]]:
    """What the page shows, row by row, for ``_rows`` (dates as dates)."""
    rows = _rows()
    page: list[list[object]] = [
        ["Agder (42)"], [D(YEAR, 1, 1)], [D(YEAR, 12, 31)], ["Mindre svart arbeid i Agder"]]
    page += [[g["ID"], g["Mål"], g["Ansvarlig"], g["Frist"]] for g in rows["Mål"]]
    page += [[a["ID"], a["Tiltak"], a["Ansvarlig"], "LO", a["Frist"]]
             for a in rows["Tiltak"][:10]]
    page.append(["+ 2 flere tiltak, se arket Tiltak"])
    page += [[p["Part"], p["Representant"], p["Timer per år"]]
             for p in rows["Parter"] if p["Deltakelse"] == "Deltar"]
    return page


def _page(path: Path) -> list[list[object]]:
    """The page's values as cached, row by row: labels, headings and headers left out."""
    ws = openpyxl.load_workbook(path, data_only=True)[SHEET.name]
    formulas = openpyxl.load_workbook(path)[SHEET.name]
    page = []
    for row in ws.iter_rows(min_row=2, max_col=6):
        values = [c.value.date() if isinstance(c.value, dt.datetime) else c.value
                  for c in row
                  if str(formulas[c.coordinate].value or "").startswith("=")
                  and c.value not in (None, "")]
        if values:
            page.append(values)
    return page


@pytest.fixture(scope="module")
def status_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("forankring")
    plan = fill_plan(template_copy(tmp, region="42", year=YEAR, version=V3),
                     tmp / "innboks.xlsx",
                     rows=_rows(), form=FORM)
    result = generate_round([plan], regions=default_regions(), out_dir=tmp / "ut",
                            region_codes=["42"])
    return result.generated.files[0].path


def test_the_page_holds_the_plan_in_brief_as_cached_results(status_round: Path) -> None:
    assert _page(status_round) == _expected()


def test_the_page_has_a_fixed_size_and_prints_that_area(status_round: Path,
                                                        tmp_path: Path) -> None:
    blank = openpyxl.load_workbook(template_copy(tmp_path, region="42", year=YEAR, version=V3))
    filled = openpyxl.load_workbook(status_round)
    assert blank[SHEET.name].max_row == filled[SHEET.name].max_row == 43
    assert filled[SHEET.name].print_area == f"'{SHEET.name}'!$A$1:$F$43"
    assert filled[SHEET.name].page_setup.orientation == "portrait"
    assert filled[SHEET.name].page_setup.scale * 11 / 100 >= 8


def test_the_formulas_are_excel_2010s(status_round: Path) -> None:
    book = openpyxl.load_workbook(status_round)
    formulas = [c.value for ws in (book[SHEET.name], book["Lister"]) for row in ws.iter_rows()
                for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    used = {name for f in formulas for name in re.findall(r"([A-Z][A-Z0-9.]*)\(", f)}
    page = [f for f in formulas if SHEET.name in f or "INDEX(" in f]
    assert page and used <= ALLOWED | {"OFFSET", "MAX", "SUMPRODUCT", "ROW", "TRIM", "MID",
                                       "TEXT", "LEFT", "REPT"}  # (the other lists' own)
    assert {name for f in page for name in re.findall(r"([A-Z][A-Z0-9.]*)\(", f)} <= ALLOWED


def test_it_adds_no_check() -> None:
    counts = {s.name: 200 for s in TEMPLATE.tables}
    checks = selfcheck.all_checks(TEMPLATE, counts, TEMPLATE.period(YEAR), [])
    older = selfcheck.all_checks(load_template("2"), counts, TEMPLATE.period(YEAR), [])
    assert SHEET.name not in {c.sheet for c in checks}
    assert len(checks) == len(older)


@pytest.mark.libreoffice
@pytest.mark.slow
def test_the_page_follows_what_the_region_types_in_libreoffice(tmp_path: Path) -> None:
    """A plan typed into the blank workbook (no cached results): LibreOffice computes the
    page from the plan's sheets, rows below gaps and parties that take part included."""
    require_soffice()
    rows = _rows()
    rows["Mål"].insert(1, {})  # an empty row between two goals: the page closes the gap
    blank = template_copy(tmp_path, region="42", year=YEAR, version=V3)
    typed = fill_plan(blank, tmp_path / "typed.xlsx", rows=rows, form=FORM)
    (recalculated,) = convert_many([typed], tmp_path / "lo", "xlsx", recalc=True)
    assert _page(recalculated) == _expected()

"""The plans built in memory (tests/builders.py) are the plans read from files.

The rule tests trust ``build_plan`` to hand the rules what the reader would have read from a
workbook filled with the same rows. Here each case is built both ways — in memory, and
filled into a generated workbook with openpyxl, saved and read back — and the two must be
the same workbook as read and give the same report, finding by finding. The cases hold every
kind of value a test types: dates, text dates, numbers as numbers and as text, empty cells,
text of spaces, a formula, new rows numbered, prefilled rows changed, cells typed over a
formula and rows below the Excel Table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from smso_xl.template.model import Cell, Workbook
from tests.builders import (
    CLEAN_GOAL,
    PARTICIPANT,
    build_clean_plan,
    build_plan,
    check,
    clean_plan,
    risk,
)
from tests.workbooks import edit_workbook, make_plan

BELOW = 202  # the first row under the Table of 200 rows

CLEAN_CASES: dict[str, dict[str, Any]] = {
    "clean": {},
    "values of every kind": {
        "action": {"Start": dt.datetime(2026, 3, 1, 10, 30), "Frist": " 1.12.2026 ",
                   "Timer": 1500.5, "Budsjett (kr)": "20 000", "Beskrivelse": "   ",
                   "Kommentar": "=1+1", "Status": None, "Ansvarlig": "Kari / Per"},
        "goal": {"Målverdi": 10, "Frist": "snart", "Status": "fullført"},
        "form": {"Leder": None, "E-post leder": "kari(at)example.no",
                 "Leders organisasjon": "Rotary"},
        "extra": {
            "Risiko": [risk(p=4, k=4, Risikoreduserende_tiltak="Ring rektor"),
                       risk(p="2", k=0, Gjelder="T9")],
            "Tiltak": [{"Tiltak": "Foreldremøte", "Frist": dt.date(2026, 5, 15)},
                       {"ID": None, "Tiltak": "Uten ID", "Timer": -5}],
            "Mål": [{**CLEAN_GOAL, "ID": "m1"}],
            "Parter": [{"Part": PARTICIPANT, "Timer per år": "100 timer"},
                       {"Part": "Rotary", "Type": "Annen aktør", "Deltakelse": "Deltar"}],
            "Egenvurdering": [{"Kriterium": 3, "Vurdering": "Ikke oppfylt"}],
        },
    },
    "cells typed over formulas and below the table": {
        "extra": {"Risiko": [risk(p=2, k=3), risk(p=4, k=4)]},
        "cells": {"Risiko": {"F2": 99, "G3": "Lav"},
                  "Mål": {"A3": "M2"},
                  "Tiltak": {f"A{BELOW}": "T1", f"C{BELOW}": "Ekstra skolebesøk",
                             f"L{BELOW}": dt.date(2026, 10, 1), f"C{BELOW + 40}": "Langt ned"}},
    },
}


def _with_criterion(case: dict[str, Any]) -> dict[str, Any]:
    """A ``Kriterium`` given by its number is the template's criterion of that number."""
    from smso_xl.template.definition import load_template

    extra = {sheet: [{**row, "Kriterium": load_template().criteria[row["Kriterium"]]}
                     if isinstance(row.get("Kriterium"), int) else row for row in rows]
             for sheet, rows in case.get("extra", {}).items()}
    return {**case, "extra": extra} if extra else case


def _typed_over(path: Path, cells: Mapping[str, Mapping[str, object]]) -> Path:
    with edit_workbook(path) as book:
        for sheet, typed in cells.items():
            for ref, value in typed.items():
                book[sheet][ref] = value
    return path


def typed(cells: Mapping[str, Cell]) -> dict[str, tuple[Cell, type]]:
    """Cells with their values' types: 40 and 40.0 are equal, but not the same to a reader."""
    return {key: (cell, type(cell.value)) for key, cell in cells.items()}


def as_read(workbook: Workbook) -> dict[str, object]:
    """Everything the reader found, but where the file is and what its bytes are."""
    tables = {name: (t.name, t.header_row, t.columns, t.missing, t.merged,
                     [(r.row, typed(r.cells), typed(r.extra), r.outside_table) for r in t.rows])
              for name, t in workbook.tables.items()}
    form = workbook.form and (workbook.form.name, typed(workbook.form.values),
                              workbook.form.rows)
    findings = [(f.code, f.sheet, f.cell, f.value, f.message) for f in workbook.findings]
    return {"identity": workbook.identity, "sheets": workbook.sheet_names,
            "version": workbook.template_version, "epoch1904": workbook.epoch1904,
            "format": workbook.format, "tables": tables, "form": form, "findings": findings}


def assert_same(built: Workbook, path: Path) -> None:
    from_file = check(path).files[0]
    assert from_file.workbook is not None
    assert as_read(built) == as_read(from_file.workbook)
    report = check(built).files[0]
    assert [(f.code, f.severity, f.sheet, f.cell, f.value, f.message)
            for f in report.findings] == [(f.code, f.severity, f.sheet, f.cell, f.value,
                                           f.message) for f in from_file.findings]
    assert report.plan == from_file.plan


@pytest.mark.parametrize("name", CLEAN_CASES)
def test_a_built_clean_plan_is_the_plan_read_from_its_file(tmp_path: Path, name: str) -> None:
    case = _with_criterion(CLEAN_CASES[name])
    cells = case.pop("cells", {})
    path = _typed_over(clean_plan(tmp_path, **case), cells)
    built = build_clean_plan(**case, cells=cells)
    assert_same(built, path)
    if name != "clean":  # the premise: the case gives the rules something to find
        assert check(built).findings


@pytest.mark.parametrize(("region", "year"), [("42", 2026), ("03", 2027)])
def test_a_built_blank_plan_is_the_blank_workbook_read(tmp_path: Path, region: str,
                                                       year: int) -> None:
    built = build_plan(region=region, year=year)
    assert_same(built, make_plan(tmp_path, region=region, year=year))
    assert built.identity is not None and built.identity.region_code == region


def test_a_built_plan_has_the_rows_where_a_region_types_them() -> None:
    # The builder is no copy of the reader: its rows land in the next free row, by ID.
    plan = build_clean_plan(extra={"Tiltak": [{"Tiltak": "Foreldremøte"}]})
    rows = plan.tables["Tiltak"].rows
    assert [(r.row, r.cells["id"].value, r.cells["tiltak"].address) for r in rows] == [
        (2, "T1", "C2"), (3, "T2", "C3")]

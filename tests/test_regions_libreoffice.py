"""What regions do to a workbook, done in real LibreOffice (issue 18): typing dates in two
locales, inserting, deleting, sorting and filtering rows, merging cells, renaming a sheet or a
header, inserting a column, typing an ID twice, adding rows without an ID, pasting rows.

Every scenario runs in ONE LibreOffice start (the ``libreoffice_edits`` fixture, through
``tests/uno_driver.py``); then the project's own API reads the saved file. Each test checks
that every filled row reaches the overview exactly once, and every finding points at the cell
that holds the problem in the saved file (never at a cell hidden under a merge).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from smso_xl import consolidate, validate
from smso_xl.round.validation import ValidationReport
from smso_xl.template.values import cell_text
from tests.workbooks import make_plan

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

TODAY, YEAR = dt.date(2026, 6, 1), 2026
#: The region's seven actions, T1 … T7 in rows 2 … 8; T2 has no Ansvarlig and T4 no Mål-ID
#: (a merge fills them), T5's Frist is «snart».
ACTIONS = [{"ID": f"T{n}", "Mål-ID": "M1", "Tiltak": f"Tiltak {n}", "Ansvarlig": f"Kari Nr{n}",
            "Ansvarlig part": "LO", "Frist": dt.date(2026, 10, n),
            "Status": "Pågår" if n % 2 else "Ikke startet"} for n in range(1, 8)]
ACTIONS[1]["Ansvarlig"] = None
ACTIONS[3]["Mål-ID"] = None
ACTIONS[4]["Frist"] = "snart"
TITLES = [f"Tiltak {n}" for n in range(1, 8)]
GOAL = {"ID": "M1", "Mål": "Flere elever vet hva svart arbeid koster",
        "Nasjonalt innsatsområde": "Øke kunnskapen", "Målgruppe": "Ungdom/elever",
        "Indikator": "Skoler besøkt", "Utgangsverdi": "0", "Målverdi": "10",
        "Frist": dt.date(2026, 12, 1), "Ansvarlig": "Kari Nordmann", "Status": "Pågår"}
FORM = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
        "Overordnet mål for samarbeidet": "Mindre svart arbeid."}


def _base(folder: Path) -> Path:
    return make_plan(folder, rows={"Mål": [GOAL], "Tiltak": ACTIONS}, form=FORM,
                     name="plan.xlsx")


def _type(cell: str, text: str, locale: str | None = None, sheet: str = "Tiltak"
          ) -> dict[str, Any]:
    return {"op": "type", "sheet": sheet, "cell": cell, "text": text, "locale": locale}


UNO_SCENARIOS = {
    "dates_nb": (_base, [_type("L2", "15.03.2026", "nb-NO"), _type("K2", "1.2.2026", "nb-NO")],
                 "xlsx"),
    "dates_en": (_base, [_type("L2", "3/15/2026", "en-US"), _type("K2", "2/1/2026", "en-US")],
                 "xlsx"),
    "rows": (_base, [
        {"op": "insert_rows", "sheet": "Tiltak", "row": 4, "count": 2},  # T3 moves to row 6
        _type("C4", "Innsatt tiltak"), _type("H4", "Ola Nordmann"),
        _type("L4", "01.10.2026", "nb-NO"),
        {"op": "delete_rows", "sheet": "Tiltak", "row": 9},  # T6
        _type("C230", "Under tabellen"), _type("H230", "Per Hansen"),
        _type("L230", "02.10.2026", "nb-NO")], "xlsx"),
    "sort": (_base, [{"op": "sort", "sheet": "Tiltak", "range": "A2:Q8", "by": "C",
                      "descending": True}], "xlsx"),
    "filter": (_base, [{"op": "filter", "sheet": "Tiltak", "range": "A1:Q201", "by": "M",
                        "equals": "Pågår"}], "xlsx"),
    "merge": (_base, [{"op": "merge", "sheet": "Tiltak", "range": "H2:H3"},
                      {"op": "merge", "sheet": "Tiltak", "range": "B4:B5"},
                      {"op": "merge", "sheet": "Tiltak", "range": "L6:L7"}], "xlsx"),
    "rename_sheet": (_base, [{"op": "rename_sheet", "sheet": "Tiltak", "to": "Tiltak 2027"}],
                     "xlsx"),
    "header_and_column": (_base, [{"op": "insert_column", "sheet": "Tiltak", "column": "H"},
                                  _type("I1", "Ansvarlig person")], "xlsx"),
    "id_twice": (_base, [_type("A11", "T10"), _type("A5", "T10")], "xlsx"),
    "paste": (_base, [{"op": "copy", "sheet": "Tiltak", "range": "A2:Q3", "to": "A12"}],
              "xlsx"),
    "xls": (_base, [], "xls"),
}


def _saved(edits: dict[str, dict[str, Any]], name: str) -> Path:
    result = edits[name]
    assert result["error"] is None, result["error"]
    return Path(result["out"])


def _check(path: Path) -> ValidationReport:
    return validate([path], today=TODAY, year=YEAR)


def _checked(edits: dict[str, dict[str, Any]], name: str) -> tuple[Path, ValidationReport]:
    """A scenario's saved file, validated, every finding pointing at its cell."""
    path = _saved(edits, name)
    report = _check(path)
    _points_at_its_cell(path, report)
    return path, report


def _actions(path: Path) -> list[dict[str, Any]]:
    frame = consolidate([path], year=YEAR, today=TODAY).frames()["actions"]
    return frame.to_dict("records")


def _codes(report: ValidationReport) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in report.findings]


def _points_at_its_cell(path: Path, report: ValidationReport) -> None:
    """Every finding's cell, in the saved file, is visible (not under a merge) and holds the
    value the finding names (an assigned ID: the cell is empty)."""
    book = openpyxl.load_workbook(path)
    wrong = []
    for item in report.findings:
        if not (item.sheet and item.cell):
            continue
        ws = book[item.sheet]
        hidden = any(item.cell in span and item.cell != span.start_cell.coordinate
                     for span in ws.merged_cells.ranges)
        shown = cell_text(ws[item.cell].value)
        if item.code == "id-assigned":
            expected = ""
        elif item.value is None or item.code in ("rows-outside-table", "sheet-renamed"):
            expected = shown
        else:
            expected = item.value
        if hidden or shown != expected:
            wrong.append((item.code, item.cell, shown, expected, hidden))
    assert wrong == []


def _reaches_overview(path: Path, titles: list[str]) -> list[dict[str, Any]]:
    actions = _actions(path)
    assert Counter(a["tiltak"] for a in actions) == Counter(titles)
    return actions


@pytest.mark.parametrize(("name", "deadline", "start"), [
    ("dates_nb", "15.03.2026", "1.2.2026"), ("dates_en", "3/15/2026", "2/1/2026")])
def test_dates_typed_in_the_locale_are_dates(libreoffice_edits: dict[str, dict[str, Any]],
                                             name: str, deadline: str, start: str) -> None:
    path = _saved(libreoffice_edits, name)
    ws = openpyxl.load_workbook(path)["Tiltak"]
    # LibreOffice's own input parser made dates of them (not text).
    assert (ws["L2"].value, ws["K2"].value) == (dt.datetime(2026, 3, 15),
                                                  dt.datetime(2026, 2, 1)), (deadline, start)
    report = _check(path)
    _points_at_its_cell(path, report)
    first = next(a for a in _reaches_overview(path, TITLES) if a["id"] == "T1")
    assert (first["frist"].date(), first["start"].date()) == (dt.date(2026, 3, 15),
                                                          dt.date(2026, 2, 1))


def test_insert_delete_and_type_below_the_table(libreoffice_edits: dict[str, dict[str, Any]]
                                                ) -> None:
    result = libreoffice_edits["rows"]
    # Issue 18.8: LibreOffice let the region do it (the driver inserts and deletes through
    # the dispatcher, which a protected sheet refuses), and the sheet is not protected.
    assert result["protected"]["Tiltak"] is False
    assert result["protected"]["Egenvurdering"] is True
    path, report = _checked(libreoffice_edits, "rows")
    titles = [t for t in TITLES if t != "Tiltak 6"] + ["Innsatt tiltak", "Under tabellen"]
    actions = _reaches_overview(path, titles)
    # Rows added without an ID get the next free one after T7, and a finding says so.
    assigned = {a["tiltak"]: a["id"] for a in actions if a["tiltak"] in titles[-2:]}
    assert sorted(assigned.values()) == ["T8", "T9"]
    assert [(c, cell) for c, _, cell in _codes(report) if c == "id-assigned"] == [
        ("id-assigned", "A4"), ("id-assigned", "A230")]


@pytest.mark.parametrize("name", ["sort", "filter"])
def test_sorted_or_filtered_rows_are_all_read(libreoffice_edits: dict[str, dict[str, Any]],
                                              name: str) -> None:
    path, report = _checked(libreoffice_edits, name)
    _reaches_overview(path, TITLES)
    (snart,) = [f for f in report.findings if f.code == "date-invalid"]
    assert snart.value == "snart"
    if name == "filter":
        ws = openpyxl.load_workbook(path)["Tiltak"]
        assert ws.row_dimensions[3].hidden  # T2 «Ikke startet» is filtered out, still read


def test_merged_cells_belong_to_every_row_they_span(
        libreoffice_edits: dict[str, dict[str, Any]]) -> None:
    path, report = _checked(libreoffice_edits, "merge")
    by_id = {a["id"]: a for a in _reaches_overview(path, TITLES)}
    assert by_id["T2"]["ansvarlig"] == by_id["T1"]["ansvarlig"] == "Kari Nr1"
    assert by_id["T4"]["mal_id"] == "M1"
    codes = _codes(report)
    assert ("responsible-missing", "Tiltak", "H3") not in codes
    # «snart» merged over two rows: one finding, at the visible cell.
    assert [c for c in codes if c[0] == "date-invalid"] == [("date-invalid", "Tiltak", "L6")]
    merged = [f for f in report.findings if f.code == "cells-merged"]
    assert sorted(f.cell for f in merged) == ["B4", "H2", "L6"]
    assert "slått sammen" in merged[0].message


def test_renamed_sheet_is_read_with_a_note(libreoffice_edits: dict[str, dict[str, Any]]
                                           ) -> None:
    path, report = _checked(libreoffice_edits, "rename_sheet")
    codes = _codes(report)
    assert ("sheet-renamed", "Tiltak 2027", None) in codes
    assert not [c for c in codes if c[0] == "sheet-missing"]
    _reaches_overview(path, TITLES)


def test_renamed_header_after_an_inserted_column(libreoffice_edits: dict[str, dict[str, Any]]
                                                 ) -> None:
    path, report = _checked(libreoffice_edits, "header_and_column")
    (missing,) = [f for f in report.findings if f.code == "column-missing"]
    # Not H1 (the template's place, now the inserted empty column) but the renamed header.
    assert (missing.cell, missing.value) == ("I1", "Ansvarlig person")
    assert "«Ansvarlig»" in missing.message
    _reaches_overview(path, TITLES)


def test_id_typed_twice_blames_the_regions_row(libreoffice_edits: dict[str, dict[str, Any]]
                                              ) -> None:
    path, report = _checked(libreoffice_edits, "id_twice")
    # T10 picked in A11, a row not written yet: not a row, not the one to blame.
    assert [c for c in _codes(report) if c[0] == "id-duplicate"] == [
        ("id-duplicate", "Tiltak", "A5")]
    _reaches_overview(path, TITLES)


def test_pasted_rows_are_read_and_their_ids_named(libreoffice_edits: dict[str, dict[str, Any]]
                                                  ) -> None:
    path, report = _checked(libreoffice_edits, "paste")
    _reaches_overview(path, [*TITLES, "Tiltak 1", "Tiltak 2"])
    # Copies of T1 and T2: each filled row that shares its ID is named (as Sjekk counts and
    # marks them), with the row that holds the same ID.
    assert [c for c in _codes(report) if c[0] == "id-duplicate"] == [
        ("id-duplicate", "Tiltak", "A2"), ("id-duplicate", "Tiltak", "A3"),
        ("id-duplicate", "Tiltak", "A12"), ("id-duplicate", "Tiltak", "A13")]


def test_saved_as_xls_by_libreoffice(libreoffice_edits: dict[str, dict[str, Any]]) -> None:
    path = _saved(libreoffice_edits, "xls")
    assert path.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    assert [f.code for f in _check(path).findings] == ["file-legacy-xls"]

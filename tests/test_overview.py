"""The national overview workbook (``overview.write_overview``) and the analysts' DataFrames
(``Consolidation.frames()``), read back cell by cell from real generated and filled plans."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from smso_xl.base.fileio import OutputError
from smso_xl.round.consolidation import (
    SUPERSEDED,
    UNREADABLE,
    Consolidation,
    consolidate,
    regions_in_words,
)
from smso_xl.round.generator import generate
from smso_xl.round.overview import CHARS_PER_WIDTH, sheet_names, write_overview
from smso_xl.template.config import Region, default_regions
from smso_xl.template.definition import load_template
from tests.workbooks import edit_workbook, fill_plan

TODAY = dt.date(2026, 4, 1)
CRITERIA = load_template().criteria
SHEETS = sheet_names(load_template())
PLAN_SHEETS = load_template().overview_sheets
TEMPLATE_VERSION = load_template().version
D = dt.datetime  # openpyxl writes datetimes as real Excel dates
UNICODE_TEXT = "Skolebesøk på vgs – æøå ÆØÅ «sitat» 🎉"
ADDED_PARTY = "Bransjeforeningen «Bygg» 🎉"
# What a hostile or careless region may type; each must arrive as plain text.
INJECTIONS = {"Tiltak": '=HYPERLINK("http://x","klikk")', "Ansvarlig": "+47 22 33 44 55",
              "Beskrivelse": "-2+3", "Kommentar": "@SUM(A1:A2)"}

OSLO = {
    "Mål": [
        {"Mål": "Flere unge kjenner til svart arbeid", "Nasjonalt innsatsområde": "Øke kunnskapen",
         "Målgruppe": "Ungdom/elever", "Indikator": "Elever nådd", "Utgangsverdi": "0",
         "Målverdi": "500", "Frist": D(2026, 6, 30), "Ansvarlig": "Ola Nordmann",
         "Status": "Pågår"},
        {"Mål": "Kommunene stiller krav", "Indikator": "Kommuner", "Målverdi": "5",
         "Frist": D(2026, 12, 31), "Ansvarlig": "Kari Nordmann", "Status": "Ikke startet"},
    ],
    "Tiltak": [
        {"Mål-ID": "M1", "Tiltak": UNICODE_TEXT, "Aktivitetstype": "Skolebesøk",
         "Ansvarlig": "Kari Nordmann", "Ansvarlig part": "LO", "Start": D(2026, 1, 10),
         "Frist": D(2026, 3, 15), "Status": "Pågår", "Timer": 12, "Budsjett (kr)": 5000},
        {"Mål-ID": "M1", "Tiltak": "Kampanje", "Ansvarlig": "Per Hansen", "Start": "0001-01-01",
         "Frist": D(2026, 5, 1), "Status": "Fullført", "Timer": 3.5,
         "Budsjett (kr)": "20 000"},  # digits as text: read, with a warning
        {"Mål-ID": "M2", "Tiltak": "Innkjøpsseminar", "Ansvarlig": "Anne Lie", "Frist": "snart",
         "Start": "1800-01-01", "Status": "Ikke startet"},
        {"Mål-ID": "M2", "Frist": D(2026, 4, 20), "Status": "Pågår"},  # + INJECTIONS
    ],
    "Risiko": [
        {"Risiko": "For lite tid", "Gjelder": "T1", "Sannsynlighet (1–5)": 4,
         "Konsekvens (1–5)": 4, "Risikoreduserende tiltak": "Prioritere skoler",
         "Ansvarlig": "Per Hansen", "Frist": D(2026, 4, 15), "Status": "Ikke startet"},
    ],
    "Parter": [  # a row naming a prefilled party fills that party's row
        {"Part": "Skatteetaten", "Deltakelse": "Deltar", "Representant": "Anne",
         "Timer per år": 100, "Mandat avklart": "Ja"},
        {"Part": "LO", "Deltakelse": "Deltar", "Representant": "Bo", "Timer per år": 50,
         "Mandat avklart": "Ja"},
        # a new row (no "Type": fill.py would take it as the label of an existing row)
        {"Part": ADDED_PARTY, "Deltakelse": "Deltar", "Representant": "Eva",
         "Timer per år": 25, "Mandat avklart": "Ja"},
    ],
    "Egenvurdering": [
        {"Kriterium": CRITERIA[0], "Vurdering": "Oppfylt"},
        {"Kriterium": CRITERIA[1], "Vurdering": "Delvis oppfylt",
         "Oppfølging": "Møte med partene", "Ansvarlig": "Kari", "Frist": D(2026, 3, 1)},
        {"Kriterium": CRITERIA[2], "Vurdering": "Ikke oppfylt",
         "Oppfølging": "Lage risikoliste", "Ansvarlig": "Per", "Frist": D(2026, 6, 1)},
    ],
}
AGDER_OLD = {"Tiltak": [{"Tiltak": "Gammelt tiltak", "Ansvarlig": "Siri", "Frist": D(2026, 9, 1)}]}
AGDER_NEW = {
    "Tiltak": [
        {"Tiltak": "Regional kampanje", "Ansvarlig": "Siri", "Frist": D(2026, 9, 1),
         "Status": "Ikke startet", "Budsjett (kr)": 12000},
        {"Tiltak": "Sommerjobb-info", "Ansvarlig": "Siri", "Frist": D(2026, 6, 15),
         "Status": "Pågår", "Timer": 8},
    ],
    "Parter": [{"Part": "Skatteetaten", "Deltakelse": "Deltar", "Representant": "Siv",
                "Timer per år": 40, "Mandat avklart": "Ja"}],
}
VESTLAND = {"Parter": [{"Part": "LO", "Deltakelse": "Deltar", "Representant": "Lars",
                        "Timer per år": 10, "Mandat avklart": "Ja"}]}
RECEIVED = ("03", "42", "46")
PARTIES_PER_PLAN = 19


def _plan(folder: Path, code: str, rows: dict[str, Any], form: dict[str, Any],
          saved: dt.datetime) -> Path:
    result = generate(regions=default_regions(), region_codes=[code], year=2026, out_dir=folder)
    return fill_plan(result.files[0].path, rows=rows, form=form, saved_at=saved)


def _write_injections(path: Path) -> None:
    """openpyxl turns any string starting with '=' into a formula; typed text stays text."""
    with edit_workbook(path) as book:
        ws = book["Tiltak"]
        headers = {cell.value: cell.column for cell in ws[1]}
        for header, text in INJECTIONS.items():
            cell = ws.cell(5, headers[header])  # T4
            cell.value = text
            cell.data_type = "s"
        ws.cell(1, ws.max_column + 1, "Egen merknad")  # a column the region added
        ws.cell(2, ws.max_column, "Viktig!")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inbox")
    form = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
            "Overordnet mål for samarbeidet": "Mindre svart arbeid"}
    saved = dt.datetime(2026, 3, 20, 14, 30, tzinfo=dt.UTC)
    _write_injections(_plan(root, "03", OSLO, form, saved))
    _plan(root / "gammel", "42", AGDER_OLD, {}, saved - dt.timedelta(days=30))
    _plan(root, "42", AGDER_NEW, {}, saved)  # the newer version of the same region wins
    _plan(root, "46", VESTLAND, {}, saved)
    (root / "kaputt.xlsx").write_bytes(b"dette er ikke en arbeidsbok")
    return root


@pytest.fixture(scope="module")
def result(inbox: Path) -> Consolidation:
    return consolidate([inbox], year=2026, today=TODAY)


@pytest.fixture(scope="module")
def overview(result: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_overview(result, tmp_path_factory.mktemp("out") / "oversikt.xlsx")


@pytest.fixture(scope="module")
def book(overview: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(overview)


@pytest.fixture(scope="module")
def cached(overview: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(overview, data_only=True)


def records(ws: Worksheet, table: str | None = None) -> list[dict[str, Any]]:
    """The data rows of an Excel Table as dicts keyed by header (the sheet's only table by
    default); the row number of each is under ``"_row"``."""
    tables = dict(ws.tables.items())
    ref = tables[table] if table else next(iter(tables.values()))
    rows = list(ws[ref])
    headers = [cell.value for cell in rows[0]]
    return [{"_row": r[0].row, **{h: c.value for h, c in zip(headers, r, strict=True)}}
            for r in rows[1:]]


def header_row(ws: Worksheet) -> list[Any]:
    """The headers of the sheet's table (under the sheet's title and its note)."""
    ref = next(iter(ws.tables.values())).ref
    return [c.value for c in next(iter(ws[ref]))]


def cell_of(ws: Worksheet, row: dict[str, Any], header: str) -> Any:
    return ws.cell(row["_row"], header_row(ws).index(header) + 1)


def summary_rows(ws: Worksheet) -> dict[str, list[Any]]:
    """Oversikt's region lines (header in row 4) by region code, plus the ``Totalt`` line."""
    found = {}
    for row in ws.iter_rows(min_row=5, max_col=15, values_only=True):
        if row[0] is None:
            break
        found[row[0]] = list(row)
    return found


def column_values(ws: Worksheet, reference: str) -> list[Any]:
    """The values of a one-column range such as ``Oversikt!$B$40:$B$54``."""
    min_col, min_row, _, max_row = range_boundaries(reference.split("!")[1].replace("$", ""))
    return [ws.cell(row, min_col).value for row in range(min_row, max_row + 1)]


OVERSIKT_HEADERS = ["Region", "Navn", "Status", "Dato mottatt", "Fil", "Mål", "Tiltak",
                    "Andel med ansvarlig og frist", "Forfalt", "Fullført", "Timer (parter)",
                    "Budsjett (kr)", "Høy risiko", "Feil", "Advarsler"]


# --- structure ------------------------------------------------------------------------------


def test_sheets_are_present_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["Oversikt", "Kontakter", "Tiltak", "Mål", "Risiko", "Parter",
                               "Egenvurdering", "Frister", "Avvik", "Innsendinger"]
    assert list(SHEETS) == book.sheetnames


@pytest.mark.parametrize("sheet", SHEETS[1:])
def test_data_sheets_are_filtered_tables_set_up_for_print(book: openpyxl.Workbook,
                                                          sheet: str) -> None:
    ws = book[sheet]
    assert len(ws.tables) == 1
    (name, ref), = ws.tables.items()
    assert re.fullmatch(r"tbl[A-Za-z]+", name)  # never cell-like (T1) or with spaces
    assert ws.tables[name].autoFilter is not None and ws.tables[name].autoFilter.ref == ref
    _readable_on_a4_landscape(ws)
    assert ws["A1"].font.b and ws["A1"].value.startswith(sheet)  # the sheet's title row
    assert ws["A2"].value.startswith("Per 01.04.2026.")  # the date, and what it lists
    if sheet != "Egenvurdering":  # two blocks there: only the region columns are frozen
        assert ref.startswith("A3:") and ws.freeze_panes == "C4"
        assert ws.print_title_rows == "$3:$3"
        # The region (and on the plan sheets the row's ID or name) on every page across.
        assert ws.print_title_cols == KEY_COLUMNS.get(sheet, "$A:$B")
    else:
        assert ws.freeze_panes == "C1" and ws.print_title_cols == "$A:$B"


# Repeated on every page across: the region, and what names the row.
KEY_COLUMNS = {"Tiltak": "$A:$C", "Mål": "$A:$C", "Risiko": "$A:$C", "Parter": "$A:$C",
               "Avvik": "$A:$C", "Endringer": "$A:$D"}


def _readable_on_a4_landscape(ws: Worksheet) -> None:
    """A fixed scale of at least 75 % (11 pt prints at 8.25 pt), never shrunk to fit
    (tests/test_overview_print.py measures the printed text), and a footer naming the
    overview, its year and date, the sheet and the page."""
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert 75 <= ws.page_setup.scale <= 100
    assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == (
        "Nasjonal oversikt 2026 per 01.04.2026 – &A", "Side &P av &N")


def test_plan_sheets_print_without_where_the_rows_came_from(book: openpyxl.Workbook,
                                                            overview: Path) -> None:
    ws = book["Tiltak"]
    headers = header_row(ws)
    assert headers[-3:] == ["Kildefil", "Kildeark", "Kilderad"]
    # Two pages across: from the table's header; the title and note are the page header.
    assert ws.print_area == f"'Tiltak'!$A$3:${get_column_letter(len(headers) - 3)}$" \
        f"{ws.max_row}"
    with zipfile.ZipFile(overview) as archive:
        sheet = archive.read("xl/worksheets/sheet3.xml").decode()
    header = re.search(r"<oddHeader>(.*?)</oddHeader>", sheet)
    assert header and "Tiltak – alle regioners tiltak&amp;\"-,Regular\" – Per 01.04.2026. Én rad" \
        in header.group(1)


def test_oversikt_is_one_a4_landscape_page(book: openpyxl.Workbook,
                                           result: Consolidation) -> None:
    """Excel's page setup: one page, the table, its note and the charts; the charts'
    numbers below the page (tests/test_overview_print.py renders it in LibreOffice)."""
    ws = book["Oversikt"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # (1 is the default, which openpyxl reads as None)
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
    assert 75 <= ws.page_setup.scale <= 100  # what the layout was made for
    assert [c.value for c in ws[4]][:15] == OVERSIKT_HEADERS
    assert ws["A1"].value == "SMSØ – nasjonal oversikt over lokale handlingsplaner 2026"
    assert ws["A2"].value == f"Per 01.04.2026. {regions_in_words(result)}"
    (area,) = ws.print_area.split(",")
    _, last = area.split("!")[1].replace("$", "").split(":")
    data_title = next(r for r in range(1, ws.max_row + 1)
                      if str(ws.cell(r, 1).value).endswith("(data til diagrammene)"))
    assert int(last[1:]) < data_title  # the charts' numbers are not printed
    assert get_column_letter(len([c for c in ws[4] if c.value])) == last[0]
    # The number columns' headers stand on end, so that the table fits across the page.
    assert ws.cell(4, OVERSIKT_HEADERS.index("Mål") + 1).alignment.textRotation == 90
    assert ws.cell(4, OVERSIKT_HEADERS.index("Fil") + 1).alignment.textRotation == 0


def test_oversikt_charts_sit_side_by_side_in_cells(overview: Path,
                                                   book: openpyxl.Workbook) -> None:
    """Each chart is anchored to a cell and ends in one (it moves and sizes with them),
    the second beginning where the first ends: Excel and LibreOffice place them alike."""
    with zipfile.ZipFile(overview) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    anchors = re.findall(r"<xdr:twoCellAnchor>\s*<xdr:from><xdr:col>(\d+)</xdr:col>.*?"
                         r"<xdr:row>(\d+)</xdr:row>.*?<xdr:to><xdr:col>(\d+)</xdr:col>.*?"
                         r"<xdr:row>(\d+)</xdr:row>", drawing, re.S)
    assert len(anchors) == 2, drawing[:400]
    (col1, row1, end1, bottom1), (col2, row2, end2, bottom2) = (
        tuple(map(int, a)) for a in anchors)
    assert col1 == 0 and row1 == row2 and bottom1 == bottom2
    assert end1 <= col2 and end2 <= len(OVERSIKT_HEADERS) - 1
    ws = book["Oversikt"]
    totals = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Totalt")
    assert row1 > totals  # beneath the table (0-based row after the 1-based Totalt row)


# --- no row lost, none doubled -------------------------------------------------------------


def _expected_ids(sheet: str) -> list[tuple[str, str]]:
    oslo = [("03", f"{sheet[0]}{i}") for i in range(1, len(OSLO.get(sheet, [])) + 1)]
    agder = [("42", f"T{i}") for i in range(1, 3)] if sheet == "Tiltak" else []
    return oslo + agder


@pytest.mark.parametrize("sheet", ["Tiltak", "Mål", "Risiko"])
def test_every_filled_row_of_the_chosen_versions_appears_once(
        book: openpyxl.Workbook, result: Consolidation, sheet: str) -> None:
    rows = records(book[sheet])
    assert [(r["Region"], r["ID"]) for r in rows] == _expected_ids(sheet)
    assert len(rows) == len(result.rows(sheet))
    for row, (sub, plan_row) in zip(rows, result.rows(sheet), strict=True):
        assert (row["Kildefil"], row["Kildeark"], row["Kilderad"]) == (
            sub.path.name, sheet, plan_row.row)


def test_superseded_version_rows_are_left_out(book: openpyxl.Workbook) -> None:
    texts = [r["Tiltak"] for r in records(book["Tiltak"])]
    assert "Gammelt tiltak" not in texts
    assert texts[-2:] == ["Regional kampanje", "Sommerjobb-info"]


def test_parties_and_assessments_keep_every_row(book: openpyxl.Workbook) -> None:
    parties = records(book["Parter"])
    assert len(parties) == PARTIES_PER_PLAN * len(RECEIVED) + 1
    assert sorted({r["Region"] for r in parties}) == list(RECEIVED)
    assert [r["Part"] for r in parties if r["Region"] == "03"][-1] == ADDED_PARTY
    assessments = records(book["Egenvurdering"], "tblEgenvurdering")
    assert len(assessments) == 9 * len(RECEIVED)
    assert [(r["Region"], r["Nr"]) for r in assessments][:3] == [
        ("03", "K1"), ("03", "K2"), ("03", "K3")]


def test_columns_follow_the_template_then_extras_then_sources(book: openpyxl.Workbook,
                                                              result: Consolidation) -> None:
    headers = header_row(book["Tiltak"])
    template = [c.header for c in result.template.sheet("Tiltak").columns]
    assert headers == ["Region", "Regionnavn", *template, "Egne kolonner", "Kildefil",
                       "Kildeark", "Kilderad"]
    first = records(book["Tiltak"])[0]
    assert first["Egne kolonner"] == "Egen merknad: Viktig!"
    risk_headers = header_row(book["Risiko"])
    assert "Egne kolonner" not in risk_headers  # only where a region added a column
    risk = records(book["Risiko"])[0]
    assert (risk["Risikoskår"], risk["Risikonivå"]) == (16, "Høy")  # recomputed


# --- values ---------------------------------------------------------------------------------


def test_dates_are_real_dates_shown_day_first(book: openpyxl.Workbook) -> None:
    ws = book["Tiltak"]
    first = records(ws)[0]
    frist = cell_of(ws, first, "Frist")
    assert frist.value == dt.datetime(2026, 3, 15)
    assert frist.number_format == "dd.mm.yyyy"
    assert cell_of(ws, first, "Start").value == dt.datetime(2026, 1, 10)
    third = records(ws)[2]
    assert third["Frist"] == "snart"  # not understood: passed on as typed, not lost
    assert third["Start"] == "1800-01-01"  # no date to the workbook either: as typed
    assert records(ws)[1]["Start"] == "0001-01-01"


def test_numbers_are_numbers(book: openpyxl.Workbook) -> None:
    rows = records(book["Tiltak"])
    assert [r["Timer"] for r in rows[:2]] == [12, 3.5]
    assert [r["Budsjett (kr)"] for r in rows[:2]] == [5000, 20000]  # "kr 20 000" understood
    assert all(isinstance(r["Kilderad"], int) for r in rows)


def test_template_columns_keep_their_kinds_number_format(book: openpyxl.Workbook) -> None:
    ws = book["Tiltak"]
    first = records(ws)[0]
    # The column's own, in Norwegian: 1 234 567 wherever the overview is opened.
    assert cell_of(ws, first, "Budsjett (kr)").number_format == "[$-414]#,##0"
    assert cell_of(ws, first, "Timer").number_format == "General"
    assert cell_of(ws, first, "Tiltak").number_format == "@"
    ws = book["Risiko"]
    first = records(ws)[0]
    assert cell_of(ws, first, "Risikoskår").number_format == "General"  # a whole number
    assert cell_of(ws, first, "Risikonivå").number_format == "@"


def test_unicode_arrives_intact(book: openpyxl.Workbook) -> None:
    assert records(book["Tiltak"])[0]["Tiltak"] == UNICODE_TEXT
    assert ADDED_PARTY in [r["Part"] for r in records(book["Parter"])]


def test_region_codes_stay_text(book: openpyxl.Workbook) -> None:
    assert records(book["Tiltak"])[0]["Region"] == "03"
    assert summary_rows(book["Oversikt"])["03"][0] == "03"


# --- Kontakter -----------------------------------------------------------------------------


def test_kontakter_is_every_regions_organisering_form(book: openpyxl.Workbook) -> None:
    rows = records(book["Kontakter"])
    form = load_template().form
    typed = [f.label for f in form.fields if f.source is None]  # what the region types
    assert list(rows[0])[1:] == ["Region", "Regionnavn", "Status", *typed,
                                 "E-post i regionlisten", "Fil"]
    assert [r["Region"] for r in rows] == [r.code for r in default_regions()]
    oslo = next(r for r in rows if r["Region"] == "03")
    assert (oslo["Status"], oslo["Leder"], oslo["E-post leder"]) == (
        "Mottatt med feil", "Kari Nordmann", "kari@example.no")
    assert oslo["Overordnet mål for samarbeidet"] == "Mindre svart arbeid"
    nothing = next(r for r in rows if r["Region"] == "11")
    assert nothing["Status"] == "Ikke mottatt" and nothing["Leder"] is None


@pytest.mark.slow
def test_kontakter_shows_dates_as_dates(tmp_path: Path) -> None:
    form = {"Leder": "Siri Eide", "Forankret hos partene (dato)": D(2025, 11, 20),
            "Sist oppdatert (dato)": "28.01.2026", "Telefon leder": "+47 22 07 70 00"}
    _plan(tmp_path, "11", {}, form, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    out = write_overview(consolidate([tmp_path], year=2026, today=TODAY), tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out)["Kontakter"]
    row = next(r for r in records(ws) if r["Region"] == "11")
    assert row["Forankret hos partene (dato)"] == D(2025, 11, 20)
    assert row["Sist oppdatert (dato)"] == D(2026, 1, 28)  # typed as text, read as a date
    assert cell_of(ws, row, "Sist oppdatert (dato)").number_format == "dd.mm.yyyy"
    assert row["Telefon leder"] == "+47 22 07 70 00"  # text, never a formula


# --- Oversikt -------------------------------------------------------------------------------


def test_oversikt_lists_every_expected_region(book: openpyxl.Workbook) -> None:
    ws = book["Oversikt"]
    lines = summary_rows(ws)
    codes = [r.code for r in default_regions()]
    assert list(lines) == [*codes, "Totalt"]
    for code in codes:
        received = code in RECEIVED
        assert (lines[code][2] in ("Mottatt", "Mottatt med feil")) == received
        if not received:
            assert lines[code][2:5] == ["Ikke mottatt", None, None]
            assert lines[code][5:13] == [None] * 8  # nothing counted, not a zero
    row = 5 + codes.index("11")
    assert ws.cell(row, 3).fill.fgColor.rgb.endswith("FFC7CE")  # "Ikke mottatt" is red


def test_oversikt_counts_per_region(book: openpyxl.Workbook) -> None:
    lines = summary_rows(book["Oversikt"])
    # Mål, Tiltak, Andel, Forfalt, Fullført, Timer, Budsjett, Høy risiko
    assert lines["03"][5:13] == [2, 4, 5 / 6, 1, 1, 175, 25000, 1]
    assert lines["42"][5:13] == [0, 2, 1, 0, 0, 40, 12000, 0]
    assert lines["46"][5:13] == [0, 0, None, 0, 0, 10, 0, 0]
    assert lines["42"][4] == "SMSO-handlingsplan-2026-42-Agder.xlsx"


def test_totals_are_formulas_with_true_cached_values(book: openpyxl.Workbook,
                                                     cached: openpyxl.Workbook,
                                                     result: Consolidation) -> None:
    formulas = summary_rows(book["Oversikt"])["Totalt"]
    values = summary_rows(cached["Oversikt"])["Totalt"]
    assert formulas[2] == '=COUNTIF(C5:C19,"Mottatt")+COUNTIF(C5:C19,"Mottatt med feil")'
    assert values[2] == 3
    for col in (5, 6, 8, 9, 10, 11, 12, 13, 14):
        letter = "ABCDEFGHIJKLMNO"[col]
        assert formulas[col] == f"=SUM({letter}5:{letter}19)"
    assert values[5:13] == [2, 6, 7 / 8, 1, 1, 225, 37000, 1]  # share over 2 + 6 rows
    assert formulas[7].startswith("=IFERROR(SUMPRODUCT(")
    chosen = [s.submission for s in result.regions if s.submission]
    assert values[13] == sum(s.errors for s in chosen) > 0
    assert values[14] == sum(s.warnings for s in chosen)


def test_two_charts_draw_on_the_oversikt_data(overview: Path, book: openpyxl.Workbook) -> None:
    with zipfile.ZipFile(overview) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        charts = [archive.read(n).decode() for n in names]
    assert len(charts) == 2
    column, bar = charts
    assert '<c:barDir val="col"/>' in column and '<c:grouping val="stacked"/>' in column
    assert '<c:barDir val="bar"/>' in bar
    ws = book["Oversikt"]
    for chart, expected in ((column, [r.name for r in default_regions()]),
                            (bar, ["Skatteetaten", "LO", ADDED_PARTY])):
        ref = re.search(r"<c:cat>.*?<c:f>(.*?)</c:f>", chart, re.S)
        assert ref is not None and ref.group(1).startswith("Oversikt!$")
        assert column_values(ws, ref.group(1)) == expected
    for chart in (column, bar):  # every region and every party named, none skipped
        assert '<c:tickLblSkip val="1"/>' in chart
    values = re.search(r"<c:val>.*?<c:f>(.*?)</c:f>", bar, re.S)
    assert values is not None
    # Skatteetaten 100 + 40, LO 50 + 10, the added party 25: largest first
    assert column_values(ws, values.group(1)) == [140, 60, 25]


def test_status_chart_colours_can_be_told_apart(overview: Path) -> None:
    """Each status its own colour; of the greys only «Avlyst» (dark) and «Ikke satt» (light)."""
    with zipfile.ZipFile(overview) as archive:
        column = archive.read("xl/charts/chart1.xml").decode()
    fills = re.findall(r'<c:ser>.*?<a:solidFill><a:srgbClr val="(\w{6})"', column, re.S)
    assert len(fills) == len(set(fills)) == 6  # five statuses and «Ikke satt»

    def grey(rgb: str) -> bool:
        r, g, b = (int(rgb[i:i + 2], 16) for i in (0, 2, 4))
        return max(r, g, b) - min(r, g, b) < 24

    greys = sorted(int(f[:2], 16) for f in fills if grey(f))
    assert len(greys) == 2 and greys[1] - greys[0] > 64


def test_file_names_are_not_cut_off(book: openpyxl.Workbook) -> None:
    """A file name fits its column, or wraps in a row tall enough for it."""
    ws = book["Oversikt"]
    assert ws["E4"].value == "Fil"
    width = ws.column_dimensions["E"].width
    for row in range(5, 20):
        name = ws.cell(row, 5).value
        if name and len(name) > width * CHARS_PER_WIDTH:
            assert ws.cell(row, 5).alignment.wrap_text
            assert ws.row_dimensions[row].height >= 2 * 13, name  # two lines
    ws = book["Innsendinger"]
    letter = get_column_letter(header_row(ws).index("Fil") + 1)
    for record in records(ws):
        cell = cell_of(ws, record, "Fil")
        assert ws.column_dimensions[letter].width * CHARS_PER_WIDTH >= len(cell.value) or (
            cell.alignment.wrap_text and (ws.row_dimensions[cell.row].height or 0) >= 30)


# --- Egenvurdering, Frister, Avvik, Innsendinger -------------------------------------------


def test_assessment_matrix_is_coloured(book: openpyxl.Workbook, result: Consolidation) -> None:
    ws = book["Egenvurdering"]
    assert [c.value for c in ws[3]][:11] == ["Region", "Regionnavn",
                                             *[f"K{i}" for i in range(1, 10)]]
    assert ws["C3"].comment.text.startswith(result.template.criteria[0])
    assert [ws.cell(r, 1).value for r in range(4, 7)] == list(RECEIVED)
    assert [ws.cell(4, c).value for c in range(3, 6)] == ["Oppfylt", "Delvis oppfylt",
                                                           "Ikke oppfylt"]
    fills = [ws.cell(4, c).fill.fgColor.rgb[-6:] for c in range(3, 6)]
    assert fills == ["C6EFCE", "FFEB9C", "FFC7CE"]
    table_top = int(ws.tables["tblEgenvurdering"].ref.split(":")[0][1:])
    assert table_top > 6 + 9  # below the matrix and the legend: no overlap
    # The criteria's columns are one width, whatever the detail table below holds.
    columns = ws.column_dimensions["C"]  # one <col> for C:K, as openpyxl reads it
    assert (columns.min, columns.max) == (3, 11)


def test_deadlines_overdue_and_next_90_days_sorted(book: openpyxl.Workbook) -> None:
    ws = book["Frister"]
    rows = records(ws)
    assert [(r["Region"], r["Ark"], r["ID"]) for r in rows] == [
        ("03", "Egenvurdering", "K2"), ("03", "Tiltak", "T1"), ("03", "Risiko", "R1"),
        ("03", "Tiltak", "T4"), ("03", "Egenvurdering", "K3"), ("42", "Tiltak", "T2"),
        ("03", "Mål", "M1")]
    assert [r["Dager"] for r in rows] == [-31, -17, 14, 19, 61, 75, 90]
    assert [r["Forfalt"] for r in rows] == ["Ja", "Ja"] + ["Nei"] * 5
    assert rows[1]["Hva"] == UNICODE_TEXT and rows[1]["Ansvarlig"] == "Kari Nordmann"
    assert cell_of(ws, rows[0], "Frist").number_format == "dd.mm.yyyy"
    overdue, upcoming = cell_of(ws, rows[0], "Hva").font, cell_of(ws, rows[2], "Hva").font
    assert overdue.b and overdue.color.rgb.endswith("C00000")
    assert not upcoming.b and upcoming.color.type == "theme"  # the default text colour


def test_findings_sheet_lists_every_finding(book: openpyxl.Workbook,
                                            result: Consolidation) -> None:
    rows = records(book["Avvik"])
    pairs = result.all_findings()
    assert len(rows) == len(pairs)
    assert [(r["Kode"], r["Celle"]) for r in rows] == [(f.code, f.cell) for _, f in pairs]
    assert {r["Alvorlighet"] for r in rows} <= {"Feil", "Advarsel", "Merknad"}
    snart = next(r for r in rows if r["Kode"] == "date-invalid" and r["Region"] == "03"
                 and r["Verdi"] == "snart")
    assert (snart["Ark"], snart["Celle"], snart["Verdi"]) == ("Tiltak", "F4", "snart")
    assert ("Tiltak", "H3", "0001-01-01") in {
        (r["Ark"], r["Celle"], r["Verdi"]) for r in rows if r["Kode"] == "date-invalid"}


def test_submissions_sheet_lists_every_file(book: openpyxl.Workbook,
                                            result: Consolidation) -> None:
    ws = book["Innsendinger"]
    rows = records(ws)
    assert len(rows) == len(result.submissions) == 5
    by_path = {r["Sti"]: r for r in rows}
    for sub in result.submissions:
        row = by_path[str(sub.path)]
        assert (row["Fil"], row["Status"], row["SHA-256"]) == (sub.path.name, sub.status,
                                                                sub.sha256)
    old = next(r for r in rows if "gammel" in r["Sti"])
    assert old["Status"] == SUPERSEDED
    assert old["Erstattet av"] == "SMSO-handlingsplan-2026-42-Agder.xlsx"
    broken = next(r for r in rows if r["Fil"] == "kaputt.xlsx")
    assert broken["Status"] == UNREADABLE and broken["Årsak"] and broken["Region"] is None
    oslo = next(r for r in rows if r["Region"] == "03")
    assert (oslo["År"], oslo["Malversjon"], oslo["Regionnavn"]) == (2026, TEMPLATE_VERSION, "Oslo")
    saved = cell_of(ws, oslo, "Lagret")
    assert isinstance(saved.value, dt.datetime) and saved.number_format == "dd.mm.yyyy hh:mm"


# --- safety ---------------------------------------------------------------------------------


def test_regional_text_never_becomes_a_formula_or_link(overview: Path,
                                                       book: openpyxl.Workbook) -> None:
    with zipfile.ZipFile(overview) as archive:
        sheets = {n: archive.read(n).decode() for n in archive.namelist()
                  if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)}
        rels = " ".join(archive.read(n).decode() for n in archive.namelist() if "rels" in n)
    formulas = {name: re.findall(r"<f>(.*?)</f>", xml) for name, xml in sheets.items()}
    ours = formulas.pop("xl/worksheets/sheet1.xml")  # Oversikt: the totals row only
    assert all(not found for found in formulas.values())
    assert len(ours) == 11 and all(re.match(r"(SUM|COUNTIF|IFERROR)\(", f) for f in ours)
    assert not any("HYPERLINK" in f or "47" in f for f in ours)
    assert "<hyperlink" not in " ".join(sheets.values()) and "hyperlink" not in rels
    injected = records(book["Tiltak"])[3]
    for header, text in INJECTIONS.items():
        cell = cell_of(book["Tiltak"], injected, header)
        assert (cell.value, cell.data_type) == (text, "s")


def test_refuses_to_write_onto_an_input(result: Consolidation) -> None:
    target = next(s.path for s in result.submissions if s.included)
    before = target.read_bytes()
    with pytest.raises(OutputError):
        write_overview(result, target)
    with pytest.raises(OutputError):
        write_overview(result, target.with_name("x.xlsx"), inputs=[target.with_name("x.xlsx")])
    assert target.read_bytes() == before


def test_empty_inbox_still_gives_valid_tables(tmp_path: Path) -> None:
    empty = consolidate([tmp_path], today=TODAY)
    out = write_overview(empty, tmp_path / "oversikt.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == list(SHEETS)
    for sheet in SHEETS[2:]:  # Kontakter keeps a row per expected region
        rows = records(book[sheet])
        first_cell = list(rows[0].values())[1]
        assert len(rows) == 1 and first_cell.startswith("Ingen"), sheet
    lines = summary_rows(book["Oversikt"])
    assert {line[2] for code, line in lines.items() if code != "Totalt"} == {"Ikke mottatt"}
    totals = summary_rows(openpyxl.load_workbook(out, data_only=True)["Oversikt"])["Totalt"]
    assert totals[5:7] == [0, 0] and totals[7] in ("", None)  # no share of nothing: blank


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_opens_the_overview(overview: Path, tmp_path: Path) -> None:
    from tests.libreoffice import convert, require_soffice

    require_soffice()
    resaved = openpyxl.load_workbook(convert(overview, tmp_path, "xlsx"), data_only=True)
    assert resaved.sheetnames == list(SHEETS)
    assert summary_rows(resaved["Oversikt"])["Totalt"][6] == 6
    assert len(records(resaved["Tiltak"])) == 6


# --- frames ---------------------------------------------------------------------------------


def test_frames_have_one_row_per_plan_row(result: Consolidation) -> None:
    frames = result.frames()
    assert set(frames) == {"goals", "actions", "risks", "parties", "assessments", "findings",
                           "submissions", "regions", "totals"}
    sheets = {"goals": "Mål", "actions": "Tiltak", "risks": "Risiko", "parties": "Parter",
              "assessments": "Egenvurdering"}
    for name, sheet in sheets.items():
        frame = frames[name]
        keys = [c.key for c in result.template.sheet(sheet).columns]
        assert list(frame.columns) == ["region", "region_name", *keys, "extra", "source_file",
                                       "source_sheet", "source_row"]
        assert len(frame) == len(result.rows(sheet))
    actions = frames["actions"]
    assert list(zip(actions["region"], actions["id"], strict=True)) == _expected_ids("Tiltak")
    assert len(frames["findings"]) == len(result.all_findings())
    assert len(frames["submissions"]) == 5


def test_frames_render_oversikt_as_computed(result: Consolidation,
                                             book: openpyxl.Workbook) -> None:
    """The regions and totals frames hold Oversikt's numbers: one model, rendered twice."""
    frames = result.frames()
    regions = frames["regions"].set_index("region")
    lines = summary_rows(book["Oversikt"])
    assert list(regions.index) == [r.region.code for r in result.regions]
    assert regions.loc["03", "actions"] == lines["03"][OVERSIKT_HEADERS.index("Tiltak")]
    assert regions.loc["03", "budget"] == lines["03"][OVERSIKT_HEADERS.index("Budsjett (kr)")]
    assert regions["actions"].isna().sum() == sum(1 for r in result.regions if not r.counted)
    totals = frames["totals"].set_index("figure")["value"]
    assert totals.to_dict() == pytest.approx(result.to_json()["totals"])
    assert str(frames["regions"]["received_at"].dtype) == "datetime64[ns, UTC]"


def test_frames_have_real_dtypes(result: Consolidation) -> None:
    import pandas as pd

    actions = result.frames()["actions"]
    assert str(actions["frist"].dtype) == "datetime64[ns]"
    assert actions["frist"].iloc[0] == pd.Timestamp(2026, 3, 15)
    assert pd.isna(actions["frist"].iloc[2])  # "snart": the findings frame says why
    assert pd.isna(actions["start"].iloc[2])  # «1800-01-01»: no date to the workbook either
    assert pd.isna(actions["start"].iloc[1])
    assert actions["timer"].dtype == "float64" and actions["budsjett"].sum() == 37000
    assert actions["tiltak"].iloc[3] == INJECTIONS["Tiltak"]
    assert actions["extra"].iloc[0] == "Egen merknad: Viktig!"
    assert actions["source_row"].tolist() == [2, 3, 4, 5, 2, 3]
    risks = result.frames()["risks"]
    assert str(risks["risikoskar"].dtype) == "Int64" and risks["risikoskar"].iloc[0] == 16
    submissions = result.frames()["submissions"]
    assert str(submissions["saved_at"].dtype) == "datetime64[ns, UTC]"


def test_frames_of_an_empty_run_keep_their_columns_and_dtypes(tmp_path: Path) -> None:
    frames = consolidate([tmp_path], today=TODAY).frames()
    assert all(frames[name].empty for name in frames if name not in ("regions", "totals"))
    assert set(frames["regions"]["status"]) == {"Ikke mottatt"}  # every expected region
    assert frames["totals"].set_index("figure")["value"]["actions"] == 0
    assert str(frames["goals"]["frist"].dtype) == "datetime64[ns]"
    assert "ansvarlig" in frames["goals"].columns


def test_cli_and_overview_do_not_import_pandas() -> None:
    code = ("import sys, smso_xl.cli.commands, smso_xl.round.overview, "
            "smso_xl.round.consolidation; "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"


def test_oversikt_of_hundreds_of_regions_prints_pages_down_with_its_header(
        tmp_path: Path) -> None:
    """An archive of 200 regions does not fit one readable page: Oversikt then prints a
    page wide and as many down as it needs, at the scale its width allows, with the
    header row on every page; the region chart no longer forces every name."""
    regions = [Region(code=f"R{n:03d}", name=f"Region {n}", counties="") for n in range(1, 201)]
    result = consolidate([], regions=regions, year=2026, today=dt.date(2026, 4, 1))
    path = write_overview(result, tmp_path / "oversikt.xlsx")
    ws = openpyxl.load_workbook(path)["Oversikt"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.page_setup.scale >= 60
    assert ws.print_title_rows == "$4:$4"
    assert [c.value for c in ws[4]][:3] == OVERSIKT_HEADERS[:3]
    with zipfile.ZipFile(path) as book:
        charts = [book.read(n).decode() for n in book.namelist() if "charts/chart" in n]
    (by_region,) = [chart for chart in charts if '<c:barDir val="col"/>' in chart]
    assert "tickLblSkip" not in by_region


@pytest.mark.parametrize(("values", "longest"), [
    ([], 0),
    ([None, None], 0),
    (["abc", None, "abcdef"], 6),
    # A text on several lines takes its longest line, whatever its length in all.
    (["abcdefghij\nx", "abcd"], 10),
    (["ab\ncd\nef", "abc"], 3),
    ([dt.date(2027, 3, 1), None, "ab"], 10),
    ([dt.datetime(2027, 3, 1, 9, 30), dt.date(2027, 3, 1)], 16),
    ([1234567, 12.5, None], 9),   # «1,234,567»; 12.5 takes «12» and room for decimals, 5
    ([True, None], 0),            # a yes/no is no number
])
def test_a_column_is_measured_by_its_longest_value_on_one_line(values, longest):
    from smso_xl.round.overview import _longest

    assert _longest(values) == longest

"""How a generated plan sits on the screen and is laid out for paper, read back from the
workbook: frozen panes, what a 1366 px screen shows, the print scale and the pages across,
and the row heights of the tool's own text. (What LibreOffice really prints: test_print.py.)
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from smso_xl.template.definition import Sheet, load_template
from smso_xl.workbook import layout, writer
from smso_xl.workbook.selfcheck import all_checks
from tests.workbooks import template_copy

TEMPLATE = load_template()
TABLES = TEMPLATE.tables


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template_copy(tmp_path_factory.mktemp("layout"),
                                                version=TEMPLATE.version))


def _headers(sheet: Sheet) -> list[str]:
    return [c.header for c in sheet.columns]


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_panes_frozen_on_the_header_row_and_the_id_and_title_columns(
        book: openpyxl.Workbook, sheet: Sheet) -> None:
    title = _headers(sheet).index(sheet.column(sheet.key_of("title") or "").header)
    frozen = openpyxl.utils.get_column_letter(title + 2) + "2"
    assert book[sheet.name].freeze_panes == frozen
    assert {"Tiltak": "D2", "Mål": "C2", "Risiko": "C2", "Parter": "B2",
            "Egenvurdering": "B2"}[sheet.name] == frozen


def test_excel_draws_a_width_in_pixels_as_it_documents() -> None:
    # Calibri 11: the digit is 7 px; 8.43 (the default width) is 64 px.
    assert [layout.screen_px(w) for w in (8.43, 6, 22, 1)] == [64, 47, 159, 12]


def test_tiltak_shows_who_when_and_status_on_a_1366_px_screen(
        book: openpyxl.Workbook) -> None:
    """At 100 % zoom, from the widths stored in the workbook: ID, Tiltak, Ansvarlig, Frist
    and Status are on the screen without scrolling sideways."""
    ws = book["Tiltak"]
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width - 0.71
              for i in range(len(TEMPLATE.sheet("Tiltak").columns))]  # stored with padding
    shown = _headers(TEMPLATE.sheet("Tiltak"))[:layout.visible_columns(widths)]
    assert {"ID", "Tiltak", "Ansvarlig", "Frist", "Status"} <= set(shown)
    pixels = sum(layout.screen_px(w) for w in widths[:shown.index("Status") + 1])
    assert pixels <= layout.SCREEN_PX - layout.SCREEN_CHROME_PX
    assert pixels == 665  # the five and the two between them: half the screen
    for name in ("Mål", "Risiko"):
        sheet = TEMPLATE.sheet(name)
        shown = _headers(sheet)[:layout.visible_columns([c.width for c in sheet.columns])]
        assert {"ID", "Ansvarlig", "Frist", "Status"} <= set(shown), name


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_a_row_prints_on_at_most_two_pages_with_who_when_status_on_the_first(
        book: openpyxl.Workbook, sheet: Sheet) -> None:
    ws = book[sheet.name]
    widths = [c.width for c in sheet.columns]
    keys = writer.key_columns(sheet)
    scale = ws.page_setup.scale
    assert scale * 11 / 100 >= 8.0  # printed text at least 8 pt
    pages = layout.pages_across(widths, keys, scale)
    assert len(pages) <= 2
    assert writer.first_page_end(sheet) in pages[0]
    assert all(page[:keys] == list(range(keys)) for page in pages)
    assert ws.print_title_cols == f"$A:${openpyxl.utils.get_column_letter(keys)}"


def test_older_versions_keep_their_pages() -> None:
    """Version 2's wider tables fit no two pages at 8 pt: they print as before."""
    tiltak = load_template("2").sheet("Tiltak")
    assert layout.table_scale([c.width for c in tiltak.columns], writer.key_columns(tiltak),
                              writer.first_page_end(tiltak)) is None


def test_text_lines_wrap_whole_words_in_the_widest_font() -> None:
    # Measured in LibreOffice with DejaVu Sans: this goal took two lines in a column of 40
    # (issue 23: its second line printed over the next row at one line's height).
    assert layout.text_lines("Flere elever kjenner konsekvensene av svart arbeid", 40) == 2
    assert layout.text_lines("Kort", 10) == 1
    assert layout.text_lines("a\nb\nc", 30) == 3
    assert layout.text_lines("x" * 100, 10) >= 100 * 5 / (6.9 * 10 + 2.2) - 1  # broken
    assert layout.text_height("en to tre", 30) == layout.LINE_PT


def test_sjekk_verdict_first_legend_without_numbers_and_rows_as_tall_as_their_text(
        tmp_path: Path, book: openpyxl.Workbook) -> None:
    ws = book["Sjekk"]
    assert (ws["A1"].value, ws["A1"].font.sz, ws["C1"].font.sz) == (
        "Klar til innsending:", 18, 18)
    assert ws["C1"].value.startswith("=IF(")
    # The legend: colour swatches that hold nothing, each beside what it means.
    assert [ws["A3"].value, ws["C3"].value] == [None, None]
    assert [ws["B3"].value, ws["D3"].value] == list(writer.SJEKK_LEGEND)
    assert ws["A3"].fill.fgColor.rgb != ws["C3"].fill.fgColor.rgb
    # Nothing on the sheet says «feil» (the blank plan says «Nei», a ready plan «Ja»).
    texts = [str(c.value) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and not c.value.startswith("=")]
    assert not [t for t in texts if "feil" in t.lower()]
    counts = {s.name: 200 for s in TABLES}
    checks = all_checks(TEMPLATE, counts, TEMPLATE.period(2026), [])
    for row, check in enumerate(checks, start=5):
        height = ws.row_dimensions[row].height or layout.LINE_PT  # 15 pt: not stored
        assert height == layout.text_height(check.label, ws.column_dimensions["B"].width - 0.71)
    assert max(ws.row_dimensions[r].height or 0 for r in range(5, 5 + len(checks))) == 30


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_the_first_data_row_has_a_set_height(book: openpyxl.Workbook, sheet: Sheet) -> None:
    assert book[sheet.name].row_dimensions[2].height >= layout.FIRST_ROW_PT


# As many letters as LibreOffice put on one line of a wrapping cell, before a marker word
# «Z<column>R<row>» (DejaVu Sans 11 pt, measured 7 December 2026): (letter, width) → letters.
MEASURED_ON_A_LINE = {("n", 44): 38, ("n", 30): 24, ("n", 20): 14, ("n", 12): 7,
                      ("m", 44): 24, ("m", 30): 15, ("m", 20): 9,
                      ("i", 44): 85, ("i", 30): 53, ("i", 20): 31}


@pytest.mark.parametrize(("letter", "width"), list(MEASURED_ON_A_LINE))
def test_a_line_holds_as_many_letters_as_libreoffice_puts_on_it(letter: str, width: int) -> None:
    count = MEASURED_ON_A_LINE[letter, width]
    column = [8, 12, 20, 30, 44].index(width)
    row = {"n": 0, "m": 88, "i": 176}[letter] + count - 2  # the marker names its row
    assert layout.text_lines(letter * count + f" Z{column}R{row}", width) == 1
    assert layout.text_lines(letter * (count + 1) + f" Z{column}R{row + 1}", width) == 2


def test_text_breaks_after_a_hyphen_and_bold_takes_more_room() -> None:
    # LibreOffice printed «party-mandate-unsettled» on three lines in a column of 10.
    assert layout.text_lines("party-mandate-unsettled", 10) == 3
    assert layout.text_lines("party-mandate-unsettled", 40) == 1
    assert layout.text_lines("a - b", 40) == 1  # a dash between words is no break of its own
    text = "Få kommuner melder seg på innkjøpsseminaret"  # Frister's red rows: bold
    width = next(w for w in range(10, 60) if layout.text_lines(text, w) == 1)
    assert layout.text_lines(text, width, bold=True) == 2

"""Plans that print (issue 16), measured on paper: headless LibreOffice renders the blank
plan, a plan filled as in the demo and the national overview to PDF, and the test reads the
pages back with ``pdftotext -bbox``.

The size of printed text is read from the word boxes. A box is taller than the font's point
size by a factor of the font (ascent plus descent); it is measured on a cell of known size
(10 pt at 100 %) rendered in the same run, so the check holds whatever font LibreOffice
substitutes for Calibri. Page counts are upper bounds: measured here, where LibreOffice has
only DejaVu Sans (the widest of the usual substitutes); with Calibri or Carlito, columns are
narrower and pages fewer.

Only filled rows print. Excel follows a print area that is a formula and reaches down to
the last filled row (``writer._print_area``, tested in test_generate.py). LibreOffice
ignores such a print area and prints down to the last cell with content, so empty rows hold
no ID and no formula: a blank table prints its header row alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from smso_xl.round.consolidation import consolidate
from smso_xl.round.demo import answers
from smso_xl.round.overview import write_overview
from smso_xl.template.prefill import next_ids
from smso_xl.workbook.fill import fill_plan as fill_into
from tests.libreoffice import convert_many, require_soffice
from tests.tiers import runs_libreoffice
from tests.workbooks import edit_workbook, template_copy

MIN_PT = 8.0
YEAR = 2026


@dataclass
class Page:
    sheet: str
    footer: str
    words: list[tuple[float, float, float, str]]  # x, top, height, text (without footer)


def _pages(pdf: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out).replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    pages = []
    for page in ET.fromstring(out).iter("page"):
        words = [(float(w.get("xMin", 0)), float(w.get("yMin", 0)),
                  float(w.get("yMax", 0)) - float(w.get("yMin", 0)), w.text or "")
                 for w in page.iter("word")]
        bottom = max((top for _, top, _, _ in words), default=0.0)
        footer = [w for w in words if w[1] > bottom - 1]
        text = " ".join(w[3] for w in sorted(footer))
        match = re.search(r"– (.+?) Side \d+ av \d+$", text)
        if not re.search(r"Side \d+ av \d+$", text):
            footer, text = [], ""
        pages.append(Page(match[1] if match else "", text,
                          [w for w in words if w not in footer]))
    return pages


def _by_sheet(pages: list[Page]) -> dict[str, list[Page]]:
    sheets: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        sheets[page.sheet].append(page)
    return dict(sheets)


def _calibration(path: Path) -> Path:
    """One word at 10 pt, printed at 100 %."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Kalibrering")
    ws.write_string(0, 0, "Kalibrering", book.add_format({"font_name": "Calibri",
                                                          "font_size": 10}))
    ws.set_print_scale(100)
    book.close()
    return path


@pytest.fixture(scope="module")
@runs_libreoffice
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Page]]:
    require_soffice()
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the printed pages")
    tmp = tmp_path_factory.mktemp("print")
    blank = template_copy(tmp, region="42", year=YEAR, name="blank.xlsx")
    filled = fill_into(blank, tmp / "filled.xlsx", **answers("42", YEAR, set()))
    inbox = tmp / "innboks"
    inbox.mkdir()
    for code in ("42", "03", "11"):
        fill_into(template_copy(tmp, region=code, year=YEAR), inbox / f"plan-{code}.xlsx",
                  **answers(code, YEAR, set()))
    overview = write_overview(consolidate([inbox], year=YEAR), tmp / "overview.xlsx")
    pdfs = convert_many([blank, filled, overview, _calibration(tmp / "calibration.xlsx")],
                        tmp / "pdf", "pdf")
    return {pdf.stem: _pages(pdf) for pdf in pdfs}


def _box_per_point(printed: dict[str, list[Page]]) -> float:
    (page,) = printed["calibration"]
    (word,) = [w for w in page.words if w[3] == "Kalibrering"]
    return word[2] / 10


@pytest.mark.parametrize("name", ["blank", "filled", "overview"])
def test_printed_text_is_at_least_8_pt_on_every_page(printed: dict[str, list[Page]],
                                                     name: str) -> None:
    per_point = _box_per_point(printed)
    smallest = {sheet: min(w[2] for p in pages for w in p.words) / per_point
                for sheet, pages in _by_sheet(printed[name]).items()}
    assert {s: round(pt, 1) for s, pt in smallest.items() if pt < MIN_PT} == {}
    assert len(smallest) >= 8  # every sheet printed and found by its footer


@pytest.mark.parametrize("name,title", [("blank", f"Agder {YEAR}"), ("filled", f"Agder {YEAR}"),
                                        ("overview", f"Nasjonal oversikt {YEAR}")])
def test_every_page_names_workbook_sheet_and_page(printed: dict[str, list[Page]], name: str,
                                                  title: str) -> None:
    pages = printed[name]
    for number, page in enumerate(pages, start=1):
        assert page.footer == f"{title} – {page.sheet} Side {number} av {len(pages)}"


# Pages per sheet, at most (measured with DejaVu Sans; see the module's docstring). Before
# issue 16: a blank plan printed 15 pages, its tables fitted one page wide at 3.5–5.5 pt;
# with 200 prefilled IDs at a readable size LibreOffice printed 54 (blank) and 63 (filled).
# A table is as many pages wide as its columns need (Tiltak 4) and, filled as in the demo,
# one page down.
PLAN_PAGES = {
    "blank": {"Veiledning": 2, "Organisering": 1, "Parter": 2, "Mål": 2, "Tiltak": 4,
              "Risiko": 3, "Egenvurdering": 2, "Sjekk": 3},
    "filled": {"Veiledning": 2, "Organisering": 1, "Parter": 2, "Mål": 2, "Tiltak": 4,
               "Risiko": 3, "Egenvurdering": 2, "Sjekk": 3},
}


@pytest.mark.parametrize("name", PLAN_PAGES)
def test_page_counts_of_the_plans(printed: dict[str, list[Page]], name: str) -> None:
    pages = {sheet: len(p) for sheet, p in _by_sheet(printed[name]).items()}
    assert list(pages) == list(PLAN_PAGES[name])  # in the workbook's order
    assert {s: n for s, n in pages.items() if n > PLAN_PAGES[name][s]} == {}


OVERVIEW_PAGES = {"Oversikt": 4, "Kontakter": 4, "Tiltak": 12, "Mål": 4, "Risiko": 2,
                  "Parter": 8, "Egenvurdering": 12, "Frister": 4, "Avvik": 4,
                  "Innsendinger": 4}


def test_page_counts_of_the_overview(printed: dict[str, list[Page]]) -> None:
    pages = {sheet: len(p) for sheet, p in _by_sheet(printed["overview"]).items()}
    assert list(pages) == list(OVERVIEW_PAGES)
    assert {s: n for s, n in pages.items() if n > OVERVIEW_PAGES[s]} == {}


@pytest.mark.parametrize("sheet", ["Mål", "Tiltak", "Risiko"])
def test_a_blank_table_prints_its_header_row_alone(printed: dict[str, list[Page]],
                                                   sheet: str) -> None:
    for page in _by_sheet(printed["blank"])[sheet]:
        top = min(w[1] for w in page.words)
        assert [w[3] for w in page.words if w[1] > top + 2 * _box_per_point(printed) * 10] == []


def test_a_filled_table_prints_its_filled_rows_and_no_more(
        printed: dict[str, list[Page]]) -> None:
    words = {w[3] for page in _by_sheet(printed["filled"])["Tiltak"] for w in page.words}
    filled = answers("42", YEAR, set())["rows"]["Tiltak"]
    assert {row["ID"] for row in filled} <= words
    assert f"T{len(filled) + 1}" not in words


def test_table_pages_repeat_the_header_and_the_rows_id(printed: dict[str, list[Page]]) -> None:
    pages = _by_sheet(printed["filled"])["Tiltak"]
    assert len(pages) > 1
    for page in pages:  # every page across and down starts with ID, Mål-ID and Tiltak
        top = min(w[1] for w in page.words)
        header = [w[3] for w in sorted(w for w in page.words if w[1] < top + 2)]
        assert header[:3] == ["ID", "Mål-ID", "Tiltak"], header


def test_veiledning_has_no_gap_between_bullets(printed: dict[str, list[Page]]) -> None:
    """Each bullet is as tall as its lines: the next starts one line below the last."""
    (page, *_) = _by_sheet(printed["blank"])["Veiledning"]
    starts = {w[3]: w[1] for w in sorted(page.words, key=lambda w: w[1]) if w[0] < 120}
    line = _box_per_point(printed) * 11 * 0.8  # at least 11 pt at 80 %
    tops = sorted({round(w[1], 1) for w in page.words})
    risiko, after = starts["Risiko:"], starts["Egenvurdering:"]
    lines_between = [t for t in tops if risiko < t < after]
    # Risiko's second line (if it wraps) and nothing else: no empty line.
    assert after - (lines_between[-1] if lines_between else risiko) < 1.6 * line


RISK_IDS = ["R05", " R7 ", "R9.5", "R1e3"]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_id_dropdowns_offer_the_filled_rows_in_libreoffice(tmp_path: Path) -> None:
    """Mål-ID and Gjelder list the IDs of filled rows only: LibreOffice, recalculating,
    resolves the defined names to them."""
    require_soffice()
    plan = template_copy(tmp_path, region="42", year=YEAR, name="probe.xlsx")
    fill_into(plan, plan, rows={
        "Mål": [{"ID": "M1", "Mål": "Flere lærlinger"}, {"ID": "M2", "Mål": "Færre svarte jobber"},
                {"Mål": "Uten ID ennå"}],  # no ID: nothing to refer to yet
        "Tiltak": [{"ID": "T1", "Tiltak": "Skolebesøk"}],
        # IDs as regions type them: padded, with spaces, and not IDs at all («R9.5», «R1e3»)
        "Risiko": [{"ID": ident, "Risiko": "Få deltar"}
                   for ident in RISK_IDS]})
    with edit_workbook(plan) as book:
        ws = book.create_sheet("Probe")
        ws["A1"] = "=ROWS(lst_ref_mal)"
        ws["A2"] = '=INDEX(lst_ref_mal,1)&"|"&INDEX(lst_ref_mal,2)'
        ws["A3"] = "=ROWS(lst_ref_mal_tiltak)"
        ws["A4"] = '=INDEX(lst_ref_mal_tiltak,2)&"|"&INDEX(lst_ref_mal_tiltak,3)'
        # the ID dropdowns' one entry: the next free ID of each table
        ws["A5"] = '=INDEX(lst_neste_id_mal,1)&"|"&INDEX(lst_neste_id_tiltak,1)&"|"&' \
                   'INDEX(lst_neste_id_risiko,1)'
    (out,) = convert_many([plan], tmp_path / "lo", "xlsx", recalc=True)
    values = openpyxl.load_workbook(out, data_only=True)["Probe"]
    assert [values[f"A{r}"].value for r in range(1, 6)] == [2, "M1|M2", 3, "M2|T1",
                                                            "M3|T2|R8"]
    assert next_ids("R", RISK_IDS, 1) == ["R8"]  # what validate gives a row without an ID

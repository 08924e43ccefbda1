"""Plans that print (issues 16 and 23), measured on paper: headless LibreOffice renders the
blank plan, a plan filled as in the demo, its status round (``generate --from``), its
feedback copy and the national overview to PDF, and the test reads the pages back with
``pdftotext -bbox``.

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

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from smso_xl.round.consolidation import consolidate
from smso_xl.round.demo import answers
from smso_xl.round.feedback import write_feedback
from smso_xl.round.overview import write_overview
from smso_xl.round.rounds import generate_round
from smso_xl.round.validation import validate
from smso_xl.template.config import default_regions
from smso_xl.template.definition import load_template
from smso_xl.template.prefill import next_ids
from smso_xl.template.values import format_date
from smso_xl.workbook.fill import fill_plan as fill_into
from tests.libreoffice import convert_many, require_soffice
from tests.printed import Page
from tests.printed import by_sheet as _by_sheet
from tests.printed import calibration as _calibration
from tests.printed import pages_of as _pages
from tests.tiers import runs_libreoffice
from tests.workbooks import edit_workbook, template_copy

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

MIN_PT = 8.0
V3 = load_template().version  # the newest: what generate writes
YEAR = 2026


@pytest.fixture(scope="module")
@runs_libreoffice
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Page]]:
    require_soffice()
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the printed pages")
    tmp = tmp_path_factory.mktemp("print")
    blank = template_copy(tmp, region="42", year=YEAR, name="blank.xlsx", version=V3)
    filled = fill_into(blank, tmp / "filled.xlsx", **answers("42", YEAR, set()))
    inbox = tmp / "innboks"
    inbox.mkdir()
    for code in ("42", "03", "11"):
        fill_into(template_copy(tmp, region=code, year=YEAR, version=V3),
                  inbox / f"plan-{code}.xlsx", **answers(code, YEAR, set()))
    overview = write_overview(consolidate([inbox], year=YEAR), tmp / "overview.xlsx")
    # The status round: Agder's plan carried into a new workbook, as generate --from does.
    status_round = generate_round([inbox / "plan-42.xlsx"], regions=default_regions(),
                                  out_dir=tmp / "runde-2", region_codes=["42"])
    status = status_round.generated.files[0].path.rename(tmp / "status.xlsx")
    # The feedback copy of a plan with mistakes in it (the demo's kind).
    mistaken = fill_into(
        template_copy(tmp, region="42", year=YEAR, name="mistaken.xlsx", version=V3),
        tmp / "mistaken.xlsx", **answers("42", YEAR, {"missing_responsible", "text_dates"}))
    copy = write_feedback(validate([mistaken]).files[0], tmp / "retur")
    assert copy is not None
    feedback = copy.rename(tmp / "feedback.xlsx")
    pdfs = convert_many([blank, filled, status, feedback, overview,
                         _calibration(tmp / "calibration.xlsx")], tmp / "pdf", "pdf")
    return {pdf.stem: _pages(pdf) for pdf in pdfs}


def _box_per_point(printed: dict[str, list[Page]]) -> float:
    (page,) = printed["calibration"]
    (word,) = [w for w in page.words if w[3] == "Kalibrering"]
    return word[2] / 10


@pytest.mark.parametrize("name", ["blank", "filled", "status", "feedback", "overview"])
def test_printed_text_is_at_least_8_pt_on_every_page(printed: dict[str, list[Page]],
                                                     name: str) -> None:
    per_point = _box_per_point(printed)
    smallest = {sheet: min(w[2] for p in pages for w in p.words) / per_point
                for sheet, pages in _by_sheet(printed[name]).items()}
    assert {s: round(pt, 1) for s, pt in smallest.items() if pt < MIN_PT} == {}
    assert len(smallest) >= 8  # every sheet printed and found by its footer


@pytest.mark.parametrize("name,title", [("blank", f"Agder {YEAR}"), ("filled", f"Agder {YEAR}"),
                                        ("status", f"Agder {YEAR}"),
                                        ("overview", f"Nasjonal oversikt {YEAR} per "
                                                     f"{format_date(dt.date.today())}")])
def test_every_page_names_workbook_sheet_and_page(printed: dict[str, list[Page]], name: str,
                                                  title: str) -> None:
    pages = printed[name]
    for number, page in enumerate(pages, start=1):
        assert page.footer == f"{title} – {page.sheet} Side {number} av {len(pages)}"


# Pages per sheet, at most (measured with DejaVu Sans; see the module's docstring). Before
# issue 16: a blank plan printed 15 pages, its tables fitted one page wide at 3.5–5.5 pt;
# with 200 prefilled IDs at a readable size LibreOffice printed 54 (blank) and 63 (filled).
# Before issue 23 (template version 2): 19 pages, Tiltak 4 across, Risiko 3, Mål 2, and
# nine of them nothing but a blue header bar. Version 3: a table is at most two pages
# across (Parter, Risiko and Egenvurdering one), Sjekk prints at the smallest readable
# scale, and Forankring on one page. Sjekk's 67 checks need two pages at 8 pt: 12 pages in
# all for a blank plan.
PLAN = {"Veiledning": 1, "Organisering": 1, "Parter": 1, "Mål": 2, "Tiltak": 2,
        "Risiko": 1, "Egenvurdering": 1, "Sjekk": 2, "Forankring": 1}
PLAN_PAGES = {"blank": PLAN, "filled": PLAN, "status": PLAN,
              "feedback": {"Tilbakemelding": 1, **PLAN}}
MOST_PAGES = {"blank": 12, "filled": 14, "status": 14}


@pytest.mark.parametrize("name", PLAN_PAGES)
def test_page_counts_of_the_plans(printed: dict[str, list[Page]], name: str) -> None:
    pages = {sheet: len(p) for sheet, p in _by_sheet(printed[name]).items()}
    assert list(pages) == list(PLAN_PAGES[name])  # in the workbook's order
    assert {s: n for s, n in pages.items() if n > PLAN_PAGES[name][s]} == {}
    assert sum(pages.values()) <= MOST_PAGES.get(name, 99)


TABLES = [s for s in load_template().tables]


def _header_words(page: Page) -> list[str]:
    """The header row's words, left to right: the top line of the page."""
    top = min(w[1] for w in page.words)
    return [w[3] for w in sorted(w for w in page.words if w[1] < top + 2)]


@pytest.mark.parametrize("name", ["blank", "filled", "status"])
@pytest.mark.parametrize("sheet", [s.name for s in TABLES if s.key_of("id")])
def test_first_page_across_carries_who_when_and_status(printed: dict[str, list[Page]],
                                                       name: str, sheet: str) -> None:
    """Every page repeats the ID and the title; the first across has Ansvarlig, Frist and
    Status; a row spans at most two pages across."""
    table = load_template().sheet(sheet)
    title = table.column(table.key_of("title") or "").header
    owner, deadline, status = (table.column(table.key_of(role) or "").header
                               for role in ("owner", "deadline", "status"))
    pages = _by_sheet(printed[name])[sheet]
    headers = [_header_words(page) for page in pages]
    for words in headers:
        assert words[0] == "ID" and title in words[:3], words
    assert {owner, deadline, status} <= set(headers[0]), headers[0]
    across = {tuple(words) for words in headers}
    assert len(across) <= 2, across


def _overlaps(page: Page) -> list[tuple[str, str]]:
    """Words printed over other words: boxes on different lines that share columns and
    more than a third of their height. (A box is taller than the line: the lines of one
    paragraph touch.)"""
    found = []
    words = sorted(page.words, key=lambda w: w[1])
    for i, (x, top, height, text, right) in enumerate(words):
        for x2, top2, _, text2, right2 in words[i + 1:]:
            if top2 >= top + height * 2 / 3:
                break  # sorted by top: no later word reaches up to this one
            if abs(top2 - top) > 0.5 and x < right2 - 0.5 and x2 < right - 0.5:
                found.append((text, text2))
    return found


@pytest.mark.parametrize("name", ["blank", "filled", "status", "feedback"])
def test_no_text_prints_over_another_row(printed: dict[str, list[Page]], name: str) -> None:
    """Every row the tool writes text into is as tall as its text (Veiledning, Sjekk,
    carried rows, the feedback copy's findings): no word's box meets another's."""
    overlaps = {f"{page.sheet} {number}": _overlaps(page)
                for number, page in enumerate(printed[name], start=1) if _overlaps(page)}
    assert overlaps == {}


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
    plan = template_copy(tmp_path, region="42", year=YEAR, name="probe.xlsx", version=V3)
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

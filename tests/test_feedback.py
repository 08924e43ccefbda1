"""Feedback copies: a returned workbook, marked up at every finding, with nothing of the
region's lost and the original untouched."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
import python_calamine as calamine
from click.testing import CliRunner
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.filters import FilterColumn, Filters
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from smso_xl.base.cells import parse_a1
from smso_xl.base.findings import Finding
from smso_xl.base.formats import ERROR_FILL, FONT_NAME, INPUT_FILL, WARNING_FILL
from smso_xl.cli.commands import main
from smso_xl.round.feedback import AUTHOR, FILLS, MARK_TAG, SHEET, write_all, write_feedback
from smso_xl.round.validation import validate
from smso_xl.template.config import default_parties
from smso_xl.template.definition import load_template
from smso_xl.workbook import selfcheck
from smso_xl.workbook.fill import load_workbook

try:
    from tests.libreoffice import convert, require_soffice
except ImportError:  # tests/ itself on sys.path
    from libreoffice import convert, require_soffice  # type: ignore[no-redef]

D = dt.date
TODAY = D(2026, 6, 1)
TEMPLATE_SHEETS = ("Veiledning", "Organisering", "Parter", "Mål", "Tiltak", "Risiko",
                   "Egenvurdering", "Sjekk", "Forankring", "Lister", "Metadata")
# What every region fills before the rows a test is about: the rest of the plan is then clean.
FORM = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
        "Overordnet mål for samarbeidet": "Mindre svart arbeid i Agder."}
STANDS = [{"Deltakelse": "Vurdert – ikke aktuelt"}] * len(default_parties())
ASSESSED = [{"Vurdering": "Oppfylt"}] * len(load_template().criteria)
# A plan needs a goal (template version 2): one clean goal stands in every returned plan.
GOALS = [{"Mål": "Flere elever kjenner konsekvensene", "Indikator": "Elever nådd",
          "Målverdi": "500", "Frist": D(2026, 11, 30), "Ansvarlig": "Kari Nordmann",
          "Status": "Pågår"}]

TILTAK = [
    {"Tiltak": "Skolebesøk", "Ansvarlig": "Kari Nordmann", "Frist": D(2026, 5, 1),
     "Status": "Pågår", "Budsjett (kr)": 20000, "Intern merknad": "ring Per"},
    {"Tiltak": "Kampanje", "Kommentar": "=SUM(A1) er tekst"},       # no Ansvarlig, no Frist
    {"Tiltak": "Seminar", "Ansvarlig": "?", "Frist": "snart"},
    {"Tiltak": "Bransjemøte", "Frist": D(2026, 9, 1), "Intern merknad": "budsjett?"},
]
EXPECTED = [("deadline-overdue", "Tiltak", "F2"), ("responsible-missing", "Tiltak", "D3"),
            ("deadline-missing", "Tiltak", "F3"), ("responsible-placeholder", "Tiltak", "D4"),
            ("date-invalid", "Tiltak", "F4"), ("responsible-missing", "Tiltak", "D5")]


# --- building returned workbooks ----------------------------------------------------------


def fill(template: Path, dest: Path, tables: Mapping[str, Sequence[Mapping[str, object]]],
         *, form: Mapping[str, object] = FORM, extra_sheet: bool = False) -> Path:
    """The template as a region returns it: table rows from row 2 by header (an unknown
    header becomes a column the region added), form values by label. (Its print areas
    stay, as in Excel.)"""
    wb = load_workbook(template.read_bytes())
    labels = {cell.value: cell.row for cell in wb["Organisering"]["A"]}
    for label, value in form.items():
        wb["Organisering"].cell(labels[label], 2, value)
    for name, rows in {"Parter": STANDS, "Egenvurdering": ASSESSED, "Mål": GOALS,
                       **tables}.items():
        ws = wb[name]
        columns = {c.value: c.column for c in ws[1] if c.value}
        prefix = load_template().sheet(name).id_prefix
        for row, values in enumerate(rows, start=2):
            if prefix and "ID" not in values:  # picked from the ID dropdown, as a region does
                values = {"ID": f"{prefix}{row - 1}", **values}
            for header, value in values.items():
                if header not in columns:
                    columns[header] = ws.max_column + 1
                    ws.cell(1, columns[header], header)
                cell = ws.cell(row, columns[header], value)
                if isinstance(value, str):
                    cell.data_type = "s"  # what a region types is text, '=' or not
    if extra_sheet:
        notes = wb.create_sheet("Notater")
        notes.append(["Møtereferat", D(2026, 2, 3)])
        notes.append(["Neste møte", "april"])
    wb.save(dest)
    return dest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def returned(agder_plan: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One returned workbook with findings, validated, and its feedback copy."""
    inbox = tmp_path_factory.mktemp("inbox")
    source = fill(agder_plan, inbox / "Agder 2026.xlsx", {"Tiltak": TILTAK}, extra_sheet=True)
    before = sha256(source)
    report = validate([source], today=TODAY)
    results = write_all(report, tmp_path_factory.mktemp("feedback"))
    return SimpleNamespace(source=source, before=before, after=sha256(source),
                           report=report.files[0], result=results[0],
                           original=openpyxl.load_workbook(source),
                           copy=openpyxl.load_workbook(results[0].path))


def cells(ws: Worksheet) -> Iterator[openpyxl.cell.cell.Cell]:
    for row in ws.iter_rows():
        yield from (c for c in row if not isinstance(c, MergedCell))


def marked(wb: openpyxl.Workbook) -> dict[tuple[str, str], str]:
    return {(ws.title, c.coordinate): c.comment.text for ws in wb.worksheets for c in cells(ws)
            if c.comment is not None and c.comment.author == AUTHOR}


def style(cell: openpyxl.cell.cell.Cell) -> tuple[object, ...]:
    """Fill, font, border, protection, alignment (openpyxl's style proxies never compare equal
    across workbooks; copies of the styles do)."""
    return tuple(copy.copy(getattr(cell, name))
                 for name in ("fill", "font", "border", "protection", "alignment"))


def table_rows(ws: Worksheet) -> list[tuple[object, ...]]:
    header = next(c.row for c in ws["A"] if c.value == "Alvorlighet")
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=header + 1)]


# --- the copy and its first sheet ---------------------------------------------------------


def test_findings_of_the_example_are_the_expected_ones(returned: SimpleNamespace) -> None:
    assert [(f.code, f.sheet, f.cell) for f in returned.report.findings] == EXPECTED


def test_copy_is_written_beside_never_onto_the_input(returned: SimpleNamespace) -> None:
    assert returned.result.path.name == "Agder 2026-tilbakemelding.xlsx"
    assert returned.result.problem is None and returned.result.lost == ()
    assert returned.after == returned.before


def test_the_sheet_looks_and_prints_like_the_rest_of_the_workbook(
        returned: SimpleNamespace) -> None:
    ws = returned.copy[SHEET]
    # Every font named (LibreOffice drew the nameless ones in a serif), A4, the footer.
    assert {c.font.name for c in cells(ws) if c.value is not None} == {FONT_NAME}
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape")
    assert ws.page_setup.scale >= 80 and not ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == (
        "Agder 2026 – &A", "Side &P av &N")
    # The legend's colours: a warning is orange, not the yellow of the input cells.
    intro = " ".join(str(c.value) for c in ws["A"][:8] if c.value)
    assert "rød = feil" in intro and "oransje = advarsel" in intro and "gul" not in intro
    assert FILLS["error"] == "FF" + ERROR_FILL[1:]
    assert FILLS["warning"] == "FF" + WARNING_FILL[1:] != "FF" + INPUT_FILL[1:]


def test_the_plan_keeps_its_print_areas(returned: SimpleNamespace) -> None:
    """openpyxl cannot model a print area that is a formula; the copy keeps them."""
    def areas(path: Path) -> list[str]:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/workbook.xml").decode()
        return sorted(re.findall(r'name="_xlnm.Print_Area"[^>]*>(OFFSET[^<]*)<', xml))

    assert len(areas(returned.source)) == 5
    assert areas(returned.result.path) == areas(returned.source)


def test_first_and_active_sheet_lists_every_finding_errors_first(
        returned: SimpleNamespace) -> None:
    wb = returned.copy
    assert wb.sheetnames[0] == SHEET and wb.active.title == SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [SHEET]
    rows = table_rows(wb[SHEET])
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Feil", "Tiltak", "D3"), ("Feil", "Tiltak", "F3"), ("Feil", "Tiltak", "D4"),
        ("Feil", "Tiltak", "F4"), ("Feil", "Tiltak", "D5"), ("Advarsel", "Tiltak", "F2")]
    assert rows[3][3:5] == ("Frist", "snart")
    summary = {a.value: b.value for a, b in zip(wb[SHEET]["A"], wb[SHEET]["B"], strict=True)
               if isinstance(b.value, int)}
    assert summary == {"Feil": 5, "Advarsler": 1, "Merknader": 0}
    assert wb[SHEET].freeze_panes is not None and wb[SHEET].auto_filter.ref


def test_links_lead_to_the_finding_cells(returned: SimpleNamespace) -> None:
    ws = returned.copy[SHEET]
    header = next(c.row for c in ws["A"] if c.value == "Alvorlighet")
    links = [ws.cell(row, 3).hyperlink for row in range(header + 1, ws.max_row + 1)]
    assert [link.location for link in links] == [
        "'Tiltak'!D3", "'Tiltak'!F3", "'Tiltak'!D4", "'Tiltak'!F4", "'Tiltak'!D5",
        "'Tiltak'!F2"]
    for link in links:  # a link works when its sheet exists and its cell is a cell
        sheet, _, ref = link.location.partition("!")
        assert sheet.strip("'") in returned.copy.sheetnames
        assert parse_a1(ref)
        assert not link.target  # internal: no external relationship


def live_marks(ws: Worksheet) -> dict[str, tuple[str, str]]:
    """Our conditional marks: cell → (its fill colour, the condition it holds under)."""
    return {str(cf.sqref): (rule.dxf.fill.fgColor.rgb, rule.formula[0].removeprefix(MARK_TAG))
            for cf in ws.conditional_formatting for rule in cf.rules
            if rule.formula and rule.formula[0].startswith(MARK_TAG)}


def test_each_finding_cell_has_a_comment_and_a_live_mark(returned: SimpleNamespace) -> None:
    book = returned.copy
    assert set(marked(book)) == {(f.sheet, f.cell) for f in returned.report.findings}
    assert "«snart» er ikke en dato" in marked(book)[("Tiltak", "F4")]
    tiltak = book["Tiltak"]
    marks = live_marks(tiltak)
    assert {(ref, fill) for ref, (fill, _) in marks.items()} == {
        ("F2", FILLS["warning"]), ("D3", FILLS["error"]), ("F3", FILLS["error"]),
        ("D4", FILLS["error"]), ("F4", FILLS["error"]), ("D5", FILLS["error"])}
    # Marked while the cell holds what was flagged: nothing, the same text, the same date.
    assert marks["D3"][1] == "LEN(D3)=0"
    assert marks["D4"][1] == 'EXACT(LEFT(D4,200),"?")'
    assert marks["F2"][1] == "AND(ISNUMBER(F2),INT(F2)=DATE(2026,5,1))"
    original = returned.original["Tiltak"]
    assert tiltak["D3"].fill.start_color.rgb == original["D3"].fill.start_color.rgb  # no fixed
    assert style(tiltak["D2"]) == style(returned.original["Tiltak"]["D2"])  # not marked


def test_marking_keeps_value_format_font_borders_and_lock(returned: SimpleNamespace) -> None:
    for sheet, ref in [("Tiltak", "F2"), ("Tiltak", "F4"), ("Tiltak", "D4")]:
        before, after = returned.original[sheet][ref], returned.copy[sheet][ref]
        assert (after.value, after.number_format) == (before.value, before.number_format)
        assert style(after) == style(before)  # the mark is a conditional format


# --- nothing the region made is lost --------------------------------------------------------


def _comparable(value: object) -> object:
    """An array formula (Sjekk's counts) compares by its range and text, not identity."""
    return (value.ref, value.text) if isinstance(value, ArrayFormula) else value


def test_every_value_survives(returned: SimpleNamespace) -> None:
    for ws in returned.original.worksheets:
        other = returned.copy[ws.title]
        original = {c.coordinate: (_comparable(c.value), c.data_type) for c in cells(ws)
                    if c.value is not None}
        kept = {c.coordinate: (_comparable(c.value), c.data_type) for c in cells(other)
                if c.value is not None}
        assert kept == original, ws.title
    assert returned.copy["Tiltak"]["P3"].value == "=SUM(A1) er tekst"
    assert returned.copy["Tiltak"]["P3"].data_type == "s"


def test_extra_column_and_extra_sheet_survive(returned: SimpleNamespace) -> None:
    tiltak = returned.copy["Tiltak"]
    assert [tiltak["R1"].value, tiltak["R2"].value, tiltak["R5"].value] == \
        ["Intern merknad", "ring Per", "budsjett?"]  # after the template's last column
    assert [[c.value for c in row] for row in returned.copy["Notater"].iter_rows()] == \
        [["Møtereferat", dt.datetime(2026, 2, 3)], ["Neste møte", "april"]]


def _validations(ws: Worksheet) -> list[tuple[object, ...]]:
    return sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.errorStyle, dv.prompt)
                  for dv in ws.data_validations.dataValidation)


def _formats(ws: Worksheet) -> list[tuple[object, ...]]:
    """The workbook's own conditional formats (not the feedback's marks)."""
    return sorted((str(cf.sqref), rule.type, rule.operator, tuple(rule.formula or ()),
                   repr(rule.dxf.fill.fgColor.rgb if rule.dxf and rule.dxf.fill else None))
                  for cf in ws.conditional_formatting for rule in cf.rules
                  if not (rule.formula and rule.formula[0].startswith(MARK_TAG)))


def test_dropdowns_and_conditional_formats_survive(returned: SimpleNamespace) -> None:
    for ws in returned.original.worksheets:
        other = returned.copy[ws.title]
        assert _validations(other) == _validations(ws), ws.title
        assert _formats(other) == _formats(ws), ws.title
    dropdowns = {str(dv.sqref): dv.formula1 for dv in returned.copy["Tiltak"].data_validations
                 .dataValidation if dv.type == "list"}
    assert dropdowns["G2:G201"] == "lst_status" and dropdowns["E2:E201"] == "lst_parter"
    # every error check's mark on Tiltak (selfcheck), and the overdue deadline's red text
    template = load_template()
    counts = {s.name: 200 for s in template.tables}
    marks = [m for c in selfcheck.all_checks(template, counts, (dt.date(2026, 1, 1),
                                                                dt.date(2026, 12, 31)))
             if c.sheet == "Tiltak" and c.blocking for m in c.marks]
    assert len(marks) == 18
    assert len(_formats(returned.copy["Tiltak"])) == len(marks) + 1


def test_tables_names_states_protection_and_properties_survive(
        returned: SimpleNamespace, fixed: Any) -> None:
    original, book = returned.original, returned.copy
    assert book.sheetnames == [SHEET, *TEMPLATE_SHEETS, "Notater"]
    for ws in original.worksheets:
        other = book[ws.title]
        assert dict(other.tables.items()) == dict(ws.tables.items())  # name → range
        assert (other.sheet_state, other.protection.sheet, other.freeze_panes,
                other.print_title_rows) == \
            (ws.sheet_state, ws.protection.sheet, ws.freeze_panes, ws.print_title_rows)
    assert book["Lister"].sheet_state == "hidden"
    assert book["Metadata"].sheet_state == "veryHidden"
    assert {n: d.value for n, d in book.defined_names.items()} == \
        {n: d.value for n, d in original.defined_names.items()}
    assert book.defined_names["lst_status"].value.startswith("Lister!$")
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert props["smso.file_id"] == fixed.file_id and props["smso.region_code"] == "42"


def test_copy_reads_back_as_the_same_submission(returned: SimpleNamespace) -> None:
    again = validate([returned.result.path], today=TODAY).files[0]
    assert again.workbook is not None and returned.report.workbook is not None
    assert again.workbook.identity == returned.report.workbook.identity
    assert [(f.code, f.cell) for f in again.findings] == \
        [(f.code, f.cell) for f in returned.report.findings]


# --- special cases --------------------------------------------------------------------------


@pytest.mark.slow
def test_clean_file_gets_the_sheet_saying_no_errors(agder_plan: Path, tmp_path: Path) -> None:
    source = fill(agder_plan, tmp_path / "ren.xlsx", {"Tiltak": [
        {"Tiltak": "Skolebesøk", "Ansvarlig": "Kari Nordmann", "Frist": D(2026, 10, 1)}]})
    report = validate([source], today=TODAY).files[0]
    assert report.findings == []
    book = openpyxl.load_workbook(write_feedback(report, tmp_path / "ut"))
    texts = [c.value for c in book[SHEET]["A"]]
    assert "Ingen feil: ingenting å rette, ingenting å sende." in texts
    assert "Alvorlighet" not in texts and not any("send den tilbake" in str(t) for t in texts)
    assert marked(book) == {}


@pytest.mark.slow
def test_odd_findings_never_crash(returned: SimpleNamespace, tmp_path: Path) -> None:
    def at(sheet: str | None, cell: str | None, message: str) -> Finding:
        return Finding(code="x", severity="warning", message=message, sheet=sheet, cell=cell)

    odd = [at("Tiltak", "D3", "første"), at("Tiltak", "D3", "andre"),  # one comment, both
           at("Sjekk", "C2", "flettet"),                                # inside merged A2:D2
           at("Slettet ark", "B2", "borte"), at("Tiltak", "ikke en celle", "rar"),
           at("Tiltak", None, "hele arket"), at(None, None, "hele filen")]
    report = dataclasses.replace(returned.report, findings=odd)
    path = write_feedback(report, tmp_path)
    book = openpyxl.load_workbook(path)
    assert marked(book) == {("Tiltak", "D3"): "første\n\nandre", ("Sjekk", "A2"): "flettet"}
    rows = table_rows(book[SHEET])
    assert [(r[1], r[2]) for r in rows] == [(f.sheet, f.cell) for f in odd]
    header = book[SHEET].max_row - len(odd)
    links = [next((c.hyperlink.location for c in book[SHEET][header + i][1:3] if c.hyperlink),
                  None) for i in range(1, len(odd) + 1)]
    assert links == ["'Tiltak'!D3", "'Tiltak'!D3", "'Sjekk'!C2", None, "'Tiltak'!A1",
                     "'Tiltak'!A1", None]
    # Next round, nothing found: the marks go, and the cells look as the template made them.
    again = dataclasses.replace(validate([path], today=TODAY).files[0], findings=[])
    book = openpyxl.load_workbook(write_feedback(again, tmp_path / "runde2"))
    assert marked(book) == {}
    for sheet, ref in [("Tiltak", "D3"), ("Sjekk", "A2")]:
        assert style(book[sheet][ref]) == style(returned.original[sheet][ref])


@pytest.mark.slow
def test_second_round_replaces_the_old_marks(returned: SimpleNamespace, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(returned.result.path)
    wb["Tiltak"]["D3"] = "Ola Nordmann"  # fixed; F3, D4, F4, D5 are not
    wb["Tiltak"]["C2"].comment = openpyxl.comments.Comment("Vår egen merknad", "Kari")
    wb.save(tmp_path / "runde2.xlsx")
    report = validate([tmp_path / "runde2.xlsx"], today=TODAY).files[0]
    book = openpyxl.load_workbook(write_feedback(report, tmp_path / "ut"))
    assert book.sheetnames.count(SHEET) == 1 and len(book.sheetnames) == 13
    assert set(marked(book)) == {("Tiltak", ref) for ref in ("F2", "F3", "D4", "F4", "D5")}
    assert style(book["Tiltak"]["D3"]) == style(returned.original["Tiltak"]["D3"])
    assert book["Tiltak"]["C2"].comment.text == "Vår egen merknad"


@pytest.mark.slow
def test_write_all_goes_on_after_a_failure(returned: SimpleNamespace, tmp_path: Path) -> None:
    inbox = tmp_path / "inn"
    for folder in ("a", "b", "c"):
        (inbox / folder).mkdir(parents=True)
        shutil.copy(returned.source, inbox / folder / "Agder.xlsx")
    (inbox / "broken.xlsx").write_bytes(b"not a workbook")
    report = validate([inbox], today=TODAY)
    (inbox / "b" / "Agder.xlsx").write_bytes(b"PK changed since validation")
    results = write_all(report, tmp_path / "ut")
    assert [(r.source.relative_to(inbox).as_posix(), r.path and r.path.name) for r in results] == [
        ("a/Agder.xlsx", "Agder-tilbakemelding.xlsx"), ("b/Agder.xlsx", None),
        ("broken.xlsx", None), ("c/Agder.xlsx", "Agder-tilbakemelding-2.xlsx")]
    assert results[1].problem and "b" not in {p.name for p in (tmp_path / "ut").iterdir()}
    assert results[2].problem and "kunne ikke leses" in results[2].problem


def rezip(src: Path, dest: Path, edit: Mapping[str, Callable[[bytes], bytes]],
          add: Mapping[str, bytes]) -> Path:
    """A copy of a workbook package with some parts edited and some added."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, edit[item.filename](data) if item.filename in edit else data)
        for name, data in add.items():
            new.writestr(name, data)
    return dest


def test_xlsm_keeps_its_macros(returned: SimpleNamespace, tmp_path: Path) -> None:
    vba = b"\xd0\xcf\x11\xe0 not really a VBA project, but kept byte for byte"
    types = {"[Content_Types].xml": lambda xml: xml.replace(
        b"openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"ms-excel.sheet.macroEnabled.main+xml").replace(
        b"<Default ", b'<Default Extension="bin" '
        b'ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)}
    source = rezip(returned.source, tmp_path / "Agder.xlsm", types, {"xl/vbaProject.bin": vba})
    report = validate([source], today=TODAY).files[0]
    path = write_feedback(report, tmp_path / "ut")
    assert path is not None and path.name == "Agder-tilbakemelding.xlsm"
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in archive.read("[Content_Types].xml")


def test_what_openpyxl_drops_is_reported(returned: SimpleNamespace, tmp_path: Path) -> None:
    x14 = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://'
           b'schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations '
           b'count="0"/></ext></extLst></worksheet>')
    source = rezip(returned.source, tmp_path / "Agder.xlsx",
                   {"xl/worksheets/sheet5.xml": lambda xml: xml.replace(b"</worksheet>", x14)},
                   {"xl/threadedComments/threadedComment1.xml": b"<ThreadedComments/>"})
    result = write_all(validate([source], today=TODAY), tmp_path / "ut")[0]
    assert result.path is not None
    assert result.lost == ("trådede kommentarer (notatene er beholdt)",
                           "Data Validation extension is not supported and will be removed")


# --- .ods -------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


@pytest.mark.libreoffice
@pytest.mark.slow
def test_ods_is_rebuilt_with_the_regions_values_and_marks(returned: SimpleNamespace,
                                                         tmp_path: Path, fixed: Any) -> None:
    require_soffice()
    hidden_notes = openpyxl.load_workbook(returned.source)
    hidden_notes["Notater"].sheet_state = "hidden"  # a sheet the region added and hid
    hidden_notes.save(tmp_path / "Agder 2026.xlsx")
    ods = convert(tmp_path / "Agder 2026.xlsx", tmp_path / "ods", "ods")
    before = sha256(ods)
    report = validate([ods], today=TODAY).files[0]
    assert [(f.code, f.sheet, f.cell) for f in report.findings] == EXPECTED
    result = write_feedback(report, tmp_path / "ut")
    assert result is not None and result.suffix == ".xlsx" and sha256(ods) == before
    book = openpyxl.load_workbook(result)
    with calamine.CalamineWorkbook.from_path(str(ods)) as sent:
        for name in sent.sheet_names:
            grid = sent.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ws = book[name]
            for row, line in enumerate(grid, start=1):
                for col, value in enumerate(line, start=1):
                    cell = ws.cell(row, col)
                    if value != "" and cell.data_type != "f":
                        assert _plain(cell.value) == _plain(value), (name, cell.coordinate)
    assert book["Tiltak"]["P3"].data_type == "s"
    assert set(marked(book)) == {(f.sheet, f.cell) for f in report.findings}
    assert live_marks(book["Tiltak"])["F4"][0] == FILLS["error"]
    assert book.sheetnames[0] == SHEET and book["Notater"].sheet_state == "hidden"
    assert book["Metadata"].sheet_state == "veryHidden"
    assert any(dv.formula1 == "lst_status" for dv in book["Tiltak"].data_validations.dataValidation)
    again = validate([result], today=TODAY).files[0]
    assert again.workbook is not None and report.workbook is not None
    assert again.workbook.identity == report.workbook.identity
    assert report.workbook.identity is not None
    assert report.workbook.identity.file_id == fixed.file_id
    assert [(f.code, f.cell) for f in again.findings] == [(f.code, f.cell) for f in report.findings]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_a_fixed_cell_loses_its_mark_in_libreoffice(returned: SimpleNamespace,
                                                   tmp_path: Path) -> None:
    """The region fixes one marked cell in the copy: after LibreOffice recalculates,
    Tilbakemelding says «Endret» for that finding and «Gjenstår» for the others, and the
    fixed copy validates like any returned plan."""
    require_soffice()
    copy = tmp_path / "copy.xlsx"
    assert returned.result.path is not None
    book = openpyxl.load_workbook(returned.result.path)
    book["Tiltak"]["D3"] = "Kari Nordmann"   # responsible-missing: fixed
    book["Tiltak"]["F4"] = D(2026, 10, 1)    # date-invalid «snart»: fixed
    book.save(copy)
    out = convert(copy, tmp_path / "lo", "xlsx", recalc=True)
    sheet = openpyxl.load_workbook(out, data_only=True)[SHEET]
    header = next(r for r in sheet.iter_rows(min_row=1) if r[0].value == "Alvorlighet")[0].row
    status = {(r[1], r[2]): r[6] for r in sheet.iter_rows(min_row=header + 1, values_only=True)}
    assert status[("Tiltak", "D3")] == "Endret" and status[("Tiltak", "F4")] == "Endret"
    assert {v for k, v in status.items() if k not in {("Tiltak", "D3"), ("Tiltak", "F4")}} == {
        "Gjenstår"}
    again = [(f.code, f.cell) for f in validate([out], today=TODAY).files[0].findings]
    assert ("responsible-missing", "D3") not in again and ("date-invalid", "F4") not in again
    assert ("responsible-placeholder", "D4") in again


# --- marks in rows the region hid ------------------------------------------------------------


def _filtered(agder_plan: Path, dest: Path) -> Path:
    """A region's plan as it comes back filtered: on Tiltak the Table's filter shows only
    «Pågår», which hides the three rows with findings (3–5); on Risiko the region hid two
    rows by hand, a high risk without mitigation (row 2, marked) and a clean one (row 3)."""
    risks = [{"Risiko": "Svart arbeid i bygg", "Sannsynlighet (1–5)": 5, "Konsekvens (1–5)": 5},
             {"Risiko": "Lite oppmøte", "Sannsynlighet (1–5)": 1, "Konsekvens (1–5)": 1,
              "Risikoreduserende tiltak": "Påminnelse"}]
    clean = {"Tiltak": "Nettside", "Ansvarlig": "Kari Nordmann", "Frist": D(2026, 10, 1),
             "Status": "Pågår"}
    fill(agder_plan, dest, {"Tiltak": [*TILTAK, clean], "Risiko": risks})
    book = openpyxl.load_workbook(dest)
    ws = book["Tiltak"]
    table = next(iter(ws.tables.values()))
    status = next(c.column for c in ws[1] if c.value == "Status")
    table.autoFilter.filterColumn = [FilterColumn(
        colId=status - CellRange(table.ref).min_col, filters=Filters(filter=["Pågår"]))]
    for row in (3, 4, 5):
        ws.row_dimensions[row].hidden = True
    for row in (2, 3):
        book["Risiko"].row_dimensions[row].hidden = True
    book.save(dest)
    return dest


def _hidden(ws: Worksheet, rows: range) -> list[int]:
    return [r for r in rows if ws.row_dimensions[r].hidden]


def _check_shown(source: Path, out: Path) -> openpyxl.Workbook:
    report = validate([source], today=TODAY)
    assert ("risk-unmitigated", "Risiko", 2) in {(f.code, f.sheet, f.row)
                                                 for f in report.files[0].findings}
    [result] = write_all(report, out)
    assert result.path is not None, result.problem
    copy_ = openpyxl.load_workbook(result.path)
    tiltak, risiko = copy_["Tiltak"], copy_["Risiko"]
    assert _hidden(tiltak, range(1, 60)) == []  # the filter's rows, all shown
    assert _hidden(risiko, range(1, 10)) == [3]  # hidden by hand, no mark: stays hidden
    table = next(iter(tiltak.tables.values()))
    original = openpyxl.load_workbook(source)["Tiltak"]
    assert table.ref == next(iter(original.tables.values())).ref
    assert table.autoFilter is not None and table.autoFilter.ref  # the buttons stay
    assert not table.autoFilter.filterColumn and not tiltak.auto_filter.filterColumn
    for row in range(1, 8):  # not a value lost
        assert [c.value for c in tiltak[row]] == [c.value for c in original[row]]
    said = [c.value for c in copy_[SHEET]["A"] if isinstance(c.value, str)]
    assert "Arket Tiltak: rad 3, 4, 5 var skjult, men har merkede celler, og vises nå. " \
        "Filteret er derfor fjernet (filterknappene er der fortsatt)." in said
    assert "Arket Risiko: rad 2 var skjult, men har merkede celler, og vises nå." in said
    return copy_


@pytest.mark.slow
def test_marks_in_filtered_and_hidden_rows_are_shown(agder_plan: Path, tmp_path: Path) -> None:
    source = _filtered(agder_plan, tmp_path / "Agder filtrert.xlsx")
    before = sha256(source)
    _check_shown(source, tmp_path / "retur")
    assert sha256(source) == before


@pytest.mark.libreoffice
@pytest.mark.slow
def test_marks_in_rows_hidden_by_libreoffice_are_shown(agder_plan: Path,
                                                        tmp_path: Path) -> None:
    """The same workbook saved by LibreOffice, which writes its filter and hidden rows in
    its own way."""
    require_soffice()
    (tmp_path / "arbeid").mkdir()
    source = _filtered(agder_plan, tmp_path / "arbeid" / "Agder filtrert.xlsx")
    saved = convert(source, tmp_path / "lo", "xlsx")
    resaved = openpyxl.load_workbook(saved)
    assert _hidden(resaved["Tiltak"], range(1, 10)) == [3, 4, 5]  # LibreOffice kept them hidden
    _check_shown(saved, tmp_path / "retur")


@pytest.mark.libreoffice
@pytest.mark.slow
def test_a_risk_the_region_added_gets_its_level_in_the_copy(agder_plan: Path,
                                                             tmp_path: Path) -> None:
    """An empty row holds no formula (issue 16), so a risk the region writes has no level
    text in its own workbook, only the colour: the copy writes the template's formulas into
    its score and level, and LibreOffice shows the level the check acted on."""
    require_soffice()
    source = fill(agder_plan, tmp_path / "risiko.xlsx", {"Risiko": [
        {"Risiko": "Få deltar", "Sannsynlighet (1–5)": 4, "Konsekvens (1–5)": 4}]})
    assert openpyxl.load_workbook(source)["Risiko"]["C2"].value is None
    report = validate([source], today=TODAY).files[0]
    assert ("risk-unmitigated", "J2") in {(f.code, f.cell) for f in report.findings}
    copy_path = write_feedback(report, tmp_path / "ut")
    risiko = openpyxl.load_workbook(copy_path)["Risiko"]
    assert risiko["C2"].value == '=IF(ISNUMBER(H2)*ISNUMBER(I2),H2*I2,"")'
    assert risiko["D2"].value.startswith("=IF(ISNUMBER(H2)*ISNUMBER(I2),IF(H2*I2>=15,")
    assert risiko["C3"].value is None  # an empty row stays empty
    shown = openpyxl.load_workbook(convert(copy_path, tmp_path / "lo", "xlsx", recalc=True),
                                   data_only=True)["Risiko"]
    assert (shown["C2"].value, shown["D2"].value) == (16, "Høy")
    # The same through the command line, which keeps tables and plans only for the copies.
    result = CliRunner().invoke(main, ["validate", str(source), "--feedback",
                                       str(tmp_path / "cli"), "--today", "01.06.2026"])
    assert result.exit_code == 1, result.output
    (cli_copy,) = (tmp_path / "cli").glob("*.xlsx")
    assert openpyxl.load_workbook(cli_copy)["Risiko"]["C2"].value == risiko["C2"].value


@pytest.mark.libreoffice
@pytest.mark.slow
def test_risk_levels_come_back_as_formulas_in_an_ods_copy_and_merges_are_left(
        agder_plan: Path, tmp_path: Path) -> None:
    """A copy rebuilt from .ods holds the values the region's formulas showed: the risk's
    score and level become formulas again. A score cell the region merged is left alone."""
    require_soffice()
    risks = [{"Risiko": "Få deltar", "Sannsynlighet (1–5)": 4, "Konsekvens (1–5)": 4,
              "Risikoskår": 16, "Risikonivå": "Høy"},
             {"Risiko": "Lite tid", "Sannsynlighet (1–5)": 2, "Konsekvens (1–5)": 2}]
    source = fill(agder_plan, tmp_path / "risiko.xlsx", {"Risiko": risks})
    ods = convert(source, tmp_path / "ods", "ods")
    rebuilt = openpyxl.load_workbook(write_feedback(validate([ods], today=TODAY).files[0],
                                                    tmp_path / "ut"))["Risiko"]
    assert rebuilt["C2"].value == '=IF(ISNUMBER(H2)*ISNUMBER(I2),H2*I2,"")'
    assert rebuilt["D2"].value.startswith("=IF(ISNUMBER(H2)*ISNUMBER(I2),")
    book = openpyxl.load_workbook(source)
    book["Risiko"].merge_cells("C2:C3")
    book.save(source)
    merged = openpyxl.load_workbook(write_feedback(validate([source], today=TODAY).files[0],
                                                   tmp_path / "ut-2"))["Risiko"]
    # C2 keeps what the region typed; C3, under the merge, is not written (openpyxl
    # refuses); the second risk's level is.
    assert merged["C2"].value == 16 and isinstance(merged["C3"], MergedCell)
    assert merged["D3"].value.startswith("=IF(")

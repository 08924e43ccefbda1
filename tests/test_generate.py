"""``generate`` read back: every element of the workbook (docs/reference.md §2) is checked by
opening the generated file and comparing it with the template definition.

openpyxl shows most of a workbook; where it hides or rewrites things (sheet state, table
parts, cached formula results, custom properties) the tests read the zip's XML.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from openpyxl.formatting.rule import Rule
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.worksheet import Worksheet as Worksheet_

from smso_xl import __version__
from smso_xl.base.fileio import OutputError
from smso_xl.cli.commands import main
from smso_xl.round.generator import generate
from smso_xl.template.config import (
    Region,
    Settings,
    default_parties,
    default_regions,
    load_settings,
)
from smso_xl.template.definition import Column, Sheet, load_template
from smso_xl.template.formulas import NAME_PREFIX
from smso_xl.template.kinds import input_columns, is_input
from smso_xl.template.model import FORM_FIRST_ROW, IDENTITY_KEYS, PROPERTY_PREFIX
from smso_xl.template.prefill import NEW_YEAR, Carried
from smso_xl.workbook import layout, selfcheck, writer
from smso_xl.workbook.selfcheck import checked_last_row
from smso_xl.workbook.writer import list_name, protects_table, write_plan

#: `generate` needs the coordinator's address (the demo alone has its own).
COORDINATOR = ("--coordinator", "Kari Koordinator <kari@example.no>")

if TYPE_CHECKING:
    from tests.conftest import Fixed

TEMPLATE = load_template()
TABLES = TEMPLATE.tables
M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
INPUT_FILL, LOCKED_FILL = "FFFFF8DC", "FFE7E6E6"
MISSING_FILL, OVERDUE_TEXT = "FFFFC7CE", "FFC00000"
RISK_FILLS = {"Lav": "FFC6EFCE", "Middels": "FFFFEB9C", "Høy": "FFFFC7CE"}
#: Kinds whose Excel validation is a rule the user meets while typing.
VALIDATED_KINDS = {"choice", "party", "reference", "date", "whole", "amount"}


# --- reading helpers -------------------------------------------------------------------------


def _load(path: Path) -> Workbook:
    return openpyxl.load_workbook(path)


def _xml(path: Path, member: str) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        return ET.fromstring(zf.read(member))


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → its worksheet part in the zip, in workbook order."""
    workbook = _xml(path, "xl/workbook.xml")
    rels = _xml(path, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PKG}}}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{{{M}}}sheet"):
        target = targets[sheet.get(f"{{{R}}}id")]
        parts[sheet.get("name", "")] = "xl/" + target.removeprefix("/xl/").removeprefix("/")
    return parts


def _sheet_xml(path: Path, sheet: str) -> ET.Element:
    return _xml(path, _sheet_parts(path)[sheet])


def _xml_cells(path: Path, sheet: str) -> dict[str, ET.Element]:
    return {c.get("r", ""): c for c in _sheet_xml(path, sheet).iter(f"{{{M}}}c")}


def _col(sheet: Sheet, key: str) -> str:
    return get_column_letter([c.key for c in sheet.columns].index(key) + 1)


def _data_rows(ws: Worksheet) -> int:
    (table,) = ws.tables.values()
    return range_boundaries(table.ref)[3] - 1


def _data_range(ws: Worksheet, sheet: Sheet, key: str) -> str:
    letter = _col(sheet, key)
    return f"{letter}2:{letter}{1 + _data_rows(ws)}"


def _marked_range(ws: Worksheet, sheet: Sheet, key: str) -> str:
    """Where the conditional formats reach: the Table and the rows a region adds below it."""
    letter = _col(sheet, key)
    return f"{letter}2:{letter}{checked_last_row(_data_rows(ws))}"


def _validation(ws: Worksheet, ref: str) -> DataValidation:
    """The one data validation that covers exactly ``ref``."""
    found = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == ref]
    assert len(found) == 1, f"{ws.title}!{ref}: {len(found)} validations"
    return found[0]


def _validated_refs(ws: Worksheet) -> set[str]:
    return {str(dv.sqref) for dv in ws.data_validations.dataValidation}


def _rules(ws: Worksheet, ref: str) -> list[Rule]:
    return [rule for cf in ws.conditional_formatting if str(cf.sqref) == ref for rule in cf.rules]


def _expected_list(column: Column) -> list[str]:
    """The values a dropdown column must offer, from the definition and the configuration."""
    if column.kind == "choice":
        assert column.list is not None
        return list(TEMPLATE.vocabularies[column.list])
    if column.kind == "party":
        return [p.name for p in default_parties()]
    return []  # the IDs of filled rows: none in a blank plan


def _form_column(field_key: str) -> Column:
    field = next(f for f in TEMPLATE.form.fields if f.key == field_key)
    return Column(key=field.key, header=field.label, kind=field.kind, help=field.help)


def _form_row(field_key: str) -> int:
    return FORM_FIRST_ROW + [f.key for f in TEMPLATE.form.fields].index(field_key)


def _blank_rows(sheet: Sheet) -> list[dict[str, object]]:
    """What the template prefills, built from the definition and the default parties."""
    if sheet.prefill == "parties":
        return [{"part": p.name, "type": p.type} for p in default_parties()]
    if sheet.prefill == "criteria":
        return [{"kriterium": text} for text in TEMPLATE.criteria]
    return []  # goals, actions and risks start empty: no ID, no formula


# --- sheets ----------------------------------------------------------------------------------


def test_sheets_in_order_with_hidden_lists_and_very_hidden_metadata(agder_plan: Path) -> None:
    workbook = _xml(agder_plan, "xl/workbook.xml")
    sheets = [(s.get("name"), s.get("state")) for s in workbook.iter(f"{{{M}}}sheet")]

    assert [name for name, _ in sheets] == [s.name for s in TEMPLATE.sheets]
    assert [name for name, _ in sheets] == [
        "Veiledning", "Organisering", "Parter", "Mål", "Tiltak", "Risiko", "Egenvurdering",
        "Sjekk", "Forankring", "Lister", "Metadata"]
    assert sheets[-2:] == [("Lister", "hidden"), ("Metadata", "veryHidden")]
    assert all(state is None for _, state in sheets[:-2])


def test_first_sheet_is_active_and_the_only_one_selected(
        agder_plan: Path, agder_book: Workbook) -> None:
    wb = agder_book
    assert wb.active.title == "Veiledning"
    view = _xml(agder_plan, "xl/workbook.xml").find(f"{{{M}}}bookViews/{{{M}}}workbookView")
    assert view is not None and view.get("activeTab", "0") == "0"
    selected = [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected]
    assert selected == ["Veiledning"]


# --- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_table_headers_in_row_1(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]


def test_headers_spot_check_contract_wording(agder_book: Workbook) -> None:
    wb = agder_book
    tiltak = [c.value for c in wb["Tiltak"][1]]
    # Version 3: what, who, when and status first, then the details.
    assert tiltak[:8] == ["ID", "Mål-ID", "Tiltak", "Ansvarlig", "Ansvarlig part", "Frist",
                          "Status", "Start"]
    assert [c.value for c in wb["Mål"][1]][:5] == ["ID", "Mål", "Ansvarlig", "Frist", "Status"]
    assert [c.value for c in wb["Risiko"][1]][:7] == [
        "ID", "Risiko", "Risikoskår", "Risikonivå", "Ansvarlig", "Frist", "Status"]
    assert [c.value for c in wb["Parter"][1]][:3] == ["Part", "Type", "Deltakelse"]


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_excel_table_name_range_and_rows(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    assert list(ws.tables) == [sheet.table]
    table = ws.tables[sheet.table]
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    assert (min_col, min_row, max_col) == (1, 1, len(sheet.columns))
    if sheet.prefill == "criteria":
        assert max_row - 1 == len(TEMPLATE.criteria) == 9
    else:
        assert max_row - 1 >= 200
    assert table.autoFilter is not None and table.autoFilter.ref == table.ref


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_table_part_in_zip_matches_header_cells(agder_plan: Path, sheet: Sheet) -> None:
    # Excel "repairs" (and drops) a table whose column names differ from its header cells.
    root = _sheet_xml(agder_plan, sheet.name)
    parts = root.find(f"{{{M}}}tableParts")
    assert parts is not None and parts.get("count") == "1"
    part = _sheet_parts(agder_plan)[sheet.name]
    rels_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rels = _xml(agder_plan, rels_name)
    (target,) = [r.get("Target", "") for r in rels.iter(f"{{{PKG}}}Relationship")
                 if r.get("Type", "").endswith("/table")]
    table = _xml(agder_plan, "xl/" + target.removeprefix("../"))
    assert table.get("name") == table.get("displayName") == sheet.table
    names = [c.get("name") for c in table.iter(f"{{{M}}}tableColumn")]
    assert names == [c.header for c in sheet.columns]


def test_prefilled_rows(agder_book: Workbook) -> None:
    wb = agder_book
    parties = default_parties()
    parter = wb["Parter"]
    assert [(parter.cell(r, 1).value, parter.cell(r, 2).value)
            for r in range(2, 2 + len(parties))] == [(p.name, p.type) for p in parties]
    assert parter.cell(2 + len(parties), 1).value is None
    assert len(parties) == 19 and parter["A2"].value == "Skatteetaten"
    criteria = wb["Egenvurdering"]
    assert [criteria.cell(r, 1).value for r in range(2, 2 + len(TEMPLATE.criteria))] == list(
        TEMPLATE.criteria)
    for name, prefix in (("Mål", "M"), ("Tiltak", "T"), ("Risiko", "R")):
        # No ID in an empty row (LibreOffice would print the row): the ID dropdown offers
        # the next free one, computed on Lister.
        ws = wb[name]
        assert [ws.cell(r, 1).value for r in range(2, 2 + _data_rows(ws))] == [None] * 200
        (rule,) = [dv for dv in ws.data_validations.dataValidation if "A2" in str(dv.sqref)]
        assert rule.type == "list" and rule.showErrorMessage is False
        name_ = rule.formula1
        assert name_ == "lst_neste_id_" + {"Mål": "mal"}.get(name, name.lower())
        target = wb.defined_names[name_].attr_text
        lists, cell = target.split("!")
        assert wb[lists.strip("'")][cell.replace("$", "")].value.text.startswith(f'="{prefix}"&')


# --- dropdowns and validations ---------------------------------------------------------------


def _dropdown_columns() -> list[tuple[str, Column]]:
    found = [(s.name, c) for s in TABLES for c in s.columns if list_name(c)]
    found += [("Organisering", _form_column(f.key)) for f in TEMPLATE.form.fields
              if f.source is None and list_name(_form_column(f.key))]
    return found


@pytest.mark.parametrize("sheet_name,column", _dropdown_columns(),
                         ids=lambda v: v if isinstance(v, str) else v.header)
def test_dropdown_source_is_a_named_range_on_lister(
        agder_book: Workbook, sheet_name: str, column: Column) -> None:
    wb = agder_book
    ws = wb[sheet_name]
    if sheet_name == "Organisering":
        ref = f"B{_form_row(column.key)}"
    else:
        ref = _data_range(ws, TEMPLATE.sheet(sheet_name), column.key)
    dv = _validation(ws, ref)
    name = list_name(column)

    assert dv.type == "list"
    # A defined name: no inline list, no direct cross-sheet reference (docs/reference.md §2.3).
    assert dv.formula1 == name and re.fullmatch(r"lst_\w+", dv.formula1)
    if column.refers_to:  # the IDs of the filled rows: a list as long as they are many
        assert re.fullmatch(r"OFFSET\(Lister!\$[A-Z]+\$2,0,0,MAX\(1,[^()]+\),1\)",
                            wb.defined_names[name].value)
        assert not dv.showErrorMessage or dv.errorStyle == "warning"  # a stale value stays
        return
    (sheet, cells), = wb.defined_names[name].destinations
    assert sheet == "Lister"
    lister = wb["Lister"]
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    assert min_col == max_col and min_row == 2
    values = [lister.cell(r, min_col).value for r in range(min_row, max_row + 1)]
    assert values == _expected_list(column)
    assert lister.cell(max_row + 1, min_col).value is None


def test_dropdown_lists_spot_checks(agder_book: Workbook) -> None:
    wb = agder_book

    def values(name: str) -> list[object]:
        (_, cells), = wb.defined_names[name].destinations
        return [c.value for row in wb["Lister"][cells] for c in row]

    assert values("lst_parter") == [p.name for p in default_parties()]
    assert values("lst_status") == ["Ikke startet", "Pågår", "Fullført", "Utsatt", "Avlyst"]
    assert _validation(wb["Tiltak"], "B2:B201").formula1 == "lst_ref_mal"
    gjelder = _col(TEMPLATE.sheet("Risiko"), "gjelder")
    assert _validation(wb["Risiko"], f"{gjelder}2:{gjelder}201").formula1 == "lst_ref_mal_tiltak"


@pytest.mark.parametrize("sheet", [s for s in TABLES if s.has_column("frist")],
                         ids=lambda s: s.name)
def test_date_validations_bounded_by_plan_period_as_warning(
        agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    dates = [c for c in sheet.columns if c.kind == "date"]
    for column in dates:
        dv = _validation(ws, _data_range(ws, sheet, column.key))
        assert dv.type == "date"
        assert dv.operator in (None, "between")
        assert (dv.formula1, dv.formula2) == tuple(str(int(to_excel(d))) for d in PERIOD)
        assert (dv.formula1, dv.formula2) == ("46023", "46387")
        assert dv.errorStyle == "warning"
        assert dv.showErrorMessage and "01.01.2026" in dv.error and "31.12.2026" in dv.error
        assert dv.showInputMessage and dv.prompt and "dd.mm.åååå" in dv.prompt


def test_form_date_fields_warn_and_explain(agder_book: Workbook) -> None:
    ws = agder_book["Organisering"]
    fields = [f for f in TEMPLATE.form.fields if f.kind == "date" and f.source is None]
    assert fields
    for field in fields:
        dv = _validation(ws, f"B{_form_row(field.key)}")
        assert dv.type == "date" and dv.errorStyle == "warning"
        assert dv.showInputMessage and dv.prompt


def test_whole_numbers_1_to_5_for_likelihood_and_consequence(agder_book: Workbook) -> None:
    ws = agder_book["Risiko"]
    sheet = TEMPLATE.sheet("Risiko")
    whole = [c for c in sheet.columns if c.kind == "whole"]
    assert [c.header for c in whole] == ["Sannsynlighet (1–5)", "Konsekvens (1–5)"]
    for column in whole:
        dv = _validation(ws, _data_range(ws, sheet, column.key))
        assert (dv.type, dv.formula1, dv.formula2) == ("whole", "1", "5")
        assert (column.minimum, column.maximum) == (1, 5)
        assert dv.errorStyle in (None, "stop")


@pytest.mark.parametrize("sheet", [s for s in TABLES if any(c.kind == "amount" for c in s.columns)],
                         ids=lambda s: s.name)
def test_amounts_are_numbers_not_below_zero(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    for column in (c for c in sheet.columns if c.kind == "amount"):
        dv = _validation(ws, _data_range(ws, sheet, column.key))
        assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_every_input_cell_with_rules_has_an_input_message(
        agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    silent = []
    for column in input_columns(sheet):
        if column.kind not in VALIDATED_KINDS and column.required is None:
            continue
        ref = _data_range(ws, sheet, column.key)
        dv = _validation(ws, ref) if ref in _validated_refs(ws) else None
        if dv is None or not dv.showInputMessage or not (dv.prompt or "").strip():
            silent.append(column.header)
    assert silent == []


def test_every_form_field_with_rules_has_an_input_message(agder_book: Workbook) -> None:
    ws = agder_book["Organisering"]
    silent = []
    for field in TEMPLATE.form.fields:
        if field.source is not None:
            continue
        if field.kind not in VALIDATED_KINDS and field.required is None:
            continue
        ref = f"B{_form_row(field.key)}"
        dv = _validation(ws, ref) if ref in _validated_refs(ws) else None
        if dv is None or not dv.showInputMessage or not (dv.prompt or "").strip():
            silent.append(field.label)
    assert silent == []


# --- conditional formatting ------------------------------------------------------------------


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_missing_required_value_gets_red_fill(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    required = [c for c in sheet.columns if c.required]
    assert required
    for column in required:
        letter = _col(sheet, column.key)
        rules = [r for r in _rules(ws, _marked_range(ws, sheet, column.key))
                 if r.type == "expression" and f"LEN(${letter}2)=0" in r.formula[0]]
        assert len(rules) == 1, column.header
        formula, fill = rules[0].formula[0], rules[0].dxf.fill
        assert fill.bgColor.rgb == MISSING_FILL
        req = column.required
        if req.when and sheet.column(req.when).kind == "formula":
            # the risk level, computed from its cells (empty rows hold no formula)
            p, k = (_col(sheet, sheet.key_of(role) or "") for role in ("likelihood", "impact"))
            assert formula.count(f"ISNUMBER(${p}2)*ISNUMBER(${k}2)") == len(req.values)
            for value in req.values:
                assert f'))="{value}")' in formula
        elif req.when:
            for value in req.values:
                assert f'${_col(sheet, req.when)}2="{value}"' in formula
        elif sheet.present_when:
            assert f"LEN(${_col(sheet, sheet.present_when)}2)>0" in formula
        else:
            # "a filled row": any input cell of the row holds something
            for other in input_columns(sheet):
                assert f"${_col(sheet, other.key)}2" in formula


def test_missing_ansvarlig_and_frist_rules_on_tiltak_and_mal(agder_book: Workbook) -> None:
    wb = agder_book
    for name in ("Mål", "Tiltak"):
        sheet = TEMPLATE.sheet(name)
        ws = wb[name]
        for header in ("Ansvarlig", "Frist"):
            key = next(c.key for c in sheet.columns if c.header == header)
            formulas = [r.formula[0] for r in _rules(ws, _marked_range(ws, sheet, key))]
            assert any(f"LEN(${_col(sheet, key)}2)=0" in f for f in formulas), (name, header)


@pytest.mark.parametrize("sheet", [s for s in TABLES if s.has_column("frist")
                                   and s.has_column("status")], ids=lambda s: s.name)
def test_overdue_deadline_gets_red_text(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    frist, status = _col(sheet, "frist"), _col(sheet, "status")
    rules = [r for r in _rules(ws, _marked_range(ws, sheet, "frist")) if "TODAY()" in r.formula[0]]
    assert len(rules) == 1
    formula = rules[0].formula[0]
    assert f"{frist}2<TODAY()" in formula
    for done in TEMPLATE.done_statuses:
        assert f'${status}2<>"{done}"' in formula
    assert rules[0].dxf.font.color.rgb == OVERDUE_TEXT


def test_risk_level_colours(agder_book: Workbook) -> None:
    sheet = TEMPLATE.sheet("Risiko")
    ws = agder_book["Risiko"]
    rules = _rules(ws, _marked_range(ws, sheet, "risikoniva"))
    # Computed from likelihood and impact: a new row has no formula, and shows its colour.
    likelihood = _col(sheet, sheet.key_of("likelihood") or "")
    colours = {r.formula[0].rsplit('="', 1)[1].strip('"'): r.dxf.fill.bgColor.rgb
               for r in rules if r.type == "expression"
               and f"ISNUMBER(${likelihood}2)" in r.formula[0]}
    assert colours == RISK_FILLS
    assert set(colours) == set(TEMPLATE.vocabularies["risikoniva"])


# --- layout, print, protection ---------------------------------------------------------------


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_header_row_frozen(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    assert ws.freeze_panes is not None
    assert coordinate_from_string(ws.freeze_panes)[1] == 2


def _key_columns(sheet: Sheet) -> str:
    """The columns every printed page repeats: from the ID to the row's name."""
    title = [c.key for c in sheet.columns].index(sheet.key_of("title") or "")
    return f"$A:${get_column_letter(title + 1)}"


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_print_setup_landscape_readable_header_and_key_columns_repeated(
        agder_plan: Path, agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    # A fixed scale (text never below 8 pt): a wide table goes on to a second page instead.
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    widths = [c.width for c in sheet.columns]
    keys = writer.key_columns(sheet)
    assert ws.page_setup.scale == layout.table_scale(widths, keys, writer.first_page_end(sheet))
    assert ws.page_setup.scale * 11 / 100 >= 8
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_title_cols == _key_columns(sheet)
    assert ws.oddFooter.left.text == "Agder 2026 – &A"
    assert ws.oddFooter.right.text == "Side &P av &N"


def test_print_titles_defined_for_every_table(agder_plan: Path) -> None:
    workbook = _xml(agder_plan, "xl/workbook.xml")
    names = [s.get("name") for s in workbook.iter(f"{{{M}}}sheet")]
    titles = {names[int(d.get("localSheetId", "-1"))]: d.text
              for d in workbook.iter(f"{{{M}}}definedName")
              if d.get("name") == "_xlnm.Print_Titles"}
    # Excel accepts a sheet name of letters (also "Mål") with or without quotes.
    assert {sheet: (text or "").replace("'", "") for sheet, text in titles.items()} == {
        s.name: f"{s.name}!{_key_columns(s)},{s.name}!$1:$1" for s in TABLES}


def test_tables_print_down_to_their_last_filled_row(agder_plan: Path) -> None:
    """Excel evaluates a print area that is a formula: the header and the rows down to the
    last filled one print, not the 200 prefilled IDs (LibreOffice prints the used range:
    tests/test_print.py)."""
    workbook = _xml(agder_plan, "xl/workbook.xml")
    names = [s.get("name") for s in workbook.iter(f"{{{M}}}sheet")]
    areas = {names[int(d.get("localSheetId", "-1"))]: (d.text or "").replace("'", "")
             for d in workbook.iter(f"{{{M}}}definedName")
             if d.get("name") == "_xlnm.Print_Area"}
    # The signing sheet's area is fixed: it prints the same everywhere.
    assert areas.pop("Forankring") == "Forankring!$A$1:$F$43"
    assert sorted(areas) == sorted(s.name for s in TABLES)
    tiltak = TEMPLATE.sheet("Tiltak")
    area = areas["Tiltak"]
    assert area.startswith("OFFSET(Tiltak!$A$1,0,0,MAX(1,SUMPRODUCT(MAX((LEN(")
    assert area.endswith(f"*ROW(Tiltak!$A$2:$A$401))))-0,{len(tiltak.columns)})")
    # Every input column makes a row count, the prefilled ID does not.
    assert "Tiltak!$A$2:$A$401&" not in area and "Tiltak!$B$2:$B$401&" in area


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_columns_as_wide_as_defined_and_text_wrapped(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        # openpyxl keys a run of equally wide columns (<col min max>) by its first letter.
        (width,) = [d.width for d in ws.column_dimensions.values() if d.min <= index <= d.max]
        assert width >= column.width, column.header
        if column.kind not in ("formula",):
            assert ws[f"{letter}2"].alignment.wrap_text, column.header


@pytest.mark.parametrize("sheet", TABLES, ids=lambda s: s.name)
def test_labels_locked_inputs_unlocked_and_coloured(agder_book: Workbook, sheet: Sheet) -> None:
    ws = agder_book[sheet.name]
    prefilled = len(_blank_rows(sheet))
    wrong = []
    for row in range(2, 2 + _data_rows(ws)):
        for index, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row, index)
            given = column.kind in ("label", "formula") or (
                column.prefilled == "label" and row - 2 < prefilled)
            fill = LOCKED_FILL if given else INPUT_FILL
            if cell.protection.locked != given or cell.fill.fgColor.rgb != fill:
                wrong.append(cell.coordinate)
    assert wrong == []
    assert ws["A1"].protection.locked
    assert ws.protection.sheet is protects_table(sheet)


def test_only_sheets_without_region_rows_are_protected(agder_book: Workbook) -> None:
    """Where the region adds, sorts and deletes rows, nothing is protected (issue 18.8;
    tests/test_regions_libreoffice.py does it in LibreOffice); the rest is."""
    wb = agder_book
    open_sheets = {s.name for s in TABLES if not protects_table(s)}
    assert open_sheets == {"Parter", "Mål", "Tiltak", "Risiko"}
    for ws in wb.worksheets:
        assert ws.protection.sheet is (ws.title not in open_sheets), ws.title
    for sheet in TABLES:
        if protects_table(sheet):
            protection = wb[sheet.name].protection
            # openpyxl: False means "not protected", i.e. the region may do it.
            assert protection.insertRows is False and protection.autoFilter is False


def test_organisering_form(agder_book: Workbook) -> None:
    ws = agder_book["Organisering"]
    fields = TEMPLATE.form.fields
    rows = range(FORM_FIRST_ROW, FORM_FIRST_ROW + len(fields))
    assert [ws[f"A{r}"].value for r in rows] == [f.label for f in fields]
    assert [ws[f"A{r}"].value for r in rows][:4] == [
        "Region", "Fylker", "Planperiode fra", "Planperiode til"]
    assert ws["B3"].value == "Agder (42)"
    assert ws["B4"].value == "Agder"
    assert ws["B5"].value == dt.datetime(2026, 1, 1)
    assert ws["B6"].value == dt.datetime(2026, 12, 31)
    assert ws["B5"].number_format == ws["B6"].number_format == "dd.mm.yyyy"
    for row, field in zip(rows, fields, strict=True):
        assert ws[f"A{row}"].protection.locked, field.label
        assert ws[f"B{row}"].protection.locked == (not is_input(field)), field.label
        expected_fill = INPUT_FILL if is_input(field) else LOCKED_FILL
        assert ws[f"B{row}"].fill.fgColor.rgb == expected_fill, field.label
    assert ws.freeze_panes is not None


def test_veiledning_names_coordinator_return_date_and_version(generate_plan: Callable) -> None:
    settings = Settings(coordinator_name="Kari Koordinator", coordinator_email="kari@example.org",
                        return_date=dt.date(2026, 2, 13))
    ws = _load(generate_plan("42", settings=settings))["Veiledning"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert ws["B1"].value == "Lokal handlingsplan for SMSØ – Agder 2026"
    for expected in ("kari@example.org", "Kari Koordinator", "13.02.2026",
                     f"Malversjon {TEMPLATE.version}", "01.01.2026", "31.12.2026",
                     "resultatene som teller", "Ansvarlig"):
        assert expected in text
    assert "{" not in text  # every placeholder filled in


# --- identity --------------------------------------------------------------------------------


def _identity(fixed: Fixed) -> dict[str, str]:
    return {
        "template_id": TEMPLATE.id, "template_version": TEMPLATE.version, "region_code": "42",
        "region_name": "Agder", "year": str(fixed.year), "file_id": fixed.file_id,
        "generated_at": fixed.now.isoformat(timespec="seconds"),
        "generator_version": __version__, "round": "1", "source_sha256": "",
        "issued_ids": "",
    }


def test_metadata_sheet_holds_identity_as_text(agder_book: Workbook, fixed: Fixed) -> None:
    ws = agder_book["Metadata"]
    assert (ws["A1"].value, ws["B1"].value) == ("Nøkkel", "Verdi")
    rows = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(2, 2 + len(IDENTITY_KEYS))]
    assert rows == list(_identity(fixed).items())
    assert rows[2] == ("region_code", "42") and rows[4] == ("year", "2026")
    assert all(ws.cell(r, 2).data_type == "s" for r in range(2, 2 + len(IDENTITY_KEYS)))
    assert ws.cell(2 + len(IDENTITY_KEYS), 1).value is None


def test_custom_document_properties_hold_identity(
        agder_plan: Path, agder_book: Workbook, fixed: Fixed) -> None:
    root = _xml(agder_plan, "docProps/custom.xml")
    props = {}
    for prop in root.iter(f"{{{CUSTOM}}}property"):
        (value,) = list(prop)
        assert value.tag == f"{{{VT}}}lpwstr"  # text, so "03" stays "03"
        props[prop.get("name")] = value.text or ""  # an empty element: an empty text
    assert props == {PROPERTY_PREFIX + k: v for k, v in _identity(fixed).items()}
    via_openpyxl = {p.name: p.value or "" for p in agder_book.custom_doc_props.props}
    assert via_openpyxl == props


# --- formulas and cached values --------------------------------------------------------------


def test_empty_risk_rows_hold_no_formula(agder_plan: Path, agder_book: Workbook) -> None:
    """LibreOffice prints down to the last cell with content, a formula's "" included."""
    sheet = TEMPLATE.sheet("Risiko")
    cells = _xml_cells(agder_plan, "Risiko")
    ws = agder_book["Risiko"]
    for row in range(2, 2 + _data_rows(ws)):
        for key in ("id", "risikoskar", "risikoniva"):
            cell = cells.get(f"{_col(sheet, key)}{row}")
            assert cell is None or (cell.find(f"{{{M}}}f") is None
                                    and cell.find(f"{{{M}}}v") is None), (key, row)


@pytest.mark.slow
def test_next_id_comes_after_the_ids_given_before(tmp_path: Path) -> None:
    """The ID dropdown's entry and the identity's issued_ids, when earlier rounds gave IDs
    (odd ones typed by a region, «TILTAK1», are not IDs)."""
    ctx = writer.PlanContext(
        template=TEMPLATE, region=Region("42", "Agder"), year=2026,
        parties=default_parties(), settings=load_settings(), return_date=dt.date(2026, 3, 1),
        file_id="f", generated_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        generator_version="test", issued=("TILTAK1", "T5", "M2"))
    path = tmp_path / "issued.xlsx"
    writer.write_plan(path, ctx)
    book = openpyxl.load_workbook(path, data_only=True)
    meta = {r[0]: r[1] for r in book["Metadata"].iter_rows(values_only=True)}
    assert meta["issued_ids"] == "M2 T5 TILTAK1"
    entries = {}
    for name in ("lst_neste_id_mal", "lst_neste_id_tiltak", "lst_neste_id_risiko"):
        lists, cell = book.defined_names[name].attr_text.split("!")
        entries[name[-6:]] = book[lists.strip("'")][cell.replace("$", "")].value
    assert entries == {"id_mal": "M3", "tiltak": "T6", "risiko": "R1"}


def test_risk_formulas_in_a_carried_row(tmp_path: Path) -> None:
    """A risk carried from last round is filled: it keeps its formulas, cached with the
    values the validator computes (Template.compute and Template.formula agree)."""
    sheet = TEMPLATE.sheet("Risiko")
    score, level = _col(sheet, "risikoskar"), _col(sheet, "risikoniva")
    p, k = _col(sheet, "sannsynlighet"), _col(sheet, "konsekvens")
    ctx = writer.PlanContext(
        template=TEMPLATE, region=Region("42", "Agder"), year=2026,
        parties=default_parties(), settings=load_settings(), return_date=dt.date(2026, 3, 1),
        file_id="f", generated_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        generator_version="test",
        carried=Carried(source=tmp_path / "2025.xlsx", sha256="0", source_year=2025,
                        round=NEW_YEAR, number=1, form={},
                        rows={"Risiko": [{"id": "R1", "risiko": "Få svar",
                                          "sannsynlighet": 4, "konsekvens": 4}]}))
    path = tmp_path / "carried.xlsx"
    writer.write_plan(path, ctx)
    cells = _xml_cells(path, "Risiko")
    assert cells[f"{score}2"].find(f"{{{M}}}f").text == (
        f'IF(ISNUMBER({p}2)*ISNUMBER({k}2),{p}2*{k}2,"")')
    assert cells[f"{score}2"].find(f"{{{M}}}v").text == "16"
    level_formula = cells[f"{level}2"].find(f"{{{M}}}f").text or ""
    for band in TEMPLATE.risk_bands[1:]:
        assert f'>={band.start},"{band.level}"' in level_formula
    assert cells[f"{level}2"].find(f"{{{M}}}v").text == "Høy"
    assert f"{score}3" not in cells or cells[f"{score}3"].find(f"{{{M}}}f") is None


def _sjekk_rows(path: Path) -> dict[tuple[str, str], ET.Element]:
    ws = _load(path)["Sjekk"]
    cells = _xml_cells(path, "Sjekk")
    rows = {}
    for row in range(5, ws.max_row + 1):
        sheet, label = ws.cell(row, 1).value, ws.cell(row, 2).value
        if sheet and label:
            rows[(sheet, label)] = cells[f"C{row}"]
    return rows


def test_sjekk_formulas_cached_with_python_counts(agder_plan: Path, agder_book: Workbook) -> None:
    wb = agder_book
    counts = {s.name: _data_rows(wb[s.name]) for s in TABLES}
    checks = selfcheck.all_checks(TEMPLATE, counts, PERIOD, [p.name for p in default_parties()])
    blank = {s.name: _blank_rows(s) for s in TABLES}
    ws, cells = wb["Sjekk"], _xml_cells(agder_plan, "Sjekk")
    assert [c.value for c in ws[4]] == ["Ark", "Kontroll", "Antall", "Hindrer innsending"]
    for row, check in enumerate(checks, start=5):
        assert (ws[f"A{row}"].value, ws[f"B{row}"].value) == (check.sheet, check.label)
        cell = cells[f"C{row}"]
        assert cell.find(f"{{{M}}}f").text == check.formula
        assert cell.find(f"{{{M}}}v").text == str(check.count(blank, {}))
        assert ws[f"D{row}"].value == ("Ja" if check.blocking else "Nei")
    # The verdict first: «Klar til innsending» in the top row.
    assert ws["A1"].value == "Klar til innsending:"
    assert ws.max_row == 4 + len(checks)  # nothing below the checks
    ready = cells["C1"]
    assert ready.get("t") == "str" and ready.find(f"{{{M}}}v").text == "Nei"
    blocking = [f"C{5 + i}" for i, c in enumerate(checks) if c.blocking]
    assert ready.find(f"{{{M}}}f").text == f'IF(({"+".join(blocking)})=0,"Ja","Nei")'


def test_sjekk_cached_values_by_hand(agder_plan: Path) -> None:
    rows = {key: cell.find(f"{{{M}}}v").text for key, cell in _sjekk_rows(agder_plan).items()}
    (form_key,) = [key for key in rows if key[0] == "Organisering"
                   and key[1].startswith("Felt som mangler")]
    not_zero = {key: value for key, value in rows.items() if value != "0"}
    assert not_zero == {
        form_key: "3",  # Leder, E-post leder, Overordnet mål
        ("Parter", "Rader uten Deltakelse"): str(len(default_parties())),
        ("Egenvurdering", "Rader uten Vurdering"): str(len(TEMPLATE.criteria)),
        ("Mål", "Ingen utfylte mål"): "1",  # a blank plan is not a plan
        ("Tiltak", "Ingen utfylte tiltak"): "1",
    }
    assert not_zero[("Parter", "Rader uten Deltakelse")] == "19"
    for key in (("Mål", "Rader uten Ansvarlig"), ("Tiltak", "Rader uten Frist"),
                ("Tiltak", "Dato utenfor planperioden (Frist, Start)"),
                ("Parter", "Rader uten Representant")):
        assert rows[key] == "0", key


def test_sjekk_formulas_point_at_the_table_columns_they_name(
        agder_plan: Path, agder_book: Workbook) -> None:
    wb = agder_book
    ref = re.compile(r"(?:'([^']+)'|(\w+))!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)")
    seen = 0
    for (sheet_name, label), cell in _sjekk_rows(agder_plan).items():
        formula = cell.find(f"{{{M}}}f").text or ""
        if sheet_name == "Organisering":
            continue
        for name, defined in wb.defined_names.items():  # the checks' named helper formulas
            if name.startswith(NAME_PREFIX):
                formula = re.sub(rf"\b{name}\b", lambda _m, d=defined: d.attr_text, formula)
        # The Table's rows and those a region adds below it: the validator reads them all.
        last_data_row = checked_last_row(_data_rows(wb[sheet_name]))
        ranges = ref.findall(formula)
        assert ranges, label
        for quoted, plain, col1, row1, col2, row2 in ranges:
            # its own columns; references name the sheets they refer to
            assert (quoted or plain) == sheet_name or "Viser til" in label or "part" in label
            assert (col1, int(row1)) == (col2, 2)
            if (quoted or plain) == sheet_name:
                assert int(row2) == last_data_row
        # The column a check counts is the last range in its formula; a check of several
        # columns names them all, each a range of its formula.
        headers = [wb[sheet_name][f"{r[2]}1"].value for r in ranges if (r[0] or r[1]) == sheet_name]
        if label.startswith("Rader uten "):
            assert headers[-1] == label.removeprefix("Rader uten ")
        elif label.startswith("Ingen utfylte "):  # counts rows with any input cell
            assert headers[-1] == input_columns(TEMPLATE.sheet(sheet_name))[-1].header
        elif label.endswith(")"):
            named = label[label.index("(") + 1:-1].split(", ")
            assert set(named) <= set(headers), label
        else:
            assert label == "Frist før start" and headers[-2:] == ["Frist", "Start"]
        seen += 1
    assert seen >= 20


def test_sjekk_covers_ansvarlig_frist_period_and_parties(agder_plan: Path) -> None:
    keys = set(_sjekk_rows(agder_plan))
    for sheet in ("Mål", "Tiltak"):
        assert {(sheet, "Rader uten Ansvarlig"), (sheet, "Rader uten Frist")} <= keys
        assert any(s == sheet and label.startswith("Dato utenfor planperioden") and "Frist" in label
                   for s, label in keys)
    assert ("Parter", "Rader uten Deltakelse") in keys
    for sheet in TABLES:
        for column in sheet.columns:
            if column.required:
                assert (sheet.name, f"Rader uten {column.header}") in keys


# --- files: names, overwrite, determinism, formula-like text -------------------------------


@pytest.mark.slow
def test_file_names_ascii_with_year_code_and_name(generate_plan: Callable) -> None:
    assert generate_plan("42").name == "SMSO-handlingsplan-2026-42-Agder.xlsx"
    assert generate_plan("15").name == "SMSO-handlingsplan-2026-15-More-og-Romsdal.xlsx"
    assert generate_plan("50").name == "SMSO-handlingsplan-2026-50-Trondelag.xlsx"
    assert generate_plan("03").name == "SMSO-handlingsplan-2026-03-Oslo.xlsx"


@pytest.mark.slow
def test_generate_all_regions_by_default(tmp_path: Path, fixed: Fixed) -> None:
    result = generate(regions=default_regions(), year=2026, out_dir=tmp_path, now=fixed.now)
    assert [f.region.code for f in result.files] == [r.code for r in default_regions()]
    assert len(result.files) == 15
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.path.name for f in result.files)
    assert len({f.file_id for f in result.files}) == 15  # each file its own random id


@pytest.mark.slow
def test_no_overwrite_without_force(generate_plan: Callable, tmp_path: Path) -> None:
    path = generate_plan("42", file_id="a" * 32)
    before = path.read_bytes()
    kept = generate(regions=default_regions(), region_codes=["42"], year=2026,
                    out_dir=path.parent)
    assert kept.files == () and [k.path for k in kept.kept] == [path]
    assert path.read_bytes() == before

    generate_plan("42", file_id="b" * 32, force=True)
    assert path.read_bytes() != before
    assert _load(path)["Metadata"]["B7"].value == "b" * 32
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.slow
def test_same_time_and_id_give_identical_bytes(generate_plan: Callable, tmp_path: Path) -> None:
    first = generate_plan("15", out_dir=tmp_path / "one")
    second = generate_plan("15", out_dir=tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.slow
def test_remembered_formulas_are_xlsxwriters_own(generate_plan: Callable, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """writer._Worksheet remembers each formula's preparation (a speed-up): every part of
    the workbook is what xlsxwriter itself writes without it, with an empty and a full cache."""
    writer._prepared.cache_clear()
    cold = generate_plan("15", out_dir=tmp_path / "cold")
    warm = generate_plan("15", out_dir=tmp_path / "warm")
    assert writer._prepared.cache_info().hits > 1000
    monkeypatch.setattr(writer._Workbook, "worksheet_class", Worksheet_)
    plain = generate_plan("15", out_dir=tmp_path / "plain")
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(cold) as b, zipfile.ZipFile(warm) as c:
        assert a.namelist() == b.namelist() == c.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name) == c.read(name), name


@pytest.mark.slow
def test_different_ids_differ_only_in_identity(generate_plan: Callable, tmp_path: Path) -> None:
    one, two = "1a2b3c4d" * 4, "9f8e7d6c" * 4
    first = generate_plan("42", out_dir=tmp_path / "one", file_id=one)
    second = generate_plan("42", out_dir=tmp_path / "two", file_id=two)
    assert first.read_bytes() != second.read_bytes()
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.namelist() == b.namelist()
        differing = [n for n in a.namelist() if a.read(n) != b.read(n)]
        for name in differing:
            assert a.read(name).replace(one.encode(), two.encode()) == b.read(name), name
    assert "docProps/custom.xml" in differing
    metadata_part = _sheet_parts(first)["Metadata"]
    assert set(differing) <= {"docProps/custom.xml", "xl/sharedStrings.xml", metadata_part}


@pytest.mark.slow
def test_formula_like_region_text_is_written_as_text(generate_plan: Callable) -> None:
    name = '=HYPERLINK("http://x.invalid","klikk")'
    regions = [Region(code="99", name=name, counties="=1+1", email="@SUM(A1)")]
    path = generate_plan("99", regions=regions)

    assert path.name == "SMSO-handlingsplan-2026-99-HYPERLINK-http-x-invalid-klikk.xlsx"
    wb = _load(path)
    assert wb["Organisering"]["B3"].value == f"{name} (99)"
    assert wb["Organisering"]["B4"].value == "=1+1"
    assert wb["Metadata"]["B5"].value == name
    for ref in ("B3", "B4"):
        assert wb["Organisering"][ref].data_type == "s"
    for sheet in ("Veiledning", "Organisering", "Metadata"):
        root = _sheet_xml(path, sheet)
        assert root.find(f".//{{{M}}}f") is None, sheet
        assert not any(c.get("t") == "str" for c in root.iter(f"{{{M}}}c")), sheet
    assert not any("HYPERLINK" in (d.text or "") for d in
                   _xml(path, "xl/workbook.xml").iter(f"{{{M}}}definedName"))


# --- the command line ------------------------------------------------------------------------


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def _assert_usage_error(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message


@pytest.mark.slow
def test_cli_generate_one_region(tmp_path: Path) -> None:
    result = _run(["generate", *COORDINATOR,
                   "--region", "42", "--year", "2026", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "SMSO-handlingsplan-2026-42-Agder.xlsx"
    assert path.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert str(path) in result.stdout
    assert _load(path)["Metadata"]["B4"].value == "42"


def test_cli_unknown_region(tmp_path: Path) -> None:
    result = _run(["generate", *COORDINATOR,
                   "--region", "99", "--year", "2026", "--out", str(tmp_path)])
    _assert_usage_error(result, "99")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cli_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    args = ["generate", *COORDINATOR, "--region", "42", "--year", "2026", "--out", str(tmp_path)]
    assert _run(args).exit_code == 0
    path = tmp_path / "SMSO-handlingsplan-2026-42-Agder.xlsx"
    before = path.read_bytes()
    again = _run(args)
    assert again.exit_code == 0 and "finnes fra før, beholdt" in again.output
    assert "Ingen nye arbeidsbøker" in again.output and "bruk --force" in again.output
    assert path.read_bytes() == before
    assert _run([*args, "--force"]).exit_code == 0
    assert path.read_bytes() != before  # a new file id


@pytest.mark.slow
def test_generate_writes_what_is_missing_and_keeps_what_exists(tmp_path: Path) -> None:
    args = ["generate", *COORDINATOR, "--year", "2026", "--out", str(tmp_path)]
    assert _run(args).exit_code == 0
    files = sorted(tmp_path.iterdir())
    before = {p: p.read_bytes() for p in files}
    gone = tmp_path / "SMSO-handlingsplan-2026-40-Telemark.xlsx"
    gone.unlink()
    result = _run(args)
    assert result.exit_code == 0, result.output
    assert "Laget 1 arbeidsbok for 2026" in result.output
    assert "Beholdt 14 arbeidsbøker som fantes fra før" in result.output
    assert gone.exists()
    assert {p: p.read_bytes() for p in files if p != gone} == {
        p: b for p, b in before.items() if p != gone}


@pytest.mark.slow
def test_force_checks_every_target_first_and_writes_all_or_nothing(tmp_path: Path) -> None:
    args = ["generate", *COORDINATOR, "--year", "2026", "--out", str(tmp_path)]
    assert _run(args).exit_code == 0
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    # The last region's workbook is open: in Excel, and one in LibreOffice.
    (tmp_path / "~$SMSO-handlingsplan-2026-56-Finnmark.xlsx").write_bytes(b"lock")
    (tmp_path / ".~lock.SMSO-handlingsplan-2026-55-Troms.xlsx#").write_text("lock")
    result = _run([*args, "--force"])
    assert result.exit_code == 2
    assert "Troms.xlsx er åpen i LibreOffice" in result.output
    assert "Det gjelder 2 filer; ingen er skrevet." in result.output
    assert {p: p.read_bytes() for p in before} == before  # not one renewed
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~smso")) == []


@pytest.mark.slow
def test_force_writes_nothing_when_one_workbook_fails(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from smso_xl.round import generator

    first = generate(regions=default_regions(), year=2026, out_dir=tmp_path)
    before = {f.path: f.path.read_bytes() for f in first.files}
    calls = []

    def failing(path: Path, ctx: Any) -> None:
        calls.append(path)
        if len(calls) == 10:
            raise OSError(28, "No space left on device")
        write_plan(path, ctx)

    monkeypatch.setattr(generator, "write_plan", failing)
    with pytest.raises(OutputError):
        generate(regions=default_regions(), year=2026, out_dir=tmp_path, force=True)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in before)


def test_cli_out_dir_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder.txt"
    blocker.write_text("x")
    result = _run(["generate", *COORDINATOR, "--region", "42", "--year", "2026",
                   "--out", str(blocker / "plans")])
    _assert_usage_error(result, "not-a-folder.txt")
    assert blocker.read_text() == "x"


def _write_regions(path: Path, rows: list[list[object]]) -> Path:
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        wb.save(path)
    elif path.suffix == ".csv":
        path.write_text("\n".join(";".join(str(v) for v in row) for row in rows) + "\n",
                        encoding="utf-8")
    else:
        header, *records = rows
        lines = ["regions:"]
        for record in records:
            fields = ", ".join(f'{k}: "{v}"' for k, v in zip(header, record, strict=True))
            lines.append(f"  - {{{fields}}}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MISSING_NAME = [["code", "counties", "email"], ["42", "Agder", ""]]
DUPLICATE_CODE = [["code", "name", "counties", "email"], ["42", "Agder", "Agder", ""],
                  ["42", "Sørlandet", "Agder", ""]]


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".xlsx"])
@pytest.mark.parametrize("rows,word", [(MISSING_NAME, "name"), (DUPLICATE_CODE, "42")],
                         ids=["missing-column", "duplicate-code"])
def test_cli_bad_regions_file(tmp_path: Path, suffix: str, rows: list, word: str) -> None:
    regions = _write_regions(tmp_path / f"regioner{suffix}", rows)
    out = tmp_path / "out"
    result = _run(["generate", *COORDINATOR,
                   "--regions", str(regions), "--year", "2026", "--out", str(out)])
    _assert_usage_error(result, word, regions.name)
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_one_column_csv_is_a_usage_error(tmp_path: Path) -> None:
    regions = tmp_path / "regioner.csv"
    regions.write_text("name\nAgder\n", encoding="utf-8")
    result = _run(["generate", *COORDINATOR, "--regions", str(regions), "--year", "2026",
                   "--out", str(tmp_path / "out")])
    _assert_usage_error(result, "code")


@pytest.mark.slow
@pytest.mark.parametrize("suffix,code", [
    (".csv", "03"), (".xlsx", "03"), (".yaml", "03"),
    (".xlsx", 3),
])
def test_cli_region_codes_stay_text(tmp_path: Path, suffix: str, code: object) -> None:
    regions = _write_regions(tmp_path / f"regioner{suffix}", [
        ["code", "name", "counties", "email"], [code, "Oslo", "Oslo", "oslo@example.no"],
        ["42", "Agder", "Agder", ""]])
    out = tmp_path / "out"
    result = _run(["generate", *COORDINATOR,
                   "--regions", str(regions), "--region", "03", "--year", "2026",
                   "--out", str(out)])
    assert result.exit_code == 0, result.output
    path = out / "SMSO-handlingsplan-2026-03-Oslo.xlsx"
    assert [p.name for p in out.iterdir()] == [path.name]
    wb = _load(path)
    assert wb["Metadata"]["B4"].value == "03"
    assert {p.name: p.value for p in wb.custom_doc_props.props}["smso.region_code"] == "03"
    assert wb["Organisering"]["B3"].value == "Oslo (03)"


def test_cli_yaml_region_code_written_as_number_stays_two_digits(tmp_path: Path) -> None:
    regions = tmp_path / "regioner.yaml"
    regions.write_text("regions:\n  - {code: 03, name: Oslo, counties: Oslo, email: ''}\n",
                       encoding="utf-8")
    result = _run(["generate", *COORDINATOR, "--regions", str(regions), "--year", "2026",
                   "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "SMSO-handlingsplan-2026-03-Oslo.xlsx").is_file()


@pytest.mark.slow  # starts a process
def test_a_helper_process_writes_the_same_workbooks(tmp_path: Path) -> None:
    """``generate(helper=…)`` (the demo's second process writes every second workbook):
    the same files, part for part, as one process writes."""
    import itertools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    regions = default_regions()[:5]
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

    def written(folder: Path, helper: Any) -> dict[str, dict[str, bytes]]:
        ids = (f"{n:032x}" for n in itertools.count())
        result = generate(regions=regions, year=2027, out_dir=folder, now=now,
                          new_file_id=lambda: next(ids), helper=helper)
        assert [f.region for f in result.files] == list(regions)
        parts = {}
        for file in result.files:
            with zipfile.ZipFile(file.path) as archive:
                parts[file.path.name] = {n: archive.read(n) for n in archive.namelist()}
        return parts

    alone = written(tmp_path / "alone", None)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as helper:
        helped = written(tmp_path / "helped", helper)
    assert len(alone) == 5 and helped == alone

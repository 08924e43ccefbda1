"""Every workbook the tool writes stays within Excel's specifications, with margin.

LibreOffice, which the other tests use, has none of Excel's limits; regions open the plan
in Excel. Each variant — a blank plan of every template version, a filled return, its
feedback copy, the status round's prefilled plan (``generate --from``) — is read back with
openpyxl, and every formula in it is measured: cells (array formulas too), conditional
formats, data validations, defined names (print areas included).

Excel's limits (Microsoft, «Excel specifications and limits», 2010 on): a formula ≤ 8 192
characters, ≤ 64 nested function levels; an inline list of a data validation ≤ 255
characters; a defined name ≤ 255 characters; a sheet name ≤ 31 characters. A function
newer than Excel 2010 must be written with its ``_xlfn.`` prefix, or Excel 2010 shows
``#NAME?``.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.worksheet.formula import ArrayFormula

from smso_xl.round.demo import simulate_returns
from smso_xl.round.feedback import write_all
from smso_xl.round.generator import generate
from smso_xl.round.rounds import generate_round
from smso_xl.round.validation import validate
from smso_xl.template.config import default_regions, load_settings
from smso_xl.template.definition import load_templates
from smso_xl.template.formulas import NAME_PREFIX

pytestmark = pytest.mark.slow

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMULA_CHARS = 8_192
NESTING = 64
INLINE_LIST = 255
NAME_CHARS = 255
SHEET_NAME = 31
#: What the tool's own formulas may use, as a margin under Excel's limits: a formula that
#: grows past these is shortened (a named helper, one shared key), not let near the limit.
#: The deepest formula is the placeholder key: one SUBSTITUTE per punctuation mark it
#: removes (values.PLACEHOLDER_MARKS, 44 of them).
OWN_FORMULA_CHARS = 4_096
OWN_NESTING = 56

#: Excel 2010's worksheet functions that a formula may call without the ``_xlfn.`` prefix
#: (a subset: every function of the 2010 set that a plan or its copies could plausibly hold;
#: a name outside it fails the test, to be checked and added, or prefixed).
_EXCEL_2010 = """
ABS AND AVERAGE AVERAGEIF AVERAGEIFS CEILING CHAR CHOOSE CLEAN CODE COLUMN COLUMNS CONCATENATE
COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS DATE DATEDIF DATEVALUE DAY DAYS360 EDATE EOMONTH
EXACT FALSE FIND FLOOR HLOOKUP HOUR HYPERLINK IF IFERROR INDEX INDIRECT INT ISBLANK ISERR
ISERROR ISEVEN ISLOGICAL ISNA ISNONTEXT ISNUMBER ISODD ISREF ISTEXT LARGE LEFT LEN LOOKUP
LOWER MATCH MAX MEDIAN MID MIN MINUTE MMULT MOD MONTH N NA NETWORKDAYS NOT NOW OFFSET OR
PROPER REPLACE REPT RIGHT ROUND ROUNDDOWN ROUNDUP ROW ROWS SEARCH SECOND SMALL SUBSTITUTE
SUBTOTAL SUM SUMIF SUMIFS SUMPRODUCT T TEXT TIME TODAY TRANSPOSE TRIM TRUE TRUNC UPPER VALUE
VLOOKUP WEEKDAY WEEKNUM WORKDAY YEAR
"""
EXCEL_2010 = frozenset(_EXCEL_2010.split())


@dataclass(frozen=True)
class Formula:
    where: str   # file, sheet and place, for the failure message
    text: str    # without the leading '='


def _nesting(text: str) -> int:
    """The deepest nesting of parentheses — function calls and plain groups alike, as
    Excel's parser stacks them — outside string constants."""
    depth = deepest = 0
    for token in Tokenizer("=" + text).items:
        if token.subtype == Token.OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif token.subtype == Token.CLOSE:
            depth -= 1
    return deepest


def _functions(text: str) -> set[str]:
    return {token.value[:-1].upper() for token in Tokenizer("=" + text).items
            if token.type == Token.FUNC and token.subtype == Token.OPEN}


def formulas(path: Path) -> Iterator[Formula]:
    """Every formula stored in the workbook at ``path``."""
    for name, text in defined_names(path):
        yield Formula(f"{path.name} name {name}", text)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value = value.text
                if isinstance(value, str) and value.startswith("="):
                    yield Formula(f"{path.name} {ws.title}!{cell.coordinate}", value[1:])
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                for text in rule.formula or ():
                    yield Formula(f"{path.name} {ws.title} format {cf.sqref}", text)
        for dv in ws.data_validations.dataValidation:
            for text in (dv.formula1, dv.formula2):
                if text:
                    yield Formula(f"{path.name} {ws.title} validation {dv.sqref}", text)


def defined_names(path: Path) -> list[tuple[str, str]]:
    """Every defined name and its formula, as stored (openpyxl drops print areas that are
    formulas, so the workbook part is read itself)."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    return [(node.get("name") or "", node.text or "")
            for node in root.iter(f"{{{MAIN}}}definedName")]


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """One plan of each kind the tool writes: blank in every template version, a filled
    return, its feedback copy, the status round's prefilled plan."""
    base = tmp_path_factory.mktemp("limits")
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    regions = [r for r in default_regions() if r.code in ("03", "46")]
    found: dict[str, list[Path]] = {}
    for version, template in load_templates().versions.items():
        made = generate(regions=regions[:1], year=2027, out_dir=base / f"blank-{version}",
                        template=template, now=now, settings=load_settings())
        found[f"blank v{version}"] = [f.path for f in made.files]
    sent = generate(regions=regions, year=2027, out_dir=base / "sent", now=now,
                    settings=load_settings())
    inbox = base / "inbox"
    inbox.mkdir()
    simulate_returns(sent, inbox, 2027)
    found["filled"] = sorted(inbox.glob("*.xlsx"))
    report = validate([inbox], today=dt.date(2027, 6, 15), year=2027)
    found["feedback"] = [f.path for f in write_all(report, base / "feedback") if f.path]
    status = generate_round([inbox], regions=regions, year=2027, now=now,
                            out_dir=base / "status", settings=load_settings())
    found["status round"] = [f.path for f in status.generated.files]
    assert all(found.values()), {k: v for k, v in found.items() if not v}
    return found


def _all(variants: dict[str, list[Path]]) -> list[Formula]:
    return [f for paths in variants.values() for path in paths for f in formulas(path)]


def test_every_variant_holds_the_tools_formulas(variants: dict[str, list[Path]]) -> None:
    """The measurement reads something: each variant has its Sjekk counts, marks and lists,
    a plan the tool writes its print areas."""
    for kind, paths in variants.items():
        for path in paths:
            found = list(formulas(path))
            if kind.startswith(("blank", "status")):
                assert any("_xlnm.Print_Area" in f.where for f in found), (kind, path.name)
            assert any("SUMPRODUCT" in f.text for f in found), (kind, path.name)
            assert any(" format " in f.where for f in found), (kind, path.name)
            assert any(" validation " in f.where for f in found), (kind, path.name)


def test_formulas_within_excels_length_and_nesting(variants: dict[str, list[Path]]) -> None:
    found = _all(variants)
    longest = max(found, key=lambda f: len(f.text))
    deepest = max(found, key=lambda f: _nesting(f.text))
    print(f"longest {len(longest.text)} characters ({longest.where}), deepest "
          f"{_nesting(deepest.text)} levels ({deepest.where})")
    assert len(longest.text) <= OWN_FORMULA_CHARS < FORMULA_CHARS, (
        longest.where, len(longest.text))
    assert _nesting(deepest.text) <= OWN_NESTING < NESTING, (
        deepest.where, _nesting(deepest.text))


def test_functions_are_excel_2010s(variants: dict[str, list[Path]]) -> None:
    unknown = {(name, f.where) for f in _all(variants) for name in _functions(f.text)
               if name not in EXCEL_2010 and not name.startswith("_XLFN.")}
    assert not unknown, sorted(unknown)[:10]


def test_names_lists_and_sheets_within_excels_limits(variants: dict[str, list[Path]]) -> None:
    for paths in variants.values():
        for path in paths:
            names = [name for name, _ in defined_names(path)]
            assert any(n.startswith(NAME_PREFIX) for n in names), path.name
            for name in names:
                assert len(name) <= NAME_CHARS and re.fullmatch(r"[A-Za-z_\\][\w.]*", name), name
            wb = openpyxl.load_workbook(path)
            for ws in wb.worksheets:
                assert len(ws.title) <= SHEET_NAME, ws.title
                for dv in ws.data_validations.dataValidation:
                    if dv.type == "list" and (dv.formula1 or "").startswith('"'):
                        assert len(dv.formula1) - 2 <= INLINE_LIST, (path.name, dv.sqref)


# --- the measuring itself --------------------------------------------------------------------


def test_nesting_counts_calls_and_groups_not_strings() -> None:
    assert _nesting('IF(A1="(((",1,2)') == 1
    assert _nesting("SUM((A1+1)*MAX(B1,C1))") == 2
    assert _nesting("SUM((A1+ABS(B1))*2)") == 3
    assert _nesting("A1") == 0


def test_functions_found_in_a_formula() -> None:
    assert _functions('IF(ISNUMBER(A1),_xlfn.IFS(A1>1,"x"),SUM(B1:B3))') == {
        "IF", "ISNUMBER", "_XLFN.IFS", "SUM"}
    assert "IFS" not in EXCEL_2010 and "TEXTJOIN" not in EXCEL_2010

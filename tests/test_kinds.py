"""Column kinds as objects (``smso_xl.template.kinds``): every kind of the template language has
one, each answers for its validation, help, formats, dropdown, parse and dtype, and no module
outside ``kinds.py`` compares kind names."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import smso_xl
from smso_xl.base.findings import Finding
from smso_xl.template.definition import KIND_NAMES, Column, load_template, load_templates
from smso_xl.template.kinds import (
    DATE_FORMAT,
    FORMULA_RESULTS,
    KINDS,
    Context,
    Kind,
    input_columns,
    is_input,
    kind_of,
    parse_cell,
)
from smso_xl.template.model import Cell

TEMPLATE = load_template()
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PACKAGE = Path(smso_xl.__file__).parent


def col(sheet: str, key: str) -> Column:
    return TEMPLATE.sheet(sheet).column(key)


def field(key: str) -> Column:
    """A form field as the writer and the rules see it: a column of its kind."""
    f = next(f for f in TEMPLATE.form.fields if f.key == key)
    return Column(key=f.key, header=f.label, kind=f.kind, help=f.help)


# --- the registry ----------------------------------------------------------------------------


def test_every_kind_name_of_the_template_language_has_its_kind() -> None:
    assert set(KINDS) == KIND_NAMES
    assert all(isinstance(kind, Kind) and kind.name == name for name, kind in KINDS.items())


def test_every_column_and_field_of_the_shipped_templates_has_a_kind() -> None:
    for template in load_templates().versions.values():
        for sheet in template.sheets:
            for item in (*sheet.columns, *sheet.fields):
                assert kind_of(item) is KINDS[item.kind]


def test_every_formula_of_the_template_has_a_result_kind() -> None:
    formulas = {c.formula for s in TEMPLATE.tables for c in s.columns if kind_of(c).computed}
    assert formulas == set(FORMULA_RESULTS) == {"risk_score", "risk_level"}


def test_an_unknown_formula_is_an_error_not_text() -> None:
    column = Column(key="x", header="X", kind="formula", formula="nope")
    with pytest.raises(ValueError, match="nope"):
        kind_of(column).dtype(column)


def test_what_the_region_types_into() -> None:
    assert {name for name, kind in KINDS.items() if not kind.is_input} == {
        "id", "label", "formula"}
    assert {name for name, kind in KINDS.items() if kind.verbatim} == {
        "id", "label", "text", "phone"}
    assert [c.key for c in input_columns(TEMPLATE.sheet("Risiko"))] == [
        "risiko", "ansvarlig", "frist", "status", "sannsynlighet", "konsekvens", "tiltak",
        "gjelder"]
    form = {f.key: is_input(f) for f in TEMPLATE.form.fields}
    assert not form["region"] and not form["periode_fra"] and form["leder"]


# --- what each kind gives the writer, the overview and the frames ----------------------------

# (column, list name, validation type, error type, default help, number format, dtype)
CASES = [
    (col("Mål", "id"), None, None, None, "", None, "object"),
    (col("Egenvurdering", "kriterium"), None, None, None, "", None, "object"),
    (col("Tiltak", "tiltak"), None, None, None, "", None, "object"),
    (col("Tiltak", "ansvarlig"), None, None, None,
     "Navnet på én person som har ansvaret (ikke «alle» eller «?»).", None, "object"),
    (col("Parter", "epost"), None, None, None, "", None, "object"),
    (field("telefon_leder"), None, None, None, "", None, "object"),
    (col("Tiltak", "frist"), None, "date", "warning", "Dato som dd.mm.åååå, i 2026.",
     DATE_FORMAT, "datetime64[ns]"),
    (col("Tiltak", "status"), "lst_status", "list", "stop",
     "Velg fra listen: Ikke startet, Pågår, Fullført, Utsatt, Avlyst.", None, "object"),
    (col("Tiltak", "ansvarlig_part"), "lst_parter", "list", "warning",
     "Velg en part fra listen.", None, "object"),
    (col("Risiko", "gjelder"), "lst_ref_mal_tiltak", "list", "warning",
     "Velg en ID fra listen.", None, "object"),
    (col("Risiko", "sannsynlighet"), None, "integer", None, "Et helt tall fra 1 til 5.",
     "General", "Int64"),
    (col("Tiltak", "budsjett"), None, "decimal", None, "Et tall, 0 eller større.", "#,##0",
     "float64"),
    (col("Tiltak", "timer"), None, "decimal", None, "Et tall, 0 eller større.", "General",
     "float64"),
    (col("Risiko", "risikoskar"), None, None, None, "", "General", "Int64"),
    (col("Risiko", "risikoniva"), None, None, None, "", None, "object"),
]


@pytest.mark.parametrize(("column", "list_name", "validate", "error_type", "help",
                          "number_format", "dtype"), CASES,
                         ids=[f"{c[0].kind}-{c[0].key}" for c in CASES])
def test_kind_gives_validation_help_format_and_dtype(
        column: Column, list_name: str | None, validate: str | None, error_type: str | None,
        help: str, number_format: str | None, dtype: str) -> None:
    kind = kind_of(column)
    rule = kind.validation(column, period=PERIOD, form=False)
    assert kind.list_name(column) == list_name
    assert (rule or {}).get("validate") == validate
    assert (rule or {}).get("error_type") == error_type
    if list_name:
        assert rule is not None and rule["source"] == f"={list_name}"
    assert kind.default_help(column, TEMPLATE, year=2026, form=False) == help
    assert kind.number_format(column) == number_format
    assert kind.dtype(column) == dtype


def test_date_validation_is_the_plan_period_in_a_table_and_any_date_in_the_form() -> None:
    date = kind_of(col("Tiltak", "frist"))
    table = date.validation(col("Tiltak", "frist"), period=PERIOD, form=False)
    form = date.validation(field("forankret_dato"), period=PERIOD, form=True)
    assert table is not None and form is not None
    assert (table["minimum"], table["maximum"]) == PERIOD
    assert (form["minimum"], form["maximum"]) == (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
    assert date.default_help(field("forankret_dato"), TEMPLATE, year=2026, form=True) == (
        "Dato som dd.mm.åååå.")


def test_whole_validation_takes_the_columns_range() -> None:
    column = col("Risiko", "konsekvens")
    rule = kind_of(column).validation(column, period=PERIOD, form=False)
    assert rule is not None
    assert (rule["criteria"], rule["minimum"], rule["maximum"]) == ("between", 1, 5)


def test_dropdown_values_come_from_the_vocabulary_the_parties_and_the_ids() -> None:
    def ids(sheet: str) -> list[str]:
        return {"Mål": ["M1", "M2"], "Tiltak": ["T1"]}[sheet]

    def values(column: Column) -> list[str]:
        return kind_of(column).list_values(column, TEMPLATE, ["LO", "NHO"], ids)

    assert values(col("Tiltak", "status")) == list(TEMPLATE.vocabularies["status"])
    assert values(col("Tiltak", "ansvarlig_part")) == ["LO", "NHO"]
    assert values(col("Risiko", "gjelder")) == ["M1", "M2", "T1"]
    assert values(col("Tiltak", "mal_id")) == ["M1", "M2"]
    assert values(col("Tiltak", "tiltak")) == []


# --- parsing a returned cell -----------------------------------------------------------------


def parse(column: Column, value: object) -> tuple[object, list[str]]:
    ctx = Context(template=TEMPLATE, file="f.xlsx", sheet="Tiltak", year=2026, period=PERIOD,
                  parties=("LO", "NHO"))
    parsed = parse_cell(column, Cell(value, 2, 1), ctx, row=2)
    return parsed.value, [f.code for f in parsed.findings]


@pytest.mark.parametrize(("column", "typed", "value", "codes"), [
    (col("Mål", "id"), " M1 ", "M1", []),
    (col("Tiltak", "tiltak"), "Skolebesøk", "Skolebesøk", []),
    (col("Tiltak", "ansvarlig"), "alle", None, ["responsible-placeholder"]),
    (col("Parter", "epost"), "kari@", "kari@", ["email-invalid"]),
    # Written as text: read, and said (the spreadsheet cannot count with it).
    (col("Tiltak", "frist"), "15.03.2026", dt.date(2026, 3, 15), ["date-as-text"]),
    (col("Tiltak", "frist"), "snart", None, ["date-invalid"]),
    # 18.07.1905 is 2026 typed into a date cell: a year, not a date.
    (col("Tiltak", "frist"), dt.datetime(1905, 7, 18), None, ["date-invalid"]),
    (col("Tiltak", "status"), "pågår", "Pågår", ["choice-near-miss"]),
    (col("Tiltak", "status"), "Ferdig", None, ["choice-invalid"]),
    (col("Tiltak", "ansvarlig_part"), "KS", None, ["party-unknown"]),
    (col("Risiko", "gjelder"), "t 1", "T1", []),
    (col("Risiko", "sannsynlighet"), "6", None, ["scale-invalid"]),
    (col("Tiltak", "budsjett"), "kr 20 000", None, ["number-invalid"]),
    (col("Tiltak", "budsjett"), "20 000", 20000, ["number-as-text"]),
    (col("Tiltak", "budsjett"), -5, -5, ["number-negative"]),
])
def test_kind_parses_a_returned_cell(column: Column, typed: object, value: object,
                                     codes: list[str]) -> None:
    assert parse(column, typed) == (value, codes)


def test_an_empty_cell_is_not_given_in_any_kind() -> None:
    for kind_name in sorted(KINDS):
        column = Column(key="x", header="X", kind=kind_name, list="status",
                        formula="risk_score")
        ctx = Context(template=TEMPLATE, file="f", sheet="s", year=2026, period=PERIOD,
                      parties=())
        assert not parse_cell(column, Cell("  ", 2, 1), ctx, row=2).given, kind_name


def test_findings_are_located_at_the_cell() -> None:
    ctx = Context(template=TEMPLATE, file="f.xlsx", sheet="Tiltak", year=2026, period=PERIOD,
                  parties=())
    parsed = parse_cell(col("Tiltak", "frist"), Cell("snart", 7, 12), ctx, row=7)
    assert [(f.code, f.cell, f.row, f.column, f.value) for f in parsed.findings] == [
        ("date-invalid", "L7", 7, "Frist", "snart")]
    assert all(isinstance(f, Finding) for f in parsed.findings)


# --- no kind names compared outside kinds.py, and the definition stays below kinds.py -------

#: The one place outside kinds.py that may name kinds: the template definition's check of a
#: definition at load time (the layer below kinds.py, which cannot ask it).
ALLOWED = {("definition.py", "_check")}


def kind_name_comparisons(source: str) -> list[tuple[str | None, int, str]]:
    """Comparisons of something named ``kind`` (``column.kind``, ``kind``, ``kind_of(c)…``)
    with a kind name: (enclosing function, line, source) of each."""
    tree = ast.parse(source)
    found = []

    def names_kind(node: ast.AST) -> bool:
        return any((isinstance(n, ast.Name) and "kind" in n.id)
                   or (isinstance(n, ast.Attribute) and "kind" in n.attr)
                   for n in ast.walk(node))

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = {n.value for o in operands for n in ast.walk(o)
                     if isinstance(n, ast.Constant) and n.value in KIND_NAMES}
            if named and any(names_kind(o) for o in operands):
                found.append((function, node.lineno, ast.unparse(node)))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_no_module_outside_kinds_compares_kind_names() -> None:
    offenders = [(path.name, line, text)
                 for path in sorted(PACKAGE.rglob("*.py")) if path.name != "kinds.py"
                 for function, line, text in kind_name_comparisons(path.read_text("utf-8"))
                 if (path.name, function) not in ALLOWED]
    assert offenders == []


@pytest.mark.parametrize("source", [
    'if column.kind == "date": pass',
    'x = kind in ("choice", "party")',
    'if field.kind in ("text",) and field.key == "a": pass',
    'if c.kind != "formula": pass',
    'if kind_of(c).name == "reference": pass',
    'y = [c for c in cols if c.kind not in {"id", "label"}]',
])
def test_the_kind_name_check_finds_a_comparison(source: str) -> None:
    assert len(kind_name_comparisons(source)) == 1


@pytest.mark.parametrize("source", [
    'if c.key == "id": pass',
    'if output_format == "text": pass',
    'if kind_of(c).computed: pass',
])
def test_the_kind_name_check_leaves_other_comparisons(source: str) -> None:
    assert kind_name_comparisons(source) == []


def test_template_does_not_import_kinds() -> None:
    tree = ast.parse((PACKAGE / "template" / "definition.py").read_text("utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {f"{'.' * node.level}{node.module or ''}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    imported |= {f"{'.' * node.level}{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert not {name for name in imported if name.endswith("kinds")}

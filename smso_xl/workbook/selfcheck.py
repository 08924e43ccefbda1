"""The workbook's own check — the Sjekk sheet and the red cells — rendered from the rules.

Each rule has one home, ``template.checks`` (a :class:`~smso_xl.template.checks.CellRule`
held by the kinds of the cells it checks, or a rule of rows: required cells, an empty
sheet, IDs, start and deadline): its finding code, a spreadsheet condition on one row's
cells built from the vocabulary of ``template.formulas``, and the same predicate in Python.
Here each is rendered: summed over the rows it is a count on Sjekk, applied to one cell the
conditional format that marks the cell. The label and whether a count blocks sending come
from the finding catalogue (``findings.check_label``, ``findings.blocks``). The validator
reaches the same verdict (docs/one-truth.md) with the same Python twins; each check names the
finding codes it counts, and tests/test_one_truth_libreoffice.py holds the two sides to each
other in LibreOffice over hundreds of planted plans.

The counts are written as array formulas, so that Excel evaluates them as LibreOffice does.
Each count also has its Python form, the formula's cached result: viewers that never
recalculate (LibreOffice's default for xlsx, mail previewers) still show the truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..base.cells import a1, column_letter, sheet_ref
from ..base.findings import blocks, check_label
from ..template import formulas as words
from ..template.checks import (
    CHECKED_ROWS,
    DEADLINE_BEFORE_START,
    ID_ASSIGNED,
    PLACEHOLDER_LIST,
    Ref,
    Rows,
    RowValues,
    Rule,
    Scope,
    TableRefs,
    checked_last_row,
    spellings,
    spellings_list,
)
from ..template.definition import Column, FormField, Role, Sheet, Template
from ..template.kinds import filled_by, input_columns, is_input, kind_of
from ..template.model import FORM_FIRST_ROW, FORM_VALUE_COL
from ..template.values import placeholder_key

__all__ = [
    "CHECKED_ROWS", "PLACEHOLDER_LIST", "Check", "Mark", "all_checks", "checked_last_row",
    "form_checks", "placeholder_texts", "ready_formula", "spellings", "spellings_list",
    "table_checks",
]


@dataclass(frozen=True)
class Mark:
    """A conditional format that marks the cells a check counts: ``target`` is an A1 range
    on the check's sheet, ``formula`` the condition at its top-left cell (no leading '=')."""

    target: str
    formula: str


@dataclass(frozen=True)
class Check:
    sheet: str
    label: str                     # from the catalogue (findings.check_label)
    blocking: bool                 # an error: counts against "Klar til innsending"
    formula: str                   # Excel formula of the count, without the leading '='
    count: Callable[[Rows, RowValues], int]
    # count(rows by sheet name, form values by key) → the number the formula computes
    codes: frozenset[str] = frozenset()     # the findings it counts …
    columns: frozenset[str] = frozenset()   # … at these columns (headers, field labels)
    marks: tuple[Mark, ...] = ()
    #: The named helper formulas ``formula`` uses (words.naming): the workbook defines them.
    names: Mapping[str, str] = field(default_factory=dict)


def placeholder_texts(template: Template) -> list[str]:
    """The hidden list: every placeholder as the check compares it (values.placeholder_key),
    marked for the one lookup of words.placeholder."""
    return words.placeholder_keys([placeholder_key(text) for text in template.placeholders])


def _table(sheet: Sheet, data_rows: int) -> TableRefs:
    return TableRefs(sheet, data_rows, filled_by(sheet))


def _sum_check(table: TableRefs, label: str, codes: frozenset[str], rules: Sequence[Rule],
               *, each_row: bool = True) -> Check:
    """A check summing ``rules`` over the filled rows (every row if not ``each_row``:
    a requirement names its own condition)."""

    def scope(ref: Ref) -> str:
        return table.present(ref) + "*" if each_row else ""

    with words.naming() as names:
        total = "+".join(f"({r.formula(table.rng)})" for r in rules)
        formula = f"SUMPRODUCT({scope(table.rng)}({total}))"
    if each_row:
        # No cell that fills a row, nothing to count: the rules are not computed at all (IF
        # evaluates one branch), which is most of a blank plan's checks. COUNTA only counts
        # (a cell holding "" counts, and then the rules say 0 themselves).
        cells = ",".join(table.rng(key) for key in table.filled)
        formula = f"IF(COUNTA({cells})=0,0,{formula})"
    marks = tuple(Mark(table.target(r.column.key),
                       f"{scope(table.cell)}({r.formula(table.cell)})>0") for r in rules)
    name = table.sheet.name

    def count(rows: Rows, _form: RowValues) -> int:
        return sum(sum(1 for r in rules if r.test(row, rows))
                   for row in rows.get(name, ()) if not each_row or table.is_present(row))

    return Check(name, label, any(blocks(c) for c in codes), formula, count, codes,
                 frozenset(r.column.header for r in rules), marks, names)


def _with_columns(label: str, rules: Sequence[Rule]) -> str:
    return f"{label} ({', '.join(r.column.header for r in rules)})"


def table_checks(template: Template, sheet: Sheet, data_rows: int,
                 period: tuple[dt.date, dt.date], parties: Sequence[str] = (),
                 data_rows_of: Callable[[str], int] | None = None) -> list[Check]:
    """Every check of one table sheet, in the order Sjekk lists them. ``data_rows_of`` gives
    the row count of another sheet (references); ``parties`` are the configured parties."""
    table = _table(sheet, data_rows)

    def other(name: str) -> TableRefs:
        return _table(template.sheet(name), data_rows_of(name) if data_rows_of else data_rows)

    def scope(column: Column) -> Scope:
        return Scope(template, column, kind_of(column), period, parties, table, other)

    checks = [_empty_check(table)] if sheet.at_least_one else []
    checks += [_required_check(template, table, col) for col in sheet.columns if col.required]
    if sheet.id_prefix and (ident := sheet.key_of(Role.ID)):
        checks.append(_sum_check(table, check_label(ID_ASSIGNED.code), ID_ASSIGNED.codes,
                                 [ID_ASSIGNED.build(scope(sheet.column(ident))).rule]))
    for (label, codes), rules in _grouped(sheet.columns, scope, form=False).items():
        checks.append(_sum_check(table, _with_columns(label, rules), codes, rules))
    if sheet.key_of(Role.START) and (deadline := sheet.by_role(Role.DEADLINE)):
        rule = DEADLINE_BEFORE_START
        checks.append(_sum_check(table, check_label(rule.code), rule.codes,
                                 [rule.build(scope(deadline)).rule]))
    return checks


def _grouped(columns: Sequence[Column], scope: Callable[[Column], Scope], *,
             form: bool) -> dict[tuple[str, frozenset[str]], list[Rule]]:
    """The rules the kinds of ``columns`` hold (``Kind.rules``), one group per check on
    Sjekk: its label and the codes it counts."""
    grouped: dict[tuple[str, frozenset[str]], list[Rule]] = {}
    for column in columns:
        for cell_rule in kind_of(column).rules:
            if form and not cell_rule.form:
                continue
            built = cell_rule.build(scope(column))
            key = (check_label(cell_rule.code, **built.label), cell_rule.codes)
            grouped.setdefault(key, []).append(built.rule)
    return grouped


def _required_check(template: Template, table: TableRefs, col: Column) -> Check:
    req, code = col.required, col.missing or ""
    assert req is not None
    key, sheet = col.key, table.sheet
    # A computed condition (the risk level) is computed here from its cells: an empty row
    # holds no formula (writer), and a region's new row none either.
    computed = req.when is not None and kind_of(sheet.column(req.when)).computed

    def when(ref: Ref) -> str:
        assert req.when is not None
        if computed:
            return "(" + template.formula(sheet, sheet.column(req.when).formula, ref) + ")"
        return ref(req.when)

    def condition(ref: Ref) -> str:
        return table.present(ref) if req.when is None else words.one_of(when(ref), req.values)

    def applies(row: RowValues) -> bool:
        if req.when is None:
            return table.is_present(row)
        value = (template.compute(sheet, sheet.column(req.when).formula, row) if computed
                 else row.get(req.when))
        return value in req.values

    rule = Rule(col, lambda ref: f"{condition(ref)}*(LEN({ref(key)})=0)",
                lambda row, _rows: applies(row) and not words.is_given(row.get(key)))
    return _sum_check(table, check_label(code, column=col.header), frozenset({code}), [rule],
                      each_row=False)


def _empty_check(table: TableRefs) -> Check:
    """A plan needs content: 1 when no row of the sheet is filled (rules._check_content),
    marked at the sheet's first input cell."""
    name, sheet = table.sheet.name, table.sheet
    code = sheet.at_least_one or ""
    anchor = input_columns(sheet)[0].key
    local = "&".join(table.local_rng(c.key) for c in input_columns(sheet))

    def count(rows: Rows, _form: RowValues) -> int:
        return 0 if any(table.is_present(r) for r in rows.get(name, ())) else 1

    return Check(name, check_label(code, plural=sheet.plural), blocks(code),
                 f"IF(SUMPRODUCT({table.present(table.rng)}*1)=0,1,0)", count,
                 frozenset({code}), frozenset(),
                 (Mark(f"{column_letter(table.col(anchor))}{table.first}",
                       f"SUMPRODUCT({words.given(local)}*1)=0"),))


# --- Organisering ----------------------------------------------------------------------------


def _field_cell(template: Template, key: str, *, qualified: bool) -> str:
    index = [f.key for f in template.form.fields].index(key)
    ref = a1(FORM_FIRST_ROW + index, FORM_VALUE_COL, absolute=True)
    return sheet_ref(template.form.name, ref) if qualified else ref


def _as_column(item: FormField) -> Column:
    return Column(key=item.key, header=item.label, kind=item.kind)


def form_checks(template: Template, period: tuple[dt.date, dt.date],
                parties: Sequence[str], data_rows_of: Callable[[str], int]) -> list[Check]:
    """The form's checks: required fields, and the rules of the fields' kinds that apply to
    a form (a form date is not a deadline: no period)."""
    form = template.form

    def other(name: str) -> TableRefs:
        return _table(template.sheet(name), data_rows_of(name))

    def scope(column: Column) -> Scope:
        return Scope(template, column, kind_of(column), period, parties, None, other)

    required = [f for f in form.fields if f.required and is_input(f)]
    codes = frozenset(f.missing or "" for f in required)
    checks = [_form_check(template, f"{check_label(min(codes))} "
                          f"({', '.join(f.label for f in required)})", codes,
                          [Rule(_as_column(f),
                                lambda ref, k=f.key: f"(LEN({ref(k)})=0)",
                                lambda row, _rows, k=f.key: not words.is_given(row.get(k)))
                           for f in required])] if required else []
    inputs = [_as_column(f) for f in form.fields if is_input(f)]
    for (label, rule_codes), rules in _grouped(inputs, scope, form=True).items():
        checks.append(_form_check(template, _with_columns(label, rules), rule_codes, rules))
    return checks


def _form_check(template: Template, label: str, codes: frozenset[str],
                rules: Sequence[Rule]) -> Check:
    def counted(key: str) -> str:
        return _field_cell(template, key, qualified=True)

    def local(key: str) -> str:
        return _field_cell(template, key, qualified=False)

    with words.naming() as names:
        formula = "SUMPRODUCT(" + "+".join(f"({r.formula(counted)})" for r in rules) + ")"
    marks = tuple(Mark(local(r.column.key).replace("$", ""), f"({r.formula(local)})>0")
                  for r in rules)

    def count(rows: Rows, values: RowValues) -> int:
        return sum(1 for r in rules if r.test(values, rows))

    return Check(template.form.name, label, any(blocks(c) for c in codes), formula, count,
                 codes, frozenset(r.column.header for r in rules), marks, names)


def all_checks(template: Template, data_rows: Mapping[str, int],
               period: tuple[dt.date, dt.date], parties: Sequence[str] = ()) -> list[Check]:
    """Every check of the Sjekk sheet, in the order of the sheets. ``parties``: the
    configured parties (the dropdown of parties)."""
    checks = form_checks(template, period, parties, data_rows.__getitem__)
    for sheet in template.tables:
        checks.extend(table_checks(template, sheet, data_rows[sheet.name], period, parties,
                                   data_rows.__getitem__))
    return checks


def ready_formula(count_cells: Sequence[str], yes_no: tuple[str, str]) -> str:
    yes, no = yes_no
    return f'IF(({"+".join(count_cells)})=0,"{yes}","{no}")' if count_cells else f'"{yes}"'

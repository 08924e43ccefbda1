"""The rules of the workbook's own check, one object per rule: :class:`CellRule`.

A rule names its finding code — the catalogue (``base.findings``) gives its severity, its
Sjekk label and its message — and builds, for one column, the same predicate twice: as a
spreadsheet condition on a row's cells, from the vocabulary of ``formulas`` (summed over the
rows it is a count on Sjekk, applied to one cell the red mark), and in Python, from the
twins of those words (``values``). Each kind holds the rules its cells are checked by
(``kinds.Kind.rules``); ``workbook.selfcheck`` renders them. The validator reaches the same
verdict with the same twins (``kinds``' ``parse``, ``rules``), and
tests/test_one_truth_libreoffice.py holds the two sides to each other in LibreOffice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..base.cells import a1_range, column_letter, sheet_ref
from . import formulas as words
from .definition import Column, Role, Sheet, Template
from .model import TABLE_HEADER_ROW
from .values import (
    cell_text,
    choice_variant,
    excel_trim,
    is_placeholder,
    match_choice,
    sheet_date,
    text_date,
    text_number,
    typed_text,
)

RowValues = Mapping[str, object]
Rows = Mapping[str, Sequence[RowValues]]
#: A reference maker: a column key → its range (for a count) or its first cell (for a mark).
Ref = Callable[[str], str]

#: The rows the checks look at, from the first data row: the Table's 200 rows and as many
#: again that a region adds below it (the validator reads every row; Sjekk must count what it
#: reports). Each row costs LibreOffice time on every recalculation of the workbook: at
#: 1 000 rows the checks took 2 s of it, at 400 under 1 s.
CHECKED_ROWS = 400
#: The defined name of the hidden list of texts that name nobody (the template's
#: placeholders as the check compares them: formulas.placeholder_keys).
PLACEHOLDER_LIST = "lst_plassholdere"


def checked_last_row(data_rows: int) -> int:
    """The last row a check or a conditional format covers (1-based)."""
    return TABLE_HEADER_ROW + max(data_rows, CHECKED_ROWS)


def spellings_list(list_name: str) -> str:
    """The defined name of the hidden list of a dropdown's plain spellings."""
    return f"{list_name}_staving"


def spellings(values: Sequence[str]) -> list[str]:
    """A dropdown's values as they may be spelled plainly («Fullfort»): accepted with a
    warning, by the validator (values.match_choice) and by the check alike."""
    return [v for v in dict.fromkeys(choice_variant(c) for c in values)
            if v not in (c.casefold() for c in values)]


@dataclass(frozen=True)
class Rule:
    """A rule applied to one column: its formula for a row (from ``Ref``) and its Python
    test of the row (``Rows``: every sheet's rows, for the rules that look across)."""

    column: Column
    formula: Callable[[Ref], str]
    test: Callable[[RowValues, Rows], bool]


class TableRefs:
    """Where a table sheet's columns and checked rows are in the generated workbook.
    ``filled``: the keys of the cells that make a row filled (kinds.filled_by)."""

    def __init__(self, sheet: Sheet, data_rows: int, filled: Sequence[str]) -> None:
        self.sheet, self.filled = sheet, tuple(filled)
        self.first = TABLE_HEADER_ROW + 1
        self.last = checked_last_row(data_rows)

    def col(self, key: str) -> int:
        return [c.key for c in self.sheet.columns].index(key) + 1

    def rng(self, key: str) -> str:
        """The column's checked rows, from any sheet."""
        col = self.col(key)
        return sheet_ref(self.sheet.name, a1_range(self.first, col, self.last, col, absolute=True))

    def local_rng(self, key: str) -> str:
        col = self.col(key)
        return a1_range(self.first, col, self.last, col, absolute=True)

    def cell(self, key: str) -> str:
        """The column's first data cell, its row relative (a conditional format's reference)."""
        return f"${column_letter(self.col(key))}{self.first}"

    def target(self, key: str) -> str:
        col = self.col(key)
        return a1_range(self.first, col, self.last, col)

    def present(self, ref: Ref) -> str:
        """The 'row is filled' word for this sheet."""
        return words.filled([ref(key) for key in self.filled])

    def is_present(self, row: RowValues) -> bool:
        return words.is_filled(row, self.filled)


class Listed(Protocol):
    """What a rule asks of a column's kind: its dropdown, and whether it names a party."""

    names_a_party: bool

    def list_name(self, column: Column) -> str | None: ...


@dataclass(frozen=True)
class Scope:
    """Where a rule is applied: one column of a table (``table``) or a form field (None)."""

    template: Template
    column: Column
    kind: Listed
    period: tuple[dt.date, dt.date]
    parties: Sequence[str]                 # the configured parties
    table: TableRefs | None
    other: Callable[[str], TableRefs]      # another table sheet, by name

    @property
    def key(self) -> str:
        return self.column.key


@dataclass(frozen=True)
class Built:
    """A rule built for one column: the rule, and the values its Sjekk label names."""

    rule: Rule
    label: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CellRule:
    """One rule of the workbook's own check: its finding ``code`` (the catalogue gives its
    severity and Sjekk label), the codes it counts with it (``also``), and how it is built
    for a column. ``form``: it applies to the fields of the form too."""

    code: str
    build: Callable[[Scope], Built]
    also: tuple[str, ...] = ()
    form: bool = True

    @property
    def codes(self) -> frozenset[str]:
        return frozenset((self.code, *self.also))


def _cell(scope: Scope, formula: Callable[[str], str], test: Callable[[object], bool],
          **label: object) -> Built:
    """A rule of one cell alone."""
    key = scope.key
    return Built(Rule(scope.column, lambda ref: formula(ref(key)),
                      lambda row, _rows: test(row.get(key))), label)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and words.is_given(value)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_as_text(value: object) -> bool:
    return _is_text(value) and text_number(str(value)) is not None


# --- person ----------------------------------------------------------------------------------

RESPONSIBLE_PLACEHOLDER = CellRule("responsible-placeholder", lambda s: _cell(
    s, lambda x: words.placeholder(x, PLACEHOLDER_LIST),
    lambda v: is_placeholder(v, s.template.placeholders)))


# --- dates -----------------------------------------------------------------------------------

DATE_INVALID = CellRule("date-invalid", lambda s: _cell(
    s, lambda x: f"{words.given(x)}*(1-{words.sheet_date(x)})*(1-{words.text_date(x)})",
    lambda v: words.is_given(v) and sheet_date(v) is None and not (
        _is_text(v) and text_date(str(v)) is not None)))
DATE_AS_TEXT = CellRule("date-as-text", lambda s: _cell(
    s, lambda x: f"{words.given(x)}*{words.text_date(x)}",
    lambda v: _is_text(v) and text_date(str(v)) is not None))


def _outside_period(scope: Scope) -> Built:
    start, end = scope.period

    def formula(x: str) -> str:
        return f"{words.sheet_date(x)}*((({x}<{words.day(start)})+({x}>{words.day(end)}))>0)"

    def test(v: object) -> bool:
        day = sheet_date(v)
        return day is not None and not start <= day <= end

    return _cell(scope, formula, test)


# A warning in the validator: shown, but not blocking. Form dates are no deadlines.
DATE_OUTSIDE_PERIOD = CellRule("date-outside-period", _outside_period, form=False)


def _before_start(scope: Scope) -> Built:
    """The deadline (this column) before the row's start: both day numbers."""
    sheet = scope.table.sheet if scope.table else None
    start = sheet.key_of(Role.START) if sheet else None
    deadline = scope.key

    def formula(ref: Ref) -> str:
        s, d = ref(start or ""), ref(deadline)
        return f"{words.sheet_date(s)}*{words.sheet_date(d)}*({d}<{s})"

    def test(row: RowValues, _rows: Rows) -> bool:
        s, d = sheet_date(row.get(start or "")), sheet_date(row.get(deadline))
        return s is not None and d is not None and d < s

    return Built(Rule(scope.column, formula, test))


DEADLINE_BEFORE_START = CellRule("deadline-before-start", _before_start, form=False)


# --- numbers ---------------------------------------------------------------------------------

NUMBER_INVALID = CellRule("number-invalid", lambda s: _cell(
    s, lambda x: f"{words.given(x)}*(1-ISNUMBER({x}))*(1-{words.text_number(x)})",
    lambda v: words.is_given(v) and not _number(v) and not _number_as_text(v)))
NUMBER_NEGATIVE = CellRule("number-negative", lambda s: _cell(
    s, lambda x: f"ISNUMBER({x})*({x}<0)", lambda v: _number(v) and v < 0))  # type: ignore[operator]
#: «1,500»: read as a number written as text, with a warning of its own; counted with it.
NUMBER_AMBIGUOUS = "number-ambiguous"
NUMBER_AS_TEXT = CellRule("number-as-text", lambda s: _cell(
    s, lambda x: f"{words.given(x)}*(1-ISNUMBER({x}))*{words.text_number(x)}", _number_as_text),
    also=(NUMBER_AMBIGUOUS,))


def _scale(scope: Scope) -> Built:
    column = scope.column
    low, high = column.minimum or 0, column.maximum or 0
    allowed = range(low, high + 1)

    def formula(x: str) -> str:
        # Comparing, not computing: text («4») equals no number in Excel or LibreOffice.
        return f"{words.given(x)}*(({'+'.join(f'({x}={v})' for v in allowed)})=0)"

    def test(v: object) -> bool:
        whole = _number(v) and v == int(v) and int(v) in allowed  # type: ignore[call-overload]
        return words.is_given(v) and not whole

    return _cell(scope, formula, test, minimum=low, maximum=high)


SCALE_INVALID = CellRule("scale-invalid", _scale)


# --- choices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Choices:
    """A choice column's lists in the workbook and its values in Python."""

    lists: list[str]          # the defined names MATCH looks in (the list, its spellings)
    own: list[str]            # the parties the region added on Parter (a range), if a party
    exact: list[str]          # where EXACT looks: the list itself and ``own``
    status: Callable[[RowValues, Rows], str]


def _choices(scope: Scope) -> _Choices:
    template, column, key = scope.template, scope.column, scope.key
    name = scope.kind.list_name(column) or ""
    party = scope.kind.names_a_party
    values = list(scope.parties) if party else list(template.vocabularies[column.list or ""])
    lists = [name, *([spellings_list(name)] if spellings(values) else [])]
    parter = template.sheet_by_role(Role.PARTIES)
    title = parter.key_of(Role.TITLE) or ""
    own = [scope.other(parter.name).rng(title)] if party else []

    def choices(rows: Rows) -> list[str]:
        if not party:
            return values
        added = [cell_text(r.get(title)) for r in rows.get(parter.name, ())]
        return list(dict.fromkeys([*values, *(a for a in added if a)]))

    def status(row: RowValues, rows: Rows) -> str:
        return match_choice(row.get(key), choices(rows), values).status

    return _Choices(lists, own, [name, *own], status)


def _not_a_choice(scope: Scope) -> Built:
    c, key = _choices(scope), scope.key
    return Built(Rule(
        scope.column,
        lambda ref: f"{words.given(ref(key))}*({words.in_list(ref(key), c.lists + c.own)}=0)",
        lambda row, rows: c.status(row, rows) == "invalid"))


def _near_miss(scope: Scope) -> Built:
    c, key = _choices(scope), scope.key
    return Built(Rule(
        scope.column,
        lambda ref: (f"{words.given(ref(key))}*({words.in_list(ref(key), c.lists + c.own)}>0)"
                     f"*({words.exactly_in(ref(key), c.exact)}=0)"),
        lambda row, rows: c.status(row, rows) == "near"))


CHOICE_INVALID = CellRule("choice-invalid", _not_a_choice)
PARTY_UNKNOWN = CellRule("party-unknown", _not_a_choice)
CHOICE_NEAR_MISS = CellRule("choice-near-miss", _near_miss)


# --- IDs and references ----------------------------------------------------------------------


def _duplicate(scope: Scope) -> Built:
    """rules._check_ids: a filled row's ID that another row also holds (COUNTIF, any case)."""
    table, key = scope.table, scope.key
    assert table is not None

    def test(row: RowValues, rows: Rows) -> bool:
        text = typed_text(row.get(key))
        same = excel_trim(text).casefold()
        return bool(text) and sum(1 for r in rows.get(table.sheet.name, ())
                                  if typed_text(r.get(key)).casefold() == same) > 1

    def formula(ref: Ref) -> str:
        return (f"{words.given(ref(key))}*(COUNTIF({table.rng(key)},"
                f"{words.escape(f'TRIM({ref(key)})')})>1)")

    return Built(Rule(scope.column, formula, test))


ID_DUPLICATE = CellRule("id-duplicate", _duplicate, form=False)
#: rules._assign_ids: the validator numbers a filled row without an ID itself, and warns.
ID_ASSIGNED = CellRule("id-assigned", lambda s: _cell(
    s, lambda x: f"(LEN(TRIM({x}))=0)", lambda v: not cell_text(v)), form=False)


def _reference(scope: Scope) -> Built:
    """rules._check_references: the ID of a goal or action whose title is written."""
    key, template = scope.key, scope.template
    targets = [template.sheet(name) for name in scope.column.refers_to]

    def formula(ref: Ref) -> str:
        wanted = words.escape(f"SUBSTITUTE(TRIM({ref(key)}),\" \",\"\")")
        found = "+".join(
            f"COUNTIFS({scope.other(t.name).rng(t.key_of(Role.ID) or '')},{wanted},"
            f"{scope.other(t.name).rng(t.key_of(Role.TITLE) or '')},\"<>\")" for t in targets)
        return f"{words.given(ref(key))}*(({found})=0)"

    def test(row: RowValues, rows: Rows) -> bool:
        wanted = cell_text(row.get(key)).upper().replace(" ", "").casefold()
        written = {cell_text(r.get(t.key_of(Role.ID))).casefold()
                   for t in targets for r in rows.get(t.name, ())
                   if cell_text(r.get(t.key_of(Role.TITLE)))}
        return bool(wanted) and wanted not in written

    return Built(Rule(scope.column, formula, test))


REFERENCE_UNKNOWN = CellRule("reference-unknown", _reference, form=False)

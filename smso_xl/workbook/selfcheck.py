"""The workbook's own check — the Sjekk sheet and the red cells — from one definition per rule.

Each rule is written here once as a spreadsheet condition for one row's cells. Summed over
the rows it is a count on Sjekk; applied to one cell it is the conditional format that marks
the cell. The validator reaches the same verdict (docs/reference.md §5.7): its side of each
rule is in ``kinds`` (what a cell is) and ``rules`` (what a row and a sheet need), using the
functions of ``values`` that mirror these formulas (``sheet_date``, ``text_date``,
``text_number``, ``match_choice``, ``is_placeholder``). Each check names the finding codes it
counts, and tests/test_one_truth_libreoffice.py holds the two sides to each other in
LibreOffice over hundreds of planted plans.

The formulas use functions Excel and LibreOffice evaluate alike (SUMPRODUCT, LEN, TRIM,
SUBSTITUTE, MATCH, COUNTIF(S), EXACT, MMULT) and never produce an error value for a bad cell:
a rule about a cell that may hold anything compares and matches, it does not compute. The
counts are written as array formulas, so that Excel evaluates them as LibreOffice does.

Each count also has its Python form, the formula's cached result: viewers that never
recalculate (LibreOffice's default for xlsx, mail previewers) still show the truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..base.cells import a1, a1_range, column_letter, sheet_ref
from ..template.definition import Column, FormField, Requirement, Sheet, Template
from ..template.kinds import filled_by, input_columns, is_input, kind_of
from ..template.model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW
from ..template.values import (
    PLACEHOLDER_MARKS,
    SHEET_DATES,
    cell_text,
    choice_variant,
    excel_trim,
    is_placeholder,
    match_choice,
    placeholder_key,
    sheet_date,
    text_date,
    text_number,
    typed_text,
)

RowValues = Mapping[str, object]
Rows = Mapping[str, Sequence[RowValues]]
#: A reference maker: a column key → its range (for a count) or its first cell (for a mark).
Ref = Callable[[str], str]


@dataclass(frozen=True)
class Mark:
    """A conditional format that marks the cells a check counts: ``target`` is an A1 range
    on the check's sheet, ``formula`` the condition at its top-left cell (no leading '=')."""

    target: str
    formula: str


@dataclass(frozen=True)
class Check:
    sheet: str
    label: str
    blocking: bool                 # an error: counts against "Klar til innsending"
    formula: str                   # Excel formula of the count, without the leading '='
    count: Callable[[Rows, RowValues], int]
    # count(rows by sheet name, form values by key) → the number the formula computes
    codes: frozenset[str] = frozenset()     # the findings it counts …
    columns: frozenset[str] = frozenset()   # … at these columns (headers, field labels)
    marks: tuple[Mark, ...] = ()


def _given(value: object) -> bool:
    """Excel's LEN(x)>0: anything but an empty cell or an empty formula result."""
    return value is not None and value != ""


#: The rows the checks look at, from the first data row: the Table's 200 rows and as many
#: again that a region adds below it (the validator reads every row; Sjekk must count what it
#: reports). Each row costs LibreOffice time on every opening of the workbook: at 1 000 rows
#: the checks took 2 s of it, at 400 under 1 s.
CHECKED_ROWS = 400
#: The defined name of the hidden list of texts that name nobody (the template's
#: placeholders as the check compares them: without punctuation marks).
PLACEHOLDER_LIST = "lst_plassholdere"
_ESCAPED = "~*?"  # MATCH and COUNTIF read these as wildcards unless escaped with ~


def checked_last_row(data_rows: int) -> int:
    """The last row a check or a conditional format covers (1-based)."""
    return TABLE_HEADER_ROW + max(data_rows, CHECKED_ROWS)


def placeholder_texts(template: Template) -> list[str]:
    """The hidden list: every placeholder as the check compares it (values.placeholder_key)."""
    return list(dict.fromkeys(key for text in template.placeholders
                              if (key := placeholder_key(text))))


def spellings_list(list_name: str) -> str:
    """The defined name of the hidden list of a dropdown's plain spellings."""
    return f"{list_name}_staving"


def spellings(values: Sequence[str]) -> list[str]:
    """A dropdown's values as they may be spelled plainly («Fullfort»): accepted with a
    warning, by the validator (values.match_choice) and by the check alike."""
    return [v for v in dict.fromkeys(choice_variant(c) for c in values)
            if v not in (c.casefold() for c in values)]


# --- the formulas of one cell ----------------------------------------------------------------


def _str(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _strip(expr: str, chars: str) -> str:
    for char in chars:
        expr = f"SUBSTITUTE({expr},{_str(char)},\"\")"
    return expr


def _escape(expr: str) -> str:
    for char in _ESCAPED:
        expr = f"SUBSTITUTE({expr},{_str(char)},{_str('~' + char)})"
    return expr


def _day(day: dt.date) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


_FIRST_DAY, _AFTER_LAST_DAY = _day(SHEET_DATES[0]), _day(SHEET_DATES[1] + dt.timedelta(days=1))


def f_given(x: str) -> str:
    return f"(LEN({x})>0)"


def f_sheet_date(x: str) -> str:
    """values.sheet_date: a number that is a day in 1990–2100."""
    return f"(ISNUMBER({x})*({x}>={_FIRST_DAY})*({x}<{_AFTER_LAST_DAY}))"


def f_text_date(x: str) -> str:
    """values.text_date: d.m.åååå or d.m.åå as text, a real day in 1990–2100. Any step that
    fails gives an error, which ISNUMBER turns into 0."""
    t = f"TRIM({x})"
    p = f"FIND(\".\",{t})"
    q = f"FIND(\".\",{t},{p}+1)"
    day, month, year = f"LEFT({t},{p}-1)", f"MID({t},{p}+1,{q}-{p}-1)", f"MID({t},{q}+1,9)"
    full_year = f"({year}+2000*(LEN({year})=2))"
    date = f"DATE({full_year},{month},{day})"
    shape = (f"({_strip(t, '0123456789')}=\"..\")*(LEN({day})<3)*(LEN({month})<3)"
             f"*((LEN({year})=2)+(LEN({year})=4))")
    real = (f"(DAY({date})=--{day})*(MONTH({date})=--{month})"
            f"*({date}>={_FIRST_DAY})*({date}<{_AFTER_LAST_DAY})")
    return f"ISNUMBER(1/({shape}*{real}))"


def f_text_number(x: str) -> str:
    """values.text_number: text of digits, spaces between them and one decimal comma."""
    t = _strip(f"TRIM({x})", " \u00a0")
    rest = _strip(t, "0123456789")
    return (f"((LEN({t})>0)*(({rest}=\"\")+({rest}=\",\"))*(LEFT({t},1)<>\",\")"
            f"*(RIGHT({t},1)<>\",\"))")


def f_placeholder(x: str) -> str:
    """values.is_placeholder: punctuation marks alone, or a placeholder once they are gone."""
    key = f"TRIM({_strip(x, PLACEHOLDER_MARKS)})"
    return (f"({f_given(x)}*((LEN({key})=0)+ISNUMBER(MATCH({key},{PLACEHOLDER_LIST},0)))>0)")


def _in_list(x: str, lists: Sequence[str]) -> str:
    """How many of ``lists`` hold the trimmed text, any case (MATCH)."""
    escaped = _escape(f"TRIM({x})")
    return "(" + "+".join(f"ISNUMBER(MATCH({escaped},{ref},0))" for ref in lists) + ")"


def _exactly_in(x: str, lists: Sequence[str]) -> str:
    """How many values of ``lists`` equal the trimmed text in its case (EXACT)."""
    return "(" + "+".join(f"MMULT(--EXACT(TRIM({x}),TRANSPOSE({ref})),ROW({ref})^0)"
                          for ref in lists) + ")"


# --- the checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One rule of one column: its formula for a row (from ``Ref``) and its Python test."""

    column: Column
    formula: Callable[[Ref], str]
    test: Callable[[RowValues, Rows], bool]


class _Table:
    """Where a table sheet's columns and data rows are in the generated workbook."""

    def __init__(self, sheet: Sheet, data_rows: int) -> None:
        self.sheet = sheet
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
        """The 'row is filled' condition (kinds.filled_by) as a formula."""
        return f_given("&".join(ref(key) for key in filled_by(self.sheet)))

    def is_present(self, row: RowValues) -> bool:
        return any(_given(row.get(key)) for key in filled_by(self.sheet))

    def check(self, label: str, blocking: bool, codes: set[str], rules: Sequence[_Rule],
              *, each_row: bool = True) -> Check:
        """A check summing ``rules`` over the filled rows (every row if not ``each_row``:
        a requirement names its own condition)."""
        table = self

        def scope(ref: Ref) -> str:
            return table.present(ref) + "*" if each_row else ""

        total = "+".join(f"({r.formula(self.rng)})" for r in rules)
        formula = f"SUMPRODUCT({scope(self.rng)}({total}))"
        marks = tuple(Mark(self.target(r.column.key),
                           f"{scope(self.cell)}({r.formula(self.cell)})>0")
                      for r in rules)
        name = self.sheet.name

        def count(rows: Rows, _form: RowValues) -> int:
            return sum(sum(1 for r in rules if r.test(row, rows))
                       for row in rows.get(name, ()) if not each_row or table.is_present(row))

        return Check(name, label, blocking, formula, count, frozenset(codes),
                     frozenset(r.column.header for r in rules), marks)


def _columns(rules: Sequence[_Rule]) -> str:
    return ", ".join(r.column.header for r in rules)


def table_checks(template: Template, sheet: Sheet, data_rows: int,
                 period: tuple[dt.date, dt.date], parties: Sequence[str] = (),
                 data_rows_of: Callable[[str], int] | None = None) -> list[Check]:
    """Every check of one table sheet, in the order Sjekk lists them. ``data_rows_of`` gives
    the row count of another sheet (references); ``parties`` are the configured parties."""
    table = _Table(sheet, data_rows)

    def other(name: str) -> _Table:
        return _Table(template.sheet(name), data_rows_of(name) if data_rows_of else data_rows)

    checks = [_empty_check(table)] if sheet.at_least_one else []
    checks += [_required_check(template, table, col) for col in sheet.columns if col.required]
    if sheet.id_prefix and (ident := sheet.key_of("id")):
        # rules._assign_ids: the validator numbers such a row itself, and warns.
        checks.append(table.check("Rader uten ID", False, {"id-assigned"}, [_rule(
            sheet.column(ident), lambda x: f"(LEN(TRIM({x}))=0)", lambda v: not cell_text(v))]))
    grouped = _grouped(template, table, sheet.columns, period, parties, other)
    for (label, blocking, codes), rules in grouped.items():
        checks.append(table.check(f"{label} ({_columns(rules)})", blocking, set(codes), rules))
    if (start := sheet.key_of("start")) and (deadline := sheet.key_of("deadline")):
        checks.append(table.check("Frist før start", True, {"deadline-before-start"},
                                  [_before_start(sheet, start, deadline)]))
    return checks


_CellRules = list[tuple[str, bool, set[str], _Rule]]


def _grouped(template: Template, table: _Table | None, columns: Sequence[Column],
             period: tuple[dt.date, dt.date], parties: Sequence[str],
             other: Callable[[str], _Table]) -> dict[tuple[str, bool, frozenset[str]],
                                                    list[_Rule]]:
    """The rules the kinds of ``columns`` ask for (``Kind.sheet_checks``), one group per
    check on Sjekk: its label, whether it blocks, the codes it counts."""
    grouped: dict[tuple[str, bool, frozenset[str]], list[_Rule]] = {}
    for column in columns:
        for name in kind_of(column).sheet_checks:
            for label, blocking, codes, rule in _CELL_RULES[name](
                    template, table, column, column.key, period, parties, other):
                grouped.setdefault((label, blocking, frozenset(codes)), []).append(rule)
    return grouped


def _rule(column: Column, formula: Callable[[str], str],
          test: Callable[[object], bool]) -> _Rule:
    """A rule of one cell alone."""
    key = column.key
    return _Rule(column, lambda ref: formula(ref(key)), lambda row, _rows: test(row.get(key)))


def _person(template: Template, table: _Table, column: Column, key: str, *_: object) -> _CellRules:
    placeholders = template.placeholders
    return [("Ikke en navngitt person", True, {"responsible-placeholder"},
             _rule(column, f_placeholder, lambda v: is_placeholder(v, placeholders)))]


def _is_text(value: object) -> bool:
    return isinstance(value, str) and _given(value)


def _date(template: Template, table: _Table, column: Column, key: str,
          period: tuple[dt.date, dt.date], *_: object) -> _CellRules:
    start, end = period

    def not_a_date(x: str) -> str:
        return f"{f_given(x)}*(1-{f_sheet_date(x)})*(1-{f_text_date(x)})"

    def outside(x: str) -> str:
        return f"{f_sheet_date(x)}*((({x}<{_day(start)})+({x}>{_day(end)}))>0)"

    def in_period(v: object) -> bool:
        day = sheet_date(v)
        return day is not None and not start <= day <= end

    return [
        ("Ikke en dato", True, {"date-invalid"}, _rule(
            column, not_a_date, lambda v: _given(v) and sheet_date(v) is None and not (
                _is_text(v) and text_date(str(v)) is not None))),
        ("Dato skrevet som tekst", False, {"date-as-text"}, _rule(
            column, lambda x: f"{f_given(x)}*{f_text_date(x)}",
            lambda v: _is_text(v) and text_date(str(v)) is not None)),
        # Outside the period is a warning in the validator: shown, but not blocking.
        ("Dato utenfor planperioden", False, {"date-outside-period"},
         _rule(column, outside, in_period)),
    ]


def _amount(template: Template, table: _Table, column: Column, key: str,
            *_: object) -> _CellRules:
    def number(v: object) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    def as_text(v: object) -> bool:
        return _is_text(v) and text_number(str(v)) is not None

    return [
        ("Ikke et tall", True, {"number-invalid"}, _rule(
            column, lambda x: f"{f_given(x)}*(1-ISNUMBER({x}))*(1-{f_text_number(x)})",
            lambda v: _given(v) and not number(v) and not as_text(v))),
        ("Negativt tall", True, {"number-negative"}, _rule(
            column, lambda x: f"ISNUMBER({x})*({x}<0)", lambda v: number(v) and v < 0)),
        ("Tall skrevet som tekst", False, {"number-as-text", "number-ambiguous"}, _rule(
            column, lambda x: f"{f_given(x)}*(1-ISNUMBER({x}))*{f_text_number(x)}", as_text)),
    ]


def _scale(template: Template, table: _Table, column: Column, key: str,
           *_: object) -> _CellRules:
    low, high = column.minimum or 0, column.maximum or 0
    allowed = range(low, high + 1)

    def formula(x: str) -> str:
        # Comparing, not computing: text («4») equals no number in Excel or LibreOffice.
        return f"{f_given(x)}*(({'+'.join(f'({x}={v})' for v in allowed)})=0)"

    def test(v: object) -> bool:
        whole = (isinstance(v, int | float) and not isinstance(v, bool) and v == int(v)
                 and int(v) in allowed)
        return _given(v) and not whole

    return [(f"Ikke et helt tall fra {low} til {high}", True, {"scale-invalid"},
             _rule(column, formula, test))]


def _choice(template: Template, table: _Table, column: Column, key: str,
            period: tuple[dt.date, dt.date], parties: Sequence[str],
            other: Callable[[str], _Table]) -> _CellRules:
    kind = kind_of(column)
    name = kind.list_name(column) or ""
    party = kind.names_a_party
    values = list(parties) if party else list(template.vocabularies[column.list or ""])
    lists = [name]
    if spellings(values):
        lists.append(spellings_list(name))
    # The parties the region added on its own Parter sheet count too.
    parter = template.sheet_by_role("parties")
    title = parter.key_of("title") or ""
    own = [other(parter.name).rng(title)] if party else []

    def choices(rows: Rows) -> list[str]:
        if not party:
            return values
        added = [cell_text(r.get(title)) for r in rows.get(parter.name, ())]
        return list(dict.fromkeys([*values, *(a for a in added if a)]))

    def status(row: RowValues, rows: Rows) -> str:
        return match_choice(row.get(key), choices(rows), values).status

    invalid_code = "party-unknown" if party else "choice-invalid"
    return [
        ("Ukjent part" if party else "Ikke et valg fra listen", True, {invalid_code},
         _Rule(column, lambda ref: f"{f_given(ref(key))}*({_in_list(ref(key), lists + own)}=0)",
               lambda row, rows: status(row, rows) == "invalid")),
        ("Stavet annerledes enn i listen", False, {"choice-near-miss"},
         _Rule(column, lambda ref: (f"{f_given(ref(key))}*({_in_list(ref(key), lists + own)}>0)"
                                    f"*({_exactly_in(ref(key), [name, *own])}=0)"),
               lambda row, rows: status(row, rows) == "near")),
    ]


def _id(template: Template, table: _Table, column: Column, key: str,
        *_: object) -> _CellRules:
    """rules._check_ids: a filled row's ID that another row also holds (COUNTIF, any case)."""
    def test(row: RowValues, rows: Rows) -> bool:
        text = typed_text(row.get(key))
        same = excel_trim(text).casefold()
        return bool(text) and sum(1 for r in rows.get(table.sheet.name, ())
                                  if typed_text(r.get(key)).casefold() == same) > 1

    def formula(ref: Ref) -> str:
        return f"{f_given(ref(key))}*(COUNTIF({table.rng(key)},{_escape(f'TRIM({ref(key)})')})>1)"

    return [("ID brukt flere ganger", True, {"id-duplicate"}, _Rule(column, formula, test))]


def _reference(template: Template, table: _Table, column: Column, key: str,
               period: tuple[dt.date, dt.date], parties: Sequence[str],
               other: Callable[[str], _Table]) -> _CellRules:
    """rules._check_references: the ID of a goal or action whose title is written."""
    targets = [template.sheet(name) for name in column.refers_to]

    def formula(ref: Ref) -> str:
        wanted = _escape(f"SUBSTITUTE(TRIM({ref(key)}),\" \",\"\")")
        found = "+".join(
            f"COUNTIFS({other(t.name).rng(t.key_of('id') or '')},{wanted},"
            f"{other(t.name).rng(t.key_of('title') or '')},\"<>\")" for t in targets)
        return f"{f_given(ref(key))}*(({found})=0)"

    def test(row: RowValues, rows: Rows) -> bool:
        wanted = cell_text(row.get(key)).upper().replace(" ", "").casefold()
        written = {cell_text(r.get(t.key_of("id"))).casefold()
                   for t in targets for r in rows.get(t.name, ())
                   if cell_text(r.get(t.key_of("title")))}
        return bool(wanted) and wanted not in written

    return [("Viser til en rad som ikke finnes", True, {"reference-unknown"},
             _Rule(column, formula, test))]


def _before_start(sheet: Sheet, start: str, deadline: str) -> _Rule:
    def formula(ref: Ref) -> str:
        s, d = ref(start), ref(deadline)
        return f"{f_sheet_date(s)}*{f_sheet_date(d)}*({d}<{s})"

    def test(row: RowValues, _rows: Rows) -> bool:
        s, d = sheet_date(row.get(start)), sheet_date(row.get(deadline))
        return s is not None and d is not None and d < s

    return _Rule(sheet.column(deadline), formula, test)


_CELL_RULES: Mapping[str, Callable[..., _CellRules]] = {
    "person": _person, "date": _date, "amount": _amount, "scale": _scale, "choice": _choice,
    "id": _id, "reference": _reference,
}


def _required_check(template: Template, table: _Table, col: Column) -> Check:
    req = col.required
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
        return table.present(ref) if req.when is None else _when(when(ref), req)

    def applies(row: RowValues) -> bool:
        if req.when is None:
            return table.is_present(row)
        value = (template.compute(sheet, sheet.column(req.when).formula, row) if computed
                 else row.get(req.when))
        return value in req.values

    rule = _Rule(col, lambda ref: f"{condition(ref)}*(LEN({ref(key)})=0)",
                 lambda row, _rows: applies(row) and not _given(row.get(key)))
    return table.check(f"Rader uten {col.header}", True, {col.missing or ""}, [rule],
                       each_row=False)


def _when(value: str, req: Requirement) -> str:
    terms = "+".join(f"({value}={_str(v)})" for v in req.values)
    return f"(({terms})>0)"


def _empty_check(table: _Table) -> Check:
    """A plan needs content: 1 when no row of the sheet is filled (rules._check_content),
    marked at the sheet's first input cell."""
    name, sheet = table.sheet.name, table.sheet
    anchor = input_columns(sheet)[0].key
    local = "&".join(table.local_rng(c.key) for c in input_columns(sheet))

    def count(rows: Rows, _form: RowValues) -> int:
        return 0 if any(table.is_present(r) for r in rows.get(name, ())) else 1

    return Check(name, f"Ingen utfylte {sheet.plural}", True,
                 f"IF(SUMPRODUCT({table.present(table.rng)}*1)=0,1,0)", count,
                 frozenset({sheet.at_least_one or ""}), frozenset(),
                 (Mark(f"{column_letter(table.col(anchor))}{table.first}",
                       f"SUMPRODUCT((LEN({local})>0)*1)=0"),))


# --- Organisering ----------------------------------------------------------------------------


def _field_cell(template: Template, key: str, *, qualified: bool) -> str:
    index = [f.key for f in template.form.fields].index(key)
    ref = a1(FORM_FIRST_ROW + index, FORM_VALUE_COL, absolute=True)
    return sheet_ref(template.form.name, ref) if qualified else ref


def _as_column(item: FormField) -> Column:
    return Column(key=item.key, header=item.label, kind=item.kind)


def form_checks(template: Template, period: tuple[dt.date, dt.date],
                parties: Sequence[str], data_rows_of: Callable[[str], int]) -> list[Check]:
    """The form's checks: required fields, and the rules of the fields' kinds (no period:
    a form date is not a deadline)."""
    form = template.form

    def other(name: str) -> _Table:
        return _Table(template.sheet(name), data_rows_of(name))

    required = [f for f in form.fields if f.required and is_input(f)]
    checks = [_form_check(template, f"Felt som mangler ({', '.join(f.label for f in required)})",
                          True, {f.missing or "" for f in required},
                          [_Rule(_as_column(f),
                                 lambda ref, k=f.key: f"(LEN({ref(k)})=0)",
                                 lambda row, _rows, k=f.key: not _given(row.get(k)))
                           for f in required])]
    inputs = [_as_column(f) for f in form.fields if is_input(f)]
    for (label, blocking, codes), rules in _grouped(template, None, inputs, period, parties,
                                                    other).items():
        if codes == {"date-outside-period"}:
            continue  # the validator reads form dates without the period
        checks.append(_form_check(template, f"{label} ({_columns(rules)})", blocking,
                                  set(codes), rules))
    return checks


def _form_check(template: Template, label: str, blocking: bool, codes: set[str],
                rules: Sequence[_Rule]) -> Check:
    def counted(key: str) -> str:
        return _field_cell(template, key, qualified=True)

    def local(key: str) -> str:
        return _field_cell(template, key, qualified=False)

    formula = "SUMPRODUCT(" + "+".join(f"({r.formula(counted)})" for r in rules) + ")"
    marks = tuple(Mark(local(r.column.key).replace("$", ""), f"({r.formula(local)})>0")
                  for r in rules)

    def count(rows: Rows, values: RowValues) -> int:
        return sum(1 for r in rules if r.test(values, rows))

    return Check(template.form.name, label, blocking, formula, count, frozenset(codes),
                 frozenset(r.column.header for r in rules), marks)


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

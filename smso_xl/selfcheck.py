"""The Sjekk sheet's live self-check: one definition yields both the Excel formula and the
same count computed in Python (the formula's cached result, so viewers that never
recalculate — LibreOffice's default for xlsx, mail previewers — still show the truth).

Every check is derived from the template definition: a column with a ``required`` rule gives
"rows missing X", a date column gives "dates outside the plan period" and "dates written as
text". The formulas use only SUMPRODUCT, LEN and ISNUMBER, which Excel and LibreOffice
evaluate alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .cells import a1, a1_range, sheet_ref
from .kinds import input_columns, kind_of
from .model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW
from .template import Column, Requirement, Sheet, Template
from .values import fold

RowValues = Mapping[str, object]


@dataclass(frozen=True)
class Check:
    sheet: str
    label: str
    blocking: bool                 # counts against "Klar til innsending"
    formula: str                   # Excel formula, without the leading '='
    count: Callable[[Mapping[str, Sequence[RowValues]], RowValues], int]
    # count(rows by sheet name, form values by key) → the number the formula computes


def _given(value: object) -> bool:
    """Excel's LEN(x)>0: anything but an empty cell or an empty formula result."""
    return value is not None and value != ""


def _is_number(value: object) -> bool:
    """Excel's ISNUMBER: numbers and dates (dates are numbers in a spreadsheet)."""
    return isinstance(value, int | float | dt.date) and not isinstance(value, bool)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    return None


#: The rows the checks look at, from the first data row: the Table's rows and those a region
#: adds below it (the validator reads every row; Sjekk must count what it reports).
CHECKED_ROWS = 1000
#: The defined name of the hidden list of texts that name nobody (the template's
#: placeholders, and each as it reads without accents: MATCH ignores case, not accents).
PLACEHOLDER_LIST = "lst_plassholdere"


def checked_last_row(data_rows: int) -> int:
    """The last row a check or a conditional format covers (1-based)."""
    return TABLE_HEADER_ROW + max(data_rows, CHECKED_ROWS)


def placeholder_texts(template: Template) -> list[str]:
    """The hidden list: every placeholder as written and as it reads without accents."""
    texts: list[str] = []
    for text in template.placeholders:
        for variant in (text, fold(text)):
            if variant not in texts:
                texts.append(variant)
    return texts


class _Geometry:
    """Where a table sheet's columns and data rows are in the generated workbook."""

    def __init__(self, sheet: Sheet, data_rows: int) -> None:
        self.sheet = sheet
        self.first = TABLE_HEADER_ROW + 1
        self.last = checked_last_row(data_rows)

    def col(self, key: str) -> int:
        return [c.key for c in self.sheet.columns].index(key) + 1

    def rng(self, key: str) -> str:
        col = self.col(key)
        return sheet_ref(self.sheet.name, a1_range(self.first, col, self.last, col, absolute=True))

    def present(self) -> tuple[str, Callable[[RowValues], bool]]:
        """The 'row counts' condition: present_when column given, or any input cell given."""
        if self.sheet.present_when:
            key = self.sheet.present_when
            return f"(LEN({self.rng(key)})>0)", lambda r: _given(r.get(key))
        keys = [c.key for c in input_columns(self.sheet)]
        joined = "&".join(self.rng(k) for k in keys)
        return f"(LEN({joined})>0)", lambda r: any(_given(r.get(k)) for k in keys)

    def condition(self, req: Requirement) -> tuple[str, Callable[[RowValues], bool]]:
        if req.when is None:
            return self.present()
        rng = self.rng(req.when)
        terms = "+".join(f'({rng}="{v}")' for v in req.values)
        values, key = set(req.values), req.when
        return f"(({terms})>0)", lambda r: r.get(key) in values


def table_checks(template: Template, sheet: Sheet, data_rows: int,
                 period: tuple[dt.date, dt.date]) -> list[Check]:
    geo = _Geometry(sheet, data_rows)
    checks = [_empty_check(geo)] if sheet.at_least_one else []
    checks += [_required_check(geo, col) for col in sheet.columns if col.required]
    placeholders = {t.casefold() for t in placeholder_texts(template)}
    checks += [_placeholder_check(geo, col, placeholders) for col in sheet.columns
               if kind_of(col).names_a_person]
    for col in sheet.columns:
        if kind_of(col).is_date:
            checks.append(_text_dates_check(geo, col))
            checks.append(_outside_period_check(geo, col, period))
    return checks


def _required_check(geo: _Geometry, col: Column) -> Check:
    assert col.required is not None
    cond_formula, cond = geo.condition(col.required)
    formula = f"SUMPRODUCT({cond_formula}*(LEN({geo.rng(col.key)})=0))"
    name, key = geo.sheet.name, col.key

    def count(rows: Mapping[str, Sequence[RowValues]], _form: RowValues) -> int:
        return sum(1 for r in rows.get(name, ()) if cond(r) and not _given(r.get(key)))

    return Check(name, f"Rader uten {col.header}", True, formula, count)


def _empty_check(geo: _Geometry) -> Check:
    """A plan needs content: 1 when no row of the sheet is filled (rules._check_content)."""
    present_formula, present = geo.present()
    name = geo.sheet.name

    def count(rows: Mapping[str, Sequence[RowValues]], _form: RowValues) -> int:
        return 0 if any(present(r) for r in rows.get(name, ())) else 1

    return Check(name, f"Ingen utfylte {geo.sheet.plural}", True,
                 f"IF(SUMPRODUCT({present_formula}*1)=0,1,0)", count)


def _placeholder_check(geo: _Geometry, col: Column, placeholders: set[str]) -> Check:
    """Text that names nobody («?», «alle», «TBD»): the hidden list, matched as MATCH does
    (trimmed, any case). The validator also calls text of punctuation alone a placeholder;
    the template's list holds the common ones."""
    rng, name, key = geo.rng(col.key), geo.sheet.name, col.key
    formula = f"SUMPRODUCT(ISNUMBER(MATCH(TRIM({rng}),{PLACEHOLDER_LIST},0))*1)"

    def count(rows: Mapping[str, Sequence[RowValues]], _form: RowValues) -> int:
        values = (r.get(key) for r in rows.get(name, ()))
        return sum(1 for v in values if isinstance(v, str) and _trim(v).casefold() in placeholders)

    return Check(name, f"{col.header}: ikke en navngitt person", True, formula, count)


def _trim(text: str) -> str:
    """Excel's TRIM: no spaces at the ends, single spaces inside."""
    return " ".join(part for part in text.split(" ") if part)


def _text_dates_check(geo: _Geometry, col: Column) -> Check:
    rng, name, key = geo.rng(col.key), geo.sheet.name, col.key
    formula = f"SUMPRODUCT((LEN({rng})>0)*(1-ISNUMBER({rng})))"

    def count(rows: Mapping[str, Sequence[RowValues]], _form: RowValues) -> int:
        values = (r.get(key) for r in rows.get(name, ()))
        return sum(1 for v in values if _given(v) and not _is_number(v))

    return Check(name, f"{col.header}: ikke en dato", True, formula, count)


def _outside_period_check(geo: _Geometry, col: Column, period: tuple[dt.date, dt.date]) -> Check:
    start, end = period
    rng, name, key = geo.rng(col.key), geo.sheet.name, col.key
    formula = (f"SUMPRODUCT(ISNUMBER({rng})*((({rng}<{_excel_date(start)})"
               f"+({rng}>{_excel_date(end)}))>0))")

    def count(rows: Mapping[str, Sequence[RowValues]], _form: RowValues) -> int:
        dates = (_as_date(r.get(key)) for r in rows.get(name, ()) if _is_number(r.get(key)))
        return sum(1 for d in dates if d is not None and not start <= d <= end)

    # Outside the period is a warning in the validator: shown, but not blocking.
    return Check(name, f"{col.header}: utenfor planperioden", False, formula, count)


def _excel_date(day: dt.date) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


def form_check(template: Template) -> Check:
    form = template.form
    required = [(i, f) for i, f in enumerate(form.fields) if f.required]
    refs = [a1(FORM_FIRST_ROW + i, FORM_VALUE_COL, absolute=True) for i, _ in required]
    formula = "+".join(f"(LEN({sheet_ref(form.name, ref)})=0)" for ref in refs)

    def count(_rows: Mapping[str, Sequence[RowValues]], values: RowValues) -> int:
        return sum(1 for _, f in required if not _given(values.get(f.key)))

    labels = ", ".join(f.label for _, f in required)
    return Check(form.name, f"Felt som mangler ({labels})", True, formula, count)


def all_checks(template: Template, data_rows: Mapping[str, int],
               period: tuple[dt.date, dt.date]) -> list[Check]:
    """Every check of the Sjekk sheet, in the order of the sheets."""
    checks = [form_check(template)]
    for sheet in template.tables:
        checks.extend(table_checks(template, sheet, data_rows[sheet.name], period))
    return checks


def ready_formula(count_cells: Sequence[str], yes_no: tuple[str, str]) -> str:
    yes, no = yes_no
    return f'IF(({"+".join(count_cells)})=0,"{yes}","{no}")' if count_cells else f'"{yes}"'


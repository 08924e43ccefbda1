"""Column kinds as objects: one :class:`Kind` per kind of the template language owns
everything that differs by kind — the Excel validation, number format, dropdown list and
input message the writer gives its cells, the parse of a returned cell, and the pandas
dtype of its frame column. Callers ask ``kind_of(column)`` instead of comparing kind names,
so the dropdown in the workbook and the values the validator accepts come from one place.

The template definition (``template.py``, the layer below) names a column's kind as a
string; the registry :data:`KINDS` maps each name to its object and must cover exactly the
names the template language allows (checked when this module is imported).

A ``formula`` column is computed by the tool and never typed into; its *value* behaves like
the kind of its result, which the formula determines (``risk_score`` gives a whole number,
``risk_level`` text): :data:`FORMULA_RESULTS`. The template does not repeat it per column,
so a column cannot declare a result its formula does not give.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..base.findings import Finding, finding
from . import checks
from .config import FIRST_PLAN_YEAR, LAST_PLAN_YEAR
from .definition import KIND_NAMES, Column, FormField, Role, Sheet, Template
from .model import Cell
from .values import (
    EPOCH_1904,
    EXCEL_EPOCH,
    cell_text,
    date_suggestion,
    excel_trim,
    fold,
    format_date,
    is_placeholder,
    match_choice,
    parse_number,
    sheet_date,
    text_date,
    text_number,
)

#: Dates before this year in a date cell are numbers typed into it, not deadlines.
_TYPED_NUMBER_BEFORE = 1950
DATE_FORMAT = "dd.mm.yyyy"
_Found = Callable[..., Finding]  # builds a finding located at the cell being parsed
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
#: An Excel data validation, as xlsxwriter's ``data_validation`` takes it.
Rule = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What parsing a cell needs to know about the workbook it comes from."""

    template: Template
    file: str
    sheet: str                       # the sheet's name in the file
    year: int
    period: tuple[dt.date, dt.date]
    parties: tuple[str, ...]         # accepted party names: configured + the workbook's Parter
    epoch1904: bool = False
    configured: tuple[str, ...] = ()  # the configured parties (their plain spellings pass)
    issued: tuple[str, ...] = ()      # the IDs earlier rounds gave (Identity.issued_ids)


@dataclass(frozen=True)
class Parsed:
    value: object                    # canonical value; None when empty or not understood
    given: bool                      # the cell holds something (even if not understood)
    findings: tuple[Finding, ...] = ()

    @property
    def understood(self) -> bool:
        return self.given and self.value is not None


# --- the kinds -------------------------------------------------------------------------------

#: «Kari / Per», «Kari og Per», «Kari & Per», «Kari + Per»: two names where one is asked for.
_JOINED_NAMES = re.compile(r"\S\s*(?:/|&|\+)\s*\S|\S\s+(?:og|and)\s+\S", re.IGNORECASE)


def several_people(text: str) -> bool:
    """Text that names more than one person. A comma alone is not enough: «Nordmann, Kari»
    is one person, surname first; «Kari Nordmann, Ola Hansen» (full names) is two."""
    if _JOINED_NAMES.search(text):
        return True
    if "," not in text:
        return False  # one name (most cells): no parts to count
    parts = [part.split() for part in text.split(",") if part.strip()]
    return len(parts) >= 3 or (len(parts) == 2 and all(len(p) >= 2 for p in parts))


#: A comma before exactly three digits: a decimal comma, or an English thousands separator.
_THOUSANDS_OR_DECIMALS = re.compile(r"(\d{1,3}),(\d{3})")


class Kind:
    """One column kind. The base is free text typed in, kept as text, with nothing to check;
    each kind overrides what it does differently."""

    name: str = ""
    is_input: bool = True    # the region types into it (unlocked, input-styled cells)
    verbatim: bool = False   # its value is the text as typed: ``parse`` never finds anything
    computed: bool = False   # the tool computes it, and never trusts the file's value
    is_date: bool = False    # a date typed in: the self-check counts text and out-of-period
    names_a_person: bool = False  # a placeholder («?», «alle») is no value: checked and marked
    names_a_party: bool = False   # one of the parties: the configured ones or those on Parter
    #: The rules of the workbook's own check a cell of this kind gets (``checks``; selfcheck
    #: renders each as a count and a mark; ``parse`` below reads a cell with the same twins).
    rules: tuple[checks.CellRule, ...] = ()

    # The workbook.

    def list_name(self, column: Column) -> str | None:
        """The defined name its dropdown takes its values from (None: no dropdown)."""
        return None

    def list_values(self, column: Column, template: Template, parties: Sequence[str],
                    ids: Callable[[str], Sequence[str]]) -> list[str]:
        """Its dropdown's values: ``parties`` are the workbook's party names, ``ids(sheet)``
        the IDs of the filled rows of a table sheet."""
        return []

    def validation(self, column: Column, *, period: tuple[dt.date, dt.date],
                   form: bool) -> Rule | None:
        """Its Excel data validation, without the input message (None: it checks nothing).
        ``form``: a cell of the Organisering form rather than a table column."""
        return None

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        """The input message of a column the template gives no help text ("": none)."""
        return ""

    def number_format(self, column: Column) -> str | None:
        """How Excel shows its value, in the regions' workbook and in the overview (None:
        as text)."""
        return None

    # Reading a returned cell.

    def cell_value(self, raw: object, ctx: Context) -> object:
        """The value the region meant, from the cell's value as stored."""
        return raw

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        """A given cell's value and problems: ``text`` is what the cell shows, ``found(code,
        …)`` a finding located at the cell."""
        return Parsed(text, True)

    # Frames for analysts.

    def dtype(self, column: Column) -> str:
        """The pandas dtype of its frame column ("object": the text as the region typed it)."""
        return "object"


class Id(Kind):
    name, is_input, verbatim = "id", False, True
    rules = (checks.ID_DUPLICATE,)


class Label(Kind):
    name, is_input, verbatim = "label", False, True


class Text(Kind):
    name, verbatim = "text", True


class Phone(Kind):
    name, verbatim = "phone", True


class Person(Kind):
    name = "person"
    names_a_person = True
    rules = (checks.RESPONSIBLE_PLACEHOLDER,)

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        if not column.required:
            return ""
        return "Navnet på én person som har ansvaret (ikke «alle» eller «?»)."

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        if is_placeholder(raw, ctx.template.placeholders):
            return Parsed(None, True, (found(checks.RESPONSIBLE_PLACEHOLDER.code),))
        if column.role == Role.OWNER and several_people(text):
            return Parsed(text, True, (found("responsible-several"),))
        return Parsed(text, True)


class Email(Kind):
    name = "email"

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        if not _EMAIL.match(text):
            return Parsed(text, True, (found("email-invalid"),))
        return Parsed(text, True)


class Date(Kind):
    name, is_date = "date", True
    rules = (checks.DATE_INVALID, checks.DATE_AS_TEXT, checks.DATE_OUTSIDE_PERIOD)

    def validation(self, column: Column, *, period: tuple[dt.date, dt.date],
                   form: bool) -> Rule | None:
        # A warning, not a stop (docs/reference.md §2.3): the validator explains the date.
        start, end = period
        low, high = ((dt.date(FIRST_PLAN_YEAR, 1, 1), dt.date(LAST_PLAN_YEAR, 12, 31)) if form
                     else (start, end))
        message = ("Skriv datoen som dd.mm.åååå." if form else
                   f"Datoen er utenfor planperioden {format_date(start)}–{format_date(end)}. "
                   "Skriv dd.mm.åååå.")
        return {"validate": "date", "criteria": "between", "minimum": low, "maximum": high,
                "error_type": "warning", "error_message": message}

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        return "Dato som dd.mm.åååå" + ("" if form else f", i {year}") + "."

    def number_format(self, column: Column) -> str | None:
        return DATE_FORMAT

    def cell_value(self, raw: object, ctx: Context) -> object:
        if isinstance(raw, dt.date) and raw.year < _TYPED_NUMBER_BEFORE:
            # A number typed into a date-formatted cell: "2026" shows as 18.07.1905. Read it
            # as the number the person typed, which is no date (and says so in the finding).
            day = raw.date() if isinstance(raw, dt.datetime) else raw
            if ctx.epoch1904:
                return (day - EPOCH_1904).days
            # Excel counts a 29.02.1900 that never was: day numbers below 61 are one less.
            return (day - EXCEL_EPOCH).days - (1 if day < dt.date(1900, 3, 1) else 0)
        return raw

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        # One truth (docs/reference.md §5.7): a date is what the workbook's own check takes for one
        # (values.sheet_date, text_date; selfcheck builds the same as formulas). A date written
        # as text is read, with a warning; the spreadsheet cannot count with it, so neither do
        # the period rule here nor the start rule (rules._check_dates).
        if isinstance(raw, str):
            day = text_date(text)
            if day is None:
                return Parsed(None, True, (found(checks.DATE_INVALID.code, year=ctx.year,
                                                 suggestion=date_suggestion(text, ctx.year)),))
            return Parsed(day, True, (found(checks.DATE_AS_TEXT.code, reading=format_date(day),
                                            iso=day.isoformat()),))
        date = sheet_date(raw, epoch1904=ctx.epoch1904)
        if date is None:
            return Parsed(None, True, (found(checks.DATE_INVALID.code, year=ctx.year,
                                             suggestion=""),))
        start, end = ctx.period
        if check_period and not start <= date <= end:
            return Parsed(date, True, (found(
                checks.DATE_OUTSIDE_PERIOD.code, date=format_date(date),
                start=format_date(start), end=format_date(end)),))
        return Parsed(date, True)

    def dtype(self, column: Column) -> str:
        return "datetime64[ns]"


class _Number(Kind):
    """A number typed in, shown in the column's own ``number_format``."""

    def number_format(self, column: Column) -> str | None:
        return column.number_format


class Whole(_Number):
    """A whole number within the column's ``min`` and ``max`` (a 1–5 scale)."""

    name = "whole"
    rules = (checks.SCALE_INVALID,)

    def validation(self, column: Column, *, period: tuple[dt.date, dt.date],
                   form: bool) -> Rule | None:
        return {"validate": "integer", "criteria": "between", "minimum": column.minimum,
                "maximum": column.maximum,
                "error_message": f"Skriv et helt tall fra {column.minimum} til {column.maximum}."}

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        return f"Et helt tall fra {column.minimum} til {column.maximum}."

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        # A whole number typed as a number: text («4») is no number to the risk formulas.
        number = None if isinstance(raw, str) else parse_number(raw).value
        low, high = column.minimum, column.maximum
        value = int(number) if isinstance(number, int | float) and number == int(number) else None
        in_range = value is not None and (low is None or value >= low) and (
            high is None or value <= high)
        if not in_range:
            return Parsed(None, True, (found(checks.SCALE_INVALID.code, minimum=low,
                                             maximum=high),))
        return Parsed(value, True)

    def dtype(self, column: Column) -> str:
        return "Int64"


class Amount(_Number):
    """A number, 0 or more (hours, kroner)."""

    name = "amount"
    rules = (checks.NUMBER_INVALID, checks.NUMBER_NEGATIVE, checks.NUMBER_AS_TEXT)

    def validation(self, column: Column, *, period: tuple[dt.date, dt.date],
                   form: bool) -> Rule | None:
        return {"validate": "decimal", "criteria": ">=", "value": 0,
                "error_message": "Skriv et tall som er 0 eller større."}

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        return "Et tall, 0 eller større."

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        if isinstance(raw, str):
            # One truth: text is a number to the workbook's check only as digits with a
            # decimal comma (values.text_number); it is read, with a warning that says how.
            value = text_number(text)
            if value is None:
                return Parsed(None, True, (found(checks.NUMBER_INVALID.code),))
            if m := _THOUSANDS_OR_DECIMALS.fullmatch(excel_trim(text)):
                # «1,500» pasted from an English sheet: 1 500, or 1,5 as a Norwegian writes it?
                # Read the Norwegian way, and say so.
                return Parsed(value, True, (found(
                    checks.NUMBER_AMBIGUOUS, reading=f"{m[1]},{m[2].rstrip('0') or '0'}",
                    other=f"{m[1]} {m[2]}"),))
            return Parsed(value, True, (found(checks.NUMBER_AS_TEXT.code,
                                              reading=cell_text(value)),))
        number = parse_number(raw)
        if number.status != "ok" or number.value is None:
            return Parsed(None, True, (found(checks.NUMBER_INVALID.code),))
        if number.value < 0:
            return Parsed(number.value, True, (found(checks.NUMBER_NEGATIVE.code),))
        return Parsed(number.value, True)

    def dtype(self, column: Column) -> str:
        return "float64"


class _Listed(Kind):
    """A kind with a dropdown: a named list on the hidden list sheet (docs/reference.md §2.3)."""

    strict = True  # Excel refuses a value not on the list (False: it only warns)

    def validation(self, column: Column, *, period: tuple[dt.date, dt.date],
                   form: bool) -> Rule | None:
        return {"validate": "list", "source": f"={self.list_name(column)}",
                "error_type": "stop" if self.strict else "warning",
                "error_message": "Velg en verdi fra listen."}


class Choice(_Listed):
    """A value from one of the template's vocabularies (the column's ``list``)."""

    name = "choice"
    rules = (checks.CHOICE_INVALID, checks.CHOICE_NEAR_MISS)

    def list_name(self, column: Column) -> str | None:
        return f"lst_{column.list}"

    def list_values(self, column: Column, template: Template, parties: Sequence[str],
                    ids: Callable[[str], Sequence[str]]) -> list[str]:
        return list(template.vocabularies[column.list or ""])

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        if not column.list:
            return ""
        text = "Velg fra listen: " + ", ".join(template.vocabularies[column.list]) + "."
        return text if len(text) <= 255 else "Velg en verdi fra listen."

    def choices(self, column: Column, ctx: Context) -> Sequence[str]:
        return ctx.template.vocabularies[column.list or ""]

    def unknown(self, found: _Found, choices: Sequence[str]) -> Finding:
        return found(checks.CHOICE_INVALID.code, choices=", ".join(choices))

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        choices = self.choices(column, ctx)
        choice = match_choice(raw, choices, self.spelled(column, ctx))
        if choice.status == "ok":
            return Parsed(choice.value, True)
        if choice.status == "near":
            return Parsed(choice.value, True, (found(checks.CHOICE_NEAR_MISS.code,
                                                     canonical=choice.value),))
        return Parsed(None, True, (self.unknown(found, choices),))

    def spelled(self, column: Column, ctx: Context) -> Sequence[str]:
        """The values whose plain spellings are accepted: those on the workbook's hidden
        list of spellings (selfcheck.spellings)."""
        return self.choices(column, ctx)


class Party(Choice):
    """One of the parties: the configured ones and any the region added on Parter."""

    name = "party"
    names_a_party = True
    rules = (checks.PARTY_UNKNOWN, checks.CHOICE_NEAR_MISS)
    strict = False  # a party the region added itself is not on the list

    def list_name(self, column: Column) -> str | None:
        return "lst_parter"

    def list_values(self, column: Column, template: Template, parties: Sequence[str],
                    ids: Callable[[str], Sequence[str]]) -> list[str]:
        return list(parties)

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        return "Velg en part fra listen."

    def choices(self, column: Column, ctx: Context) -> Sequence[str]:
        return ctx.parties

    def unknown(self, found: _Found, choices: Sequence[str]) -> Finding:
        return found(checks.PARTY_UNKNOWN.code)

    def spelled(self, column: Column, ctx: Context) -> Sequence[str]:
        return ctx.configured  # parties the region added have no plain spelling on the list


class Reference(_Listed):
    """The ID of a row on the sheets the column ``refers_to`` (checked across sheets by the
    rules, once every sheet is read)."""

    name = "reference"
    rules = (checks.REFERENCE_UNKNOWN,)
    strict = False  # a row the region added itself is not on the list

    def list_name(self, column: Column) -> str | None:
        return "lst_ref_" + "_".join(fold(s).replace(" ", "_") for s in column.refers_to)

    def list_values(self, column: Column, template: Template, parties: Sequence[str],
                    ids: Callable[[str], Sequence[str]]) -> list[str]:
        return [id_ for target in column.refers_to for id_ in ids(target)]

    def default_help(self, column: Column, template: Template, *, year: int,
                     form: bool) -> str:
        return "Velg en ID fra listen."

    def parse(self, column: Column, raw: object, text: str, ctx: Context, found: _Found,
              check_period: bool) -> Parsed:
        return Parsed(text.upper().replace(" ", ""), True)


class Formula(Kind):
    """Computed by the tool (the column's ``formula``); shown and typed as its result."""

    name, is_input, computed = "formula", False, True

    def result(self, column: Column) -> Kind:
        """The kind of the value the column's formula computes."""
        try:
            return FORMULA_RESULTS[column.formula or ""]
        except KeyError:
            raise ValueError(f"unknown formula {column.formula!r}") from None

    def number_format(self, column: Column) -> str | None:
        return self.result(column).number_format(column)

    def dtype(self, column: Column) -> str:
        return self.result(column).dtype(column)


KINDS: Mapping[str, Kind] = MappingProxyType({kind.name: kind for kind in (
    Id(), Label(), Text(), Person(), Email(), Phone(), Date(), Choice(), Party(), Reference(),
    Whole(), Amount(), Formula())})
if set(KINDS) != KIND_NAMES:
    raise RuntimeError(f"kinds.KINDS and template.KIND_NAMES differ: "
                       f"{sorted(set(KINDS) ^ KIND_NAMES)}")
#: The kind of the value each formula computes.
FORMULA_RESULTS: Mapping[str, Kind] = MappingProxyType(
    {"risk_score": KINDS["whole"], "risk_level": KINDS["text"]})


def kind_of(item: Column | FormField) -> Kind:
    """The kind object of a table column or a form field."""
    return KINDS[item.kind]


def is_input(item: Column | FormField) -> bool:
    """The region types into it: its kind is typed into, and it is not a form field the
    tool fills in (Region, Planperiode …)."""
    prefilled = isinstance(item, FormField) and item.source is not None
    return kind_of(item).is_input and not prefilled


def input_columns(sheet: Sheet) -> tuple[Column, ...]:
    return tuple(c for c in sheet.columns if kind_of(c).is_input)


def filled_by(sheet: Sheet) -> tuple[str, ...]:
    """The keys of cells any one of which makes a row filled (docs/reference.md §5.3): the column
    that names the row where the sheet has one (``present_when``: parties, criteria), else every
    input column — never the ID or a prefilled label."""
    if sheet.present_when:
        return (sheet.present_when,)
    return tuple(c.key for c in input_columns(sheet))


def list_name(column: Column) -> str | None:
    """The defined name a dropdown column takes its values from (None: no dropdown)."""
    return kind_of(column).list_name(column)


def parse_cell(column: Column, cell: Cell | None, ctx: Context, *, row: int,
               check_period: bool = True) -> Parsed:
    """Parse one cell of ``column``; ``row`` is the Excel row (for findings)."""
    kind = kind_of(column)
    raw = None if cell is None else kind.cell_value(cell.value, ctx)
    text = cell_text(raw)
    if not text:
        return Parsed(None, False)
    assert cell is not None

    def found(code: str, **params: object) -> Finding:
        return finding(code, file=ctx.file, sheet=ctx.sheet, cell=cell.address, row=row,
                       column=column.header, value=text, **params)

    return kind.parse(column, raw, text, ctx, found, check_period)

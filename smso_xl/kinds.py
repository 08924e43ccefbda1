"""How a returned cell of each column kind is parsed back into a value or a finding.

The writer gives each kind its Excel validation (``writer._validation``); this module is the
reading side of the same kinds. Both take their vocabularies from the template definition, so
a value picked from the workbook's own dropdown is always accepted here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .findings import Finding, finding
from .model import Cell
from .template import Column, Template
from .values import (
    cell_text,
    format_date,
    is_placeholder,
    match_choice,
    parse_date,
    parse_number,
    parse_whole,
)

#: Dates before this year in a date cell are numbers typed into it, not deadlines.
_TYPED_NUMBER_BEFORE = 1950
EXCEL_EPOCH, EPOCH_1904 = dt.date(1899, 12, 30), dt.date(1904, 1, 1)
_Found = Callable[..., Finding]  # builds a finding located at the cell being parsed
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
#: Kinds whose value is the text as typed, with nothing to check: ``parse_cell`` gives a
#: given cell of these kinds its text and no findings, so the rules need not call it for them.
VERBATIM_KINDS = frozenset({"id", "label", "text", "phone"})


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


@dataclass(frozen=True)
class Parsed:
    value: object                    # canonical value; None when empty or not understood
    given: bool                      # the cell holds something (even if not understood)
    findings: tuple[Finding, ...] = ()

    @property
    def understood(self) -> bool:
        return self.given and self.value is not None


def parse_cell(column: Column, cell: Cell | None, ctx: Context, *, row: int,
               check_period: bool = True) -> Parsed:
    """Parse one cell of ``column``; ``row`` is the Excel row (for findings)."""
    raw = None if cell is None else cell.value
    if column.kind == "date" and isinstance(raw, dt.date) and raw.year < _TYPED_NUMBER_BEFORE:
        # A number typed into a date-formatted cell: "2026" shows as 18.07.1905. Read it as
        # the number the person typed (values.parse_date takes 1990–2100 as a year).
        day = raw.date() if isinstance(raw, dt.datetime) else raw
        raw = (day - (EPOCH_1904 if ctx.epoch1904 else EXCEL_EPOCH)).days
    text = cell_text(raw)
    if not text:
        return Parsed(None, False)
    assert cell is not None

    def found(code: str, **params: object) -> Finding:
        return finding(code, file=ctx.file, sheet=ctx.sheet, cell=cell.address, row=row,
                       column=column.header, value=text, **params)

    kind = column.kind
    if kind in VERBATIM_KINDS:
        return Parsed(text, True)
    if kind == "date":
        return _parse_date(column, raw, text, ctx, found, check_period)
    if kind in ("choice", "party"):
        choices = ctx.parties if kind == "party" else ctx.template.vocabularies[column.list or ""]
        return _parse_choice(kind, raw, text, choices, found)
    if kind == "whole":
        number = parse_whole(raw)
        low, high = column.minimum, column.maximum
        value = number.value if number.status == "ok" else None
        in_range = value is not None and (low is None or value >= low) and (
            high is None or value <= high)
        if not in_range:
            return Parsed(None, True, (found("scale-invalid", minimum=low, maximum=high),))
        return Parsed(value, True)
    if kind == "amount":
        number = parse_number(raw)
        if number.status != "ok" or number.value is None:
            return Parsed(None, True, (found("number-invalid"),))
        if number.value < 0:
            return Parsed(number.value, True, (found("number-negative"),))
        return Parsed(number.value, True)
    if kind == "person" and is_placeholder(raw, ctx.template.placeholders):
        return Parsed(None, True, (found("responsible-placeholder"),))
    if kind == "email" and not _EMAIL.match(text):
        return Parsed(text, True, (found("email-invalid"),))
    if kind == "reference":
        return Parsed(text.upper().replace(" ", ""), True)
    return Parsed(text, True)


def _parse_date(column: Column, raw: object, text: str, ctx: Context, found: _Found,
                check_period: bool) -> Parsed:
    date = parse_date(raw, year=ctx.year, bound=column.bound, epoch1904=ctx.epoch1904)
    if date.status == "invalid" or date.value is None:
        return Parsed(None, True, (found("date-invalid", year=ctx.year),))
    notes: list[Finding] = []
    if date.status == "imprecise":
        notes.append(found("date-imprecise", interpretation=date.interpretation))
    start, end = ctx.period
    if check_period and not start <= date.value <= end:
        notes.append(found("date-outside-period", date=format_date(date.value),
                           start=format_date(start), end=format_date(end)))
    return Parsed(date.value, True, tuple(notes))


def _parse_choice(kind: str, raw: object, text: str, choices: Sequence[str],
                  found: _Found) -> Parsed:
    choice = match_choice(raw, choices)
    if choice.status == "ok":
        return Parsed(choice.value, True)
    if choice.status == "near":
        return Parsed(choice.value, True, (found("choice-near-miss", canonical=choice.value),))
    if kind == "party":
        return Parsed(None, True, (found("party-unknown"),))
    listing = ", ".join(choices)
    return Parsed(None, True, (found("choice-invalid", choices=listing),))

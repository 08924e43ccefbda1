"""The signing sheet (template sheet type ``signing``, «Forankring»): the page the parties
sign to anchor the plan locally — the region, the plan period, the overall goal, the first
goals and actions, and each party that takes part with its representative, hours and a line
to sign.

It is live: every value is a formula on the plan's own sheets, so the page follows what the
region types, in Excel and in LibreOffice. It is of a fixed size, because LibreOffice prints
every cell with content, a formula returning "" included: each section shows its first rows
and says how many more the plan holds. Formulas stay within Excel 2010 (INDEX and MATCH, no
FILTER): beside each source table the hidden list sheet keeps a running count of the rows
shown (filled; of the parties, those that take part) and the row of the k-th. Every formula
is written with its true cached result (xlsxwriter stores 0 otherwise). It adds no check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook as XlsxWorkbook
from xlsxwriter.worksheet import Worksheet

from ..base.cells import a1, column_letter, sheet_ref
from ..base.formats import FONT_NAME, FONT_SIZE, HEADER_FILL, set_up_page
from ..template import formulas as words
from ..template.definition import Column, Role, Section, Sheet, Template
from ..template.kinds import DATE_FORMAT, filled_by, kind_of
from ..template.model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW
from . import layout, selfcheck
from .filled import col_letter, filled_formula

#: The page's grid: ID, title, then three narrower columns; the line to sign spans the last
#: two. (Characters of width; it prints on A4 portrait.)
WIDTHS = (5, 32, 16, 14, 11, 14)
SIGN_FIRST_COL = 4
ROW_PT, SIGN_ROW_PT, TEXT_ROW_PT = 17.0, 30.0, 60.0
#: What the parties confirm by signing.
STATEMENT = ("Partene som deltar, har behandlet handlingsplanen og stiller seg bak målene, "
             "tiltakene og ressursene de har satt av. Planen i sin helhet står på de andre "
             "arkene.")
#: Excel's day 0 (its dates are days since, with the 1900 leap-year bug behind us).
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Signing:
    """What the signing sheet shows of one plan, and the workbook it is written in."""

    template: Template
    sheet: Sheet
    title: str                                        # "Agder 2027": the page's title, footer
    form: Mapping[str, object]                        # the form's values now (cached results)
    rows: Mapping[str, Sequence[Mapping[str, object]]]  # each table's rows now
    data_rows: Mapping[str, int]                      # each table's rows in the workbook


class _Looks:
    def __init__(self, wb: XlsxWorkbook) -> None:
        base = {"font_name": FONT_NAME, "font_size": FONT_SIZE, "valign": "vcenter"}
        line = {"bottom": 1, "bottom_color": "#BFBFBF"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16,
                                    "font_color": HEADER_FILL})
        self.heading = wb.add_format({**base, "bold": True, "font_size": 13,
                                      "font_color": HEADER_FILL, "valign": "bottom"})
        self.header = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF",
                                     "bg_color": HEADER_FILL})
        self.label = wb.add_format({**base, "bold": True, "valign": "top"})
        self.text = wb.add_format({**base, "valign": "top", "text_wrap": True})
        self.cell = wb.add_format({**base, **line})
        self.more = wb.add_format({**base, "italic": True})
        self.sign = wb.add_format({**base, "bottom": 1, "valign": "bottom"})
        self._numbers: dict[str, Any] = {}
        self._wb, self._base, self._line = wb, base, line

    def number(self, number_format: str, *, boxed: bool = True) -> Any:
        key = f"{number_format}|{boxed}"
        if key not in self._numbers:
            self._numbers[key] = self._wb.add_format(
                {**self._base, **(self._line if boxed else {"valign": "top"}),
                 "num_format": number_format, "align": "left"})
        return self._numbers[key]


def write_signing(wb: XlsxWorkbook, ws: Worksheet, lists: Worksheet, first_col: int,
                  plan: Signing) -> int:
    """Write the signing sheet, its helper columns on ``lists`` from ``first_col`` on;
    returns the next free column of ``lists``."""
    looks = _Looks(wb)
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.hide_gridlines(2)
    last_col = len(WIDTHS) - 1
    ws.merge_range(0, 0, 0, last_col, f"{plan.sheet.name} – {plan.title}", looks.title)
    ws.set_row(0, 26)
    row = 1
    form = plan.template.form
    fields = {f.key: (index, f) for index, f in enumerate(form.fields)}
    for key in plan.sheet.form_keys:
        index, field = fields[key]
        source = sheet_ref(form.name, a1(FORM_FIRST_ROW + index, FORM_VALUE_COL, absolute=True))
        value = plan.form.get(key)
        column = Column(key=field.key, header=field.label, kind=field.kind)
        is_date = isinstance(value, dt.date) or (
            kind_of(column).number_format(column) == DATE_FORMAT)
        ws.merge_range(row, 0, row, 1, field.label, looks.label)
        ws.merge_range(row, 2, row, last_col, "",
                       looks.number(DATE_FORMAT, boxed=False) if is_date else looks.text)
        ws.write_formula(row, 2, f'=IF({source}="","",{source})',
                         looks.number(DATE_FORMAT, boxed=False) if is_date else looks.text,
                         _cached(value))
        ws.set_row(row, TEXT_ROW_PT if field.height else ROW_PT)  # an answer of lines
        row += 1
    ws.merge_range(row, 0, row, last_col, STATEMENT, looks.text)
    ws.set_row(row, 34)
    row += 1
    for section in plan.sheet.sections:
        row, first_col = _write_section(ws, lists, first_col, row + 1, section, plan, looks)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    set_up_page(ws, plan.title, WIDTHS, scale=layout.fit_scale(WIDTHS, portrait=True))
    ws.set_portrait()
    ws.print_area(0, 0, row - 1, last_col)  # fixed: the same in Excel and LibreOffice
    return first_col


def _write_section(ws: Worksheet, lists: Worksheet, col: int, row: int, section: Section,
                   plan: Signing, looks: _Looks) -> tuple[int, int]:
    """One table's first rows; returns the next free row of the sheet and column of lists."""
    source = plan.template.sheet(section.sheet)
    counted = _count_shown(lists, col, source, plan)
    columns = [source.column(key) for key in section.columns]
    places = _places(source, section)
    ws.write_string(row, 0, source.name, looks.heading)
    ws.set_row(row, 24)
    row += 1
    for column, (first, last) in zip(columns, places, strict=True):
        _cell(ws, row, first, last, column.header, looks.header, formula=False)
    if section.sign:
        ws.merge_range(row, SIGN_FIRST_COL, row, len(WIDTHS) - 1, "Underskrift, navn og dato",
                       looks.header)
    shown = counted.shown[:section.rows]
    for k in range(1, section.rows + 1):
        ws.set_row(row + k, SIGN_ROW_PT if section.sign else ROW_PT)
        at = a1(2 + k - 1, col + 2, absolute=True)
        found = sheet_ref(lists.get_name(), at)
        given = shown[k - 1] if k <= len(shown) else None
        for column, (first, last) in zip(columns, places, strict=True):
            rows = sheet_ref(source.name, f"${col_letter(source, column.key)}$"
                             f"{TABLE_HEADER_ROW + 1}:${col_letter(source, column.key)}$"
                             f"{counted.last}")
            number_format = kind_of(column).number_format(column)
            value = given.get(column.key) if given else None
            if number_format is None:  # text: "" for a blank cell, not INDEX's 0
                formula = f'=IF({found}="","",INDEX({rows},{found})&"")'
                cell_format = looks.cell
                cached: object = "" if value is None else str(value)
            else:
                formula = (f'=IF({found}="","",IF(INDEX({rows},{found})="","",'
                           f'INDEX({rows},{found})))')
                cell_format = looks.number(number_format)
                cached = _cached(value)
            _cell(ws, row + k, first, last, formula, cell_format, cached=cached)
        if section.sign:
            ws.merge_range(row + k, SIGN_FIRST_COL, row + k, len(WIDTHS) - 1, "", looks.sign)
    row += section.rows + 1
    total = sheet_ref(lists.get_name(), counted.total)
    more = (f'=IF({total}>{section.rows},"+ "&({total}-{section.rows})&" flere '
            f'{source.plural}, se arket {source.name}","")')
    extra = len(counted.shown) - section.rows
    ws.write_formula(row, 0, more, looks.more,
                     f"+ {extra} flere {source.plural}, se arket {source.name}"
                     if extra > 0 else "")
    ws.set_row(row, ROW_PT)
    return row + 1, col + 2


def _places(source: Sheet, section: Section) -> list[tuple[int, int]]:
    """The grid columns each shown column takes: the ID in the first, the title in the
    second (both, when the table has no ID), the others one each after them."""
    places: list[tuple[int, int]] = []
    col = 0
    for key in section.columns:
        role = source.column(key).role
        if role == "title" and col == 0:
            places.append((0, 1))
            col = 2
        else:
            places.append((col, col))
            col += 1
    return places


def _cell(ws: Worksheet, row: int, first: int, last: int, value: str, cell_format: Any, *,
          formula: bool = True, cached: object = "") -> None:
    if first != last:
        ws.merge_range(row, first, row, last, "", cell_format)
    if formula:
        ws.write_formula(row, first, value, cell_format, cached)
    else:
        ws.write_string(row, first, value, cell_format)


@dataclass(frozen=True)
class _Counted:
    shown: list[Mapping[str, object]]  # the rows shown now, in order (the cached results)
    last: int                          # the last row of the source the count covers
    total: str                         # the cell on lists: how many rows are shown


def _count_shown(lists: Worksheet, col: int, source: Sheet, plan: Signing) -> _Counted:
    """Two columns of the list sheet: beside each row of ``source`` the running count of
    rows shown (filled; a party only when it takes part), and in row k the row of the
    k-th. The count covers rows added below the table too, as Sjekk does."""
    last = selfcheck.checked_last_row(plan.data_rows[source.name])
    stand = source.key_of(Role.STAND) if source.role == Role.PARTIES else None
    takes_part = plan.template.participating
    given = list(plan.rows.get(source.name, ()))
    lists.set_column(col, col + 1, 14)
    lists.write_string(0, col, f"{plan.sheet.name}: {source.name}")
    lists.write_string(0, col + 1, f"{plan.sheet.name}: rad")
    shown_at: list[int] = []
    shown: list[Mapping[str, object]] = []
    # The condition is built once, its row a placeholder: a few hundred rows a table.
    condition = filled_formula(source, "\0", qualified=True)
    if stand:
        ref = sheet_ref(source.name, f"${col_letter(source, stand)}\0")
        stands = ",".join(f'{ref}="{value}"' for value in takes_part)
        condition = f"AND({condition},OR({stands}))"
    filled_keys = filled_by(source)
    for offset in range(last - TABLE_HEADER_ROW):
        row = given[offset] if offset < len(given) else {}
        if words.is_filled(row, filled_keys) and (not stand or row.get(stand) in takes_part):
            shown_at.append(offset + 1)
            shown.append(row)
        this_row = condition.replace("\0", str(TABLE_HEADER_ROW + 1 + offset))
        lists.write_formula(1 + offset, col, f"=N({a1(1 + offset, col + 1)})+IF({this_row},1,0)",
                            None, len(shown))
    counts = (f"${column_letter(col + 1)}$2:${column_letter(col + 1)}$"
              f"{last - TABLE_HEADER_ROW + 1}")
    wanted = max(s.rows for s in plan.sheet.sections if s.sheet == source.name)
    for k in range(1, wanted + 1):
        lists.write_formula(k, col + 1, f'=IFERROR(MATCH({k},{counts},0),"")', None,
                            shown_at[k - 1] if k <= len(shown_at) else "")
    return _Counted(shown=shown, last=last,
                    total=a1(last - TABLE_HEADER_ROW + 1, col + 1, absolute=True))


def _cached(value: object) -> object:
    """A cell's value as its formula's cached result: dates as Excel's day numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return (value - EXCEL_EPOCH).days
    if isinstance(value, bool):
        return str(value)
    return value

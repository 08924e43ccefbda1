"""Writes the national overview workbook (docs/reference.md §6.1) from a :class:`Consolidation`.

One private function per sheet. Everything a region typed is written as text (``_shown``
decides a cell's value): with ``write_string`` (``_put``), or as a shared string in a table's
rows, which go to the sheet whole (``_table_rows``, ``smso_xl.workbook.rowxml``). Text
starting with ``=``, ``+``, ``-`` or ``@`` stays text, because the inputs came by e-mail and
the coordinator opens this file. The only formulas in the workbook are our own totals on
``Oversikt``, written with their true cached values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook as XlsxWorkbook
from xlsxwriter.worksheet import Worksheet

from ..base.batch import paused_gc
from ..base.cells import a1_range
from ..base.fileio import atomic_output
from ..base.findings import ERROR, SEVERITY_LABELS, WARNING
from ..base.formats import (
    ERROR_FILL,
    HEADER_FILL,
    MIN_PRINT_SCALE,
    OK_FILL,
    WARNING_FILL,
    page_width,
    set_up_page,
)
from ..template.definition import Column, Figure, Role, Sheet, Template
from ..template.kinds import is_input, kind_of
from ..template.rules import PlanRow
from ..template.values import fold, format_date, text_date
from ..workbook.layout import surely_one_line, text_lines
from ..workbook.rowxml import MAX_CELL_UNITS, RowXmlWorksheet, cut_to_cell, fits_in_cell
from ..workbook.writer import DATE_FORMAT
from .compare import ADDED, CHANGED, REMOVED, Comparison
from .consolidation import (
    NO_STATUS,
    NOT_RECEIVED,
    RECEIVED,
    RECEIVED_WITH_ERRORS,
    RECEIVED_WRONG_FORMAT,
    UNREADABLE_FILE,
    Consolidation,
    NationalTotal,
    Submission,
    is_overdue,
    regions_in_words,
)

# The overview's own sheets; between Oversikt and Frister come the template's: its
# ``overview.plan_sheets`` row by row, then the self-assessment as a matrix.
SUMMARY_SHEET, OWN_SHEETS = "Oversikt", ("Frister", "Avvik", "Innsendinger")
CONTACTS_SHEET = "Kontakter"  # after Oversikt: the address book for the follow-up
CHANGES_SHEET = "Endringer"
# How Endringer names a change: the kinds the coordinator follows up get their own word.
CHANGE_WORDS = {ADDED: "Ny", REMOVED: "Fjernet", CHANGED: "Endret"}
ROLE_CHANGE_WORDS = {Role.STATUS: "Status endret", Role.DEADLINE: "Frist flyttet",
                     Role.OWNER: "Ansvarlig byttet"}
DUE_WITHIN_DAYS = 90
MAX_WIDTH = 30  # template widths are for typing; here wrapped text keeps a page readable
# A column fitted to its values: text wraps beyond MAX_FITTED; a file name, on one line, is
# cut only beyond MAX_ONE_LINE.
MAX_FITTED, MAX_ONE_LINE = 36, 64
EXCEL_FIRST_DAY = dt.date(1900, 3, 1)  # earlier dates have no (correct) Excel serial
NO_STATUS_COLOUR, OTHER_STATUS_COLOUR = "#E7E6E6", "#A5A5A5"
# Findings' severities colour as in the legend (formats.LEGEND): a warning orange, an
# error red.
SEVERITY_FILLS = {SEVERITY_LABELS[WARNING]: WARNING_FILL, SEVERITY_LABELS[ERROR]: ERROR_FILL}
# A region's status on Oversikt: a plan in green, with errors orange, none usable red.
REGION_FILLS = {RECEIVED: OK_FILL, RECEIVED_WITH_ERRORS: WARNING_FILL,
                RECEIVED_WRONG_FORMAT: ERROR_FILL, UNREADABLE_FILE: ERROR_FILL,
                NOT_RECEIVED: ERROR_FILL}
# Cell styles on top of a column's kind: colours say done/partly/not, overdue, not received.
STYLES: dict[str, dict[str, Any]] = {
    "red": {"font_color": "#C00000", "bold": True},
    "grey": {"font_color": "#7F7F7F"},
    "total": {"bold": True, "top": 2},
    NOT_RECEIVED: {"font_color": "#9C0006", "bold": True},
    UNREADABLE_FILE: {"font_color": "#9C0006", "bold": True},
    RECEIVED_WRONG_FORMAT: {"font_color": "#9C0006", "bold": True},
    "note": {"italic": True, "font_color": "#7F7F7F", "text_wrap": False},
    "explanation": {"italic": True, "font_color": "#7F7F7F"},  # a note that wraps
    "shared": {"bg_color": "#FFEB9C", "bold": True},  # a region whose plan another sent too
}
# Thousands grouped as in Norway (1 234 567) wherever the file is opened: the format
# carries its language (nb-NO, [$-414]); LibreOffice otherwise groups by its own locale.
GROUPED = "[$-414]#,##0"
NUM_FORMATS = {"date": DATE_FORMAT, "datetime": "dd.mm.yyyy hh:mm", "count": GROUPED,
               "percent": "0 %", "number": "General", "text": "@"}
_FORMAT_NAMES = {shown: name for name, shown in NUM_FORMATS.items()} | {"#,##0": "count"}
# Every table sheet: its title, a line saying what it lists, then the table's header row.
TITLE_ROW, NOTE_ROW, TABLE_ROW = 0, 1, 2
VALUE_KIND = "value"  # a column of mixed values (Endringer's Før and Nå): each by its type
# A wrapping text column on paper: never narrower than MIN_WRAPPED, and widened up to
# MAX_WRAPPED where that saves its rows lines (a description on two lines, not three).
MIN_WRAPPED, MAX_WRAPPED = 10, 48
# A wide table may print at down to 75 %: 11 pt text prints at 8.25 pt, and its rows take
# two pages across instead of three.
TABLE_PRINT_SCALE = 75
_SAMPLE_ROWS = 120
_ROWS_AT_ONCE = 2_000  # a table's rows are made this many at a time: memory stays flat
_SURELY_FITS = MAX_CELL_UNITS // 2  # characters of text that fit a cell however they count
_SCALES = (80, 77, 75)  # the print scales tried for a table, largest first
_LOOKAHEAD = 4     # steps looked ahead when widening
_STEP = 2.0        # how much a wrapping column is widened at a time
_PAGE_SLACK = 4.0  # characters of a page left free: LibreOffice's and Excel's fonts differ
_PADDING = 0.71  # what a column's stored width adds to the characters it was given


@dataclass(frozen=True)
class _Col:
    header: str
    width: float = 14
    shape: str = "text"  # how its values show: text | date | datetime | number | count | percent
    # | a number format (not a template kind: the overview's own columns have none)
    wrap: bool = True   # False for file names and hashes: one line, cut off at the border
    colour: bool = False  # the value picks its own fill (_Formats.fills): levels, assessments
    fit: bool = False     # as wide as its longest value (file names): never cut off
    fixed: bool = False   # its width is kept (Egenvurdering's columns beneath the matrix)


def write_overview(result: Consolidation, out: Path, *, inputs: Sequence[Path] = (),
                   created: dt.datetime | None = None,
                   changes: Comparison | None = None) -> Path:
    """Write the overview workbook to ``out`` atomically; never onto an input or a file seen.

    ``created`` is the document's creation time (default: now; fixed for reproducible
    examples). ``changes``: what changed since the previous round (``compare``), shown on
    the sheet Endringer and as progress per region on Oversikt."""
    protected = (*inputs, *(s.path for s in result.submissions))
    with atomic_output(out, inputs=tuple(protected)) as tmp, paused_gc():
        # paused: a million cell records, and the collector's passes over them found nothing
        book = _Book(str(tmp), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        try:
            with warnings.catch_warnings():
                # xlsxwriter warns and carries on (a cut string, a bad range); here a bug.
                warnings.simplefilter("error")
                _write_sheets(book, result, changes, created)
                book.close()
        finally:  # rows waiting in temporary files, when it stopped before close
            for sheet in book.worksheets():
                sheet.discard_rows()
    return out


class _Book(XlsxWorkbook):
    worksheet_class = RowXmlWorksheet  # its tables' rows written whole (rowxml)


def _write_sheets(book: _Book, result: Consolidation, changes: Comparison | None,
                  created: dt.datetime | None) -> None:
    template = result.template
    year = f" {result.year}" if result.year else ""
    as_of = f"Per {format_date(result.today)}"
    fmt = _Formats(book, _value_fills(template), f"Nasjonal oversikt{year} {as_of.lower()}",
                   as_of)
    assessment = template.sheet_by_role(Role.ASSESSMENT)
    names = sheet_names(template, changes is not None)
    sheets = {name: book.add_worksheet(name) for name in names}
    _oversikt(book, sheets[SUMMARY_SHEET], result, fmt, changes)
    _kontakter(sheets[CONTACTS_SHEET], result, fmt)
    for name in template.overview_sheets:
        _plan_sheet(sheets[name], result, template.sheet(name), fmt)
    _egenvurdering(sheets[assessment.name], result, fmt)
    frister, avvik, innsendinger = OWN_SHEETS
    _frister(sheets[frister], result, fmt)
    if changes is not None:
        _endringer(sheets[CHANGES_SHEET], result, changes, fmt)
    _avvik(sheets[avvik], result, fmt)
    _innsendinger(sheets[innsendinger], result, fmt)
    sheets[SUMMARY_SHEET].activate()
    book.set_properties({"title": f"SMSØ – nasjonal oversikt {result.year or ''}".strip(),
                         "subject": "Lokale handlingsplaner samlet",
                         "comments": f"Per {format_date(result.today)}",
                         "created": (created or dt.datetime.now(dt.UTC))
                         .astimezone(dt.UTC).replace(tzinfo=None)})


def sheet_names(template: Template, with_changes: bool = False) -> tuple[str, ...]:
    """The overview's sheets, in order; Endringer after Frister when it has a previous round."""
    assessment = template.sheet_by_role(Role.ASSESSMENT)
    frister, *rest = OWN_SHEETS
    return (SUMMARY_SHEET, CONTACTS_SHEET, *template.overview_sheets, assessment.name, frister,
            *([CHANGES_SHEET] if with_changes else []), *rest)


def _value_fills(template: Template) -> dict[str, str]:
    """Values that colour their own cell (columns with ``colour=True``): the risk levels,
    the values the template colours like them (assessments), and findings' severities."""
    colours = template.risk_colours
    fills = dict(colours)
    for level, values in template.value_colours.items():
        fills |= {value: colours[level] for value in values}
    return fills | SEVERITY_FILLS | REGION_FILLS


class _Formats:
    """Cell formats, made once per (kind, style)."""

    def __init__(self, book: XlsxWorkbook, fills: dict[str, str], page_title: str,
                 as_of: str) -> None:
        self._book = book
        self.fills = fills
        self.page_title = page_title  # on every printed page
        self.as_of = as_of            # «Per 20.09.2027»: the date the figures hold for
        self._cache: dict[tuple[str, str | None, bool], Any] = {}
        self.header = book.add_format({"bold": True, "font_color": "#FFFFFF", "valign": "top",
                                       "bg_color": HEADER_FILL, "border": 1, "text_wrap": True})
        # A number column's header on end (Oversikt), wrapped between words.
        self.turned_header = book.add_format({
            "bold": True, "font_color": "#FFFFFF", "valign": "vcenter", "align": "left",
            "bg_color": HEADER_FILL, "border": 1, "text_wrap": True, "rotation": 90})
        self.title = book.add_format({"bold": True, "font_size": 16, "font_color": HEADER_FILL})
        self.chart_heading = book.add_format({"bold": True, "font_color": HEADER_FILL})
        self.heading = book.add_format({"bold": True, "font_size": 13, "font_color": HEADER_FILL})
        self.plain = book.add_format({})

    def cell(self, kind: str = "text", style: str | None = None, wrap: bool = True) -> Any:
        """``style``: a name in STYLES, or a value of ``fills`` that picks its fill."""
        key = (kind, style, wrap)
        if key not in self._cache:
            num_format = NUM_FORMATS.get(kind, kind)
            props: dict[str, Any] = {"valign": "top", "text_wrap": wrap,
                                     "num_format": num_format}
            if num_format.startswith(DATE_FORMAT):  # dates and times read from the left
                props["align"] = "left"
            if style in self.fills:
                props["bg_color"] = self.fills[style]
            self._cache[key] = self._book.add_format({**props, **STYLES.get(style or "", {})})
        return self._cache[key]


def _put(ws: Worksheet, row: int, col: int, value: object, cell_format: Any) -> None:
    """Write one value by its Python type; anything that is not a date or number is text."""
    shown = _shown(value)
    if shown is None:
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(shown, str):
        ws.write_string(row, col, shown, cell_format)
    elif isinstance(shown, dt.datetime):
        ws.write_datetime(row, col, shown, cell_format)
    else:
        ws.write_number(row, col, shown, cell_format)


def _shown(value: object) -> str | float | dt.datetime | None:
    """What a cell holds for ``value``: text within a cell's limit, a finite number, a naive
    date and time on the coordinator's clock, or None (blank); every other value as text."""
    if value.__class__ is str and value and fits_in_cell(value):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]  # most cells: checked first
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        if moment.tzinfo:
            moment = moment.astimezone().replace(tzinfo=None)  # the coordinator's clock
        if moment.date() < EXCEL_FIRST_DAY:  # no Excel serial: it would show as ####
            return format_date(moment.date())
        return moment
    if (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value)):
        return value
    return cut_to_cell(str(value))


# Characters of text per character of column width, measured in LibreOffice (DejaVu Sans:
# 24–25 in a column 20 wide; a file name with capitals and digits about as many): how
# narrow a wrapping column may be made (_word_width). How many lines a text takes, and so
# a row's height, is reckoned in the font's own widths, bold too (layout.text_lines):
# Excel's Calibri fits more, so rows are tall enough in both.
CHARS_PER_WIDTH = 1.2


#: How many lines wrapped text takes in a column (layout.text_lines), remembered: the same
#: texts recur in many regions' plans.
_lines = functools.lru_cache(maxsize=1 << 16)(text_lines)


def _print_setup(ws: Worksheet, fmt: _Formats, widths: Sequence[float], *,
                 header_row: int | None = None, key_columns: int = 2) -> None:
    """Each row keeps its region beside it across pages (``key_columns``)."""
    set_up_page(ws, fmt.page_title, widths, header_row=header_row, key_columns=key_columns)


def _titled(ws: Worksheet, fmt: _Formats, title: str, note: str,
            widths: Sequence[float] = ()) -> None:
    """The sheet's title and a line saying what it lists, above its table (rows 1 and 2):
    a printed page, or a screenshot of it, says what it is. The note wraps within the
    columns of the first printed page (``widths``), its row as tall as it needs."""
    ws.write_string(TITLE_ROW, 0, title, fmt.title)
    ws.set_row(TITLE_ROW, 21)
    if len(widths) < 2:
        ws.write_string(NOTE_ROW, 0, note, fmt.cell("text", "note", wrap=False))
        return
    ws.merge_range(NOTE_ROW, 0, NOTE_ROW, len(widths) - 1, note,
                   fmt.cell("text", "explanation"))
    ws.set_row(NOTE_ROW, 15.0 * _lines(note, sum(widths)))


def _table(ws: RowXmlWorksheet, fmt: _Formats, name: str, columns: Sequence[_Col],
           rows: Sequence[Sequence[object]], *, empty: str, first_row: int = TABLE_ROW,
           red: Sequence[Collection[int]] = (), key_columns: int = 2,
           unprinted: int = 0, data_sheet: bool = True,
           title: tuple[str, str] | None = None) -> list[float]:
    """An Excel Table with a filter at ``first_row``; ``red[i]`` are the columns of row ``i``
    shown red (overdue). An empty list still makes a valid table: one row whose first cell
    says so (``empty``). The sheet's own table (``data_sheet``) gets the data-sheet setup:
    the first ``key_columns`` frozen and on every page across, the last ``unprinted``
    columns (where a row came from) not printed, a row on at most two pages across.
    Returns the columns' widths."""
    columns, scale = _fitted_columns(columns, rows), MIN_PRINT_SCALE
    if data_sheet:
        columns, scale = _across(columns, key_columns, len(columns) - unprinted, rows)
    last = first_row + max(len(rows), 1)
    ws.add_table_over_rows(first_row, last, len(columns) - 1, {
        "name": name, "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": c.header, "header_format": fmt.header} for c in columns]})
    for index, column in enumerate(columns):
        ws.set_column(index, index, column.width)
    # A header longer than its column wraps; its row grows to show it.
    header_lines = max((_lines(c.header, c.width, bold=True) for c in columns), default=1)
    if header_lines > 1:
        ws.set_row(first_row, 15.0 * header_lines)
    if not rows:
        ws.write_string(first_row + 1, 0, empty, fmt.cell("text", "note"))
    for values in rows:
        if len(values) != len(columns):
            raise ValueError(f"a row of {len(values)} values in a table of {len(columns)} columns")
    for start in range(0, len(rows), _ROWS_AT_ONCE):
        _table_rows(ws, fmt, columns, rows[start:start + _ROWS_AT_ONCE],
                    red[start:start + _ROWS_AT_ONCE], first_row + 1 + start)
    if data_sheet:
        ws.freeze_panes(first_row + 1, 2)
        printed = columns[:len(columns) - unprinted]
        _print_setup(ws, fmt, [c.width for c in printed], header_row=first_row,
                     key_columns=key_columns)
        ws.set_print_scale(scale)
        first_page = _pages_across_widths(
            [c.width for c in printed], key_columns, page_width(scale) - _PAGE_SLACK)
        if title:
            _titled(ws, fmt, *title, widths=first_page)
        across = title is not None and len(first_page) < len(printed)
        if across:
            # On a second page across, the repeated columns would cut the title and the
            # note in half: every page carries them at its head instead.
            ws.set_header(f'&L&"-,Bold"{_escaped(title[0])}&"-,Regular" – '
                          f"{_escaped(title[1])}")
        ws.print_area(first_row if across else 0, 0, last, len(printed) - 1)
    return [c.width for c in columns]


def _table_rows(ws: RowXmlWorksheet, fmt: _Formats, columns: Sequence[_Col],
                rows: Sequence[Sequence[object]], red: Sequence[Collection[int]],
                first_row: int) -> None:
    """Rows of a table from ``first_row`` down, made column by column (rowxml): each
    column's cells at once, most of them text in the column's own format."""
    cells, heights = [], [15.0] * len(rows)
    marked_rows: dict[int, set[int]] = {}  # column → its rows shown red
    for offset, marks in enumerate(red):
        for index in marks:
            marked_rows.setdefault(index, set()).add(offset)
    for index, column in enumerate(columns):
        values = list(map(itemgetter(index), rows))
        marked = marked_rows.get(index, set())
        shown = [value if value.__class__ is str and value and (
                     len(value) <= _SURELY_FITS or fits_in_cell(value))
                 else None if value is None else _shown(value) for value in values]
        formats: int | list[int]
        if marked or column.colour or column.shape == VALUE_KIND:
            formats = [_styled_format(fmt, column, value, offset in marked)._get_xf_index()
                       for offset, value in enumerate(values)]
        else:
            formats = fmt.cell(column.shape, None, column.wrap)._get_xf_index()
        cells.append(ws.column_xml(index, first_row, shown, formats))
        if column.wrap:
            # Excel and LibreOffice keep a stored row height; neither fits it to wrapped text
            # on opening a generated file, so each row's is set here from its text (bold in
            # a row shown red).
            limit = surely_one_line(column.width)
            for offset, value in enumerate(values):
                if value.__class__ is str and (len(value) > limit or "\n" in value):
                    lines = _lines(value, column.width, offset in marked)
                    heights[offset] = max(heights[offset], 15.0 * lines)
    ws.write_rows_xml(first_row, map("".join, zip(*cells, strict=True)), len(columns),
                      [min(height, 409) if height > 15.0 else None for height in heights])


def _styled_format(fmt: _Formats, column: _Col, value: object, red: bool) -> Any:
    """The format of a cell shown red (overdue), coloured by its value (``column.colour``),
    or by its value's own type (Endringer's Før and Nå)."""
    style = ("red" if red else
             str(value) if column.colour and str(value) in fmt.fills else None)
    kind = _kind_of_value(value) if column.shape == VALUE_KIND else column.shape
    return fmt.cell(kind, style, column.wrap)


def _escaped(text: str) -> str:
    """Text for a page header: ``&`` starts a code there."""
    return text.replace("&", "&&")


def _kind_of_value(value: object) -> str:
    """The number format of a value in a column that holds several kinds (Endringer)."""
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return "text"


def _shown_length(value: object) -> int:
    """How many characters a value takes on one line, as the overview shows it."""
    if isinstance(value, str):
        return max(map(len, value.split("\n"))) if "\n" in value else len(value)
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(f"{value:,.0f}") + (3 if isinstance(value, float) and value % 1 else 0)
    return 0


def _longest(values: Sequence[object]) -> int:
    """The most characters any of ``values`` takes on one line (:func:`_shown_length`),
    measured by the kinds of value a column holds: text by its length (by its longest line
    where it has several), a date by its kind, a blank not at all. A column of a large
    round holds sixty thousand values of one or two kinds."""
    longest = 0
    for kind in set(map(type, values)):
        if kind is str:
            texts = [v for v in values if v.__class__ is str]
            several = [v for v in texts if "\n" in v]  # type: ignore[operator]
            one_line = [v for v in texts if "\n" not in v] if several else texts  # type: ignore[operator]
            longest = max(longest, max(map(len, one_line), default=0),  # type: ignore[arg-type]
                          max(map(_shown_length, several), default=0))
        elif kind is not type(None):  # dates and numbers: each distinct one measured once
            longest = max(longest, *map(_shown_length, {v for v in values if v.__class__ is kind}))
    return longest


def _fitted_columns(columns: Sequence[_Col], rows: Sequence[Sequence[object]]) -> list[_Col]:
    """Each column as wide as its longest value on one line, within bounds: a ``fit``
    column (a file name) may grow to be never cut; any other only shrinks from its width,
    never below its header's longest word (a header wraps between words)."""
    fitted = []
    for index, column in enumerate(columns):
        longest = _longest(list(map(itemgetter(index), rows)))
        word = max(map(len, column.header.split()), default=1)
        if column.fixed:
            width = column.width
        elif column.fit:
            width = _fitted([" " * longest] if longest else [], column.width,
                            MAX_FITTED if column.wrap else MAX_ONE_LINE)
        else:
            width = min(column.width, max(longest * 1.05 + 1.5, word * 1.15 + 1.5, 5.0))
        fitted.append(dataclasses.replace(column, width=round(width, 1)))
    return fitted


def _pages_across(widths: Sequence[float], keys: int, page: float) -> int:
    """How many pages wide a row of these columns prints, the first ``keys`` repeated."""
    widths = [w + _PADDING for w in widths]
    repeated = sum(widths[:keys])
    pages, used = 1, repeated
    for width in widths[keys:]:
        if used + width > page and used > repeated:
            pages, used = pages + 1, repeated
        used += width
    return pages


def _pages_across_widths(widths: Sequence[float], keys: int, page: float) -> list[float]:
    """The widths of the columns that print on the first page across."""
    used, first = 0.0, []
    for width in widths:
        used += width + _PADDING
        if used > page and len(first) > keys:
            break
        first.append(width)
    return first


def _across(columns: Sequence[_Col], keys: int, printed: int,
            rows: Sequence[Sequence[object]]) -> tuple[list[_Col], int]:
    """Columns laid out for paper, and the print scale: the layout that prints in the
    fewest pages, a row on one page across or two (never more), at a scale of at least
    TABLE_PRINT_SCALE (its text then prints at 8.25 pt). The wrapping text columns start
    narrow and are widened, a step at a time, where a step saves the most lines, while
    the row still fits the pages across. (Estimated on the first rows of a long table.)"""
    sample = rows[:_SAMPLE_ROWS]
    wrapping = [i for i, c in enumerate(columns[:printed]) if _wraps(c) and c.width > MIN_WRAPPED]
    cache: dict[tuple[int, float], list[int]] = {}

    def lines(index: int, width: float) -> list[int]:
        if (index, width) not in cache:
            cache[index, width] = [_lines(v, width) if isinstance(v := values[index], str)
                                   else 1 for values in sample]
        return cache[index, width]

    # Never so narrow that the header's longest word, or most cells' longest word, breaks
    # (words), unless only narrower columns fit two pages (MIN_WRAPPED).
    words = {i: max(MIN_WRAPPED, _word_width(columns[i].header, 1.0),
                    _typical([_word_width(v) for values in sample
                              if isinstance(v := values[i], str)], 0.75))
             for i in wrapping}
    best: tuple[int, int, int, int, list[float]] | None = None
    for floor, narrowest in enumerate((words, dict.fromkeys(wrapping, float(MIN_WRAPPED)))):
        for across in (1, 2):
            for scale in _SCALES:
                page = page_width(scale) - _PAGE_SLACK
                widths = [narrowest[i] if i in wrapping else c.width
                          for i, c in enumerate(columns)]
                if _pages_across(widths[:printed], keys, page) > across:
                    continue
                height = _widen(widths, wrapping, lines, len(sample),
                                lambda trial, page=page, across=across:
                                _pages_across(trial[:printed], keys, page) <= across,
                                [c.width for c in columns])
                per_page = _PAGE_HEIGHT_PT * 100 / scale - 3 * 15  # less title and header
                pages = across * math.ceil(height * len(rows) / max(len(sample), 1) / per_page)
                if best is None or (pages, floor, across, -scale) < best[:4]:
                    best = (pages, floor, across, -scale, widths)
    if best is None:
        return list(columns), TABLE_PRINT_SCALE
    *_, scale, widths = best
    return [dataclasses.replace(c, width=round(w, 1))
            for c, w in zip(columns, widths, strict=True)], -scale


def _word_width(text: str, per_char: float = 1 / CHARS_PER_WIDTH) -> float:
    """The column width the longest word of ``text`` takes on one line."""
    return 1.5 + per_char * max(map(len, text.split()), default=0)


def _typical(values: Sequence[float], share: float) -> float:
    """The value that ``share`` of ``values`` stay within (0 for none)."""
    ordered = sorted(values)
    return ordered[int(len(ordered) * share)] if ordered else 0


def _widen(widths: list[float], wrapping: Sequence[int],
           lines: Callable[[int, float], list[int]], count: int,
           fits: Callable[[list[float]], bool], natural: Sequence[float]) -> float:
    """Widen the wrapping columns (``widths``, in place) one step at a time, each step to
    the column where it saves the most: first the rows' height, then the lines of all
    cells; while the row ``fits`` its pages, and no column beyond MAX_WRAPPED or what its
    text needs (``natural``). Returns the rows' height in points."""
    per_column = {i: lines(i, widths[i]) for i in wrapping}

    def measure(columns: dict[int, list[int]]) -> tuple[int, int]:
        # each row as tall as its most lines (a row without wrapping columns: one line)
        tall = sum(map(max, zip(*columns.values(), strict=True))) if columns else count
        return tall, sum(map(sum, columns.values()))

    now = measure(per_column)
    while True:
        # The best gain per step, looking a few steps ahead: one step often moves no text.
        choice: tuple[float, int, float] | None = None
        for i in wrapping:
            for steps in range(1, _LOOKAHEAD + 1):
                wider = widths[i] + steps * _STEP
                if wider > min(max(natural[i], MIN_WRAPPED) + _STEP, MAX_WRAPPED):
                    break
                if not fits([*widths[:i], wider, *widths[i + 1:]]):
                    break
                tall, cells = measure({**per_column, i: lines(i, wider)})
                gain = ((now[0] - tall) * 1000 + now[1] - cells) / steps
                if gain > 0 and (choice is None or gain > choice[0]):
                    choice = (gain, i, wider)
        if choice is None:
            return 15.0 * now[0]
        _, i, widths[i] = choice
        per_column[i] = lines(i, widths[i])
        now = measure(per_column)


def _wraps(column: _Col) -> bool:
    return column.wrap and column.shape in ("text", "@") and not column.colour


def _region_namer(result: Consolidation) -> Callable[[Submission], str]:
    """A submission's region's name from the region list (the list looked up once); the
    workbook's own for a region not on it."""
    names: dict[str | None, str] = {}
    for summary in reversed(result.regions):  # the first of a repeated code wins, as above
        names[summary.region.code] = summary.region.name

    def name(sub: Submission) -> str:
        return names.get(sub.region) or (sub.identity.region_name if sub.identity else "")

    return name


def _extras(row: PlanRow) -> str:
    return "; ".join(f"{header}: {value}" for header, value in row.extra.items() if value)


def _column_kind(column: Column) -> str:
    """A template column is shown as its kind shows it in the regions' workbook (kroner
    grouped, "#,##0": the column's own number format)."""
    number_format = kind_of(column).number_format(column) or NUM_FORMATS["text"]
    return _FORMAT_NAMES.get(number_format, number_format)


# --- Oversikt ----------------------------------------------------------------------------


# Oversikt: who sent what, the template's figures, then the findings.
# Status is the region's (consolidation.REGION_STATUSES); the file's own status is on
# Innsendinger. Status and Fil wrap: the whole table fits across one page.
_SUMMARY_HEAD = (_Col("Region", 6.5), _Col("Navn", 14), _Col("Status", 12.5),
                 _Col("Dato mottatt", 9.5, "date"), _Col("Fil", 14))
_NAME_COL, _STATUS_COL, _FILE_COL = 1, 2, 4
_SUMMARY_TAIL = (_Col("Feil", 7, "count"), _Col("Advarsler", 10, "count"))
_HEADER_ROW = 3
MAX_FILE_NAME = 14  # a longer name wraps (at «-» and spaces): the table fits the page
# The number columns' headers stand on end, wrapped within this height (points): the
# columns are then as narrow as their numbers, and the table fits across one page.
_TURNED_HEADER_HEIGHT = 64
# A wrapped line on Oversikt: as tall as the text needs, not the 15 points of a row.
_WRAPPED_LINE = 13.5
# Oversikt's page: its margins narrower than a data sheet's (formats.set_up_page), the
# height for the charts. (Inches; the footer stays 0.3 in from the edge.)
_OVERSIKT_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.4, "bottom": 0.5}
MIN_CHART_ROWS = 12
# Oversikt prints on one page down to this scale; more regions than fit take more pages.
MIN_ONE_PAGE_SCALE = 60
# The region chart names every region up to this many; beyond, the labels would overlap.
MAX_NAMED_REGIONS = 40
MIN_CHART_PT = 8.2  # the charts' text printed at least this size, whatever the page's scale
_FORFALT = ("Forfalt = mål, tiltak og risikoer med frist før denne datoen og status ikke "
            "Fullført eller Avlyst (arket Frister viser også oppfølgingen av egenvurderingen).")
_TURNED_LINE_CHARS = 8.5  # characters of a bold header per line of that height


# With the previous round (consolidate --previous): what moved since, per region.
_PROGRESS = (_Col("Fullført siden sist", 10, "count"), _Col("Frister flyttet", 9, "count"),
             _Col("Rader fjernet", 9, "count"))


def _summary_columns(result: Consolidation, changes: Comparison | None) -> tuple[_Col, ...]:
    figures = tuple(_Col(f.label, f.width, "percent" if f.share else "count")
                    for f in result.template.figures)
    head = list(_SUMMARY_HEAD)
    names = [s.file.path.name for s in result.regions if s.file is not None]
    # As wide as the longest name up to a limit; a longer one wraps (at «-» and spaces).
    head[_FILE_COL] = dataclasses.replace(
        head[_FILE_COL], width=_fitted(names, head[_FILE_COL].width, MAX_FILE_NAME))
    return (*head, *figures, *_SUMMARY_TAIL, *(_PROGRESS if changes else ()))


def _number_width(column: _Col, values: Sequence[object]) -> float:
    """A number column on Oversikt: as wide as its widest number (grouped, or a share),
    and as its header, turned on end, needs for its lines."""
    longest = max((5 if column.shape == "percent" else _shown_length(v) for v in values
                   if v is not None), default=1)
    lines = _lines(column.header, _TURNED_LINE_CHARS, bold=True)
    return round(max(longest * 1.1 + 1.5, 2.0 * lines + 1, 4.5), 1)


def _fitted(texts: Sequence[str], minimum: float, maximum: float = MAX_FITTED) -> float:
    """A column wide enough for the longest of ``texts`` on one line (within bounds)."""
    return min(max([minimum, *(len(t) * 1.1 + 2 for t in texts)]), maximum)


def _progress(changes: Comparison, code: str) -> list[object]:
    """Actions completed, deadlines moved and rows removed since the previous round."""
    moved = changes.progress(code)
    return [None] * len(_PROGRESS) if moved is None else [
        moved.completed, moved.moved, moved.removed]


def _oversikt(book: XlsxWorkbook, ws: Worksheet, result: Consolidation, fmt: _Formats,
              changes: Comparison | None) -> None:
    """The national picture on one A4 page: the title, the date and the regions in one
    line, the table of every region with its totals, what «Forfalt» means, and the two
    charts side by side beneath. The charts' numbers stand below the page."""
    year = f" {result.year}" if result.year else ""
    ws.write_string(0, 0, f"SMSØ – nasjonal oversikt over lokale handlingsplaner{year}", fmt.title)
    ws.set_row(0, 21)
    ws.write_string(1, 0, f"{fmt.as_of}. {regions_in_words(result)}", fmt.plain)
    columns, figures = _summary_columns(result, changes), result.template.figures
    _shared_note(ws, result, fmt)
    first = _HEADER_ROW + 1
    written: list[list[object]] = []
    for summary in result.regions:
        sub = summary.file
        numbers = ([summary.figure(f) for f in figures] if summary.counted
                   else [None] * len(figures))
        written.append([summary.region.code, summary.region.name, summary.status,
                        summary.received_on, sub.path.name if sub else None,
                        *numbers, sub.errors if sub else None, sub.warnings if sub else None,
                        *(_progress(changes, summary.region.code) if changes else ())])
    # Figures and counts: as narrow as their numbers (the totals are the widest).
    columns = tuple(column if index < len(_SUMMARY_HEAD) else dataclasses.replace(
        column, width=_number_width(column, [*(v[index] for v in written),
                                             _column_sum(written, index)]))
        for index, column in enumerate(columns))
    for index, column in enumerate(columns):
        ws.set_column(index, index, column.width)
        turned = index >= len(_SUMMARY_HEAD)
        ws.write_string(_HEADER_ROW, index, column.header,
                        fmt.turned_header if turned else fmt.header)
    ws.set_row(_HEADER_ROW, _TURNED_HEADER_HEIGHT)
    heights: list[float] = []
    for row, (summary, values) in enumerate(zip(result.regions, written, strict=True),
                                            start=first):
        shared = result.shares_rows_with(summary.region.code)
        lines = 1
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            style = (summary.status if index == _STATUS_COL
                     else "shared" if index == _NAME_COL and shared
                     else "grey" if summary.submission is None else None)
            _put(ws, row, index, value, fmt.cell(column.shape, style, wrap=column.wrap))
            if isinstance(value, str) and column.wrap:
                lines = max(lines, _lines(value, column.width))
        heights.append(15.0 if lines == 1 else _WRAPPED_LINE * lines)
        if lines > 1:
            ws.set_row(row, _WRAPPED_LINE * lines)
        if shared:
            ws.write_comment(row, _NAME_COL, "Samme mål og tiltak som " + ", ".join(
                shared) + " (se Avvik): Totalt teller dem én gang.", {"x_scale": 1.5})
    last = first + len(result.regions) - 1
    if result.regions:
        _totals(ws, result, fmt, first, last, columns, written)
    note = last + 3  # a blank row between the totals and what «Forfalt» means
    ws.merge_range(note, 0, note, len(columns) - 1, _FORFALT, fmt.cell("text", "explanation"))
    widths = [c.width for c in columns]
    note_height = 15.0 * _lines(_FORFALT, sum(widths))
    ws.set_row(note, note_height)
    ws.hide_gridlines(2)
    if not result.shared:
        ws.set_row(_HEADER_ROW - 1, 4)  # no note above the table: no gap either
    ws.set_row(last + 2, 6)
    # The charts take the height the table leaves on the page at the scale its width
    # allows, at least MIN_CHART_ROWS: the page then prints at the scale that fits both.
    used = (21 + 15 + (15 if result.shared else 4) + _TURNED_HEADER_HEIGHT + sum(heights)
            + 15 + 6 + note_height + 15)
    across = _one_page_scale(widths)
    chart_rows = max(MIN_CHART_ROWS,
                     math.floor((_PAGE_HEIGHT_PT * 100 / across - used) / 15) - 1)
    scale = min(across, math.floor(100 * _PAGE_HEIGHT_PT / (used + 15 * (chart_rows + 1))))
    one_page = scale >= MIN_ONE_PAGE_SCALE
    if not one_page:
        # Too many regions for one readable page (an archive of hundreds): a page wide and as
        # many down as they need, at the scale the width allows, the header on every page.
        scale, chart_rows = across, MIN_CHART_ROWS
    _charts(book, ws, result, fmt, note + 2, chart_rows, columns, scale)
    ws.print_area(0, 0, note + 2 + chart_rows, len(columns) - 1)
    _print_setup(ws, fmt, widths, header_row=None if one_page else _HEADER_ROW)
    ws.set_margins(**_OVERSIKT_MARGINS)
    ws.set_print_scale(scale)
    ws.fit_to_pages(1, 1 if one_page else 0)  # in whatever font the viewer has


# A4 landscape between Oversikt's top and bottom margins.
_PAGE_HEIGHT_PT = 595 - (_OVERSIKT_MARGINS["top"] + _OVERSIKT_MARGINS["bottom"]) * 72


def _one_page_scale(widths: Sequence[float]) -> int:
    """The print scale at which these columns fit across one A4 landscape page."""
    width = sum(w + _PADDING for w in widths)
    return max(1, min(100, math.floor(100 * (page_width(100) - 1) / width)))


def _column_sum(rows: Sequence[Sequence[object]], index: int) -> float:
    return sum(v for values in rows if isinstance(v := values[index], int | float))


def _shared_note(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    """Above the table, when two regions sent the same plan: which, and that the totals
    count the shared rows once (the findings, on Avvik, say more)."""
    if not result.shared:
        return
    pairs = "; ".join(f"{p.earlier.region} og {p.later.region} ({p.count} like mål og tiltak)"
                      for p in result.shared)
    ws.write_string(_HEADER_ROW - 1, 0, f"Samme plan under to regioner: {pairs}. Totalt teller "
                    "de like radene én gang; se Avvik.", fmt.cell("text", "red", wrap=False))


def _formula_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _totals(ws: Worksheet, result: Consolidation, fmt: _Formats, first: int, last: int,
            columns: Sequence[_Col], written: Sequence[Sequence[object]]) -> None:
    """SUM formulas that Excel recalculates, with the national totals the consolidation
    computed (:attr:`Consolidation.national_totals`) as their cache: viewers that do not
    recalculate (LibreOffice by default, mail previews) show the truth. Rows that two
    regions sent alike are counted once: the formula subtracts them."""
    row, total = last + 1, fmt.cell("count", "total")
    seen = [s.submission for s in result.regions if s.submission is not None]
    figures = result.template.figures
    at = {f.key: len(_SUMMARY_HEAD) + i for i, f in enumerate(figures)}  # figure → column
    national = {at[key]: value for key, value in result.national_totals.items()}

    def rng(col: int) -> str:  # 0-based column → its A1 range over the region rows
        return a1_range(first + 1, col + 1, last + 1, col + 1)

    for col, column in enumerate(columns):
        ws.write_blank(row, col, None, fmt.cell(column.shape, "total"))
    ws.write_string(row, 0, "Totalt", fmt.cell("text", "total"))
    # The regions whose plan came, as the sentence above the table counts them.
    ws.write_formula(row, _STATUS_COL, "=" + "+".join(
        f'COUNTIF({rng(_STATUS_COL)},"{status}")' for status in (RECEIVED, RECEIVED_WITH_ERRORS)),
        total, len(seen))
    for col in range(len(_SUMMARY_HEAD), len(columns)):
        if col not in national:  # the findings and the progress: the regions' sum
            value = sum(v for values in written if isinstance(v := values[col], int | float))
            ws.write_formula(row, col, f"=SUM({rng(col)})", total, value)
        elif national[col].figure.share:
            _share_total(ws, fmt, national[col], figures, at, rng, row)
        else:
            less = national[col].twice
            minus = f"-{_formula_number(less)}" if less else ""
            ws.write_formula(row, col, f"=SUM({rng(col)}){minus}", total, national[col].value)


def _share_total(ws: Worksheet, fmt: _Formats, national: NationalTotal,
                 figures: Sequence[Figure], at: dict[str, int], rng: Callable[[int], str],
                 row: int) -> None:
    """The national share: the regions' shares weighted by their rows, the rows two regions
    sent alike once. Where Oversikt has the row counts it stands on (one plain row-count
    figure per sheet of the share), Excel recomputes it from them; otherwise it is the
    number itself."""
    figure = national.figure
    value = "" if national.value is None else national.value
    counts = [f for f in figures if f.measure == "rows" and not f.where
              and len(f.sheets) == 1 and f.sheets[0] in figure.sheets]
    cell_format, col = fmt.cell("percent", "total"), at[figure.key]
    if sorted(f.sheets[0] for f in counts) != sorted(figure.sheets):
        _put(ws, row, col, value, cell_format)
        return
    weights = "+".join(rng(at[f.key]) for f in counts)
    sums = "+".join(f"SUM({rng(at[f.key])})" for f in counts)
    owned = f"SUMPRODUCT({rng(col)},{weights})"
    if national.twice_rows:
        owned = f"({owned}-{_formula_number(national.twice)})"
        sums = f"{sums}-{national.twice_rows}"
    ws.write_formula(row, col, f'=IFERROR({owned}/({sums}),"")', cell_format, value)


def _chart_data(ws: Worksheet, fmt: _Formats, row: int, title: str, headers: Sequence[str],
                rows: Sequence[Sequence[object]]) -> tuple[int, int]:
    """A small block of the numbers a chart draws; returns its first and last data row."""
    ws.write_string(row, 0, title, fmt.heading)
    for index, header in enumerate(headers):
        if header:
            ws.write_string(row + 1, index, header, fmt.header)
    ws.set_row(row + 1, 30)
    for offset, values in enumerate(rows, start=row + 2):
        for index, value in enumerate(values):
            _put(ws, offset, index, value, fmt.cell("count" if index > 1 else "text"))
    return row + 2, row + 1 + len(rows)


def _pixels(width: float) -> int:
    """A column's width in pixels, as xlsxwriter counts them when it anchors a chart."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


_CHART_GAP = 8  # pixels between the two charts, and above them


def _charts(book: XlsxWorkbook, ws: Worksheet, result: Consolidation, fmt: _Formats,
            row: int, rows: int, columns: Sequence[_Col], scale: int) -> int:
    """Side by side under the table, ``rows`` rows high: actions by status per region,
    and hours per party. Each is anchored to its first cell and exactly as wide as the
    columns it covers, so that Excel and LibreOffice (whose columns differ in pixels) put
    it in the same cells; their numbers stand below, outside the printed page. Returns the
    last row used."""
    template = result.template
    status = template.sheet_by_role(Role.ACTIONS).by_role(Role.STATUS)
    known = template.vocabularies[status.list or ""] if status else ()
    found = {status for s in result.regions for status in s.status_counts}
    statuses = [*known, *sorted(found - {*known, NO_STATUS}), NO_STATUS]
    colours = {**template.status_colours, NO_STATUS: NO_STATUS_COLOUR}
    # Chart text printed at 8.5 pt at least, whatever the page's scale.
    font = {"size": max(9, math.ceil(MIN_CHART_PT * 100 / scale))}
    first, last = _chart_data(
        ws, fmt, row + rows + 2, "Tiltak per region og status (data til diagrammene)",
        ["Region", "Navn", *statuses],
        [[s.region.code, s.region.name,
          *(s.status_counts.get(k, 0) if s.counted else None for k in statuses)]
         for s in result.regions])
    column = book.add_chart({"type": "column", "subtype": "stacked"})
    for index, status in enumerate(statuses, start=2):
        column.add_series({
            "name": ["Oversikt", first - 1, index],
            "categories": ["Oversikt", first, 1, last, 1],
            "values": ["Oversikt", first, index, last, index],
            "fill": {"color": colours.get(status, OTHER_STATUS_COLOUR)},
            "border": {"color": "#FFFFFF"}, "gap": 60})
    column.set_title({"none": True})  # the heading stands in the cell above: room for bars
    column.set_legend({"position": "right", "font": font})  # the height is for the bars
    # Every region named (interval 1) while their names fit, on a slant.
    named = {"interval_unit": 1} if len(result.regions) <= MAX_NAMED_REGIONS else {}
    column.set_x_axis({"num_font": {**font, "rotation": -45}, **named})
    highest = max((sum(s.status_counts.values()) for s in result.regions), default=0)
    column.set_y_axis({"name": "Antall tiltak", "min": 0, "num_format": "0",
                       "num_font": font, "name_font": font,
                       "major_unit": max(1, math.ceil(highest / 6))})
    parties = template.sheet_by_role(Role.PARTIES)
    party, hours = (parties.by_role(role) for role in (Role.TITLE, Role.HOURS))
    assert party is not None and hours is not None, "the parties sheet names parties and hours"
    first, last = _chart_data(ws, fmt, last + 2, f"{hours.header} per {party.header.lower()}",
                              ["", party.header, hours.header],
                              [[None, name, total] for name, total in
                               result.party_hours or [("Ingen timer oppgitt", 0)]])
    bar = book.add_chart({"type": "bar"})
    bar.add_series({"name": hours.header, "categories": ["Oversikt", first, 1, last, 1],
                    "values": ["Oversikt", first, 2, last, 2],
                    "fill": {"color": HEADER_FILL}, "gap": 40})
    bar.set_title({"none": True})
    bar.set_legend({"none": True})
    # In a bar chart the y axis holds the categories: largest party on top, every party
    # named (interval 1), values below.
    bar.set_y_axis({"reverse": True, "crossing": "max", "num_font": font, "interval_unit": 1})
    bar.set_x_axis({"min": 0, "num_format": GROUPED, "num_font": font})
    pixels = [_pixels(c.width) for c in columns]
    half = min(range(1, len(columns)), key=lambda k: abs(sum(pixels[:k]) - sum(pixels) / 2))
    height = rows * 20 - _CHART_GAP
    for chart, start, width, heading in (
            (column, 0, sum(pixels[:half]), "Tiltak per region og status"),
            (bar, half, sum(pixels[half:]), "Timer per år som partene har satt av")):
        ws.write_string(row - 1, start, heading, fmt.chart_heading)
        chart.set_size({"width": width - _CHART_GAP, "height": height})
        ws.insert_chart(row, start, chart, {"x_offset": _CHART_GAP // 2,
                                            "y_offset": _CHART_GAP // 2,
                                            "object_position": 1})
    return last


# --- Kontakter: every region's Organisering form, one row each --------------------------


def _kontakter(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    """One row per expected region: its status, then what the region typed into its form
    (the template's input fields, under their labels), the address in the region list and
    the file it came from. A region without a readable plan keeps its row: the region
    list's address is how to reach it."""
    fields = [f for f in result.template.form.fields if is_input(f)]
    rows = []
    for summary in result.regions:
        plan = summary.submission.report.plan if summary.submission else None
        rows.append([summary.region.code, summary.region.name, summary.status,
                     *(plan.form_shown(f.key) if plan else None for f in fields),
                     summary.region.email or None,
                     summary.file.path.name if summary.file else None])

    columns = [_Col("Region", 8), _Col("Regionnavn", 16),
               _Col("Status", 17, colour=True),
               *(_Col(f.label, 12, "date") if kind_of(f).is_date else
                 _Col(f.label, max(12, len(f.label) * 0.6), fit=True) for f in fields),
               _Col("E-post i regionlisten", 16, wrap=False, fit=True),
               _Col("Fil", 16, wrap=False, fit=True)]
    _table(ws, fmt, "tblKontakter", columns, rows, empty="Ingen regioner i regionlisten.",
           unprinted=1,
           title=("Kontakter – regionenes organisering",
                  f"{fmt.as_of}. Én rad per region i regionlisten: skjemaet "
                  f"«{result.template.form.name}» slik regionen fylte det ut, og adressen i "
                  "regionlisten."))  # the address book on paper: not the file


# --- the table sheets: one row per filled row -------------------------------------------


def _plan_sheet(ws: Worksheet, result: Consolidation, sheet: Sheet, fmt: _Formats) -> None:
    pairs = result.rows(sheet.name)
    with_extras = any(row.extra for _, row in pairs)
    columns = [_Col("Region", 8), _Col("Regionnavn", 16),
               *(_Col(c.header, min(c.width, MAX_WIDTH),
                      "date" if c.role in _DATE_LABELS else _column_kind(c),
                      colour=c.role == Role.RISK_LEVEL) for c in sheet.columns),
               *([_Col("Egne kolonner", 30)] if with_extras else []),
               _Col("Kildefil", 30, wrap=False, fit=True), _Col("Kildeark", 14),
               _Col("Kilderad", 8, "number")]
    deadline = sheet.key_of(Role.DEADLINE)
    marked = 2 + [c.key for c in sheet.columns].index(deadline) if deadline else -1
    region_name = _region_namer(result)
    keys = [c.key for c in sheet.columns]
    dated = [2 + i for i, c in enumerate(sheet.columns) if c.role in _DATE_LABELS]
    # Each submission's own cells once (a plan has hundreds of rows).
    heads = {id(sub): [sub.region, region_name(sub)] for sub, _ in pairs}
    tails = {id(sub): sub.path.name for sub, _ in pairs}
    rows = [[*heads[id(sub)], *plan_row.shown_each(keys),
             *([_extras(plan_row)] if with_extras else []),
             tails[id(sub)], plan_row.sheet, plan_row.row] for sub, plan_row in pairs]
    for values in rows:
        for index in dated:  # the first deadline, carried as text: a date (_DATE_LABELS)
            values[index] = _typed_date(values[index])
    red = [{marked} if is_overdue(result, r) else set() for _, r in pairs]
    # On paper: the region and the row's ID (or name) on every page; not where it came from.
    _table(ws, fmt, sheet.table or f"tbl{sheet.name}", columns, rows, red=red,
           empty=f"Ingen {sheet.plural} i de innsendte planene.", key_columns=3,
           unprinted=3,
           title=(f"{sheet.name} – alle regioners {sheet.plural}",
                  f"{fmt.as_of}. Én rad per utfylt rad i planen som er brukt fra hver region "
                  "(se Innsendinger)."
                  + (" Rød frist: passert, og ikke fullført." if deadline else "")))


# A prefilled text column that holds a date (the first deadline, carried from round to
# round as d.m.åååå): a date on the overview, so that it sorts and filters as one.
_DATE_LABELS = frozenset({Role.FIRST_DEADLINE})


def _typed_date(shown: object) -> object:
    """A value of a prefilled date column: a date where its text is one."""
    return (text_date(shown) or shown) if isinstance(shown, str) else shown


# --- Egenvurdering: the matrix, its legend and every assessed row ------------------------


def _criterion_number(result: Consolidation, row: PlanRow) -> str | None:
    """K1…K9 for a criterion of the template (matched tolerantly); None for one it lacks."""
    numbers = {fold(text): f"K{i}" for i, text in enumerate(result.template.criteria, start=1)}
    title = result.template.sheet(row.sheet).key_of(Role.TITLE) or ""
    return numbers.get(fold(str(row.shown(title) or "")))


def _egenvurdering(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    criteria, sheet = result.template.criteria, result.template.sheet_by_role(Role.ASSESSMENT)
    assessment = sheet.by_role(Role.ASSESSMENT)
    assert assessment is not None, "the self-assessment sheet has an assessment column"
    pairs = result.rows(sheet.name)
    _titled(ws, fmt, f"{sheet.name} – regioner × kriterier",
            f"{fmt.as_of}. Regionenes egenvurdering av kriteriene K1–K{len(criteria)} "
            "(teksten står under matrisen), og under den hver vurdering med oppfølging.")
    for index, header in enumerate(["Region", "Regionnavn"]):
        ws.write_string(2, index, header, fmt.header)
    for index, text in enumerate(criteria, start=1):
        ws.write_string(2, index + 1, f"K{index}", fmt.header)
        ws.write_comment(2, index + 1, text, {"x_scale": 2, "y_scale": 1.2})
    grid: dict[str, dict[str, object]] = {}
    for sub, plan_row in pairs:
        if number := _criterion_number(result, plan_row):
            grid.setdefault(sub.region or "", {})[number] = plan_row.shown(assessment.key)
    received = [s for s in result.regions if s.counted]
    row = 3
    names: dict[int, str] = {}  # the matrix's rows, by their region's name
    for summary in received:
        ws.write_string(row, 0, summary.region.code, fmt.cell())
        ws.write_string(row, 1, summary.region.name, fmt.cell())
        names[row] = summary.region.name
        for index in range(1, len(criteria) + 1):
            value = grid.get(summary.region.code, {}).get(f"K{index}")
            style = value if isinstance(value, str) and value in fmt.fills else None
            _put(ws, row, index + 1, value, fmt.cell("text", style))
        row += 1
    if not received:
        ws.write_string(row, 0, "Ingen innsendte planer.", fmt.cell("text", "note"))
        row += 1
    row += 1
    ws.write_string(row, 0, "Kriterier", fmt.heading)
    for index, text in enumerate(criteria, start=1):
        ws.write_string(row + index, 0, f"K{index}", fmt.cell())
        ws.write_string(row + index, 1, text, fmt.cell("text", "note"))
    row += len(criteria) + 1
    for index, value in enumerate(result.template.vocabularies[assessment.list or ""], start=2):
        ws.write_string(row, index, value, fmt.cell("text", value))
    ws.write_string(row, 1, "Fargene:", fmt.cell("text", "note"))
    row += 2
    ws.write_string(row, 0, "Alle vurderinger (én rad per kriterium og region)", fmt.heading)
    widths = _assessment_table(ws, result, sheet, pairs, fmt, row + 1)
    for matrix_row, name in names.items():  # a long name wraps in the table's width
        if (lines := _lines(name, widths[1])) > 1:
            ws.set_row(matrix_row, 15.0 * lines)
    ws.freeze_panes(0, 2)  # two blocks with their own headers: keep the region in view
    _print_setup(ws, fmt, widths, key_columns=2)
    ws.set_print_scale(TABLE_PRINT_SCALE)


# The width of each criterion's column of the matrix, and so of the detail table's columns
# beneath it: one width for all, or the matrix looks uneven (its K5 and K6 were wide).
_MATRIX_WIDTH = 12.5  # «Delvis oppfylt» on one line; Region, name and K1–K9 on one page


def _assessment_table(ws: Worksheet, result: Consolidation, sheet: Sheet,
                      pairs: Sequence[tuple[Submission, PlanRow]], fmt: _Formats,
                      row: int) -> list[float]:
    """The detail table, below the matrix and sharing its columns: the columns beneath the
    criteria take the matrix's width (longer text wraps); the criterion's text and the file
    name, which need room, come after them. Returns the columns' widths."""
    with_extras = any(r.extra for _, r in pairs)
    order = (Role.ASSESSMENT, Role.OWNER, Role.DEADLINE, Role.STATUS, Role.FOLLOW_UP)
    first = [c for role in order if (c := sheet.by_role(role)) is not None]
    title = [c for c in sheet.columns if c.role == Role.TITLE]
    middle = [c for c in sheet.columns if c not in first and c not in title]
    shown = [*first, *middle]
    columns = [_Col("Region", 7, fixed=True), _Col("Regionnavn", 13, fixed=True), _Col("Nr", 13),
               *(_Col(c.header, _MATRIX_WIDTH, _column_kind(c), colour=c.role == Role.ASSESSMENT)
                 for c in shown),
               _Col("Kildeark", 14), _Col("Kilderad", 14, "number"),
               *(_Col(c.header, 48, wrap=False) for c in title),
               _Col("Kildefil", 24, wrap=False, fit=True),
               *([_Col("Egne kolonner", 30)] if with_extras else [])]
    beneath = range(2, 2 + len(result.template.criteria))
    columns = [dataclasses.replace(c, width=_MATRIX_WIDTH, wrap=True, fit=False, fixed=True)
               if i in beneath else c for i, c in enumerate(columns)]
    printed = 3 + len(shown)  # on paper: up to the assessments' own columns
    deadline = next((3 + i for i, c in enumerate(shown) if c.role == Role.DEADLINE), -1)
    region_name = _region_namer(result)
    rows = [[sub.region, region_name(sub), _criterion_number(result, r),
             *(r.shown(c.key) for c in shown), r.sheet, r.row,
             *(r.shown(c.key) for c in title), sub.path.name,
             *([_extras(r)] if with_extras else [])] for sub, r in pairs]
    red = [{deadline} if is_overdue(result, r) else set() for _, r in pairs]
    widths = _table(ws, fmt, sheet.table or f"tbl{sheet.name}", columns, rows, first_row=row,
                    red=red, empty=f"Ingen {sheet.plural} i de innsendte planene.",
                    data_sheet=False)
    last_column = max(printed, 2 + len(result.template.criteria)) - 1
    ws.print_area(0, 0, row + max(len(rows), 1), last_column)
    return widths[:printed]


# --- Frister, Avvik, Innsendinger --------------------------------------------------------


def _frister(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    """The deadlines the consolidation found (:meth:`Consolidation.deadlines`), a row each."""
    template = result.template
    yes, no = template.yes_no
    region_name = _region_namer(result)
    # Per sheet, once: the keys of the columns shown (a sheet has thousands of deadlines).
    keys = {sheet.name: [sheet.key_of(role) or "" for role in
                         (Role.ID, Role.TITLE, Role.OWNER, Role.STATUS)]
            for sheet in template.tables}
    rows = []
    for due in result.deadlines(DUE_WITHIN_DAYS):
        sub, sheet, r = due.submission, due.sheet, due.row
        ident_key, title, owner, status = keys[sheet.name]
        ident = r.shown(ident_key) if ident_key else _criterion_number(result, r)
        rows.append([sub.region, region_name(sub), sheet.name, ident, r.shown(title),
                     r.shown(owner), due.deadline, r.shown(status), due.days,
                     yes if due.overdue else no, sub.path.name, r.sheet, r.row])

    def header(role: str) -> str:
        return _actions_header(template, role)

    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Ark", 14),
               _Col(header(Role.ID), 7), _Col("Hva", 44), _Col(header(Role.OWNER), 22),
               _Col(header(Role.DEADLINE), 12, "date"), _Col(header(Role.STATUS), 13),
               _Col("Dager", 8, "number"), _Col("Forfalt", 9),
               _Col("Kildefil", 30, wrap=False, fit=True), _Col("Kildeark", 14),
               _Col("Kilderad", 8, "number")]
    red = [range(len(columns)) if values[9] == yes else () for values in rows]
    _table(ws, fmt, "tblFrister", columns, rows, red=red, unprinted=3,
           empty=f"Ingen frister som er passert eller kommer innen {DUE_WITHIN_DAYS} dager.",
           title=(f"Frister – passert og de neste {DUE_WITHIN_DAYS} dagene",
                  f"{fmt.as_of}. Mål, tiltak, risikoer og oppfølgingen av egenvurderingen som "
                  "ikke er fullført eller avlyst, tidligste frist først. Rød: fristen er "
                  "passert."))


def _actions_header(template: Template, role: Role) -> str:
    """A column of the overview's own named as on the actions sheet (ID, Frist, Status …)."""
    column = template.sheet_by_role(Role.ACTIONS).by_role(role)
    return column.header if column else role


def _endringer(ws: Worksheet, result: Consolidation, changes: Comparison,
               fmt: _Formats) -> None:
    """One row per change since the previous round, as ``smso-xl compare`` lists them.
    Before and after sit side by side, each value by its own type: a date is a date."""
    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Ark", 14),
               _Col(_actions_header(result.template, Role.ID), 12), _Col("Endring", 16),
               _Col("Felt", 18), _Col("Før", 30, VALUE_KIND), _Col("Nå", 30, VALUE_KIND),
               _Col("Dager", 8, "number"), _Col("Forrige fil", 28, wrap=False, fit=True),
               _Col("Ny fil", 28, wrap=False, fit=True)]
    rows = []
    for region, change in changes.changes:
        word = (ROLE_CHANGE_WORDS.get(change.role or "", CHANGE_WORDS[change.change])
                if change.change == CHANGED else CHANGE_WORDS[change.change])
        rows.append([region.code, region.name, change.sheet, change.id, word, change.field,
                     change.old, change.new, change.days,
                     region.old.name if region.old else None,
                     region.new.name if region.new else None])
    red = [{4, 8} if (change.days or 0) > 0 else set() for _, change in changes.changes]
    _table(ws, fmt, "tblEndringer", columns, rows, red=red, key_columns=4, unprinted=2,
           empty="Ingen endringer siden forrige runde.",
           title=("Endringer siden forrige runde",
                  f"{fmt.as_of}. Én rad per endring i regionenes planer, som «smso-xl compare» "
                  "viser dem; radene kjennes igjen på ID. Rød: fristen er flyttet senere."))


def _avvik(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    """Where, then what: the region, sheet and cell, the message; the code last."""
    columns = [_Col("Region", 8), _Col("Ark", 14), _Col("Celle", 8), _Col("Melding", 64),
               _Col("Alvorlighet", 12, colour=True), _Col("Verdi", 20), _Col("Kolonne", 18),
               _Col("Fil", 20, fit=True), _Col("Innsending", 18),
               _Col("Kode", 22)]
    rows = [[sub.region if sub else None, f.sheet, f.cell, f.message,
             SEVERITY_LABELS.get(f.severity, f.severity), f.value, f.column,
             Path(f.file).name if f.file else (sub.path.name if sub else None),
             sub.status if sub else None, f.code]
            for sub, f in result.all_findings()]
    _table(ws, fmt, "tblAvvik", columns, rows, key_columns=3, empty="Ingen avvik funnet.",
           title=("Avvik – alle funn i filene som er lest",
                  f"{fmt.as_of}. Feil må rettes av regionen; advarsler bør ses over. Koden (siste "
                  "kolonne) er den samme som «smso-xl validate» viser."))


def _innsendinger(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    # Avsender, Emne and Sendt come from the manifest of ``smso-xl collect``; empty for a
    # file saved by hand.
    # On paper the file, its status and why; the path and the hash (for the record) last,
    # not printed.
    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Fil", 20, fit=True),
               _Col("Status", 18), _Col("Erstattet av", 24, fit=True),
               _Col("Årsak", 50), _Col("Feil", 7, "number"), _Col("Advarsler", 10, "number"),
               _Col("Lagret", 16, "datetime"), _Col("Sendt", 16, "datetime"),
               _Col("Avsender", 20, fit=True), _Col("Emne", 30), _Col("År", 7, "number"),
               _Col("Malversjon", 10), _Col("SHA-256", 24, wrap=False),
               _Col("Sti", 40, wrap=False)]
    region_name = _region_namer(result)
    rows = [[sub.region, region_name(sub), sub.path.name, sub.status,
             sub.superseded_by.name if sub.superseded_by else None,
             # why a file is not used, unless another file replaced it
             None if sub.included or sub.superseded_by else sub.reason(),
             sub.errors, sub.warnings, sub.saved_at, sub.sent_at,
             sub.report.mail.sender if sub.report.mail else None,
             sub.report.mail.subject if sub.report.mail else None,
             sub.year, sub.report.template_version, sub.sha256, str(sub.path)]
            for sub in result.submissions]
    _table(ws, fmt, "tblInnsendinger", columns, rows, empty="Ingen filer funnet.",
           unprinted=2,
           title=("Innsendinger – alle filer som er lest",
                  f"{fmt.as_of}. Hvilken fil som er brukt for hver region, og hvorfor de andre "
                  "ikke er det."))

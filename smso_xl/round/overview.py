"""Writes the national overview workbook (SPEC §6) from a :class:`Consolidation`.

One private function per sheet. Everything a region typed goes through ``_put``, which writes
text with ``write_string`` only: text starting with ``=``, ``+``, ``-`` or ``@`` stays text,
because the inputs came by e-mail and the coordinator opens this file. The only formulas in
the workbook are our own totals on ``Oversikt``, written with their true cached values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook as XlsxWorkbook
from xlsxwriter.worksheet import Worksheet

from ..base.batch import paused_gc
from ..base.cells import a1_range
from ..base.fileio import atomic_output
from ..base.findings import ERROR, SEVERITY_LABELS, WARNING
from ..base.formats import ERROR_FILL, HEADER_FILL, OK_FILL, WARNING_FILL, set_up_page
from ..template.definition import Column, Figure, Role, Sheet, Template
from ..template.kinds import is_input, kind_of
from ..template.rules import PlanRow
from ..template.values import fold, format_date
from ..workbook.writer import DATE_FORMAT
from .compare import ADDED, CHANGED, REMOVED, Comparison, completed_since
from .consolidation import (
    NO_STATUS,
    NOT_RECEIVED,
    RECEIVED,
    RECEIVED_WITH_ERRORS,
    RECEIVED_WRONG_FORMAT,
    UNREADABLE_FILE,
    Consolidation,
    RegionSummary,
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
MAX_CELL_TEXT = 32767  # Excel's limit; longer text is cut with "…" rather than refused
NO_STATUS_COLOUR, OTHER_STATUS_COLOUR = "#E7E6E6", "#A5A5A5"
CHART_FONT = {"size": 11}
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
    "shared": {"bg_color": "#FFEB9C", "bold": True},  # a region whose plan another sent too
}
NUM_FORMATS = {"date": DATE_FORMAT, "datetime": "dd.mm.yyyy hh:mm", "count": "#,##0",
               "percent": "0 %", "number": "General", "text": "@"}
_FORMAT_NAMES = {shown: name for name, shown in NUM_FORMATS.items()}


@dataclass(frozen=True)
class _Col:
    header: str
    width: float = 14
    kind: str = "text"  # text | date | datetime | number | count | percent | a number format
    wrap: bool = True   # False for file names and hashes: one line, cut off at the border
    colour: bool = False  # the value picks its own fill (_Formats.fills): levels, assessments
    fit: bool = False     # as wide as its longest value (file names): never cut off


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
        book = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        with warnings.catch_warnings():
            # xlsxwriter warns and carries on (a cut string, a bad range); here that is a bug.
            warnings.simplefilter("error")
            template = result.template
            year = f" {result.year}" if result.year else ""
            fmt = _Formats(book, _value_fills(template), f"Nasjonal oversikt{year}")
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
            book.close()
    return out


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

    def __init__(self, book: XlsxWorkbook, fills: dict[str, str], page_title: str) -> None:
        self._book = book
        self.fills = fills
        self.page_title = page_title  # on every printed page
        self._cache: dict[tuple[str, str | None, bool], Any] = {}
        self.header = book.add_format({"bold": True, "font_color": "#FFFFFF", "valign": "top",
                                       "bg_color": HEADER_FILL, "border": 1, "text_wrap": True})
        self.title = book.add_format({"bold": True, "font_size": 16, "font_color": HEADER_FILL})
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
    if value.__class__ is str and value and len(value) <= MAX_CELL_TEXT:  # type: ignore[arg-type]
        ws.write_string(row, col, value, cell_format)  # most cells: checked first
        return
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        if moment.tzinfo:
            moment = moment.astimezone().replace(tzinfo=None)  # the coordinator's clock
        if moment.date() < EXCEL_FIRST_DAY:  # no Excel serial: it would show as ####
            ws.write_string(row, col, format_date(moment.date()), cell_format)
        else:
            ws.write_datetime(row, col, moment, cell_format)
    elif (isinstance(value, int | float) and not isinstance(value, bool)
          and math.isfinite(value)):
        ws.write_number(row, col, value, cell_format)
    else:
        text = str(value)
        if len(text) > MAX_CELL_TEXT:
            text = text[:MAX_CELL_TEXT - 1] + "…"
        ws.write_string(row, col, text, cell_format)


def _lines(text: str, width: float) -> int:
    """How many lines wrapped text takes in a column ``width`` characters wide (roughly)."""
    per_line = max(width * 1.05, 1)
    if len(text) <= per_line and "\n" not in text:
        return 1  # most cells: one line, no need to split
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _print_setup(ws: Worksheet, fmt: _Formats, widths: Sequence[float], *,
                 header_row: int | None = None, key_columns: int = 2) -> None:
    """Each row keeps its region beside it across pages (``key_columns``)."""
    set_up_page(ws, fmt.page_title, widths, header_row=header_row, key_columns=key_columns)


def _table(ws: Worksheet, fmt: _Formats, name: str, columns: Sequence[_Col],
           rows: Sequence[Sequence[object]], *, empty: str, first_row: int = 0,
           red: Sequence[Collection[int]] = (), key_columns: int = 2,
           unprinted: int = 0) -> None:
    """An Excel Table with a filter at ``first_row``; ``red[i]`` are the columns of row ``i``
    shown red (overdue). An empty list still makes a valid table: one row whose first cell
    says so (``empty``). A table at the top of its sheet gets the data-sheet setup: the
    first ``key_columns`` on every page across, the last ``unprinted`` columns (where a row
    came from) not printed."""
    columns = [dataclasses.replace(c, width=_fitted([str(r[i]) for r in rows if r[i]], c.width,
                                                    MAX_FITTED if c.wrap else MAX_ONE_LINE))
               if c.fit else c for i, c in enumerate(columns)]
    last = first_row + max(len(rows), 1)
    ws.add_table(first_row, 0, last, len(columns) - 1, {
        "name": name, "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": c.header, "header_format": fmt.header} for c in columns]})
    for index, column in enumerate(columns):
        ws.set_column(index, index, column.width)
    # A header longer than its column wraps; its row grows to show it (Kontakter's labels).
    header_lines = max((_lines(c.header, c.width * 0.8) for c in columns), default=1)
    if header_lines > 1:
        ws.set_row(first_row, 15.0 * header_lines)
    if not rows:
        ws.write_string(first_row + 1, 0, empty, fmt.cell("text", "note"))
    # Per column, once per table (a table has up to a million cells): the format without a
    # style, made on first use as before (the order formats are made in numbers them in the
    # file), and the length from which text may wrap to a second line.
    plain: list[Any] = [None] * len(columns)
    one_line = [max(column.width * 1.05, 1) for column in columns]
    for offset, values in enumerate(rows, start=1):
        marked = red[offset - 1] if red else ()
        row = first_row + offset
        lines = 1
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            style = ("red" if index in marked else
                     str(value) if column.colour and str(value) in fmt.fills else None)
            if style is None:
                cell_format = plain[index]
                if cell_format is None:
                    cell_format = plain[index] = fmt.cell(column.kind, None, column.wrap)
            else:
                cell_format = fmt.cell(column.kind, style, column.wrap)
            _put(ws, row, index, value, cell_format)
            # Excel and LibreOffice keep a stored row height; neither fits it to wrapped
            # text on opening a generated file, so the height is set here from the text.
            if (column.wrap and isinstance(value, str)
                    and (len(value) > one_line[index] or "\n" in value)):
                lines = max(lines, _lines(value, column.width))
        if lines > 1:
            ws.set_row(row, min(15.0 * lines, 409))
    if first_row == 0:
        ws.freeze_panes(1, 2)
        printed = columns[:len(columns) - unprinted]
        ws.print_area(0, 0, last, len(printed) - 1)
        _print_setup(ws, fmt, [c.width for c in printed], header_row=0,
                     key_columns=key_columns)


def _region_name(result: Consolidation, sub: Submission) -> str:
    """The name from the region list; the workbook's own for a region not on it."""
    known = next((s.region.name for s in result.regions if s.region.code == sub.region), None)
    return known or (sub.identity.region_name if sub.identity else "")


def _region_namer(result: Consolidation) -> Callable[[Submission], str]:
    """:func:`_region_name` for a sheet of thousands of rows: the list is looked up once."""
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
# Innsendinger. Fil is as wide as the longest name (_fitted).
_SUMMARY_HEAD = (_Col("Region", 8), _Col("Navn", 18), _Col("Status", 20),
                 _Col("Dato mottatt", 11, "date"), _Col("Fil", 30, wrap=False))
_NAME_COL, _STATUS_COL, _FILE_COL = 1, 2, 4
_SUMMARY_TAIL = (_Col("Feil", 7, "count"), _Col("Advarsler", 10, "count"))
_HEADER_ROW = 3


# With the previous round (consolidate --previous): what moved since, per region.
_PROGRESS = (_Col("Fullført siden sist", 10, "count"), _Col("Frister flyttet", 9, "count"),
             _Col("Rader fjernet", 9, "count"))


def _summary_columns(result: Consolidation, changes: Comparison | None) -> tuple[_Col, ...]:
    figures = tuple(_Col(f.label, f.width, "percent" if f.share else "count")
                    for f in result.template.figures)
    head = list(_SUMMARY_HEAD)
    names = [s.file.path.name for s in result.regions if s.file is not None]
    head[_FILE_COL] = dataclasses.replace(
        head[_FILE_COL], width=_fitted(names, head[_FILE_COL].width, MAX_ONE_LINE))
    return (*head, *figures, *_SUMMARY_TAIL, *(_PROGRESS if changes else ()))


def _fitted(texts: Sequence[str], minimum: float, maximum: float = MAX_FITTED) -> float:
    """A column wide enough for the longest of ``texts`` on one line (within bounds)."""
    return min(max([minimum, *(len(t) * 1.1 + 2 for t in texts)]), maximum)


def _progress(changes: Comparison, code: str) -> list[object]:
    """Actions completed, deadlines moved and rows removed since the previous round."""
    region = next((r for r in changes.regions if r.code == code), None)
    if region is None or region.old is None or region.new is None:
        return [None] * len(_PROGRESS)
    template = changes.template
    return [region.count(lambda c: completed_since(template, c)),
            region.count(lambda c: bool(c.days)),
            region.count(lambda c: c.change == REMOVED)]


def _counted(summary: RegionSummary) -> bool:
    """Its figures count: the region sent a plan and it was included."""
    return summary.submission is not None and summary.submission.included


def _oversikt(book: XlsxWorkbook, ws: Worksheet, result: Consolidation, fmt: _Formats,
              changes: Comparison | None) -> None:
    year = f" {result.year}" if result.year else ""
    ws.write_string(0, 0, f"SMSØ – nasjonal oversikt over lokale handlingsplaner{year}", fmt.title)
    ws.write_string(1, 0, f"Per {format_date(result.today)}. {regions_in_words(result)} "
                    "Forfalt = mål, tiltak og risikoer med frist før denne datoen og status "
                    "ikke Fullført eller Avlyst (arket Frister viser også oppfølgingen av "
                    "egenvurderingen).", fmt.plain)
    columns, figures = _summary_columns(result, changes), result.template.figures
    for index, column in enumerate(columns):
        ws.set_column(index, index, column.width)
        ws.write_string(_HEADER_ROW, index, column.header, fmt.header)
    ws.set_row(_HEADER_ROW, 45)
    _shared_note(ws, result, fmt)
    first = _HEADER_ROW + 1
    written: list[list[object]] = []
    for row, summary in enumerate(result.regions, start=first):
        sub = summary.file
        numbers = ([summary.figure(f) for f in figures] if _counted(summary)
                   else [None] * len(figures))
        values = [summary.region.code, summary.region.name, summary.status,
                  summary.received_on, sub.path.name if sub else None,
                  *numbers, sub.errors if sub else None, sub.warnings if sub else None,
                  *(_progress(changes, summary.region.code) if changes else ())]
        shared = result.shares_rows_with(summary.region.code)
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            style = (summary.status if index == _STATUS_COL
                     else "shared" if index == _NAME_COL and shared
                     else "grey" if summary.submission is None else None)
            _put(ws, row, index, value, fmt.cell(column.kind, style, wrap=False))
        if shared:
            ws.write_comment(row, _NAME_COL, "Samme mål og tiltak som " + ", ".join(
                shared) + " (se Avvik): Totalt teller dem én gang.", {"x_scale": 1.5})
        written.append(values)
    last = first + len(result.regions) - 1
    if result.regions:
        _totals(ws, result, fmt, first, last, columns, written)
    _charts(book, ws, result, fmt, last + 3, columns)
    ws.hide_gridlines(2)
    # (no repeated header: the pages after the first hold the charts' data, under their own)
    _print_setup(ws, fmt, [c.width for c in columns])


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
    """SUM formulas that Excel recalculates, with the values computed here as their cache:
    viewers that do not recalculate (LibreOffice by default, mail previews) show the truth.
    Rows that two regions sent alike are counted once: the formula subtracts them."""
    row, total = last + 1, fmt.cell("count", "total")
    counted = [s for s in result.regions if _counted(s)]
    seen = [s.submission for s in result.regions if s.submission is not None]
    figures = result.template.figures
    at = {f.key: len(_SUMMARY_HEAD) + i for i, f in enumerate(figures)}  # figure → column
    twice = result.counted_twice()
    key_at = {col: key for key, col in at.items()}

    def rng(col: int) -> str:  # 0-based column → its A1 range over the region rows
        return a1_range(first + 1, col + 1, last + 1, col + 1)

    for col, column in enumerate(columns):
        ws.write_blank(row, col, None, fmt.cell(column.kind, "total"))
    ws.write_string(row, 0, "Totalt", fmt.cell("text", "total"))
    # The regions whose plan came, as the sentence above the table counts them.
    ws.write_formula(row, _STATUS_COL, "=" + "+".join(
        f'COUNTIF({rng(_STATUS_COL)},"{status}")' for status in (RECEIVED, RECEIVED_WITH_ERRORS)),
        total, len(seen))
    shares = {at[f.key]: f for f in figures if f.share}
    for col in range(len(_SUMMARY_HEAD), len(columns)):
        if col in shares:
            _share_total(ws, fmt, shares[col], figures, counted, at, rng, row,
                         twice.get(shares[col].key, (0, 0)))
            continue
        value = sum(v for values in written if isinstance(v := values[col], int | float))
        less = twice.get(key_at.get(col, ""), (0, 0))[0]
        minus = f"-{_formula_number(less)}" if less else ""
        ws.write_formula(row, col, f"=SUM({rng(col)}){minus}", total, value - less)


def _share_total(ws: Worksheet, fmt: _Formats, figure: Figure, figures: Sequence[Figure],
                 counted: list[RegionSummary], at: dict[str, int], rng: Callable[[int], str],
                 row: int, twice: tuple[float, int]) -> None:
    """The national share: the regions' shares weighted by their rows, the rows two regions
    sent alike (``twice``: how many of them count, of how many) once. Where Oversikt has
    the row counts it stands on (one plain row-count figure per sheet of the share), Excel
    recomputes it from them; otherwise it is the number itself."""
    rows = sum(s.totals.get(figure.key, 0) for s in counted) - twice[1]
    value: object = (sum(s.figures.get(figure.key, 0) for s in counted) - twice[0]) / rows \
        if rows else ""
    counts = [f for f in figures if f.measure == "rows" and not f.where
              and len(f.sheets) == 1 and f.sheets[0] in figure.sheets]
    cell_format, col = fmt.cell("percent", "total"), at[figure.key]
    if sorted(f.sheets[0] for f in counts) != sorted(figure.sheets):
        _put(ws, row, col, value, cell_format)
        return
    weights = "+".join(rng(at[f.key]) for f in counts)
    sums = "+".join(f"SUM({rng(at[f.key])})" for f in counts)
    owned = f"SUMPRODUCT({rng(col)},{weights})"
    if twice[1]:
        owned, sums = f"({owned}-{_formula_number(twice[0])})", f"{sums}-{twice[1]}"
    ws.write_formula(row, col, f'=IFERROR({owned}/({sums}),"")', cell_format, value)


def _party_hours(result: Consolidation) -> list[tuple[str, float]]:
    """The hours of participating parties (Parter: ``Timer per år``), summed by party over
    the chosen submissions, largest first."""
    template = result.template
    parties = template.sheet_by_role(Role.PARTIES)
    stand, hours_key = parties.key_of(Role.STAND) or "", parties.key_of(Role.HOURS) or ""
    title = parties.key_of(Role.TITLE) or ""
    hours: dict[str, float] = {}
    for _, plan_row in result.rows(parties.name):
        if plan_row.values.get(stand) not in template.participating:
            continue
        value = plan_row.values.get(hours_key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            name = str(plan_row.shown(title) or "(uten navn)")
            hours[name] = hours.get(name, 0) + value
    ranked = sorted(hours.items(), key=lambda item: (-item[1], fold(item[0])))
    return ranked or [("Ingen timer oppgitt", 0)]


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


def _charts(book: XlsxWorkbook, ws: Worksheet, result: Consolidation, fmt: _Formats,
            row: int, columns: Sequence[_Col]) -> None:
    """Side by side under the table: actions by status per region, and hours per party."""
    template = result.template
    status = template.sheet_by_role(Role.ACTIONS).by_role(Role.STATUS)
    known = template.vocabularies[status.list or ""] if status else ()
    found = {status for s in result.regions for status in s.status_counts}
    statuses = [*known, *sorted(found - {*known, NO_STATUS}), NO_STATUS]
    colours = {**template.status_colours, NO_STATUS: NO_STATUS_COLOUR}
    first, last = _chart_data(
        ws, fmt, row + 19, "Tiltak per region og status (data til diagrammene)",
        ["Region", "Navn", *statuses],
        [[s.region.code, s.region.name,
          *(s.status_counts.get(k, 0) if _counted(s) else None for k in statuses)]
         for s in result.regions])
    column = book.add_chart({"type": "column", "subtype": "stacked"})
    for index, status in enumerate(statuses, start=2):
        column.add_series({
            "name": ["Oversikt", first - 1, index],
            "categories": ["Oversikt", first, 1, last, 1],
            "values": ["Oversikt", first, index, last, index],
            "fill": {"color": colours.get(status, OTHER_STATUS_COLOUR)},
            "border": {"color": "#FFFFFF"}, "gap": 60})
    column.set_title({"name": "Tiltak per region og status", "name_font": {"size": 12}})
    # Chart text at 11 pt, as the cells: at the page's 80 % it still prints at 8.8 pt.
    column.set_legend({"position": "bottom", "font": CHART_FONT})
    column.set_x_axis({"num_font": CHART_FONT})
    highest = max((sum(s.status_counts.values()) for s in result.regions), default=0)
    column.set_y_axis({"name": "Antall tiltak", "min": 0, "num_format": "0",
                       "num_font": CHART_FONT, "name_font": CHART_FONT,
                       "major_unit": max(1, math.ceil(highest / 8))})
    parties = template.sheet_by_role(Role.PARTIES)
    party, hours = (parties.by_role(role) for role in (Role.TITLE, Role.HOURS))
    assert party is not None and hours is not None, "the parties sheet names parties and hours"
    first, last = _chart_data(ws, fmt, last + 2, f"{hours.header} per {party.header.lower()}",
                              ["", party.header, hours.header],
                              [[None, name, total] for name, total in _party_hours(result)])
    bar = book.add_chart({"type": "bar"})
    bar.add_series({"name": hours.header, "categories": ["Oversikt", first, 1, last, 1],
                    "values": ["Oversikt", first, 2, last, 2],
                    "fill": {"color": HEADER_FILL}, "gap": 50})
    bar.set_title({"name": "Timer per år som partene har satt av", "name_font": {"size": 12}})
    bar.set_legend({"none": True})
    # In a bar chart the y axis holds the categories: largest party on top, values below.
    bar.set_y_axis({"reverse": True, "crossing": "max", "num_font": CHART_FONT})
    bar.set_x_axis({"min": 0, "num_format": "#,##0", "num_font": CHART_FONT})
    width = sum(int(c.width * 7 + 5) for c in columns) // 2  # xlsxwriter's column pixels
    for index, chart in enumerate((column, bar)):
        chart.set_size({"width": width - 10, "height": 340})
        ws.insert_chart(row, 0, chart, {"x_offset": index * width + 2, "y_offset": 4,
                                        "object_position": 3})


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
           unprinted=1)  # the address book on paper: not the file


# --- the table sheets: one row per filled row -------------------------------------------


def _plan_sheet(ws: Worksheet, result: Consolidation, sheet: Sheet, fmt: _Formats) -> None:
    pairs = result.rows(sheet.name)
    with_extras = any(row.extra for _, row in pairs)
    columns = [_Col("Region", 8), _Col("Regionnavn", 16),
               *(_Col(c.header, min(c.width, MAX_WIDTH), _column_kind(c),
                      colour=c.role == Role.RISK_LEVEL) for c in sheet.columns),
               *([_Col("Egne kolonner", 30)] if with_extras else []),
               _Col("Kildefil", 30, wrap=False, fit=True), _Col("Kildeark", 14),
               _Col("Kilderad", 8, "number")]
    deadline = sheet.key_of(Role.DEADLINE)
    marked = 2 + [c.key for c in sheet.columns].index(deadline) if deadline else -1
    region_name = _region_namer(result)
    rows = [[sub.region, region_name(sub),
             *(plan_row.shown(c.key) for c in sheet.columns),
             *([_extras(plan_row)] if with_extras else []),
             sub.path.name, plan_row.sheet, plan_row.row] for sub, plan_row in pairs]
    red = [{marked} if is_overdue(result, r) else set() for _, r in pairs]
    # On paper: the region and the row's ID (or name) on every page; not where it came from.
    _table(ws, fmt, sheet.table or f"tbl{sheet.name}", columns, rows, red=red,
           empty=f"Ingen {sheet.plural} i de innsendte planene.", key_columns=3,
           unprinted=3)


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
    ws.write_string(0, 0, f"{sheet.name} – regioner × kriterier", fmt.title)
    for index, header in enumerate(["Region", "Regionnavn"]):
        ws.write_string(2, index, header, fmt.header)
    for index, text in enumerate(criteria, start=1):
        ws.write_string(2, index + 1, f"K{index}", fmt.header)
        ws.write_comment(2, index + 1, text, {"x_scale": 2, "y_scale": 1.2})
    grid: dict[str, dict[str, object]] = {}
    for sub, plan_row in pairs:
        if number := _criterion_number(result, plan_row):
            grid.setdefault(sub.region or "", {})[number] = plan_row.shown(assessment.key)
    received = [s for s in result.regions if _counted(s)]
    row = 3
    for summary in received:
        ws.write_string(row, 0, summary.region.code, fmt.cell())
        ws.write_string(row, 1, summary.region.name, fmt.cell())
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
    ws.freeze_panes(0, 2)  # two blocks with their own headers: keep the region in view
    _print_setup(ws, fmt, widths)


# The width of each criterion's column of the matrix, and so of the detail table's columns
# beneath it: one width for all, or the matrix looks uneven (its K5 and K6 were wide).
_MATRIX_WIDTH = 16


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
    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Nr", 13),
               *(_Col(c.header, _MATRIX_WIDTH, _column_kind(c), colour=c.role == Role.ASSESSMENT)
                 for c in shown),
               _Col("Kildeark", 14), _Col("Kilderad", 14, "number"),
               *(_Col(c.header, 48) for c in title),
               _Col("Kildefil", 24, wrap=False, fit=True),
               *([_Col("Egne kolonner", 30)] if with_extras else [])]
    beneath = range(2, 2 + len(result.template.criteria))
    columns = [dataclasses.replace(c, width=_MATRIX_WIDTH, wrap=True, fit=False)
               if i in beneath else c for i, c in enumerate(columns)]
    deadline = next((3 + i for i, c in enumerate(shown) if c.role == Role.DEADLINE), -1)
    region_name = _region_namer(result)
    rows = [[sub.region, region_name(sub), _criterion_number(result, r),
             *(r.shown(c.key) for c in shown), r.sheet, r.row,
             *(r.shown(c.key) for c in title), sub.path.name,
             *([_extras(r)] if with_extras else [])] for sub, r in pairs]
    red = [{deadline} if is_overdue(result, r) else set() for _, r in pairs]
    _table(ws, fmt, sheet.table or f"tbl{sheet.name}", columns, rows, first_row=row, red=red,
           empty=f"Ingen {sheet.plural} i de innsendte planene.")
    return [c.width for c in columns]


# --- Frister, Avvik, Innsendinger --------------------------------------------------------


def _frister(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    template, today = result.template, result.today
    yes, no = template.yes_no
    horizon = today + dt.timedelta(days=DUE_WITHIN_DAYS)
    found: list[tuple[dt.date, int, list[object]]] = []
    region_name = _region_namer(result)
    sheets = [s for s in template.tables if s.key_of(Role.DEADLINE)]
    for order, sheet in enumerate(sheets):
        deadline_key = sheet.key_of(Role.DEADLINE) or ""
        status_key, ident_key = sheet.key_of(Role.STATUS) or "", sheet.key_of(Role.ID) or ""
        what_key, owner_key = sheet.key_of(Role.TITLE) or "", sheet.key_of(Role.OWNER) or ""
        for sub, r in result.rows(sheet.name):
            deadline = r.values.get(deadline_key)
            if (not isinstance(deadline, dt.date) or template.is_done(r.values.get(status_key))
                    or deadline > horizon):
                continue
            ident = r.shown(ident_key) if ident_key else _criterion_number(result, r)
            found.append((deadline, order, [
                sub.region, region_name(sub), sheet.name, ident, r.shown(what_key),
                r.shown(owner_key), deadline, r.shown(status_key), (deadline - today).days,
                yes if deadline < today else no, sub.path.name, r.sheet, r.row]))
    found.sort(key=lambda item: (item[0], item[1]))  # stable: region order within a day
    def header(role: Role) -> str:
        return _actions_header(template, role)

    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Ark", 14),
               _Col(header(Role.ID), 7), _Col("Hva", 44), _Col(header(Role.OWNER), 22),
               _Col(header(Role.DEADLINE), 12, "date"), _Col(header(Role.STATUS), 13),
               _Col("Dager", 8, "number"), _Col("Forfalt", 9),
               _Col("Kildefil", 30, wrap=False, fit=True), _Col("Kildeark", 14),
               _Col("Kilderad", 8, "number")]
    rows = [values for _, _, values in found]
    red = [range(len(columns)) if values[9] == yes else () for values in rows]
    _table(ws, fmt, "tblFrister", columns, rows, red=red, unprinted=3,
           empty=f"Ingen frister som er passert eller kommer innen {DUE_WITHIN_DAYS} dager.")


def _actions_header(template: Template, role: Role) -> str:
    """A column of the overview's own named as on the actions sheet (ID, Frist, Status …)."""
    column = template.sheet_by_role(Role.ACTIONS).by_role(role)
    return column.header if column else role


def _endringer(ws: Worksheet, result: Consolidation, changes: Comparison,
               fmt: _Formats) -> None:
    """One row per change since the previous round, as ``smso-xl compare`` lists them."""
    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("Ark", 14),
               _Col(_actions_header(result.template, Role.ID), 12), _Col("Endring", 16),
               _Col("Felt", 18), _Col("Før", 30), _Col("Nå", 30),
               _Col("Dager", 8, "number"), _Col("Forrige fil", 28, wrap=False, fit=True),
               _Col("Ny fil", 28, wrap=False, fit=True)]
    rows = []
    for region, change in changes.changes:
        word = (ROLE_CHANGE_WORDS.get(change.role or "", CHANGE_WORDS[change.change])
                if change.change == CHANGED else CHANGE_WORDS[change.change])
        rows.append([region.code, region.name, change.sheet, change.id, word, change.field,
                     _as_text(change.old), _as_text(change.new), change.days,
                     region.old.name if region.old else None,
                     region.new.name if region.new else None])
    red = [{4, 8} if (change.days or 0) > 0 else set() for _, change in changes.changes]
    _table(ws, fmt, "tblEndringer", columns, rows, red=red,
           empty="Ingen endringer siden forrige runde.")


def _as_text(value: object) -> object:
    """Before and after share a column: a date there is written as the region wrote it."""
    return format_date(value) if isinstance(value, dt.date) else value


def _avvik(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    columns = [_Col("Region", 8), _Col("Fil", 20, wrap=False, fit=True),
               _Col("Alvorlighet", 12, colour=True),
               _Col("Kode", 22), _Col("Ark", 14), _Col("Celle", 8), _Col("Kolonne", 18),
               _Col("Verdi", 20), _Col("Melding", 70), _Col("Innsending", 18)]
    rows = [[sub.region if sub else None,
             Path(f.file).name if f.file else (sub.path.name if sub else None),
             SEVERITY_LABELS.get(f.severity, f.severity), f.code, f.sheet, f.cell, f.column,
             f.value, f.message, sub.status if sub else None]
            for sub, f in result.all_findings()]
    _table(ws, fmt, "tblAvvik", columns, rows, empty="Ingen avvik funnet.")


def _innsendinger(ws: Worksheet, result: Consolidation, fmt: _Formats) -> None:
    # Avsender, Emne and Sendt come from the manifest of ``smso-xl collect``; empty for a
    # file saved by hand.
    columns = [_Col("Region", 8), _Col("Regionnavn", 16), _Col("År", 7, "number"),
               _Col("Fil", 20, wrap=False, fit=True), _Col("Sti", 40, wrap=False),
               _Col("Lagret", 16, "datetime"), _Col("Sendt", 16, "datetime"),
               _Col("Avsender", 20, wrap=False, fit=True), _Col("Emne", 30),
               _Col("SHA-256", 24, wrap=False),
               _Col("Malversjon", 10), _Col("Status", 18),
               _Col("Erstattet av", 30, wrap=False, fit=True), _Col("Feil", 7, "number"),
               _Col("Advarsler", 10, "number"), _Col("Årsak", 50)]
    rows = [[sub.region, _region_name(result, sub), sub.year, sub.path.name, str(sub.path),
             sub.saved_at, sub.sent_at, sub.report.mail.sender if sub.report.mail else None,
             sub.report.mail.subject if sub.report.mail else None,
             sub.sha256, sub.report.template_version, sub.status,
             sub.superseded_by.name if sub.superseded_by else None, sub.errors, sub.warnings,
             # why a file is not used, unless another file replaced it
             None if sub.included or sub.superseded_by else sub.reason()]
            for sub in result.submissions]
    _table(ws, fmt, "tblInnsendinger", columns, rows, empty="Ingen filer funnet.")

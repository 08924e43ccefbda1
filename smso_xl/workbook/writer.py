"""Writes one regional action-plan workbook with xlsxwriter, entirely from the template
definition: one private function per Excel feature (form, tables, validations, conditional
formats, self-check, lists, metadata, print setup)."""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook as XlsxWorkbook
from xlsxwriter.worksheet import Worksheet

from ..base.cells import a1, a1_range, sheet_ref
from ..base.formats import (
    ERROR_FILL,
    ERROR_TEXT,
    FONT_NAME,
    FONT_SIZE,
    HEADER_FILL,
    INPUT_FILL,
    LEGEND,
    LOCKED_FILL,
    OK_FILL,
    OK_TEXT,
    OVERDUE_TEXT,
    set_up_page,
)
from ..template import formulas as words
from ..template.config import Party, Region, Settings
from ..template.definition import Column, Role, Sheet, Template, load_yaml
from ..template.kinds import DATE_FORMAT, filled_by, kind_of, list_name
from ..template.model import (
    FORM_FIRST_ROW,
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    IDENTITY_KEYS,
    PROPERTY_PREFIX,
    TABLE_HEADER_ROW,
)
from ..template.prefill import LEFTOVERS_SHEET, STATUS_ROUND, Carried, highest_ids, next_ids
from ..template.values import fold, format_date
from . import forankring, layout, selfcheck
from .filled import col_letter as _col_letter
from .filled import filled_formula as _filled_formula
from .filled import is_filled as _is_filled

# Colours (formats.LEGEND): yellow = type here, grey = given or computed, red = missing or
# refused, green = in order.
MISSING_FILL, MISSING_TEXT = ERROR_FILL, ERROR_TEXT
# What a protected sheet still lets the region do: add rows and columns, filter, sort, format.
PROTECTION = {"insert_rows": True, "insert_columns": True, "format_cells": True,
              "format_columns": True, "format_rows": True, "autofilter": True, "sort": True,
              "select_locked_cells": True, "select_unlocked_cells": True}


def protects_table(sheet: Sheet) -> bool:
    """Whether a table sheet is protected: only one whose rows are fixed (the criteria).

    Where the region adds rows, protection blocked real work: LibreOffice refuses to insert or
    delete rows across locked ID cells, to type below the Table, to sort or merge, whatever
    PROTECTION allows, and Excel sorts no range holding a locked cell. Regions then removed
    the protection anyway. The validator reads such edits (docs/regions.md), and the grey
    fill still shows which cells are given."""
    return sheet.prefill == "criteria"


@dataclass(frozen=True)
class PlanContext:
    """Everything that makes one region's workbook different from another's."""

    template: Template
    region: Region
    year: int
    parties: tuple[Party, ...]
    settings: Settings
    return_date: dt.date
    file_id: str
    generated_at: dt.datetime
    generator_version: str
    carried: Carried | None = None   # last round's plan, for ``generate --from``
    issued: tuple[str, ...] = ()     # IDs given before, when regenerating a file (feedback)

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return self.template.period(self.year)

    @property
    def round_note(self) -> str:
        """« – Statusrunde per 20.09.2027» on a status round's titles: the region sees it
        is not a new plan. Empty otherwise."""
        if self.carried is None or self.carried.round != STATUS_ROUND:
            return ""
        return f" – Statusrunde per {format_date(self.generated_at.astimezone().date())}"

    @property
    def issued_ids(self) -> str:
        """The highest ID per table that earlier rounds gave (Identity.issued_ids)."""
        carried = self.carried
        return highest_ids([*self.issued, *(carried.issued if carried else ()), *(
            str(row.get(sheet.key_of(Role.ID) or "") or "") for sheet in self.template.tables
            for row in (carried.rows.get(sheet.name, ()) if carried else ()))])

    def identity(self) -> dict[str, str]:
        values = {
            "template_id": self.template.id, "template_version": self.template.version,
            "region_code": self.region.code, "region_name": self.region.name,
            "year": str(self.year), "file_id": self.file_id,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "generator_version": self.generator_version,
            "round": str(self.carried.number if self.carried else 1),
            "source_sha256": self.carried.sha256 if self.carried else "",
            "issued_ids": self.issued_ids,
        }
        return {key: values[key] for key in IDENTITY_KEYS}


def prefilled_rows(ctx: PlanContext, sheet: Sheet) -> list[dict[str, object]]:
    """The values the template puts into a table before the region sees it."""
    title = sheet.key_of(Role.TITLE)
    if ctx.carried is not None and sheet.name in ctx.carried.rows:
        return _carried_rows(ctx.carried, sheet, ctx.template.criteria)
    if sheet.prefill == "parties" and title:
        kind = sheet.key_of(Role.PARTY_TYPE) or ""
        return [{title: p.name, kind: p.type} for p in ctx.parties]
    if sheet.prefill == "criteria" and title:
        return [{title: text} for text in ctx.template.criteria]
    # Goals, actions and risks start empty: a row has content only once the region writes
    # it (or last round wrote it), so LibreOffice, which prints down to the last cell with
    # content, prints the filled rows and no empty numbered ones (issue 16).
    return []


def _carried_rows(carried: Carried, sheet: Sheet,
                  criteria: Sequence[str]) -> list[dict[str, object]]:
    """Last round's rows with their IDs; the criteria in the template's order, any the
    template no longer has after them."""
    rows = [dict(row) for row in carried.rows[sheet.name]]
    title, ident = sheet.key_of(Role.TITLE), sheet.key_of(Role.ID)
    if sheet.prefill == "criteria" and title:
        by_text = {fold(str(r.get(title) or "")): r for r in rows}
        ordered = [by_text.pop(fold(text), {title: text}) for text in criteria]
        return ordered + list(by_text.values())
    if sheet.id_prefix and ident:
        taken = [str(r[ident]) for r in rows if r.get(ident)]
        # A row the region added without an ID gets the next one.
        fresh = iter(next_ids(sheet.id_prefix, [*carried.issued, *taken],
                              len(rows) - len(taken)))
        for row in rows:
            if not row.get(ident):
                row[ident] = next(fresh)
    return rows


def data_row_count(ctx: PlanContext, sheet: Sheet) -> int:
    return ctx.template.data_rows(sheet, len(prefilled_rows(ctx, sheet)))


# --- the workbook ----------------------------------------------------------------------------


class _Worksheet(Worksheet):
    """xlsxwriter's worksheet, with the preparation of a formula remembered.

    xlsxwriter prepares every formula (its ``_prepare_formula``: some 30 regular-expression
    substitutions for Excel's newer functions, about 150 for a conditional format's) each
    time it is written. A plan has some 2 500 formulas, the same in every region's workbook
    and row after row of one shape: preparing them was three fifths of writing a workbook.
    The result depends on the formula and on whether the newer functions are expanded only,
    so it is remembered by those two (tests/test_writer.py compares with xlsxwriter's own)."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return _prepared(formula, expand_future_functions or self.use_future_functions)


@functools.lru_cache(maxsize=1 << 15)
def _prepared(formula: str, expand_future_functions: bool) -> str:
    return Worksheet._prepare_formula(_PLAIN_SHEET, formula, expand_future_functions)  # type: ignore[no-any-return]


_PLAIN_SHEET = Worksheet()  # use_future_functions False: the flag is the key's second half


class _Workbook(XlsxWorkbook):
    worksheet_class = _Worksheet


def write_plan(path: Path, ctx: PlanContext) -> None:
    """Write the workbook to ``path`` (the caller makes that atomic)."""
    workbook = _Workbook(str(path), {
        # Regional text must never turn into a formula, link or number.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        # The parts are assembled in memory, not in a temporary file each that is zipped and
        # removed: a quarter of writing a plan. (Each part is dated 1 January 1980 in the
        # zip, Excel's own date, where the temporary files gave 31 January 1980.)
        "in_memory": True,
    })
    fmt = _Formats(workbook, ctx.template)
    sheets = {}
    for sheet in ctx.template.sheets:
        if sheet.hidden and ctx.carried and ctx.carried.leftovers and LEFTOVERS_SHEET not in sheets:
            sheets[LEFTOVERS_SHEET] = workbook.add_worksheet(LEFTOVERS_SHEET)  # last visible
        sheets[sheet.name] = workbook.add_worksheet(sheet.name)
    rows_by_sheet = {s.name: prefilled_rows(ctx, s) for s in ctx.template.tables}
    counts = {s.name: data_row_count(ctx, s) for s in ctx.template.tables}
    checks = _all_checks(ctx, counts)
    # The checks' named helper formulas (template.formulas), each defined once.
    for name, formula in {n: f for check in checks for n, f in check.names.items()}.items():
        workbook.define_name(name, "=" + formula)
    with warnings.catch_warnings():
        # xlsxwriter warns and carries on for many mistakes; in our own writer they are bugs.
        warnings.simplefilter("error")
        for sheet in ctx.template.sheets:
            ws = sheets[sheet.name]
            if sheet.type == "instructions":
                _write_instructions(ws, ctx, fmt)
            elif sheet.type == "form":
                _write_form(ws, sheet, ctx, fmt)
            elif sheet.type == "table":
                _write_table(ws, sheet, ctx, fmt, rows_by_sheet[sheet.name], counts[sheet.name])
                _print_area(workbook, sheet, counts[sheet.name])
            elif sheet.type == "check":
                _write_self_check(ws, ctx, fmt, rows_by_sheet, checks)
            elif sheet.type == "lists":
                lists = ws, _write_lists(workbook, ws, ctx, fmt, rows_by_sheet, counts)
            elif sheet.type == "metadata":
                _write_metadata(ws, ctx, fmt)
            _mark_errors(ws, sheet, checks, fmt)
            _set_visibility(ws, sheet)
        for sheet in ctx.template.sheets_of_type("signing"):  # its helpers go on Lister
            lists = lists[0], forankring.write_signing(
                workbook, sheets[sheet.name], *lists, forankring.Signing(
                    template=ctx.template, sheet=sheet, title=f"{ctx.region.name} {ctx.year}",
                    form=form_values(ctx), rows=rows_by_sheet, data_rows=counts))
        if LEFTOVERS_SHEET in sheets and ctx.carried is not None:
            _write_leftovers(sheets[LEFTOVERS_SHEET], ctx, ctx.carried, fmt)
        sheets[ctx.template.sheets[0].name].activate()
        _set_properties(workbook, ctx)
        workbook.close()


#: The checks of recent workbooks, by what they are made of: every region's are the same.
_CHECKS: dict[tuple[object, ...], tuple[Template, list[selfcheck.Check]]] = {}


def _all_checks(ctx: PlanContext, counts: Mapping[str, int]) -> list[selfcheck.Check]:
    """``selfcheck.all_checks`` for the workbook, made once for all regions alike (the
    template, its tables' sizes, the period and the parties): building the formulas was a
    tenth of writing a workbook. The template is held with them, so that its ``id`` cannot
    be another's."""
    parties = tuple(p.name for p in ctx.parties)
    key = (id(ctx.template), tuple(sorted(counts.items())), ctx.period, parties)
    made = _CHECKS.get(key)
    if made is None or made[0] is not ctx.template:
        if len(_CHECKS) >= 16:
            _CHECKS.clear()
        made = _CHECKS[key] = (ctx.template, selfcheck.all_checks(ctx.template, counts,
                                                                   ctx.period, list(parties)))
    return list(made[1])


class _Formats:
    """The cell formats of a workbook, created once."""

    def __init__(self, wb: XlsxWorkbook, template: Template) -> None:
        base = {"valign": "top", "text_wrap": True, "font_name": FONT_NAME, "font_size": FONT_SIZE}
        border = {"border": 1, "border_color": "#BFBFBF"}
        self.input = wb.add_format({**base, **border, "bg_color": INPUT_FILL, "locked": False})
        self.input_date = wb.add_format({**base, **border, "bg_color": INPUT_FILL,
                                         "locked": False, "num_format": DATE_FORMAT,
                                         "align": "left"})
        self._wb, self._input = wb, {**base, **border, "bg_color": INPUT_FILL, "locked": False}
        self._numbers: dict[str, Any] = {}
        self.locked = wb.add_format({**base, **border, "bg_color": LOCKED_FILL})
        self.locked_date = wb.add_format({**base, **border, "bg_color": LOCKED_FILL,
                                          "num_format": DATE_FORMAT, "align": "left"})
        self.locked_center = wb.add_format({**base, **border, "bg_color": LOCKED_FILL,
                                            "align": "center"})
        self.header = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF",
                                     "bg_color": HEADER_FILL, "border": 1})
        self.label = wb.add_format({**base, "bold": True, **border})
        self.verdict_label = wb.add_format({"font_name": FONT_NAME, "font_size": 18,
                                            "bold": True, "valign": "vcenter"})
        self.verdict = wb.add_format({"font_name": FONT_NAME, "font_size": 18, "bold": True,
                                      "align": "center", "valign": "vcenter", **border,
                                      "bg_color": LOCKED_FILL})
        font = {"font_name": FONT_NAME}
        self.title = wb.add_format({**font, "bold": True, "font_size": 16,
                                    "font_color": HEADER_FILL})
        self.heading = wb.add_format({**font, "bold": True, "font_size": 13,
                                      "font_color": HEADER_FILL, "valign": "bottom"})
        self.text = wb.add_format({**base})
        self.missing = wb.add_format({"bg_color": MISSING_FILL, "font_color": MISSING_TEXT})
        self.overdue = wb.add_format({"font_color": OVERDUE_TEXT, "bold": True})
        self.ok = wb.add_format({"bg_color": OK_FILL, "font_color": OK_TEXT})
        self.risk = {level: wb.add_format({"bg_color": fill})
                     for level, fill in template.risk_colours.items()}
        # The legend's swatches (formats.LEGEND), and one for the risk levels' colours.
        self.swatch = {entry.style: wb.add_format(
            {**font, **border, "bold": entry.fill is None, "align": "center",
             **({"bg_color": entry.fill} if entry.fill else {}),
             **({"font_color": entry.font} if entry.font else {})}) for entry in LEGEND}
        self.swatch["risk"] = wb.add_format({**border,
                                             "bg_color": template.risk_bands[0].colour})

    def input_number(self, number_format: str) -> Any:
        if number_format not in self._numbers:
            self._numbers[number_format] = self._wb.add_format(
                {**self._input, "num_format": number_format})
        return self._numbers[number_format]

    def cell(self, column: Column, locked: bool) -> Any:
        number_format = kind_of(column).number_format(column)
        if number_format == DATE_FORMAT:
            return self.locked_date if locked else self.input_date
        if locked:
            return self.locked
        return self.input if number_format is None else self.input_number(number_format)


def _print_setup(ws: Worksheet, ctx: PlanContext, widths: Sequence[float], *,
                 repeat_header: bool = False, key_columns: int = 0,
                 scale: int | None = None) -> None:
    set_up_page(ws, f"{ctx.region.name} {ctx.year}", widths,
                header_row=TABLE_HEADER_ROW - 1 if repeat_header else None,
                key_columns=key_columns, scale=scale)


def _set_visibility(ws: Worksheet, sheet: Sheet) -> None:
    if sheet.hidden == "very":
        ws.very_hidden()
    elif sheet.hidden == "hidden":
        ws.hide()


# --- Veiledning ------------------------------------------------------------------------------


def _placeholders(ctx: PlanContext) -> dict[str, str]:
    start, end = ctx.period
    return {
        "region": ctx.region.name, "year": str(ctx.year), "period_start": format_date(start),
        "period_end": format_date(end), "return_date": format_date(ctx.return_date),
        "coordinator_name": ctx.settings.coordinator_name,
        "coordinator_email": ctx.settings.coordinator_email,
        "template_version": ctx.template.version,
    }


@functools.cache
def _guide() -> Mapping[str, Any]:
    """The instructions sheet's text (read only): parsed once, not once per workbook."""
    return load_yaml("veiledning.yaml")  # type: ignore[no-any-return]


def _write_instructions(ws: Worksheet, ctx: PlanContext, fmt: _Formats) -> None:
    guide = _guide()
    values = _placeholders(ctx)
    width = 142  # across the page at the scale below: fewer lines, one page
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, width)
    ws.hide_gridlines(2)
    ws.write_string(0, 1, guide["title"].format(**values) + ctx.round_note, fmt.title)
    ws.set_row(0, 24)
    ws.set_row(1, 8)
    row = 2
    for section in guide["sections"]:
        ws.write_string(row, 1, section["heading"], fmt.heading)
        ws.set_row(row, 20)
        row += 1
        for paragraph in section.get("paragraphs", ()):
            text = " ".join(paragraph.format(**values).split())
            ws.write_string(row, 1, text, fmt.text)
            ws.set_row(row, layout.text_height(text, width))
            row += 1
        names = {sheet.name for sheet in ctx.template.sheets}
        for item in section.get("items", ()):
            if isinstance(item, Mapping):  # an item about a sheet only some versions have
                if item["sheet"] not in names:
                    continue
                item = item["text"]
            text = "• " + item.format(**values)
            ws.write_string(row, 1, text, fmt.text)
            ws.set_row(row, layout.text_height(text, width))
            row += 1
        if section.get("legend"):  # the one legend (formats.LEGEND), then the risk levels'
            legend = [(e.style, e.text) for e in LEGEND] + [("risk", section["legend"])]
            for style, text in legend:
                # Red text needs some text to be seen: a sample date in the swatch.
                _write_value(ws, row, 0, "01.03" if style == "overdue" else None,
                             fmt.swatch[style])
                ws.write_string(row, 1, text, fmt.text)
                ws.set_row(row, layout.text_height(text, width))
                row += 1
        ws.set_row(row, 8)  # a little space before the next heading
        row += 1
    ws.protect("", PROTECTION)
    _print_setup(ws, ctx, (5, width), scale=layout.fit_scale((5, width)))


# --- Organisering ----------------------------------------------------------------------------


def _sources(ctx: PlanContext) -> dict[str, object]:
    """The values of the form's prefilled fields, by their ``source``."""
    start, end = ctx.period
    return {"region_name": f"{ctx.region.name} ({ctx.region.code})",
            "counties": ctx.region.counties or ctx.region.name,
            "period_start": start, "period_end": end}


def form_values(ctx: PlanContext) -> dict[str, object]:
    """Every field of the form as the workbook is written: prefilled or carried."""
    sources, carried = _sources(ctx), ctx.carried.form if ctx.carried else {}
    return {f.key: sources[f.source] if f.source is not None else carried.get(f.key)
            for f in ctx.template.form.fields}


def _write_form(ws: Worksheet, sheet: Sheet, ctx: PlanContext, fmt: _Formats) -> None:
    sources = _sources(ctx)
    label_col, value_col = FORM_LABEL_COL - 1, FORM_VALUE_COL - 1
    ws.set_column(label_col, label_col, 34)
    ws.set_column(value_col, value_col, 70)  # (the widths _print_setup is given below)
    ws.write_string(0, 0, f"Organisering – {ctx.region.name} {ctx.year}{ctx.round_note}",
                    fmt.title)
    ws.set_row(0, 24)
    for offset, field in enumerate(sheet.fields):
        row = FORM_FIRST_ROW - 1 + offset
        ws.write_string(row, label_col, field.label, fmt.label)
        column = Column(key=field.key, header=field.label, kind=field.kind, help=field.help)
        if field.source is not None:
            value = sources[field.source]
            cell_fmt = fmt.locked_date if isinstance(value, dt.date) else fmt.locked
            _write_value(ws, row, value_col, value, cell_fmt)
            continue
        given = ctx.carried.form.get(field.key) if ctx.carried else None
        _write_value(ws, row, value_col, given, fmt.cell(column, locked=False))
        if field.height:
            ws.set_row(row, field.height)
        rule = _validation(column, ctx, form=True)
        if rule:
            ws.data_validation(row, value_col, row, value_col, rule)
    ws.freeze_panes(FORM_FIRST_ROW - 1, 0)
    ws.protect("", PROTECTION)
    _print_setup(ws, ctx, (34, 70))


def _write_value(ws: Worksheet, row: int, col: int, value: object, cell_format: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), cell_format)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


# --- table sheets ----------------------------------------------------------------------------


def _write_table(ws: Worksheet, sheet: Sheet, ctx: PlanContext, fmt: _Formats,
                 prefilled: Sequence[Mapping[str, object]], data_rows: int) -> None:
    header_row = TABLE_HEADER_ROW - 1
    first, last = header_row + 1, header_row + data_rows
    ncols = len(sheet.columns)
    ws.add_table(header_row, 0, last, ncols - 1, {
        "name": sheet.table, "style": "Table Style Light 1", "autofilter": True,
        "columns": [{"header": c.header, "header_format": fmt.header} for c in sheet.columns],
    })
    for index, column in enumerate(sheet.columns):
        ws.set_column(index, index, column.width)
        kind = kind_of(column)
        for offset in range(data_rows):
            row = first + offset
            given = prefilled[offset] if offset < len(prefilled) else {}
            if kind.computed and _is_filled(sheet, given):
                _write_formula_cell(ws, sheet, ctx, column, row, fmt, given)
                continue
            # An empty row holds no formula and no ID (LibreOffice would print it): the
            # region gives the ID, from a list of the next free one.
            locked = not (kind.is_input or _is_new_id(column, given)) or (
                column.prefilled == "label" and bool(given))
            cell_format = fmt.locked_center if kind.computed else fmt.cell(column, locked)
            _write_value(ws, row, index, given.get(column.key), cell_format)
        rule = (_id_validation(column, sheet, ctx) if column.role == Role.ID and sheet.id_prefix
                else _validation(column, ctx, form=False))
        if rule:
            ws.data_validation(first, index, last, index, rule)
    ws.set_row(header_row, 32)
    # Excel and LibreOffice keep a stored row height: a row prefilled with long text (a
    # criterion, last round's description) gets room for all of its lines.
    # The first data row has a set height even when empty (a line and a little: a stored
    # 15 pt is Excel's default, which xlsxwriter leaves out): a row without one is laid out
    # by each application its own way.
    for offset, given in enumerate(prefilled or [{}]):
        height = max((layout.text_height(value, column.width) for column in sheet.columns
                      if isinstance(value := given.get(column.key), str)), default=15.0)
        if height > 15.0 or offset == 0:
            ws.set_row(first + offset, max(height, layout.FIRST_ROW_PT) if offset == 0
                       else height)
    _mark_carried_over(ws, sheet, ctx, prefilled, first)
    # Marks cover the rows a region adds below the Table too, as the checks on Sjekk do.
    _conditional_formats(ws, sheet, ctx, fmt, first, selfcheck.checked_last_row(data_rows) - 1)
    # The ID and the title stay in view on the screen, and on every page across and down.
    keys = key_columns(sheet)
    ws.freeze_panes(header_row + 1, keys)
    if protects_table(sheet):
        ws.protect("", PROTECTION)
    widths = [c.width for c in sheet.columns]
    _print_setup(ws, ctx, widths, repeat_header=True, key_columns=keys,
                 scale=layout.table_scale(widths, keys, first_page_end(sheet)))


def key_columns(sheet: Sheet) -> int:
    """How many columns, from the first, name a row: the ID to the title."""
    title = sheet.key_of(Role.TITLE)
    return [c.key for c in sheet.columns].index(title) + 1 if title else 1


#: The roles the first page across carries: who, when and in what state.
FIRST_PAGE_ROLES = (Role.OWNER, Role.DEADLINE, Role.STATUS)


def first_page_end(sheet: Sheet) -> int:
    """The index of the last column the first printed page across must hold."""
    keys = [c.key for c in sheet.columns]
    return max([key_columns(sheet) - 1, *(keys.index(key) for role in FIRST_PAGE_ROLES
                                           if (key := sheet.key_of(role)))])


def _is_new_id(column: Column, given: Mapping[str, object]) -> bool:
    """An ID cell of a row that has none yet: the region gives it."""
    return column.role == Role.ID and not given.get(column.key)


def next_id_list(sheet: Sheet) -> str:
    """The defined name of the one-entry list of a table's next free ID."""
    return "lst_neste_id_" + fold(sheet.name).replace(" ", "_")


def _id_validation(column: Column, sheet: Sheet, ctx: PlanContext) -> dict[str, Any]:
    """The ID dropdown offers the next free ID; any other ID may be typed (Sjekk counts one
    that is used twice)."""
    help_text = column.help or (
        f"Velg neste ledige ID fra listen ({sheet.id_prefix}1, {sheet.id_prefix}2 …), eller "
        "skriv den. Andre rader viser til raden med denne ID-en. Står den tom, gir "
        "smso-xl raden neste ledige ID når planen kommer inn.")
    return {"validate": "list", "source": f"={next_id_list(sheet)}", "show_error": False,
            "input_title": column.header[:32], "input_message": help_text[:255]}


def _print_area(wb: XlsxWorkbook, sheet: Sheet, data_rows: int) -> None:
    """Excel prints a table down to its last filled row, not its 200 formatted ones: a print
    area that grows as the region fills rows, with nothing for the region to do. (Rows a
    region adds below the Table count too.) LibreOffice does not evaluate a print area that
    is a formula; it prints down to the last cell with content, which is why empty rows
    hold no ID and no formula (docs/template.md)."""
    last = selfcheck.checked_last_row(data_rows)
    first_row = TABLE_HEADER_ROW + 1
    rows = sheet_ref(sheet.name, f"$A${first_row}:$A${last}")
    filled = _filled_formula(sheet, f"${first_row}:${last}")
    height = f"MAX({TABLE_HEADER_ROW},SUMPRODUCT(MAX({filled}*ROW({rows}))))"
    origin = sheet_ref(sheet.name, f"$A${TABLE_HEADER_ROW}")
    wb.define_name(sheet_ref(sheet.name, "_xlnm.Print_Area"),
                   f"=OFFSET({origin},0,0,{height}-{TABLE_HEADER_ROW - 1},"
                   f"{len(sheet.columns)})")


def _mark_carried_over(ws: Worksheet, sheet: Sheet, ctx: PlanContext,
                       prefilled: Sequence[Mapping[str, object]], first: int) -> None:
    """A new plan year: each goal, action and risk carried from last year's plan says so
    in a note on its ID, so the region reviews it rather than taking it as new."""
    ident = sheet.key_of(Role.ID)
    marked = set(ctx.carried.carried_over.get(sheet.name, ())) if ctx.carried else set()
    if not ident or not marked or ctx.carried is None:
        return
    col = [c.key for c in sheet.columns].index(ident)
    for offset, row in enumerate(prefilled):
        if str(row.get(ident) or "") in marked:
            ws.write_comment(first + offset, col,
                             f"Videreført fra handlingsplanen for {ctx.carried.source_year}. "
                             "Se over og oppdater.", {"author": "smso-xl"})


def _write_formula_cell(ws: Worksheet, sheet: Sheet, ctx: PlanContext, column: Column,
                        row: int, fmt: _Formats, given: Mapping[str, object]) -> None:
    formula = "=" + ctx.template.formula(sheet, column.formula,
                                         lambda key: f"{_col_letter(sheet, key)}{row + 1}")
    value = ctx.template.compute(sheet, column.formula, given)
    # The true cached result: "" for a blank row, the score and level of a prefilled one.
    ws.write_formula(row, [c.key for c in sheet.columns].index(column.key), formula,
                     fmt.locked_center, "" if value is None else value)


def _validation(column: Column, ctx: PlanContext, *, form: bool) -> dict[str, Any] | None:
    """The Excel data validation of a column (None: nothing to validate or explain)."""
    kind = kind_of(column)
    title = column.header[:32]
    if not column.help:
        # docs/reference.md §2.3: every input cell that has rules says what goes there.
        column = _with_help(column, kind.default_help(column, ctx.template, year=ctx.year,
                                                      form=form))
    rule = kind.validation(column, period=ctx.period, form=form)
    if rule is None:
        if not (column.help or column.required):
            return None
        rule = {"validate": "any"}  # no check, only the input message
    if column.help:
        rule["input_title"] = title
        rule["input_message"] = column.help[:255]
    if "error_message" in rule:
        rule["error_title"] = title
    return rule


def _with_help(column: Column, text: str) -> Column:
    from dataclasses import replace

    return replace(column, help=text)


def _conditional_formats(ws: Worksheet, sheet: Sheet, ctx: PlanContext, fmt: _Formats,
                         first: int, last: int) -> None:
    excel_first = first + 1

    def cell(key: str, absolute_col: bool = True) -> str:
        letter = _col_letter(sheet, key)
        return f"${letter}{excel_first}" if absolute_col else f"{letter}{excel_first}"

    def rng(key: str) -> str:
        index = [c.key for c in sheet.columns].index(key)
        return a1_range(first + 1, index + 1, last + 1, index + 1)

    deadline_key, status_key = sheet.key_of(Role.DEADLINE), sheet.key_of(Role.STATUS)
    if deadline_key and status_key:  # the word «overdue» (its twin: Template.is_overdue)
        deadline, status = cell(deadline_key, False), cell(status_key)
        ws.conditional_format(rng(deadline_key), {
            "type": "formula",
            "criteria": "=" + words.overdue(deadline, status, ctx.template.done_statuses),
            "format": fmt.overdue})
    if level_key := sheet.key_of(Role.RISK_LEVEL):
        # Coloured from the scores themselves: a row the region adds has no formula, and
        # its level shows as colour while it is typed (the validator and the feedback copy
        # write the level).
        level = ctx.template.formula(sheet, sheet.column(level_key).formula, cell)
        for name, level_fmt in fmt.risk.items():
            for key in dict.fromkeys([level_key, sheet.key_of(Role.RISK_SCORE) or level_key]):
                ws.conditional_format(rng(key), {
                    "type": "formula", "criteria": f'={level}="{name}"', "format": level_fmt})


def _mark_errors(ws: Worksheet, sheet: Sheet, checks: Sequence[selfcheck.Check],
                 fmt: _Formats) -> None:
    """Every cell an error check on Sjekk counts is red while the error is there: the mark
    and the count are one definition (selfcheck)."""
    for check in checks:
        if check.sheet != sheet.name or not check.blocking:
            continue
        for mark in check.marks:
            ws.conditional_format(mark.target, {"type": "formula", "criteria": "=" + mark.formula,
                                                "format": fmt.missing})


# --- Sjekk -----------------------------------------------------------------------------------

#: Sjekk's legend: what a red and a green count mean. (No «feil» on a sheet that may say the
#: plan is ready: red asks for a correction.)
SJEKK_LEGEND = ("må rettes før innsending", "i orden")


def _write_self_check(ws: Worksheet, ctx: PlanContext, fmt: _Formats,
                      rows_by_sheet: Mapping[str, Sequence[Mapping[str, object]]],
                      checks: Sequence[selfcheck.Check]) -> None:
    form = dict(ctx.carried.form) if ctx.carried else {}
    widths = (13, 70, 10, 11)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    # The verdict first and large; then what the sheet is, the colours, the counts.
    yes, no = ctx.template.yes_no
    blocking_total = sum(c.count(rows_by_sheet, form) for c in checks if c.blocking)
    ws.merge_range(0, 0, 0, 1, "Klar til innsending:", fmt.verdict_label)
    header = 3
    cells = [a1(header + 2 + i, 3) for i, c in enumerate(checks) if c.blocking]
    ws.merge_range(0, 2, 0, 3, "", fmt.verdict)
    ws.write_formula(0, 2, "=" + selfcheck.ready_formula(cells, ctx.template.yes_no),
                     fmt.verdict, yes if blocking_total == 0 else no)
    ws.set_row(0, 32)
    for value, style in ((yes, fmt.ok), (no, fmt.missing)):
        ws.conditional_format("C1", {"type": "cell", "criteria": "==", "value": f'"{value}"',
                                     "format": style})
    intro = ("Arket teller det som mangler, og oppdateres når dere fyller ut planen. "
             "Kontrollene som hindrer innsending, skal vise 0 før dere sender planen.")
    ws.merge_range(1, 0, 1, 3, intro, fmt.text)
    ws.set_row(1, layout.text_height(intro, sum(widths)))
    # The colours of the counts (formats.LEGEND) as a legend: a swatch and what it means.
    for col, (style, meaning) in enumerate((("error", SJEKK_LEGEND[0]),
                                            ("ok", SJEKK_LEGEND[1]))):
        ws.write_blank(2, 2 * col, None, fmt.swatch[style])
        ws.write_string(2, 2 * col + 1, meaning, fmt.text)
    for col, text in enumerate(("Ark", "Kontroll", "Antall", "Hindrer innsending")):
        ws.write_string(header, col, text, fmt.header)
    ws.set_row(header, 32)  # two lines for "Hindrer innsending"
    for offset, check in enumerate(checks):
        row = header + 1 + offset
        value = check.count(rows_by_sheet, form)
        ws.write_string(row, 0, check.sheet, fmt.locked)
        ws.write_string(row, 1, check.label, fmt.locked)
        ws.set_row(row, layout.text_height(check.label, widths[1]))
        # An array formula: Excel then evaluates every part over the rows, as LibreOffice does.
        ws.write_array_formula(row, 2, row, 2, "{=" + check.formula + "}", fmt.locked_center,
                               value)
        ws.write_string(row, 3, yes if check.blocking else no, fmt.locked_center)
    last = header + len(checks)
    count_range = a1_range(header + 2, 3, last + 1, 3)
    ws.conditional_format(count_range, {"type": "cell", "criteria": ">", "value": 0,
                                        "format": fmt.missing})
    ws.conditional_format(count_range, {"type": "cell", "criteria": "==", "value": 0,
                                        "format": fmt.ok})
    ws.freeze_panes(header + 1, 0)
    ws.protect("", PROTECTION)
    # The smallest readable scale: the checks on as few pages as they go.
    _print_setup(ws, ctx, widths, scale=layout.smallest_scale())


# --- Lister and Metadata ---------------------------------------------------------------------


def _write_lists(wb: XlsxWorkbook, ws: Worksheet, ctx: PlanContext, fmt: _Formats,
                 rows_by_sheet: Mapping[str, Sequence[Mapping[str, object]]],
                 counts: Mapping[str, int]) -> int:
    """Every dropdown's values, each column a defined name: the standard validation block
    keeps lists by name through openpyxl and LibreOffice round trips. A list of IDs
    (``refers_to``) offers the rows that are filled: see ``_write_id_list``. Returns the
    next free column (the signing sheet's helpers go there)."""
    lists: dict[str, list[str]] = {}
    refers: dict[str, tuple[str, ...]] = {}
    parties = [p.name for p in ctx.parties]

    def ids(target: str) -> list[str]:
        sheet = ctx.template.sheet(target)
        key = sheet.key_of(Role.ID) or ""
        return [str(row[key]) for row in prefilled_rows(ctx, sheet) if row.get(key)]

    for sheet in ctx.template.sheets:
        columns = list(sheet.columns) + [
            Column(key=f.key, header=f.label, kind=f.kind) for f in sheet.fields]
        for column in columns:
            name = list_name(column)
            if not name or name in lists:
                continue
            lists[name] = kind_of(column).list_values(column, ctx.template, parties, ids)
            if column.refers_to:
                refers[name] = tuple(column.refers_to)
    for name, values in list(lists.items()):  # the plain spellings a check accepts too
        if spelled := selfcheck.spellings(values):
            lists[selfcheck.spellings_list(name)] = spelled
    lists[selfcheck.PLACEHOLDER_LIST] = selfcheck.placeholder_texts(ctx.template)
    numbered = {next_id_list(s): s for s in ctx.template.tables if s.id_prefix}
    lists.update({name: [] for name in numbered})
    # The running counts the ID lists stand on: after the lists, which keep their columns.
    targets = list(dict.fromkeys(t for names in refers.values() for t in names))
    counted = {target: _filled_count(ws, len(lists) + i, ctx.template.sheet(target),
                                     rows_by_sheet[target], counts[target], fmt)
               for i, target in enumerate(targets)}
    for index, (name, values) in enumerate(lists.items()):
        ws.set_column(index, index, 24)
        ws.write_string(0, index, name, fmt.header)
        if name in refers:
            _write_id_list(wb, ws, index, name, [counted[t] for t in refers[name]])
            continue
        if name in numbered:
            sheet = numbered[name]
            _write_next_id(wb, ws, index, name, sheet, rows_by_sheet[sheet.name],
                           counts[sheet.name], ctx.issued_ids.split())
            continue
        for offset, value in enumerate(values):
            ws.write_string(1 + offset, index, str(value))
        ref = a1_range(2, index + 1, 1 + len(values), index + 1, absolute=True)
        wb.define_name(name, "=" + sheet_ref(ws.get_name(), ref))
    ws.protect("", PROTECTION)
    return len(lists) + len(targets)  # the next free column


@dataclass(frozen=True)
class _Counted:
    """A table's filled rows, counted down a column of Lister."""

    rows: int           # the table's data rows
    ids: str            # its ID cells, as a reference from Lister
    counts: str         # Lister's running count beside them
    total: str          # its last cell: how many rows are filled
    filled_ids: tuple[str, ...]  # the IDs of the rows filled now (the formulas' cache)


def _filled_count(ws: Worksheet, col: int, sheet: Sheet,
                  prefilled: Sequence[Mapping[str, object]], data_rows: int,
                  fmt: _Formats) -> _Counted:
    """Beside each row of ``sheet``: how many of its rows down to that one are filled. The
    k-th filled row is where the count first reaches k."""
    ws.set_column(col, col, 14)
    ws.write_string(0, col, f"{sheet.name}: utfylte", fmt.header)
    ident = sheet.key_of(Role.ID) or ""
    filled_ids: list[str] = []
    letter = _col_letter(sheet, ident)
    # A filled row that has an ID: a row without one cannot be referred to yet.
    filled = _filled_formula(sheet, "\0", qualified=True)  # built once, for 200 rows
    given = "LEN(" + sheet_ref(sheet.name, f"${letter}\0") + ")>0"
    filled_keys = filled_by(sheet)
    for offset in range(data_rows):
        row = prefilled[offset] if offset < len(prefilled) else {}
        if words.is_filled(row, filled_keys) and row.get(ident):
            filled_ids.append(str(row[ident]))
        this_row = f"AND({filled},{given})".replace("\0", str(TABLE_HEADER_ROW + 1 + offset))
        ws.write_formula(1 + offset, col, f"=N({a1(1 + offset, col + 1)})+IF({this_row},1,0)",
                         None, len(filled_ids))
    first, last = TABLE_HEADER_ROW + 1, TABLE_HEADER_ROW + data_rows
    return _Counted(rows=data_rows,
                    ids=sheet_ref(sheet.name, f"${letter}${first}:${letter}${last}"),
                    counts=a1_range(2, col + 1, data_rows + 1, col + 1, absolute=True),
                    total=a1(data_rows + 1, col + 1, absolute=True),
                    filled_ids=tuple(filled_ids))


def _write_id_list(wb: XlsxWorkbook, ws: Worksheet, col: int, name: str,
                   sources: Sequence[_Counted]) -> None:
    """A dropdown of the IDs of the filled rows of ``sources``, in order, and nothing else:
    row k of the column is the k-th filled ID, and the defined name is as long as the
    filled rows are many (an OFFSET; Excel and LibreOffice both evaluate it). The
    validation only warns, so a value from a list that has since changed is kept."""
    cached = [ident for source in sources for ident in source.filled_ids]
    for k in range(1, sum(s.rows for s in sources) + 1):
        formula = '""'
        for index in reversed(range(len(sources))):
            source, before = sources[index], [s.total for s in sources[:index]]
            limit = "+".join([*before, source.total])
            within = "".join([str(k), *(f"-{total}" for total in before)])
            formula = (f'IF({k}<={limit},INDEX({source.ids},MATCH({within},{source.counts},'
                       f'0))&"",{formula})')
        ws.write_formula(k, col, "=" + formula, None, cached[k - 1] if k <= len(cached) else "")
    start = sheet_ref(ws.get_name(), a1(2, col + 1, absolute=True))
    total = "+".join(sheet_ref(ws.get_name(), s.total) for s in sources)
    wb.define_name(name, f"=OFFSET({start},0,0,MAX(1,{total}),1)")


def _write_next_id(wb: XlsxWorkbook, ws: Worksheet, col: int, name: str, sheet: Sheet,
                   prefilled: Sequence[Mapping[str, object]], data_rows: int,
                   issued: Sequence[str]) -> None:
    """The one entry of a table's ID dropdown: the prefix and one more than the highest
    number after it in the ID column or given in an earlier round (prefill.next_ids, which
    the validator gives a filled row without an ID)."""
    prefix, ident = sheet.id_prefix or "", sheet.key_of(Role.ID) or ""
    floor = int(next_ids(prefix, issued, 1)[0][len(prefix):]) - 1
    letter = _col_letter(sheet, ident)
    ids = sheet_ref(sheet.name, f"${letter}${TABLE_HEADER_ROW + 1}:"
                                f"${letter}${selfcheck.checked_last_row(data_rows)}")
    # next_ids's reading: the prefix, then digits only («T05»; not «T3.1», «T1e3», «T 5»):
    # the digits are a number whose text, padded to their length, is the digits again.
    text, digits = f"TRIM({ids})", f"MID(TRIM({ids}),{len(prefix) + 1},99)"
    number = (f'IFERROR(IF({digits}=TEXT(--{digits},REPT("0",LEN({text})-{len(prefix)})),'
              f'--{digits},0),0)')
    formula = (f'="{prefix}"&(MAX({floor},IF(LEFT({text},{len(prefix)})="{prefix}",{number},0))'
               '+1)')
    (cached,) = next_ids(prefix, [*issued, *(str(r.get(ident) or "") for r in prefilled)], 1)
    ws.write_array_formula(1, col, 1, col, "{" + formula + "}", None, cached)
    wb.define_name(name, "=" + sheet_ref(ws.get_name(), a1(2, col + 1, absolute=True)))


def _write_leftovers(ws: Worksheet, ctx: PlanContext, carried: Carried,
                     fmt: _Formats) -> None:
    """What last round's workbook held that this one has no place for: nothing is dropped
    silently, and the region can copy what it still needs."""
    widths = (18, 22, 22, 48, 40)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, "Ikke overført fra forrige runde", fmt.title)
    ws.write_string(1, 0, f"Fra {carried.source.name}: verdier og ark som ikke har en plass i "
                    "denne arbeidsboken. Kopier det dere fortsatt trenger.", fmt.text)
    for col, text in enumerate(("Ark", "Rad", "Kolonne", "Verdi", "Hvorfor")):
        ws.write_string(3, col, text, fmt.header)
    for offset, item in enumerate(carried.leftovers, start=4):
        for col, text in enumerate((item.sheet, item.row, item.column, item.value,
                                    item.reason)):
            ws.write_string(offset, col, text, fmt.text)
    ws.freeze_panes(4, 0)
    _print_setup(ws, ctx, widths)


def _write_metadata(ws: Worksheet, ctx: PlanContext, fmt: _Formats) -> None:
    ws.set_column(0, 1, 28)
    ws.write_string(0, 0, "Nøkkel", fmt.header)
    ws.write_string(0, 1, "Verdi", fmt.header)
    for offset, (key, value) in enumerate(ctx.identity().items(), start=1):
        ws.write_string(offset, 0, key)
        ws.write_string(offset, 1, value)
    ws.protect("", PROTECTION)


def _set_properties(wb: XlsxWorkbook, ctx: PlanContext) -> None:
    created = ctx.generated_at.astimezone(dt.UTC).replace(tzinfo=None)
    wb.set_properties({
        "title": f"{ctx.template.title} – {ctx.region.name} {ctx.year}",
        "subject": "SMSØ – Samarbeid mot svart økonomi",
        "author": ctx.settings.coordinator_name, "company": "SMSØ",
        "keywords": f"SMSØ, handlingsplan, {ctx.region.name}, {ctx.year}",
        "comments": f"Laget av smso-xl {ctx.generator_version}", "created": created,
    })
    for key, value in ctx.identity().items():
        wb.set_custom_property(PROPERTY_PREFIX + key, value)


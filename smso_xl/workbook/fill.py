"""Fill a generated workbook with a region's answers, as a person in Excel would.

Used by ``smso-xl demo`` to simulate returned plans and by the tests to build returned
workbooks from rows written inline. Cells are addressed by the template's headers and form
labels, never by hard-coded positions. ``load_workbook`` opens a workbook with openpyxl
without losing its print areas (the feedback copies use it too).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..template.definition import Sheet, Template, load_template
from ..template.kinds import kind_of
from ..template.model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW
from ..template.values import fold
from .layout import LINE_PT, text_height

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

RowValues = Mapping[str, object]


def fill_plan(src: Path, dest: Path, *, form: RowValues | None = None,
              rows: Mapping[str, Sequence[RowValues]] | None = None,
              saved_at: dt.datetime | None = None, template: Template | None = None,
              deleted: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Copy ``src`` to ``dest`` with ``form`` (label → value) and table ``rows`` (sheet name →
    list of header → value) written in, and the rows of ``deleted`` (sheet name → IDs)
    deleted, as a region deletes an action it no longer plans.

    A row naming a prefilled label (``Part``, ``Kriterium``) or an ``ID`` updates that row;
    any other row goes into the next row whose input cells are empty. ``saved_at`` sets the
    workbook's own "last saved" time, which decides which of two versions is newer.
    """
    book = load_workbook(src.read_bytes())
    fill_book(book, template or _named_template(book), form=form, rows=rows)
    for sheet_name, idents in (deleted or {}).items():
        _delete_rows(book[sheet_name], idents)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if saved_at is not None:
        data = _with_saved_time(data, saved_at)
    dest.write_bytes(data)
    return dest


def fill_book(book: Workbook | Mapping[str, Worksheet], template: Template, *,
              form: RowValues | None = None,
              rows: Mapping[str, Sequence[RowValues]] | None = None) -> None:
    """Type ``form`` and ``rows`` into an open workbook, as :func:`fill_plan` says. Of each
    sheet it uses only ``cell(row, column)`` (its ``value`` and ``number_format``),
    ``max_row`` and ``row_dimensions``: the tests' plans built in memory have just those."""
    if form:
        _fill_form(book[template.form.name], template.form, form)
    for sheet_name, sheet_rows in (rows or {}).items():
        _fill_table(book[sheet_name], template.sheet(sheet_name), sheet_rows)


def _named_template(book: Workbook) -> Template:
    """The template version the workbook's identity names (its columns are that version's),
    else the newest."""
    newest = load_template()
    meta = newest.metadata_sheet.name
    if meta in book.sheetnames:
        for key, value, *_ in book[meta].iter_rows(values_only=True):
            if key == "template_version":
                with contextlib.suppress(Exception):
                    return load_template(str(value))
    return newest


def load_workbook(data: bytes, **options: object) -> Workbook:
    """``openpyxl.load_workbook`` that keeps a print area which is a formula: openpyxl
    drops it with a warning, and the plan's tables print down to their last filled row by
    one (writer._print_area)."""
    import warnings

    import openpyxl
    from openpyxl.packaging.workbook import WorkbookPackage
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.xml.functions import fromstring

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Print area cannot be set to Defined name")
        book = openpyxl.load_workbook(io.BytesIO(data), **options)  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            return book
        package = WorkbookPackage.from_tree(fromstring(archive.read("xl/workbook.xml")))
    for name in package.definedNames.definedName if package.definedNames else ():
        if (name.name == "_xlnm.Print_Area" and name.localSheetId is not None
                and name.localSheetId < len(book._sheets) and "(" in (name.value or "")):
            sheet = book._sheets[name.localSheetId]
            sheet.defined_names[name.name] = DefinedName(name.name, attr_text=name.value)
    return book


def _delete_rows(ws: Worksheet, idents: Sequence[str]) -> None:
    """Delete the rows whose first cell (the ID) is one of ``idents``, as Excel's «Delete
    row»: the rows below move up."""
    for ident in idents:
        for row in range(TABLE_HEADER_ROW + 1, ws.max_row + 1):
            if ws.cell(row, 1).value == ident:
                ws.delete_rows(row)
                break


def _fill_form(ws: Worksheet, spec: Sheet, values: RowValues) -> None:
    rows = {fold(f.label): FORM_FIRST_ROW + i for i, f in enumerate(spec.fields)}
    rows.update({f.key: FORM_FIRST_ROW + i for i, f in enumerate(spec.fields)})
    for label, value in values.items():
        row = rows.get(label) or rows[fold(label)]
        put_value(ws, row, FORM_VALUE_COL, value)


def _fill_table(ws: Worksheet, spec: Sheet, rows: Sequence[RowValues]) -> None:
    headers = {c.header: i + 1 for i, c in enumerate(spec.columns)}
    # A row is identified by its ID or by the label that names it (Part, Kriterium) — not by
    # any other prefilled column (a new party's "Type" must not pick an existing row).
    label_keys = [c.header for c in spec.columns
                  if c.key == "id" or c.key == spec.present_when]
    input_cols = [headers[c.header] for c in spec.columns if kind_of(c).is_input]
    first = TABLE_HEADER_ROW + 1
    used: set[int] = set()
    for values in rows:
        unknown = set(values) - set(headers)
        if unknown:
            raise KeyError(f"{spec.name} has no column {sorted(unknown)[0]!r}")
        row = _row_of_label(ws, values, label_keys, headers, first) or _next_free(
            ws, input_cols, first, used)
        used.add(row)
        for header, value in values.items():
            put_value(ws, row, headers[header], value)
        _fit_height(ws, spec, row)


def _fit_height(ws: Worksheet, spec: Sheet, row: int) -> None:
    """Grow the row for wrapped text, as Excel does while a person types (files written by
    a library keep the default height, and text would overlap the next row)."""
    height = max((text_height(value, column.width)
                  for index, column in enumerate(spec.columns, start=1)
                  if isinstance(value := ws.cell(row, index).value, str) and value),
                 default=LINE_PT)
    if height > LINE_PT:
        ws.row_dimensions[row].height = height


def _row_of_label(ws: Worksheet, values: RowValues, label_keys: list[str],
                  headers: Mapping[str, int], first: int) -> int | None:
    for header in label_keys:
        if header in values:
            col, wanted = headers[header], values[header]
            for row in range(first, ws.max_row + 1):
                if ws.cell(row, col).value == wanted:
                    return row
    return None


def _next_free(ws: Worksheet, input_cols: list[int], first: int, used: set[int]) -> int:
    row = first
    while row in used or any(ws.cell(row, c).value not in (None, "") for c in input_cols):
        row += 1
    return row


def put_value(ws: Worksheet, row: int, col: int, value: object) -> None:
    """Write a value as Excel would keep it: dates shown dd.mm.yyyy."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = "dd.mm.yyyy"


def _with_saved_time(data: bytes, saved_at: dt.datetime) -> bytes:
    """Rewrite docProps/core.xml's dcterms:modified (openpyxl stamps 'now' when saving), and
    date the zip entries by the same time, so that a fill is reproducible to the byte."""
    utc = saved_at.astimezone(dt.UTC)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    entry_time = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            item.date_time = entry_time
            dst.writestr(item, content)
    return out.getvalue()

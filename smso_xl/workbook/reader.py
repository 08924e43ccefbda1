"""Read a returned regional workbook into a :class:`~smso_xl.template.model.Workbook`.

Regions edit the workbook we sent them: they move and insert columns, re-type headers, rename
sheets by accident, paste rows below the table or after a gap, and re-save in LibreOffice.
The reader finds the template's sheets, headers and form labels tolerantly, keeps every value
at the A1 address the user sees, and drops nothing. It never judges values (that is the
validator's job); it only reports what it could not find.

Values come from python-calamine, one dense grid per needed sheet, parsed once; the few XML
parts we read ourselves (identity, dates) go through defusedxml. ``sniff`` has already checked
that the file is a workbook of sane size before any of this runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
from collections.abc import Iterable
from pathlib import Path
from xml.etree.ElementTree import Element  # types only; input is parsed by defusedxml

import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..base.cells import a1, column_letter, parse_a1
from ..base.findings import Finding, finding
from ..template.definition import Sheet, Template, TemplateSet, as_template_set, load_templates
from ..template.model import (
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    IDENTITY_KEYS,
    PROPERTY_PREFIX,
    TABLE_HEADER_ROW,
    Cell,
    FormData,
    Identity,
    ReadError,
    Row,
    TableData,
    Workbook,
)
from ..template.values import cell_text, normalize_header
from .sniff import XML_ERRORS, Package, sniff

#: Users insert title rows above a table; its header is looked for this far down.
HEADER_SEARCH_ROWS = 10
#: Organisering labels are looked for in column A of this many rows.
FORM_SEARCH_ROWS = 40
#: When column B of a form line is empty, this many columns further right are tried (merged
#: or shifted value cells).
FORM_VALUE_REACH = 3
_EXTERNAL_LINK = re.compile(r"xl/externalLinks/externalLink\d+\.xml")
_TABLE_PART = re.compile(r"xl/tables/table\d+\.xml")
_RANGE = re.compile(r"\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+")
_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

Grid = list[list[object]]


def read(path: Path, *, templates: TemplateSet | Template | None = None) -> Workbook:
    """Read one returned workbook against the template version its identity names (the
    newest for an unknown one). Raises ReadError only when it is not a readable workbook."""
    template_set = as_template_set(templates or load_templates())
    package = sniff(path, leave_out=never_read(template_set.newest))
    with _open(package) as book:
        return _read(package, book, template_set)


def never_read(template: Template) -> frozenset[str]:
    """The sheets the reader never asks for: the instructions, the self-check and the lists
    (half the bytes of a plan). The validator recomputes what they show; every shipped
    version names them alike (tests/test_versions.py), so the newest version's are left out
    whichever version a file turns out to be."""
    read = {sheet.name for sheet in template.tables}
    read |= {template.form.name, template.metadata_sheet.name}
    return frozenset(sheet.name for sheet in template.sheets if sheet.name not in read)


def _open(package: Package) -> calamine.CalamineWorkbook:
    try:
        # The checked copy, never the file as received: calamine sees only verified bytes.
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(package.verified))
    except calamine.PasswordError as exc:
        raise ReadError(finding("file-encrypted", file=str(package.path))) from exc
    except calamine.CalamineError as exc:
        raise _damaged(package, exc) from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise _damaged(package, exc) from exc
        raise


def _grid(package: Package, book: calamine.CalamineWorkbook, name: str) -> Grid:
    """One sheet's values; grid[i][j] is Excel row i+1, column j+1 (skip_empty_area=False
    keeps the true positions even when the first rows or columns are empty)."""
    return _sheet(package, book, name)[0]


def _sheet(package: Package, book: calamine.CalamineWorkbook,
           name: str) -> tuple[Grid, list[tuple[int, int, int, int]]]:
    """One sheet's values (as :func:`_grid`) and its merged ranges, from one parse of the
    sheet: calamine parses the sheet's XML each time it is asked for the sheet."""
    try:
        sheet = book.get_sheet_by_name(name)
        grid: Grid = sheet.to_python(skip_empty_area=False)  # type: ignore[assignment]
    except (calamine.CalamineError, ValueError, OverflowError) as exc:
        raise _damaged(package, exc) from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise _damaged(package, exc) from exc
        raise
    return grid, _merged(sheet)


def _damaged(package: Package, exc: BaseException) -> ReadError:
    return ReadError(finding("file-unreadable", file=str(package.path),
                             reason=f"innholdet er skadet: {str(exc)[:200]}"))


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic in calamine arrives as pyo3's PanicException, a BaseException: one odd
    file must still become a finding, not a traceback that ends the batch (while a
    KeyboardInterrupt stays one)."""
    return type(exc).__name__ == "PanicException"


def _read(package: Package, book: calamine.CalamineWorkbook, templates: TemplateSet) -> Workbook:
    file = str(package.path)
    names = list(book.sheet_names)
    findings: list[Finding] = []

    identity = _identity(package, book, names, templates.newest)
    if identity is None:
        findings.append(finding("file-not-template", file=file))
    template = templates.for_version(identity.template_version if identity else None)
    findings.extend(_package_findings(package))

    table_ends = _table_ends(package)
    tables: dict[str, TableData] = {}
    found = {spec.name: find_sheet(names, spec.name) for spec in template.sheets}
    for spec in template.tables:
        name = found[spec.name]
        if name is None:
            # A renamed data sheet is still the region's plan: known by its header row.
            name = _renamed_sheet(package, book, spec, names, set(found.values()))
            if name is None:
                findings.append(finding("sheet-missing", file=file, sheet=spec.name))
                continue
            found[spec.name] = name
            findings.append(finding("sheet-renamed", file=file, sheet=name, value=name,
                                    expected=spec.name))
        fallback_rows = template.data_rows(
            spec, len(template.criteria) if spec.prefill == "criteria" else 0)
        grid, merged = _sheet(package, book, name)
        table, table_findings = read_table(spec, name, grid, file=file,
                                           table_end=table_ends.get(spec.table or ""),
                                           fallback_rows=fallback_rows, merged=merged)
        tables[spec.name] = table
        findings.extend(table_findings)

    form_spec = template.form
    form: FormData | None = None
    form_name = find_sheet(names, form_spec.name)
    if form_name is None:
        findings.append(finding("sheet-missing", file=file, sheet=form_spec.name))
    else:
        form = read_form(form_spec, form_name, _grid(package, book, form_name))

    return Workbook(
        path=package.path, sha256=hashlib.sha256(package.data).hexdigest(),
        size=len(package.data), format=package.format, identity=identity,
        saved_at=_saved_at(package), epoch1904=_epoch1904(package), sheet_names=names,
        tables=tables, form=form, findings=findings, template_version=template.version,
    )


def find_sheet(names: Iterable[str], wanted: str) -> str | None:
    """The file's name for template sheet ``wanted``: exact, else ignoring case and spacing."""
    names = list(names)
    if wanted in names:
        return wanted
    key = _header_key(wanted)
    return next((name for name in names if _header_key(name) == key), None)


def _renamed_sheet(package: Package, book: calamine.CalamineWorkbook, spec: Sheet,
                   names: list[str], taken: set[str | None]) -> str | None:
    """The sheet not named as any template sheet whose header row holds most of ``spec``'s
    headers, at least half of them (Mål and Tiltak share a few headers, never half)."""
    best, best_hits = None, (len(spec.columns) + 1) // 2 - 1
    for name in names:
        if name in taken:
            continue
        hits = _header_hits(spec, _grid(package, book, name))[1]
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _merged(sheet: calamine.CalamineSheet) -> list[tuple[int, int, int, int]]:
    """A sheet's merged ranges as (first row, first column, last row, last column), 1-based.
    calamine knows them for .xlsx; where it does not, none are assumed."""
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # a missing feature is not a damaged file
        return []
    return [(top + 1, left + 1, bottom + 1, right + 1)
            for (top, left), (bottom, right) in ranges]


@functools.lru_cache(maxsize=4096)
def _header_key(text: str) -> str:
    # Memoised: the same few hundred headers and labels recur in every file of a run.
    return normalize_header(text)


def _present(value: object) -> bool:
    """calamine gives '' for empty and error cells; a cell of spaces is empty to a user too."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


# --- table sheets -----------------------------------------------------------------------------


def read_table(spec: Sheet, name: str, grid: Grid, *, file: str | None = None,
               table_end: tuple[int, int] | None = None, fallback_rows: int = 0,
               merged: Iterable[tuple[int, int, int, int]] = ()
               ) -> tuple[TableData, list[Finding]]:
    """One table sheet. Rows below ``table_end`` (the Excel Table's header and last row, when
    its header is the one found) or else ``fallback_rows`` below the header are outside.
    ``merged`` ranges (first row, column, last row, column) below the header give their value
    to every row they span, as the region sees it."""
    header_row = _header_row(spec, grid)
    header = grid[header_row - 1] if header_row <= len(grid) else []
    columns, extra_names = _map_columns(spec, header)
    missing = tuple(col.key for col in spec.columns if col.key not in columns)
    findings = [_column_missing(spec, col.key, columns, extra_names, header_row, file, name)
                for col in spec.columns if col.key in missing]
    grid, covered = _spread_merges(grid, merged, header_row)
    findings += [finding("cells-merged", file=file, sheet=name, row=top, cell=a1(top, col),
                         value=cell_text(grid[top - 1][col - 1]), range=span,
                         first=top, last=bottom)
                 for span, (top, col, bottom) in covered.items()]
    if table_end is not None and table_end[0] == header_row:
        last_table_row = table_end[1]
    else:
        last_table_row = header_row + fallback_rows
    # Each column of the grid: its number and the template key it holds (None: the
    # region's own column), once for all rows (calamine gives every row the sheet's width).
    width = max(map(len, grid[header_row:]), default=0)
    key_at = {col - 1: key for key, col in columns.items()}
    layout = [(index + 1, key_at.get(index)) for index in range(width)]
    rows: list[Row] = []
    for index in range(header_row, len(grid)):  # 0-based index header_row = first data row
        row = _table_row(grid[index], index + 1, layout, extra_names)
        if row is not None:
            row.outside_table = row.row > last_table_row
            rows.append(row)
    outside = [row for row in rows if row.outside_table]
    if outside:
        first = outside[0]
        first_cell = min([*first.cells.values(), *first.extra.values()], key=lambda c: c.col)
        findings.append(finding("rows-outside-table", file=file, sheet=name, row=first.row,
                                cell=first_cell.address, count=len(outside)))
    merges = {a1(row, col): a1(top, col) for top, col, bottom in covered.values()
              for row in range(top + 1, bottom + 1)}
    table = TableData(spec=spec, name=name, header_row=header_row, columns=columns,
                      missing=missing, rows=rows, merged=merges)
    return table, findings


def _spread_merges(grid: Grid, merged: Iterable[tuple[int, int, int, int]], header_row: int
                   ) -> tuple[Grid, dict[str, tuple[int, int, int]]]:
    """The grid with each merged range's value copied down its first column (a value merged
    over two rows belongs to both; across columns it stays in the first). Returns the ranges
    spread, by their A1 range, as (first row, column, last row)."""
    covered: dict[str, tuple[int, int, int]] = {}
    copied = False
    for top, left, bottom, right in merged:
        if top <= header_row or bottom == top or top > len(grid):
            continue
        line = grid[top - 1]
        value = line[left - 1] if left <= len(line) else ""
        if not _present(value):
            continue
        if not copied:  # calamine's grid is ours, but the caller's grid is not
            grid, copied = [list(line) for line in grid], True
        for row in range(top + 1, min(bottom, len(grid)) + 1):
            target = grid[row - 1]
            target.extend([""] * (left - len(target)))
            target[left - 1] = value
        covered[f"{a1(top, left)}:{a1(bottom, right)}"] = (top, left, bottom)
    return grid, covered


def _column_missing(spec: Sheet, key: str, columns: dict[str, int], extra: dict[int, str],
                    header_row: int, file: str | None, sheet: str) -> Finding:
    """Where a missing column is in the file as it is: between the template columns found
    on either side of it, at a header the region renamed (the first one not the template's)
    or, where there is none, at the column it belongs before (it was deleted)."""
    keys = [col.key for col in spec.columns]
    index = keys.index(key)
    left = max((columns[k] for k in keys[:index] if k in columns), default=0)
    right = min((columns[k] for k in keys[index + 1:] if k in columns and columns[k] > left),
                default=max([left, *columns.values(), *(i + 1 for i in extra)]) + 1)
    header = spec.column(key).header
    between = [col for col in range(left + 1, right)]
    if not between:
        return finding("column-deleted", file=file, sheet=sheet, row=header_row,
                       column=header, cell=a1(header_row, right))
    named = [col for col in between if col - 1 in extra]
    col = named[0] if named else between[0]
    return finding("column-missing", file=file, sheet=sheet, row=header_row, column=header,
                   cell=a1(header_row, col), value=extra.get(col - 1))


def _header_row(spec: Sheet, grid: Grid) -> int:
    """The row (within the first few) in which most template headers are found."""
    return _header_hits(spec, grid)[0]


def _header_hits(spec: Sheet, grid: Grid) -> tuple[int, int]:
    """The row (within the first few) in which most of ``spec``'s headers are found, and
    how many are found there."""
    wanted = {_header_key(col.header): col.key for col in spec.columns}
    best_row, best_hits = TABLE_HEADER_ROW, 0
    for index, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        # Headers are text; a number or a date in a title row is never one.
        hits = len({wanted[key] for value in values
                    if isinstance(value, str) and (key := _header_key(value)) in wanted})
        if hits > best_hits:
            best_row, best_hits = index + 1, hits
    return best_row, best_hits


def _map_columns(spec: Sheet, header: list[object]) -> tuple[dict[str, int], dict[int, str]]:
    """Template key → file column, and the region's own columns: 0-based index → header."""
    wanted = {_header_key(col.header): col.key for col in spec.columns}
    columns: dict[str, int] = {}
    extra: dict[int, str] = {}
    for index, value in enumerate(header):
        if not _present(value):
            continue
        key = wanted.get(_header_key(value)) if isinstance(value, str) else None
        if key is not None and key not in columns:
            columns[key] = index + 1
            continue
        text = cell_text(value)
        # A second "Ansvarlig" (or any repeated header) must not overwrite the first.
        if text in extra.values():
            text = f"{text} ({column_letter(index + 1)})"
        extra[index] = text
    return columns, extra


#: ``Cell``'s own constructor is a Python function around this; a plan has thousands of cells.
_new_cell = tuple.__new__


def _table_row(values: list[object], excel_row: int, layout: list[tuple[int, str | None]],
               extra_names: dict[int, str]) -> Row | None:
    """One grid row as a table row; ``layout``: each column's number and template key."""
    cells: dict[str, Cell] = {}
    extra: dict[str, Cell] = {}
    for value, (col, key) in zip(values, layout, strict=False):  # a merge may widen a row
        # Most cells of a 200-row table are empty: reject them with the cheapest test first
        # (calamine gives exact str; isspace() is strip() without making a new string).
        if value.__class__ is str:
            if not value or value.isspace():  # type: ignore[attr-defined]
                continue
        elif value == "":
            continue
        cell = _new_cell(Cell, (value, excel_row, col))  # Cell(value, row, col)
        if key is not None:
            cells[key] = cell
        else:
            # Data under no header is still the region's data: keep it, named by its column.
            extra[extra_names.get(col - 1) or f"Kolonne {column_letter(col)}"] = cell
    if not cells and not extra:
        return None
    return Row(row=excel_row, cells=cells, extra=extra)


def _table_ends(package: Package) -> dict[str, tuple[int, int]]:
    """Excel Tables as saved in the file: table name → (header row, last data row).

    A region that inserts rows inside a Table grows it, so its real extent beats the template's
    row count when deciding what lies outside the table. (Read from the small table parts:
    calamine's own table API re-reads the whole sheet for each table.)
    """
    ends: dict[str, tuple[int, int]] = {}
    for name in package.names:
        if not _TABLE_PART.fullmatch(name):
            continue
        root = _xml(package, name)
        if root is None or not _RANGE.fullmatch(root.get("ref", "")):
            continue
        first, last = root.get("ref", "").split(":")
        extent = (parse_a1(first)[0], parse_a1(last)[0])
        for key in (root.get("name"), root.get("displayName")):  # Excel's UI shows the latter
            ends[key or ""] = extent
    return ends


# --- the Organisering form ----------------------------------------------------------------------


def read_form(spec: Sheet, name: str, grid: Grid) -> FormData:
    """Labels anywhere in column A of the first rows; the value in B (or just right of it)."""
    wanted = {_header_key(field.label): field.key for field in spec.fields}
    values: dict[str, Cell] = {}
    rows: dict[str, int] = {}
    label_index, value_index = FORM_LABEL_COL - 1, FORM_VALUE_COL - 1
    for index, line in enumerate(grid[:FORM_SEARCH_ROWS]):
        if len(line) <= label_index or not _present(line[label_index]):
            continue
        # "Leder:" and "Leder *" are the same label to a reader.
        key = wanted.get(_header_key(cell_text(line[label_index]).rstrip(" :*")))
        if key is None or key in rows:
            continue
        rows[key] = index + 1
        for col in range(value_index, min(len(line), value_index + 1 + FORM_VALUE_REACH)):
            if _present(line[col]):
                values[key] = Cell(line[col], index + 1, col + 1)
                break
    return FormData(name=name, values=values, rows=rows)


# --- identity and file facts ----------------------------------------------------------------


def _identity(package: Package, book: calamine.CalamineWorkbook,
              names: list[str], template: Template) -> Identity | None:
    """From the metadata sheet; else from the ``smso.*`` document properties, which survive
    when a region unhides and deletes the sheet (possible in LibreOffice) or damages it."""
    sheet = find_sheet(names, template.metadata_sheet.name)
    if sheet is not None:
        values = {}
        for line in _grid(package, book, sheet):
            if len(line) >= 2 and (key := cell_text(line[0])) in IDENTITY_KEYS:
                values[key] = cell_text(line[1])
        if identity := _make_identity(values, "metadata"):
            return identity
    return _make_identity(_properties(package), "properties")


def _make_identity(values: dict[str, str], source: str) -> Identity | None:
    if not values.get("template_id"):
        return None
    year = values.get("year", "")
    return Identity(
        template_id=values["template_id"], template_version=values.get("template_version", ""),
        region_code=values.get("region_code", ""), region_name=values.get("region_name", ""),
        year=int(year) if year.isdigit() else None, file_id=values.get("file_id", ""),
        generated_at=values.get("generated_at", ""),
        generator_version=values.get("generator_version", ""), source=source,
        round=int(values["round"]) if values.get("round", "").isdigit() else 1,
        source_sha256=values.get("source_sha256", ""),
        issued_ids=values.get("issued_ids", ""),
    )


def _properties(package: Package) -> dict[str, str]:
    """Our ``smso.*`` custom document properties: docProps/custom.xml or ODF meta.xml."""
    found: dict[str, str] = {}
    if package.format == "ods":
        root = _xml(package, "meta.xml")
        elements = [(el.get(f"{{{_ODF_META}}}name", ""), el) for el in _all(root, "user-defined")]
    else:
        root = _xml(package, "docProps/custom.xml")
        elements = [(el.get("name", ""), next(iter(el), el)) for el in _all(root, "property")]
    for name, element in elements:
        if name.startswith(PROPERTY_PREFIX) and name[len(PROPERTY_PREFIX):] in IDENTITY_KEYS:
            found[name[len(PROPERTY_PREFIX):]] = (element.text or "").strip()
    return found


def _saved_at(package: Package) -> dt.datetime | None:
    """The file's own "last saved" time, as an aware UTC datetime."""
    if package.format == "ods":
        text = next((el.text for el in _all(_xml(package, "meta.xml"), "date")), None)
    else:
        text = next((el.text for el in _all(_xml(package, "docProps/core.xml"), "modified")), None)
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # LibreOffice writes ODF dates without a zone; treat them as UTC so that all saved times
    # compare with each other (a naive and an aware datetime cannot be compared at all).
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


def _epoch1904(package: Package) -> bool:
    """Workbooks from old Mac Excel count dates from 1904. calamine already converts date cells;
    the flag matters for numbers in date columns that the validator reads as serials."""
    if package.format == "ods":
        return False
    part = package.part("xl/workbook.xml") or b""
    if b"date1904" not in part and b"\0" not in part:
        return False  # the flag's name is nowhere in it (UTF-8): its names need no parse
    for element in _all(_xml(package, "xl/workbook.xml"), "workbookPr"):
        return element.get("date1904", "").lower() in ("1", "true")
    return False


def _package_findings(package: Package) -> list[Finding]:
    file, names = str(package.path), package.names
    findings = []
    if "xl/vbaProject.bin" in names or any(name.startswith("Basic/") for name in names):
        findings.append(finding("macros-present", file=file))
    links = sum(1 for name in names if _EXTERNAL_LINK.fullmatch(name))
    if links:
        findings.append(finding("external-links", file=file, value=links))
    return findings


def _xml(package: Package, name: str) -> Element | None:
    """A small XML part, parsed safely: entity tricks are refused, a broken part is absent."""
    data = package.part(name)
    if data is None:
        return None
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise ReadError(finding("xml-entities", file=str(package.path), part=name)) from exc
    except XML_ERRORS:
        return None


def _all(root: Element | None, local_name: str) -> list[Element]:
    """Elements by local name, whatever namespace prefix the producing application chose."""
    if root is None:
        return []
    return [el for el in root.iter() if isinstance(el.tag, str)
            and el.tag.rpartition("}")[2] == local_name]

"""A sheet whose table rows are given as the XML of their cells, made once (issue 26).

xlsxwriter keeps every cell it is given as an object (about 150 bytes) and, when the
workbook closes, writes each through half a dozen method calls. For the national overview
that is two million cells and two thirds of ``consolidate``. A table's body is plain: text,
numbers, dates and blanks, each with its format. :class:`RowXmlWorksheet` takes such a row
as the XML of its cells and writes it where xlsxwriter writes its rows. Everything else
about the sheet (its other rows, row heights and spans, columns, tables, filters, merged
cells, comments, print setup, drawings) stays xlsxwriter's own, and so does every other
part of the file: the shared strings, the formats and their numbers.

The cells are written as xlsxwriter writes them (``Worksheet._write_cell``):
``<c r="B7" s="4" t="s"><v>12</v></c>`` for text (a shared string), ``<c r="B7" s="4"><v>3</v></c>``
for numbers and dates (the Excel serial, as ``{:.16G}``), ``<c r="B7" s="4"/>`` for a blank
cell with a format. tests/test_rowxml.py holds a table written this way to the same
table written cell by cell through xlsxwriter's public calls, part for part.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import Worksheet

Cell = str | float | dt.datetime | None  # what a given cell holds (see column_xml)

# Excel's longest text in a cell, in UTF-16 units (a character beyond U+FFFF counts twice).
MAX_CELL_UNITS = 32_767


def fits_in_cell(text: str) -> bool:
    """Whether ``text`` is within Excel's limit for a cell; the first test is exact for
    every text of at most half the limit, the most of them."""
    return len(text) <= MAX_CELL_UNITS // 2 or (
        len(text.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_CELL_UNITS)


def cut_to_cell(text: str) -> str:
    """``text`` cut with «…» to fit in a cell, where it is longer than Excel allows."""
    if fits_in_cell(text):
        return text
    units = 1  # the «…» takes one unit
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_CELL_UNITS:
            return text[:index] + "…"
    return text


class RowXmlWorksheet(Worksheet):
    """xlsxwriter's worksheet, with runs of rows that may be given whole, column by column.

    Given rows wait in a temporary file, not in memory, until the workbook is closed: the
    overview of a large round holds a hundred megabytes of them."""

    def __init__(self) -> None:
        super().__init__()
        self._given: list[tuple[range, int]] = []   # runs of given rows, their file offsets
        self._given_file: IO[str] | None = None
        self._given_spans: dict[int, int] = {}      # block of 16 rows → its given columns
        self._reading: range = range(0)             # the run being written out on close

    def column_xml(self, col: int, first_row: int, values: Sequence[Cell],
                   formats: int | Sequence[int]) -> list[str]:
        """The XML of column ``col`` from row ``first_row`` (0-based) down: one cell per
        value, each with its format's number (one for all, or one each). A value is text
        within a cell's limit (:func:`fits_in_cell`), a number, a naive ``datetime``, or
        None (a blank cell with its format)."""
        head = f'<c r="{xl_col_to_name(col)}'
        numbers = range(first_row + 1, first_row + 1 + len(values))
        shared = self._shared_strings(values)
        if isinstance(formats, int):
            if all(value.__class__ is str for value in values):  # the most: a text column
                tail = f'" s="{formats}" t="s"><v>'
                return [f"{head}{number}{tail}{index}</v></c>"
                        for number, index in zip(numbers, map(shared.__getitem__, values),
                                                 strict=True)]
            formats = [formats] * len(values)
        cells, serials = [], {}  # serials: each date's number, once (a column repeats them)
        for number, xf, value in zip(numbers, formats, values, strict=True):
            if value.__class__ is str:
                cells.append(f'{head}{number}" s="{xf}" t="s"><v>{shared[value]}</v></c>')
            elif value is None:
                cells.append(f'{head}{number}" s="{xf}"/>')
            else:
                if isinstance(value, dt.datetime):
                    serial = serials.get(value)
                    if serial is None:
                        serial = serials[value] = self._convert_date_time(value)
                    value = serial
                cells.append(f'{head}{number}" s="{xf}"><v>{value:.16G}</v></c>')
        return cells

    def _shared_strings(self, values: Sequence[Cell]) -> dict[str, int]:
        """Each text among ``values`` → its number in the shared strings, numbered and
        counted as xlsxwriter's ``write_string`` of each would: a new text numbered in the
        order it first comes, every use counted (the count heads the shared strings)."""
        table = self.str_table
        texts = [value for value in values if value.__class__ is str]
        distinct = dict.fromkeys(texts)  # in the order each first comes
        shared = {text: table._get_shared_string_index(text) for text in distinct}
        table.count += len(texts) - len(distinct)  # each use after the first
        return shared  # type: ignore[return-value]

    def add_table_over_rows(self, first_row: int, last_row: int, last_col: int,
                            options: dict[str, Any]) -> None:
        """``add_table`` from column A, its body (the rows below its header) to be given
        with :meth:`write_rows_xml`. xlsxwriter checks each cell of a new table against
        the tables and merged ranges before it, a second per million cells; here only
        its header row and the first row beneath are, and the rows given are kept from any
        other cell by :meth:`_write_rows`. Only plain tables: a header, no totals row, no
        column formulas or data."""
        unsupported = {"total_row", "data"} & set(options) or any(
            "formula" in column or "total_function" in column
            for column in options.get("columns", []))
        if unsupported or not options.get("header_row", True):
            raise ValueError(f"add_table_over_rows takes a plain table, not {options}")
        result = self.add_table(first_row, 0, min(last_row, first_row + 1), last_col, options)
        if result != 0:
            raise ValueError(f"xlsxwriter refused the table {options.get('name')}: {result}")
        table = self.tables[-1]
        whole = xl_range(first_row, 0, last_row, last_col)  # its data ends on the last row
        table["range"] = table["a_range"] = whole
        if table.get("autofilter"):
            table["autofilter"] = whole

    def write_rows_xml(self, first_row: int, rows: Iterable[str], columns: int,
                       heights: Sequence[float | None]) -> None:
        """Rows from ``first_row`` (0-based) down hold ``rows``, each the XML of its cells
        from column A to ``columns`` in order (joined :meth:`column_xml`); each row's height
        in points, or None for the default."""
        if self._given_file is None:  # closed once written out, on close
            self._given_file = tempfile.TemporaryFile(  # noqa: SIM115
                "w+", encoding="utf-8", newline="\n")
        handle = self._given_file
        handle.seek(0, io.SEEK_END)
        offset, lines = handle.tell(), list(rows)
        count = len(lines)
        if lines:  # a line each: a cell's XML has no line break (text is a shared string)
            handle.write("\n".join(lines))
            handle.write("\n")
        if count != len(heights):
            raise ValueError(f"{count} rows given with {len(heights)} heights")
        if not count:
            return
        self._given.append((range(first_row, first_row + count), offset))
        for row, height in enumerate(heights, start=first_row):
            self.set_row(row, height)  # the row's place and height, as for any other row
        for block in range(first_row // 16, (first_row + count - 1) // 16 + 1):
            self._given_spans[block] = max(columns, self._given_spans.get(block, 0))
        self._check_dimensions(first_row, 0)
        self._check_dimensions(first_row + count - 1, columns - 1)

    # --- xlsxwriter's close -----------------------------------------------------------------

    def _calculate_spans(self) -> None:
        # A block's span covers the given rows' cells as well as xlsxwriter's own.
        super()._calculate_spans()
        for block, last in self._given_spans.items():
            first = 1
            if block in self.row_spans:
                low, high = map(int, self.row_spans[block].split(":"))
                first, last = min(first, low), max(last, high)
            self.row_spans[block] = f"{first}:{last}"

    def _write_rows(self) -> None:
        # A given row must have no cell of xlsxwriter's too: one of them would be lost.
        both = [row for run, _ in self._given for row in run if self.table.get(row)]
        if both:
            raise ValueError(f"rows {both[:5]} were written both as XML and cell by cell")
        try:
            super()._write_rows()
        finally:
            self.discard_rows()

    def discard_rows(self) -> None:
        """Let go of the rows given and not yet written (their temporary file): once written,
        or when the workbook will not be."""
        if self._given_file is not None:
            self._given_file.close()
            self._given_file = None

    def _write_empty_row(self, row: int, spans: Any, row_info: Any = None) -> None:
        # xlsxwriter takes a given row for one with a height only (it holds no cell of its
        # own): its cells go inside. Rows come in order, so a run is read on from its start.
        if row not in self._reading:
            run = next(((r, offset) for r, offset in self._given if row in r), None)
            if run is None:
                super()._write_empty_row(row, spans, row_info)
                return
            if self._given_file is None or row != run[0].start:
                raise RuntimeError(f"row {row} of a run given from {run[0].start} comes first")
            self._reading = run[0]
            self._given_file.seek(run[1])
        if self._given_file is None:
            raise RuntimeError(f"row {row} is written after its rows were let go")
        self._write_row(row, spans, row_info)
        self.fh.write(self._given_file.readline()[:-1])
        self._xml_end_tag("row")

"""Rows given as their cells' XML (smso_xl.workbook.rowxml) are the rows xlsxwriter writes.

The national overview writes its tables' bodies this way (issue 26). The reference here is
xlsxwriter itself, through its public calls: the same table, cell by cell, must give the
same file, part for part.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from xlsxwriter.workbook import Workbook

from smso_xl.workbook.rowxml import MAX_CELL_UNITS, RowXmlWorksheet, cut_to_cell, fits_in_cell

CREATED = dt.datetime(2027, 3, 1, 12, 0)
HEADERS = ["Tekst", "Tall", "Dato", "Blandet", "Farget"]
# Forty rows (three blocks of 16 for the rows' spans), every kind of value and blanks.
ROWS = [[f"tiltak {i} & <mer>" if i % 7 else "linje én\nlinje to",
         i * 1.5 if i % 5 else None,
         dt.datetime(2027, 1 + i % 12, 1 + i % 28, 9 if i % 2 else 0, 30 if i % 2 else 0),
         ["tekst", 42, None, dt.datetime(2026, 12, 24)][i % 4],
         "Høy" if i % 3 else "Lav"] for i in range(40)]
TALL = {3: 45.0, 17: 30.0}  # rows (0-based in ROWS) of more than one line


class _Book(Workbook):
    worksheet_class = RowXmlWorksheet


def _formats(book: Workbook) -> dict[str, object]:
    formats = {"text": book.add_format({"valign": "top", "text_wrap": True}),
               "number": book.add_format({"num_format": "0.0"}),
               "date": book.add_format({"num_format": "dd.mm.yyyy hh:mm", "align": "left"}),
               "high": book.add_format({"bg_color": "#FFC7CE"}),
               "low": book.add_format({"bg_color": "#C6EFCE"}),
               "header": book.add_format({"bold": True})}
    for cell_format in formats.values():  # numbered in this order in both books
        cell_format._get_xf_index()  # type: ignore[attr-defined]
    return formats


def _column_formats(formats: dict[str, object]) -> list[object]:
    return [formats["text"], formats["number"], formats["date"], formats["text"], None]


def _colour(formats: dict[str, object], value: object) -> object:
    return formats["high"] if value == "Høy" else formats["low"]


def _table_options(formats: dict[str, object]) -> dict[str, object]:
    return {"name": "tblTest", "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": formats["header"]} for h in HEADERS]}


def _by_public_calls(path: Path, runs: int) -> None:
    book = Workbook(str(path))
    formats = _formats(book)
    ws = book.add_worksheet("Tiltak")
    ws.write_string(0, 0, "Tittel over tabellen", formats["header"])
    ws.add_table(2, 0, 2 + len(ROWS), len(HEADERS) - 1, _table_options(formats))
    # Run by run and column by column, as rowxml numbers the shared strings.
    size = -(-len(ROWS) // runs)
    cells = [(col, cell_format, offset) for start in range(0, len(ROWS), size)
             for col, cell_format in enumerate(_column_formats(formats))
             for offset in range(start, min(start + size, len(ROWS)))]
    for col, cell_format, offset in cells:
        value, row = ROWS[offset][col], 3 + offset
        own = cell_format or _colour(formats, value)
        if value is None:
            ws.write_blank(row, col, None, own)
        elif isinstance(value, str):
            ws.write_string(row, col, value, own)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, own)
        else:
            ws.write_number(row, col, value, own)
    for offset, height in TALL.items():
        ws.set_row(3 + offset, height)
    ws.write_string(4 + len(ROWS), 0, "Under tabellen")
    book.set_properties({"created": CREATED})
    book.close()


def _by_given_rows(path: Path, runs: int) -> None:
    book = _Book(str(path))
    formats = _formats(book)
    ws = book.add_worksheet("Tiltak")
    ws.write_string(0, 0, "Tittel over tabellen", formats["header"])
    ws.add_table_over_rows(2, 2 + len(ROWS), len(HEADERS) - 1, _table_options(formats))
    size = -(-len(ROWS) // runs)
    for start in range(0, len(ROWS), size):
        chunk = ROWS[start:start + size]
        cells = []
        for col, cell_format in enumerate(_column_formats(formats)):
            values = [values[col] for values in chunk]
            xf = (cell_format._get_xf_index() if cell_format is not None  # type: ignore[attr-defined]
                  else [_colour(formats, v)._get_xf_index() for v in values])  # type: ignore[attr-defined]
            cells.append(ws.column_xml(col, 3 + start, values, xf))
        ws.write_rows_xml(3 + start, map("".join, zip(*cells, strict=True)), len(HEADERS),
                          [TALL.get(start + offset) for offset in range(len(chunk))])
    ws.write_string(4 + len(ROWS), 0, "Under tabellen")
    book.set_properties({"created": CREATED})
    book.close()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("runs", [1, 3])
def test_rows_given_as_xml_make_the_file_xlsxwriter_makes_cell_by_cell(tmp_path, runs):
    _by_public_calls(tmp_path / "public.xlsx", runs)
    _by_given_rows(tmp_path / "given.xlsx", runs)
    public, given = _parts(tmp_path / "public.xlsx"), _parts(tmp_path / "given.xlsx")
    assert list(given) == list(public)
    for name, data in public.items():
        assert given[name] == data, name
    sheet = public["xl/worksheets/sheet1.xml"].decode()
    assert 'spans="1:5"' in sheet and 'ht="45"' in sheet and 'ref="A3:E43"' in (
        public["xl/tables/table1.xml"].decode())  # what is compared holds what it should


def test_a_cell_written_into_a_given_row_stops_the_workbook():
    # In memory: a close that stops half-way leaves no file open.
    book = _Book(io.BytesIO(), {"in_memory": True})
    ws = book.add_worksheet("Ark")
    ws.write_rows_xml(1, [ws.column_xml(0, 1, ["given"], 0)[0]], 1, [None])
    ws.write_string(1, 0, "cell by cell")  # would be lost silently
    with pytest.raises(ValueError, match="both as XML and cell by cell"):
        book.close()
    for sheet in book.worksheets():
        sheet.discard_rows()


def test_rows_must_come_with_their_heights(tmp_path):
    book = _Book(str(tmp_path / "heights.xlsx"))
    ws = book.add_worksheet("Ark")
    with pytest.raises(ValueError, match="2 rows given with 1 heights"):
        ws.write_rows_xml(1, ["<c/>", "<c/>"], 1, [None])
    ws.discard_rows()


def test_only_a_plain_table_goes_over_given_rows(tmp_path):
    book = _Book(str(tmp_path / "plain.xlsx"))
    ws = book.add_worksheet("Ark")
    with pytest.raises(ValueError, match="plain table"):
        ws.add_table_over_rows(0, 5, 1, {"total_row": True})


def test_text_is_cut_to_what_a_cell_holds_counted_as_excel_counts():
    assert fits_in_cell("x" * MAX_CELL_UNITS) and not fits_in_cell("x" * (MAX_CELL_UNITS + 1))
    faces = "😀" * 20_000  # beyond U+FFFF: two units each, 40 000 in all
    assert not fits_in_cell(faces)
    cut = cut_to_cell(faces)
    assert cut.endswith("…") and fits_in_cell(cut)
    assert len(cut.encode("utf-16-le")) // 2 == MAX_CELL_UNITS  # as much as fits, and «…»
    assert cut_to_cell("kort") == "kort"

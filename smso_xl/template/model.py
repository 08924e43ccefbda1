"""What the reader hands to the validator and the consolidator.

Positions are Excel positions (row and column from 1) and every cell keeps the A1 address the
user sees in their own file, whatever columns they moved or rows they inserted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..base.cells import a1
from ..base.errors import ReadError as ReadError  # raised by the reader; defined in errors
from ..base.findings import Finding
from .definition import Sheet

# --- the workbook layout shared by writer and reader -----------------------------------------
#: Table sheets: header in this row, data from the next row on.
TABLE_HEADER_ROW = 1
#: Organisering: first form field in this row (label in column A, value in column B).
FORM_FIRST_ROW = 3
FORM_LABEL_COL, FORM_VALUE_COL = 1, 2
#: Identity keys, in the metadata sheet (column A key, column B value, header in row 1) and as
#: custom document properties named ``smso.<key>`` (all stored as text).
IDENTITY_KEYS = ("template_id", "template_version", "region_code", "region_name", "year",
                 "file_id", "generated_at", "generator_version", "round", "source_sha256",
                 "issued_ids")
PROPERTY_PREFIX = "smso."


class Cell(NamedTuple):
    """One non-empty cell as read: its raw value (str, int, float, bool, date, datetime …).

    A named tuple, not a frozen dataclass: a plan of 300 actions has thousands of cells, and
    a tuple is made (and pickled to a worker's parent) at a fraction of the cost."""

    value: object
    row: int
    col: int

    @property
    def address(self) -> str:
        return a1(self.row, self.col)


@dataclass
class Row:
    """One non-blank row of a table sheet."""

    row: int                                   # Excel row number in the file
    cells: dict[str, Cell]                     # template column key → cell (non-empty only)
    extra: dict[str, Cell] = field(default_factory=dict)  # columns the region added: header → cell
    outside_table: bool = False                # below the workbook's Excel Table

    def raw(self, key: str) -> object:
        cell = self.cells.get(key)
        return None if cell is None else cell.value


@dataclass
class TableData:
    """A table sheet as found in the file."""

    spec: Sheet                      # the template's definition of the sheet
    name: str                        # the sheet's name in the file
    header_row: int
    columns: dict[str, int]          # template column key → column number in the file
    missing: tuple[str, ...]         # template column keys whose header was not found
    rows: list[Row]
    #: A1 of a cell hidden under a merge → the merge's visible top-left cell, which holds
    #: the value the reader gave it (findings point there, never at a hidden cell).
    merged: dict[str, str] = field(default_factory=dict)

    def address(self, key: str, row: int) -> str | None:
        col = self.columns.get(key)
        return None if col is None else a1(row, col)


@dataclass
class FormData:
    """The Organisering form: field key → value cell (absent when the cell is empty)."""

    name: str
    values: dict[str, Cell]
    rows: dict[str, int]             # field key → the row its label stands in (for findings)


@dataclass(frozen=True)
class Identity:
    template_id: str
    template_version: str
    region_code: str
    region_name: str
    year: int | None
    file_id: str
    generated_at: str
    generator_version: str
    source: str                      # "metadata" (the hidden sheet) or "properties"
    round: int = 1                   # 1: the plan round; 2, 3 …: status rounds of the year
    source_sha256: str = ""          # the returned file it was prefilled from (generate --from)
    # The highest ID each table had in the rounds before ("M3 T5 R2"): a new row's ID comes
    # after it, so an ID a region deleted is not given to another row (prefill.next_ids).
    issued_ids: str = ""


@dataclass
class Workbook:
    """A returned workbook as read. ``findings`` holds what reading itself found."""

    path: Path
    sha256: str
    size: int
    format: str                      # "xlsx" | "xlsm" | "ods"
    identity: Identity | None
    saved_at: dt.datetime | None     # the file's own "last saved" time (document properties)
    epoch1904: bool
    sheet_names: list[str]
    tables: dict[str, TableData]     # by template sheet name; absent when the sheet is missing
    form: FormData | None
    findings: list[Finding] = field(default_factory=list)
    template_version: str = ""       # the template version the file was read against

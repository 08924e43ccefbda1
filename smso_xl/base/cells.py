"""The one module that converts cell positions.

xlsxwriter counts rows and columns from 0, openpyxl and Excel users from 1, and users name
columns by letters. Everything in smso-xl passes *Excel positions* (1-based row and column)
between modules and converts here only.
"""

from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def column_letter(col: int) -> str:
    """1 → 'A', 27 → 'AA'."""
    if col < 1:
        raise ValueError(f"column {col} is not an Excel column (they start at 1)")
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' → 1, 'AA' → 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def a1(row: int, col: int, *, absolute: bool = False) -> str:
    """Excel row/column (1-based) → 'B7' (or '$B$7')."""
    if row < 1:
        raise ValueError(f"row {row} is not an Excel row (they start at 1)")
    if absolute:
        return f"${column_letter(col)}${row}"
    return f"{column_letter(col)}{row}"


def parse_a1(ref: str) -> tuple[int, int]:
    """'B7' → (7, 2)."""
    match = _A1.match(ref.upper())
    if not match:
        raise ValueError(f"{ref!r} is not a cell address")
    return int(match.group(2)), column_number(match.group(1))


def a1_range(first_row: int, first_col: int, last_row: int, last_col: int,
             *, absolute: bool = False) -> str:
    first = a1(first_row, first_col, absolute=absolute)
    return f"{first}:{a1(last_row, last_col, absolute=absolute)}"


def sheet_ref(sheet: str, ref: str) -> str:
    """A reference usable in formulas and defined names: quotes a sheet name when needed."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet):
        return f"{sheet}!{ref}"
    return "'" + sheet.replace("'", "''") + f"'!{ref}"


def from_zero_based(row: int, col: int) -> tuple[int, int]:
    """xlsxwriter / python-calamine positions (from 0) → Excel positions (from 1)."""
    return row + 1, col + 1


def to_zero_based(row: int, col: int) -> tuple[int, int]:
    """Excel positions (from 1) → xlsxwriter positions (from 0)."""
    return row - 1, col - 1

"""Which rows of a table are filled, in Python and as a formula: the writer's cached results
and the formulas they cache stand on the same definition (``kinds.filled_by``, and the word
«filled» of ``template.formulas``)."""

from __future__ import annotations

from collections.abc import Mapping

from ..base.cells import column_letter, sheet_ref
from ..template import formulas as words
from ..template.definition import Sheet
from ..template.kinds import filled_by


def is_filled(sheet: Sheet, row: Mapping[str, object]) -> bool:
    """The word «filled» in Python (template.formulas): the cached results of its formulas."""
    return words.is_filled(row, filled_by(sheet))


def filled_formula(sheet: Sheet, rows: str, *, qualified: bool = False) -> str:
    """The word «filled» over the filled-by columns of ``rows`` ("4" for one row, "$2:$1001"
    for a block of rows); a block, or a row when ``qualified``, names the sheet."""
    def ref(letter: str) -> str:
        if ":" not in rows:
            return sheet_ref(sheet.name, f"${letter}{rows}") if qualified else f"${letter}{rows}"
        start, end = rows.split(":")
        return sheet_ref(sheet.name, f"${letter}{start}:${letter}{end}")

    return words.filled([ref(col_letter(sheet, key)) for key in filled_by(sheet)])


def col_letter(sheet: Sheet, key: str) -> str:
    return column_letter([c.key for c in sheet.columns].index(key) + 1)

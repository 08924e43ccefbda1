"""How a table sheet sits on the screen and on paper, reckoned from its column widths.

Widths are Excel's: characters of the default font's digit (Calibri 11). On the screen Excel
draws a width ``w`` as ``7 w + 5`` pixels at 100 % zoom. On paper the widths are reckoned in
the widest font a workbook meets.

LibreOffice without Calibri or Carlito draws in DejaVu Sans, and a column of width ``w``
prints ``6.9 w + 6.2`` points wide at 100 % (measured from the header words' positions in
its PDF); Excel's Calibri needs ``5.25 w + 3.75``. Pages are laid out for the wider, with a
little room to spare, so that they fit in every application.

A table prints with its key columns (the ID to the title) repeated on every page across and
down. The scale gives the fewest pages across (one, else two) at the largest scale that does, with
the columns that say who, when and in what state (Ansvarlig, Frist, Status) on the first
page, and never text below 8 pt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..base.formats import FONT_SIZE, printable_width

#: Excel at 100 %: pixels per character of width and the cell's padding (Calibri 11, whose
#: digit is 7 px wide: the default width 8.43 is 64 px).
PX_PER_CHAR, PX_PADDING = 7, 5
#: A 1366 px laptop screen, less what Excel draws beside the cells at 100 %: the row
#: numbers (about 34 px for three digits), the vertical scroll bar (17 px) and the window's
#: edges (16 px).
SCREEN_PX, SCREEN_CHROME_PX = 1366, 67
#: Printed points of a column at 100 %, per character of width and for the cell's padding,
#: in LibreOffice's DejaVu Sans (measured 6.9 and 6.2), rounded up.
PT_PER_CHAR, PT_PADDING = 7.0, 6.5
#: Printed text is never smaller than this.
MIN_PRINTED_PT = 8.0
#: A4's long and short side, in points.
A4_LANDSCAPE_PT, A4_PORTRAIT_PT = 842.0, 595.0
#: At most this many pages across for one row of a table.
MAX_PAGES_ACROSS = 2


def screen_px(width: float) -> int:
    """The pixels Excel draws a column of this width in, at 100 % zoom (the width as Excel
    shows it; the file stores it with the padding, 0.71 more)."""
    if width < 1:
        return int(width * (PX_PER_CHAR + PX_PADDING) + 0.5)
    return int(width * PX_PER_CHAR + 0.5) + PX_PADDING


def visible_columns(widths: Sequence[float], screen: int = SCREEN_PX) -> int:
    """How many columns, from the first, a screen this wide shows whole at 100 %."""
    room, shown = screen - SCREEN_CHROME_PX, 0
    for width in widths:
        room -= screen_px(width)
        if room < 0:
            break
        shown += 1
    return shown


def smallest_scale(font_pt: float = FONT_SIZE) -> int:
    """The smallest print scale (%) at which text of this size prints at 8 pt or more."""
    return math.ceil(100 * MIN_PRINTED_PT / font_pt)


def pages_across(widths: Sequence[float], key_columns: int, scale: int) -> list[list[int]]:
    """The columns (indexes) on each page across, the first ``key_columns`` on every page:
    how Excel and LibreOffice break a row that is wider than the page."""
    room = printable_width() * 100 / scale
    printed = [PT_PER_CHAR * width + PT_PADDING for width in widths]
    keys = sum(printed[:key_columns])
    pages: list[list[int]] = []
    page: list[int] = list(range(key_columns))
    used = keys
    for index in range(key_columns, len(widths)):
        if used + printed[index] > room and len(page) > key_columns:
            pages.append(page)
            page, used = list(range(key_columns)), keys
        page.append(index)
        used += printed[index]
    pages.append(page)
    return pages


def table_scale(widths: Sequence[float], key_columns: int, first_page: int) -> int | None:
    """The print scale (%) of a table: the fewest pages across (one, else two), at the
    largest scale that gives them, with the columns up to index ``first_page`` on the first
    page. None when no readable scale does (an older version's wider columns: it then
    prints as ``formats.print_scale`` has it, on as many pages as it needs)."""
    for most in range(1, MAX_PAGES_ACROSS + 1):
        for scale in range(100, smallest_scale() - 1, -1):
            pages = pages_across(widths, key_columns, scale)
            if len(pages) <= most and first_page in pages[0]:
                return scale
    return None


def fit_scale(widths: Sequence[float], *, portrait: bool = False) -> int:
    """The largest print scale (%), at most 100 and never below the readable, at which
    columns of these widths fit across one A4 page."""
    room = printable_width() - (A4_LANDSCAPE_PT - A4_PORTRAIT_PT if portrait else 0)
    printed = sum(PT_PER_CHAR * width + PT_PADDING for width in widths)
    return max(smallest_scale(), min(100, math.floor(100 * room / printed)))


#: Advance widths of DejaVu Sans (units of 1/2048 em), the widest font a workbook meets:
#: LibreOffice's substitute where Calibri and Carlito are missing. Others: ``_OTHER``.
_WIDTHS = {
    **dict.fromkeys(" .,", 651), **dict.fromkeys("ijlIJ", 569), **dict.fromkeys("ft", 760),
    "r": 842, ":": 690, ";": 690, "/": 690, "-": 739, "(": 799, ")": 799, "«": 1067,
    "»": 1067, "s": 1067, "z": 1075, "?": 1087, "c": 1126, "k": 1186, "L": 1141,
    **dict.fromkeys("vxy", 1212), **dict.fromkeys("aå", 1255), "e": 1260, "o": 1253,
    "ø": 1253, **dict.fromkeys("bdghnpqu0123456789", 1300), "m": 1995, "w": 1675,
    "æ": 2011, "–": 1024, "…": 2048, "W": 2025, "M": 1767,
}
_OTHER = 1450  # capitals and the rest, on the wide side
#: Points a cell's text may fill of its column: as many letters as LibreOffice puts on one
#: line of a wrapping cell (DejaVu Sans 11 pt; «n», «m» and «i» in columns 8 to 44 wide:
#: 6.87 w + 5.5 pt), and a line of 11 pt text in Excel (LibreOffice: 12.8).
_TEXT_PT_PER_CHAR, _TEXT_PT_EXTRA, LINE_PT = 6.87, 5.5, 15.0
#: The first data row of a table: one line, with room for LibreOffice's taller line.
FIRST_ROW_PT = 15.75


#: Bold text is wider: DejaVu Sans Bold against its regular, as many letters as fit a line
#: in LibreOffice: 12 % for «n», 9 % for «m», 25 % for «i» (measured in columns 12 to 44
#: wide). Wrapped text is reckoned 15 % wider.
BOLD_WIDER = 1.15
#: The most points a character of 11 pt text takes (bold, the widest: «…», «W», «æ»).
_MAX_CHAR_PT = max(*_WIDTHS.values(), _OTHER) * FONT_SIZE / 2048 * BOLD_WIDER


def _text_pt(text: str, font_pt: float = FONT_SIZE) -> float:
    return sum(_WIDTHS.get(char, _OTHER) for char in text) * font_pt / 2048


def line_room(width_chars: float) -> float:
    """Points a line of text may fill in a column of this width."""
    return _TEXT_PT_PER_CHAR * width_chars + _TEXT_PT_EXTRA


def surely_one_line(width_chars: float) -> float:
    """Characters of text that fit one line of a column this wide, however wide each is:
    shorter text need not be measured."""
    return line_room(width_chars) / _MAX_CHAR_PT


def text_lines(text: str, width_chars: float, bold: bool = False) -> int:
    """How many lines wrapped text takes in a column of this width: words wrap whole, as
    in Excel and LibreOffice, or after a hyphen (LibreOffice prints «party-mandate-unsettled»
    on three lines where the whole does not fit one); a word longer than the line is
    broken."""
    if len(text) <= surely_one_line(width_chars) and "\n" not in text:
        return 1  # most cells: too short to wrap in any letters
    room = line_room(width_chars) / (BOLD_WIDER if bold else 1)
    space = _text_pt(" ")
    lines = 0
    for part in text.split("\n"):
        lines, used = lines + 1, 0.0
        for word in part.split(" "):
            for index, piece in enumerate(_AFTER_HYPHEN.split(word)):
                size, gap = _text_pt(piece), space if used and index == 0 else 0.0
                if used and used + gap + size > room:
                    lines, used, gap = lines + 1, 0.0, 0.0
                if size > room:  # broken over lines of its own
                    lines += math.ceil(size / room) - 1
                    size %= room
                used += gap + size
    return lines


_AFTER_HYPHEN = re.compile(r"(?<=-)(?=[^-])")  # where a word may break: after its hyphens


def text_height(text: str, width_chars: float, line_height: float = LINE_PT) -> float:
    """Row height for wrapped text: Excel and LibreOffice keep the stored height of a file
    they open, and text taller than its row prints over the next row."""
    return max(line_height, text_lines(text, width_chars) * line_height)

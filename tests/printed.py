"""Reading printed pages back: a PDF that headless LibreOffice printed, read with
``pdftotext -bbox`` into words with their place and height, and split into sheets by the
footer every page carries («… – Tiltak Side 3 av 30»). Used by the printing tests.

The size of printed text is read from the word boxes, measured against a cell of known
size printed in the same run (:func:`calibration`): a box is taller than the font's point
size by a factor of the font, and LibreOffice substitutes fonts.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter


@dataclass
class Page:
    sheet: str
    footer: str
    words: list[tuple[float, float, float, str, float]]  # x, top, height, text, right
    # (without the footer)


def pages_of(pdf: Path) -> list[Page]:
    """The pages of a PDF LibreOffice printed, each by the sheet its footer names."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out).replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    pages = []
    for page in ET.fromstring(out).iter("page"):
        words = [(float(w.get("xMin", 0)), float(w.get("yMin", 0)),
                  float(w.get("yMax", 0)) - float(w.get("yMin", 0)), w.text or "",
                  float(w.get("xMax", 0))) for w in page.iter("word")]
        bottom = max((w[1] for w in words), default=0.0)
        footer = [w for w in words if w[1] > bottom - 1]
        text = " ".join(w[3] for w in sorted(footer))
        match = re.search(r"– (.+?) Side \d+ av \d+$", text)
        if not re.search(r"Side \d+ av \d+$", text):
            footer, text = [], ""
        pages.append(Page(match[1] if match else "", text,
                          [w for w in words if w not in footer]))
    return pages


def by_sheet(pages: list[Page]) -> dict[str, list[Page]]:
    """The pages per sheet, in the order printed."""
    sheets: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        sheets[page.sheet].append(page)
    return dict(sheets)


def calibration(path: Path) -> Path:
    """One word at 10 pt, printed at 100 %."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Kalibrering")
    ws.write_string(0, 0, "Kalibrering", book.add_format({"font_name": "Calibri",
                                                          "font_size": 10}))
    ws.set_print_scale(100)
    book.close()
    return path


def over_each_other(page: Page) -> list[tuple[str, str]]:
    """Pairs of words printed over each other on a page: boxes that overlap by more than a
    point across and a third of a line down. Text turned on end (Oversikt's headers: a box
    much taller than a line) is left out."""
    heights = sorted(w[2] for w in page.words)
    line = heights[len(heights) // 2] if heights else 0.0
    words = sorted((w for w in page.words if w[2] <= 2 * line), key=lambda w: w[1])
    found = []
    for index, (x, top, height, text, right) in enumerate(words):
        for x2, top2, height2, text2, right2 in words[index + 1:]:
            if top2 >= top + height:
                break  # sorted by top: no later word reaches this one's line
            across = min(right, right2) - max(x, x2)
            down = min(top + height, top2 + height2) - max(top, top2)
            if across > 1 and down > min(height, height2) / 3:
                found.append((text, text2))
    return found

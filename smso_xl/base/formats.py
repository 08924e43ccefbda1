"""What the workbooks smso-xl reads and writes look like: file formats by suffix, and the one
look every workbook it writes shares — colours and their legend, font, paper and footer.

Shared by validation (which files a folder holds) and the mail package (which attachments
are workbooks, and their MIME types); it sits below both so that neither imports the other.
The look is shared by the regional workbook (writer), its feedback copy (feedback) and the
national overview (overview): a colour means the same on every sheet of every one of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: What a folder is searched for. A file named explicitly is always tried (and gets a clear
#: finding when it is not a workbook); in a folder, other files are not plans.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")

#: MIME types of the files smso-xl attaches and collects, by suffix.
WORKBOOK_MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".xls": "application/vnd.ms-excel",
    ".xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
}

# --- the look ------------------------------------------------------------------------------

FONT_NAME, FONT_SIZE = "Calibri", 11
HEADER_FILL = "#1F4E78"  # header rows, titles and headings
INPUT_FILL, LOCKED_FILL = "#FFF8DC", "#E7E6E6"
#: Red marks an error everywhere: a missing or refused value in the workbook, a blocking
#: count on Sjekk, an error in the feedback copy and on the overview.
ERROR_FILL, ERROR_TEXT = "#FFC7CE", "#9C0006"
OVERDUE_TEXT = "#C00000"
#: A warning is orange, never the light yellow of the cells a region types in.
WARNING_FILL = "#F8CBAD"
INFO_FILL = "#DDEBF7"
OK_FILL, OK_TEXT = "#C6EFCE", "#006100"


@dataclass(frozen=True)
class LegendEntry:
    """One colour and what it means; ``word`` names the colour in a sentence."""

    style: str
    word: str
    short: str   # what it means, in a few words (Sjekk, Tilbakemelding)
    text: str    # the sentence on Veiledning
    fill: str | None = None
    font: str | None = None


#: The one colour legend: Veiledning shows it whole, Sjekk and Tilbakemelding the entries
#: they use. (The risk levels' colours come from the template.)
LEGEND = (
    LegendEntry("input", "gul", "her fyller dere inn", "Gul celle: her fyller dere inn.",
                INPUT_FILL),
    LegendEntry("locked", "grå", "gitt eller beregnet", "Grå celle: fylt ut på forhånd eller "
                "beregnet – kan ikke endres.", LOCKED_FILL),
    LegendEntry("error", "rød", "feil – må rettes før innsending", "Rød celle: feil – her "
                "mangler noe, eller det er ikke godtatt: ansvarlig eller frist på en utfylt "
                "rad, et standpunkt om en part, en vurdering, et navn som «?» eller «alle», et "
                "ark uten én utfylt rad, eller en kontroll som ikke viser 0.",
                ERROR_FILL, ERROR_TEXT),
    LegendEntry("overdue", "rød tekst", "fristen er passert", "Rød tekst: fristen er passert, "
                "og tiltaket er ikke fullført.", None, OVERDUE_TEXT),
    LegendEntry("warning", "oransje", "advarsel – se over", "Oransje celle: advarsel i "
                "tilbakemeldingen fra koordinatoren – se over, men planen kan sendes.",
                WARNING_FILL),
    LegendEntry("info", "blå", "merknad", "Blå celle: merknad i tilbakemeldingen – til "
                "informasjon.", INFO_FILL),
    LegendEntry("ok", "grønn", "i orden", "Grønn celle: i orden – kontrollen viser 0, planen "
                "er klar.", OK_FILL, OK_TEXT),
)
LEGEND_BY_STYLE = {entry.style: entry for entry in LEGEND}

# --- paper ---------------------------------------------------------------------------------

#: No page shrinks its text below 80 %: 11 pt prints at 8.8 pt. A sheet wider than a page
#: continues on the next one, its key columns repeated, rather than shrinking further.
MIN_PRINT_SCALE = 80
_A4_LANDSCAPE_PT, _SIDE_MARGIN_IN = 842.0, 0.4


#: Printed points per character of column width in the widest font a workbook meets:
#: LibreOffice without Calibri or its twin Carlito draws in DejaVu Sans (measured: 7.2 pt;
#: Calibri itself needs 5.25). A page laid out for it fits in every application.
_PT_PER_CHAR = 7.25


def printable_width() -> float:
    """Points across A4 landscape between the side margins."""
    return _A4_LANDSCAPE_PT - 2 * _SIDE_MARGIN_IN * 72


def print_scale(widths: Sequence[float]) -> int:
    """The print scale (%) at which columns of these widths (Excel's characters) fit across
    A4 landscape, between MIN_PRINT_SCALE and 100."""
    width = sum(widths) * _PT_PER_CHAR
    return max(MIN_PRINT_SCALE, min(100, math.floor(100 * printable_width() / max(width, 1))))


def page_width(scale: int = MIN_PRINT_SCALE) -> float:
    """How many characters of column width fit across one A4 landscape page at ``scale``
    (%): what a sheet that may span pages lays its columns out against."""
    return (_A4_LANDSCAPE_PT - 2 * _SIDE_MARGIN_IN * 72) / (_PT_PER_CHAR * scale / 100)


def footer_parts(title: str) -> tuple[str, str]:
    """Every printed page names the workbook (region and year, or the national overview),
    the sheet and the page: a loose page finds its place again. (Left, right.)"""
    return f"{title.replace('&', '&&')} – &A", "Side &P av &N"


def footer(title: str) -> str:
    left, right = footer_parts(title)
    return f"&L{left}&R{right}"


def set_up_page(ws: Any, title: str, widths: Sequence[float], *, header_row: int | None = None,
                key_columns: int = 0, scale: int | None = None) -> None:
    """Print setup of an xlsxwriter worksheet: A4 landscape at a readable scale (``scale``,
    else ``print_scale``), the header row (0-based) on every page, the first ``key_columns``
    on every page across, the footer."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_print_scale(scale or print_scale(widths))
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(footer(title))
    if header_row is not None:
        ws.repeat_rows(header_row)
    if key_columns:
        ws.repeat_columns(0, key_columns - 1)

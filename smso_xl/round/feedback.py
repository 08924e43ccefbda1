"""Feedback copies (``validate --feedback DIR``): each returned workbook, marked up for the region.

Each readable input gets a copy ``<original stem>-tilbakemelding.xlsx`` (``.xlsm`` for a macro
workbook; an ASCII suffix joined with a hyphen, like the generated files' names), written
atomically; the input is only read. Its first, active sheet ``Tilbakemelding`` says what it is
and how to fix, counts the findings and lists them, errors first, each linked to its cell. Each
finding's cell gets a fill by severity and one comment (author ``smso-xl``) with all its
messages; only the fill changes, never the value, number format, font, borders or lock. A
row that holds a mark but was hidden (by a filter or by hand) is shown, and a filter that hid
one is cleared, its range kept; the Tilbakemelding sheet says so.

xlsx/xlsm go through openpyxl (``keep_vba`` for .xlsm; external links dropped). It keeps values,
styles, the named-range dropdowns, conditional formats, Tables, defined names, protection,
hidden/very hidden sheets, print setup and custom properties (the tests check each). It drops
what it does not model: images (without Pillow), shapes, form controls, slicers, threaded
comments (their notes stay), validations and formats kept in extension lists (x14 data bars,
sparklines), external links, comment box sizes, and formulas' cached results (Excel and
LibreOffice recalculate on open). ``FeedbackFile.lost`` names what one file lost.

openpyxl cannot read .ods, and LibreOffice must not be needed at runtime, so an .ods copy is
*rebuilt* as .xlsx: the template workbook regenerated with the file's identity (region, year,
file id), every sheet's values from the .ods written at the same positions, the region's extra
sheets appended. All data and working dropdowns survive; the region's own formatting, formulas
and comments do not, and moved columns no longer line up with the template's dropdowns (the
Tilbakemelding sheet tells the region). A file not made from this template version is rebuilt
into a blank workbook instead.

A copy that comes back for another round loses our old sheet, comments and fills first.
``write_all`` returns one :class:`FeedbackFile` per input: the copy, or in ``problem`` one
Norwegian sentence why there is none. One file's failure never stops the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import python_calamine as calamine
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.drawing.image import PILImage
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Color, Font, PatternFill
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..base.cells import a1, parse_a1
from ..base.errors import FeedbackError
from ..base.fileio import OutputError, atomic_output
from ..base.findings import ERROR, INFO, SEVERITY_LABELS, SEVERITY_ORDER, WARNING, Finding, counts
from ..base.formats import (
    FONT_NAME,
    FONT_SIZE,
    HEADER_FILL,
    INPUT_FILL,
    LEGEND_BY_STYLE,
    LOCKED_FILL,
    footer_parts,
    print_scale,
)
from ..template.config import Region, default_parties, load_settings, return_date
from ..template.definition import load_templates
from ..template.model import Identity, ReadError, TableData
from ..workbook.fill import load_workbook
from ..workbook.layout import text_height
from ..workbook.reader import find_sheet
from ..workbook.sniff import Package, sniff
from ..workbook.writer import DATE_FORMAT, PlanContext, write_plan
from .validation import FileReport, ValidationReport

SUFFIX = "-tilbakemelding"  # the copy's name: the input's stem and this
_FEEDBACK_SUFFIX = re.compile(r"[-_ ]tilbakemelding(?:[ _]*\(\d+\))?$", re.IGNORECASE)
SHEET, TITLE, AUTHOR = "Tilbakemelding", "Tilbakemelding på handlingsplanen", "smso-xl"
# The marks' colours: the legend's (formats.LEGEND), by severity.
SEVERITY_STYLES = {ERROR: "error", WARNING: "warning", INFO: "info"}
FILLS = {severity: "FF" + (LEGEND_BY_STYLE[style].fill or "").lstrip("#")
         for severity, style in SEVERITY_STYLES.items()}
# The fixed fills copies made before the marks were live: a later round clears them.
OLD_FILLS = ("FFFF9F9F", "FFFFE066", "FFCFE2F3")
# A region's own comment stays below ours, after this line, and comes back in the next round.
OWN_COMMENT = "\n\n— Kommentar som sto her fra før —\n"
# As wide as fits across an A4 landscape page at a readable scale (formats.print_scale).
HEADERS = (("Alvorlighet", 12), ("Ark", 14), ("Celle", 8), ("Kolonne", 16), ("Verdi", 18),
           ("Melding", 56), ("Nå", 10))
# The marks are conditional formats that hold while the cell still holds what was flagged;
# this term, always 0, tags ours, so that the next round's copy replaces them.
MARK_TAG = 'N("smso-xl")+'
STILL, CHANGED = "Gjenstår", "Endret"
#: Excel refuses text constants longer than this in a formula; longer values are compared
#: by their beginning.
FORMULA_TEXT = 200
# Package parts openpyxl does not carry into the copy (it warns about shapes and extensions).
DROPPED_PARTS = {"xl/threadedComments/": "trådede kommentarer (notatene er beholdt)",
                 "xl/slicers/": "slicere", "xl/ctrlProps/": "skjemakontroller",
                 "xl/externalLinks/": "koblinger til andre filer", "customXml/": "egen XML"}
# calamine's visibility → openpyxl's sheet state (the enum is not hashable: no dict).
HIDDEN = ((calamine.SheetVisibleEnum.Hidden, "hidden"),
          (calamine.SheetVisibleEnum.VeryHidden, "veryHidden"))
REBUILT = "laget på nytt fra .ods: egen formatering, formler og kommentarer er ikke med"


@dataclass(frozen=True)
class FeedbackFile:
    """One input's outcome: its copy, or why there is none; and what the copy lost."""

    source: Path
    path: Path | None
    problem: str | None = None
    lost: tuple[str, ...] = ()


def feedback_name(source: Path, fmt: str) -> str:
    """``<stem>-tilbakemelding.xlsx``, once: a copy that comes back for another round
    («…-tilbakemelding.xlsx», «…-tilbakemelding (2).xlsx» as a mail program saves it) keeps
    its stem's own suffix instead of getting a second one."""
    stem = _FEEDBACK_SUFFIX.sub("", source.stem) or source.stem
    return f"{stem}{SUFFIX}.{'xlsm' if fmt == 'xlsm' else 'xlsx'}"


def write_feedback(report: FileReport, out_dir: Path, *,
                   inputs: Sequence[Path] = ()) -> Path | None:
    """The feedback copy of one validated file; None when the file could not be read at all.

    Raises OutputError (target locked, folder not writable), ReadError or FeedbackError (the
    input changed since it was validated); ``write_all`` records those instead."""
    return _write(report, out_dir, inputs=(report.path, *inputs), taken=set())[0]


def write_all(report: ValidationReport, out_dir: Path) -> list[FeedbackFile]:
    """One FeedbackFile per input, in order; same-named inputs get distinct copies."""
    inputs = tuple(r.path for r in report.files)
    # An input in the output folder (last round's copy, say) keeps its name: never overwritten.
    taken = {p.name.lower() for p in inputs if p.parent.resolve() == out_dir.resolve()}
    results = []
    for item in report.files:
        if item.workbook is None:
            results.append(FeedbackFile(item.path, None, "Filen kunne ikke leses, så det er "
                                        "ingen kopi å merke; se funnene i rapporten."))
            continue
        try:
            path, lost = _write(item, out_dir, inputs=inputs, taken=taken)
            results.append(FeedbackFile(item.path, path, lost=lost))
        except Exception as exc:  # one broken file must never stop the batch
            reason = str(exc) if isinstance(exc, OutputError | ReadError | FeedbackError) \
                else f"uventet feil ({type(exc).__name__}: {exc})"
            results.append(FeedbackFile(item.path, None, reason))
    return results


def _write(report: FileReport, out_dir: Path, *, inputs: tuple[Path, ...],
           taken: set[str]) -> tuple[Path | None, tuple[str, ...]]:
    if report.workbook is None:
        return None, ()
    package = sniff(report.path)  # the validator's size and safety checks, again
    with warnings.catch_warnings(record=True) as caught:
        if hashlib.sha256(package.data).hexdigest() != report.workbook.sha256:
            # The marks belong to the bytes that were checked, not to a newer save.
            raise FeedbackError("filen er endret etter kontrollen. Kontroller den på nytt.")
        # openpyxl warns about what it drops: that goes into ``lost``, never onto stderr.
        warnings.simplefilter("always")
        if package.format == "ods":
            wb, lost = _rebuild(package, report.workbook.identity), [REBUILT]
        else:
            if not openpyxl.DEFUSEDXML:  # e.g. OPENPYXL_DEFUSEDXML=False in the environment
                raise FeedbackError("openpyxl leser XML uten defusedxml, og det er ikke trygt "
                                    "for filer fra e-post. Installer defusedxml og fjern "
                                    "OPENPYXL_DEFUSEDXML fra miljøet.")
            # The checked copy (sniff): openpyxl sees only the bytes that were verified.
            wb = load_workbook(package.verified, rich_text=True,
                               keep_vba=package.format == "xlsm", keep_links=False)
            lost = [note for part, note in DROPPED_PARTS.items()
                    if any(name.startswith(part) for name in package.names)]
            if PILImage is None and any(n.startswith("xl/media/") for n in package.names):
                lost.append("bilder (Pillow er ikke installert)")
        _clear_previous_round(wb)
        _compute_added_rows(wb, report, rebuilt=package.format == "ods")
        _mark_cells(wb, report.findings)
        shown = _show_hidden_marks(wb, report.findings)
        _add_sheet(wb, report, rebuilt=package.format == "ods", shown=shown)
        target = out_dir / _unique(feedback_name(report.path, package.format), taken)
        with atomic_output(target, inputs=inputs) as tmp:
            wb.save(tmp)
    lost += sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    return target, tuple(lost)


def _compute_added_rows(wb: XlWorkbook, report: FileReport, *, rebuilt: bool) -> None:
    """A row the region added holds no formula (the writer leaves empty rows empty, issue
    16): in the copy its computed cells (the risk score and level) get the template's
    formula, so the region reads the level the check acted on. A cell with anything in it
    is left as it is (``computed-mismatch`` speaks of it) — but in a copy rebuilt from .ods,
    where the values are what the region's formulas showed, the formula comes back."""
    book, plan = report.workbook, report.plan
    template = load_templates().get(book.template_version) if book else None
    if book is None or plan is None or template is None:
        return
    for sheet in template.tables:
        table, computed = book.tables.get(sheet.name), [
            c for c in sheet.columns if c.formula and c.key]
        ws = _sheet(wb, table.name) if table is not None and computed else None
        if table is None or ws is None:
            continue
        for plan_row in plan.rows.get(sheet.name, ()):
            for column in computed:
                address = table.address(column.key, plan_row.row)
                cell = ws[address] if address else None
                if cell is None or isinstance(cell, MergedCell) or cell.data_type == "f" or (
                        cell.value not in (None, "") and not rebuilt):
                    continue
                try:
                    ws[address] = "=" + template.formula(sheet, column.formula,
                                                         _row_ref(table, plan_row.row))
                except KeyError:
                    continue  # a column the formula needs is missing (its own finding)


def _row_ref(table: TableData, row: int) -> Callable[[str], str]:
    """A column's cell in ``row`` of the file, by key (KeyError: the file lacks it)."""
    def ref(key: str) -> str:
        address = table.address(key, row)
        if address is None:
            raise KeyError(key)
        return address
    return ref


def _unique(name: str, taken: set[str]) -> str:
    """Two inputs called Agder.xlsx (in two folders) must not overwrite each other's copy."""
    stem, _, suffix = name.rpartition(".")
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem}-{number}.{suffix}"
    taken.add(candidate.lower())
    return candidate


# --- marks at the cells ----------------------------------------------------------------------


def _sheet(wb: XlWorkbook, name: str | None) -> Worksheet | None:
    """Exact name, else tolerant: a rebuilt .ods copy spells its sheets as the template does."""
    found = find_sheet(wb.sheetnames, name) if name else None
    sheet = wb[found] if found else None
    return sheet if isinstance(sheet, Worksheet) else None


def _position(ws: Worksheet, ref: str) -> tuple[int, int] | None:
    """Where a mark can go: a merged cell is read-only, so its range's top-left cell."""
    try:
        row, col = parse_a1(ref)
    except ValueError:
        return None
    if row > 1_048_576 or col > 16_384:
        return None
    merged = next((r for r in ws.merged_cells.ranges if a1(row, col) in r), None)
    return (merged.min_row, merged.min_col) if merged else (row, col)


def _mark_cells(wb: XlWorkbook, findings: Sequence[Finding]) -> None:
    groups: dict[tuple[str, int, int], list[Finding]] = {}
    for item in findings:
        ws = _sheet(wb, item.sheet)
        for ref in item.every_cell:  # a grouped finding marks every cell it stands for
            position = _position(ws, ref) if ws is not None else None
            if ws is not None and position is not None:
                groups.setdefault((ws.title, *position), []).append(item)
    for (title, row, col), group in groups.items():
        ws = wb[title]
        cell = ws.cell(row, col)
        worst = min((f.severity for f in group), key=SEVERITY_ORDER.__getitem__)
        # Live: the mark holds while the cell holds what was flagged, and goes when the region
        # changes it. Value, format, font and borders stay as they are.
        ws.conditional_formatting.add(cell.coordinate, FormulaRule(
            formula=[MARK_TAG + still_flagged(cell)], fill=_mark_fill(FILLS[worst]),
            stopIfTrue=False))
        text = "\n\n".join(dict.fromkeys(f.message for f in group))
        if cell.comment is not None:  # the region's own (ours went in _clear_previous_round)
            text += OWN_COMMENT + cell.comment.text
        cell.comment = _comment(text)


def _show_hidden_marks(wb: XlWorkbook, findings: Sequence[Finding]) -> list[str]:
    """A mark in a row that a filter or the region hid is a mark nobody sees: such rows are
    shown. A filter that hid one is cleared as Excel's «Fjern filter» does — its criteria go
    and every row of its range is shown; the range and its buttons stay, so the region can
    filter again. Rows hidden by hand elsewhere stay hidden unless they hold a mark. No
    value, sort order or other setting changes. Returns what was done, one sentence per
    sheet, for the Tilbakemelding sheet."""
    marked: dict[str, set[int]] = {}
    for item in findings:
        ws = _sheet(wb, item.sheet)
        for ref in item.every_cell:
            position = _position(ws, ref) if ws is not None else None
            if ws is not None and position is not None:
                marked.setdefault(ws.title, set()).add(position[0])
    said = []
    for title, rows in marked.items():
        ws = wb[title]
        hidden = sorted(r for r in rows if ws.row_dimensions[r].hidden)
        if not hidden:
            continue
        filters = [f for f in (ws.auto_filter, *(t.autoFilter for t in ws.tables.values()))
                   if f is not None and f.ref and f.filterColumn
                   and any(r in _rows_of(f.ref) for r in hidden)]
        for autofilter in filters:
            autofilter.filterColumn = []
            in_range = _rows_of(autofilter.ref)
            for row, dimension in ws.row_dimensions.items():  # the few rows it describes
                if dimension.hidden and row in in_range:
                    dimension.hidden = False
        for row in hidden:
            ws.row_dimensions[row].hidden = False
        where = ", ".join(str(r) for r in hidden)
        said.append(f"Arket {title}: rad {where} var skjult, men har merkede celler, og vises "
                    "nå" + (". Filteret er derfor fjernet (filterknappene er der fortsatt)."
                            if filters else "."))
    return said


def _rows_of(ref: str) -> range:
    """The rows of a filter's range below its header row (none for a range that makes no
    sense: the file came by e-mail)."""
    try:
        bounds = CellRange(ref)
    except (ValueError, TypeError):
        return range(0)
    return range(bounds.min_row + 1, bounds.max_row + 1)


def still_flagged(cell: Cell, sheet: str | None = None) -> str:
    """A formula (without '=') true while ``cell`` holds the value it holds now: the same
    text, the same number or date, or still nothing. ``sheet`` qualifies the reference for
    a formula on another sheet."""
    quoted = None if sheet is None else sheet.replace("'", "''")
    ref = cell.coordinate if quoted is None else f"'{quoted}'!{cell.coordinate}"
    value = cell.value
    if value is None or value == "":
        return f"LEN({ref})=0"
    if isinstance(value, bool):
        return f"{ref}={'TRUE' if value else 'FALSE'}"
    if isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return f"AND(ISNUMBER({ref}),INT({ref})=DATE({day.year},{day.month},{day.day}))"
    if isinstance(value, int | float):
        return f"AND(ISNUMBER({ref}),{ref}={value!r})"
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:FORMULA_TEXT].replace('"', '""')
    return f'EXACT(LEFT({ref},{FORMULA_TEXT}),"{text}")'


def _comment(text: str, author: str = AUTHOR) -> Comment:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    lines = sum(1 + len(part) // 55 for part in text.split("\n"))
    return Comment(text, author, height=min(20 + 15 * lines, 400), width=320)


def _mark_fill(argb: str) -> PatternFill:
    """A conditional format's fill: Excel reads a solid one's colour from the background."""
    return PatternFill(fill_type="solid", start_color=argb, end_color=argb)


def _solid(argb: str) -> PatternFill:
    # Background "system colour" (indexed 64), as Excel and xlsxwriter write a solid fill.
    return PatternFill(fill_type="solid", fgColor=argb, bgColor=Color(indexed=64))


def _clear_previous_round(wb: XlWorkbook) -> None:
    if SHEET in wb.sheetnames and wb[SHEET]["A1"].value == TITLE:
        del wb[SHEET]
    for ws in wb.worksheets:
        _drop_our_marks(ws)
        for cell in list(ws._cells.values()):
            if cell.comment is not None and cell.comment.author == AUTHOR:
                _, marker, own = cell.comment.text.partition(OWN_COMMENT)
                cell.comment = _comment(own, "") if marker else None
            if cell.fill.fill_type == "solid" and cell.fill.start_color.rgb in OLD_FILLS:
                # (an older copy marked with a fixed fill)
                # Back to the template's look: input cells are unlocked and light yellow, the
                # locked ones in a table grey, and cells outside the tables plain.
                base = INPUT_FILL if not cell.protection.locked else LOCKED_FILL if any(
                    cell.coordinate in CellRange(ref) for _, ref in ws.tables.items()) else None
                cell.fill = _solid("FF" + base.lstrip("#")) if base else PatternFill()


def _drop_our_marks(ws: Worksheet) -> None:
    """Last round's live marks (tagged with MARK_TAG) go; the template's formats stay."""
    kept = ConditionalFormattingList()
    for formatting in ws.conditional_formatting:
        for rule in formatting.rules:
            if not any(MARK_TAG in formula for formula in rule.formula or ()):
                kept.add(str(formatting.sqref), rule)
    ws.conditional_formatting = kept


# --- the Tilbakemelding sheet ----------------------------------------------------------------


def _intro(report: FileReport, rebuilt: bool) -> list[str]:
    ident = report.workbook.identity if report.workbook else None
    about = f" – {ident.region_name} {ident.year or ''}".rstrip() if ident else ""
    lines = [f"Fil: {report.path.name}{about}",
             "Dette er en kopi av handlingsplanen dere sendte inn, med resultatet av kontrollen."]
    if report.ok:
        # Nothing to fix: the region must not read this as a request to send the plan again.
        lines += ["Planen har ingen feil. Dere trenger ikke rette noe, og dere trenger ikke "
                  "sende den på nytt."
                  + (" Se gjerne på punktene under; de hindrer ikke innsendingen."
                     if report.findings else "")]
    else:
        lines += [
            "Klikk på cellen i kolonnen «Celle» for å gå dit. Merkede celler er farget og har "
            "en kommentar om hva som må gjøres:",
            "(" + ", ".join(f"{e.word} = {e.short}" for e in map(LEGEND_BY_STYLE.get,
                                                               SEVERITY_STYLES.values()) if e)
            + "). Rett alle feil, og se på advarslene.",
            "Dette arket kan slettes eller bli stående. Lagre arbeidsboken og send den tilbake "
            "til koordinatoren."]
    return lines + (["Dere sendte en .ods-fil: kopien er laget på nytt i malen med verdiene deres.",
          "Egen formatering, formler og kommentarer er ikke med. Fortsett gjerne i denne filen."]
         if rebuilt else [])


def _add_sheet(wb: XlWorkbook, report: FileReport, *, rebuilt: bool,
               shown: Sequence[str] = ()) -> None:
    ws = wb.create_sheet(SHEET, 0)
    for other in wb.worksheets:
        # Several selected tabs group the sheets, and typing would then change all of them.
        other.sheet_view.tabSelected = other is ws
    wb.active = ws
    ws["A1"] = TITLE
    ws["A1"].font = _font(bold=True, size=16, color=HEADER_FILL)
    lines = _intro(report, rebuilt) + list(shown)  # shown: hidden rows with marks
    for row, line in enumerate(lines, start=2):
        _put_text(ws.cell(row, 1), line)
    tally, row = counts(report.findings), len(lines) + 3
    for severity, label in ((ERROR, "Feil"), (WARNING, "Advarsler"), (INFO, "Merknader")):
        ws.cell(row, 1, label).font = _font(bold=True)
        ws.cell(row, 2, tally[severity])
        row += 1
    verdict = (f"{tally[ERROR]} feil må rettes." if tally[ERROR]
               else "Ingen feil: ingenting å rette, ingenting å sende.")
    ws.cell(row, 1, verdict).font = _font(bold=True, size=12)
    if report.findings:
        _findings_table(wb, ws, report.findings, header=row + 2)
    _page_setup(ws, report)


def _font(*, size: float = FONT_SIZE, color: str | None = None, **style: object) -> Font:
    """A font with the workbook's name: one without a name is drawn in LibreOffice's
    default, a serif."""
    return Font(name=FONT_NAME, size=size, color=color.lstrip("#") if color else None,
                **style)


def _page_setup(ws: Worksheet, report: FileReport) -> None:
    """As every sheet of the workbook prints (formats.set_up_page): A4 landscape at a
    readable scale, the footer naming region, year, sheet and page."""
    ident = report.workbook.identity if report.workbook else None
    title = (f"{ident.region_name} {ident.year or ''}".strip() if ident
             else report.path.name)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.scale = print_scale([width for _, width in HEADERS])
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.left.text, ws.oddFooter.right.text = footer_parts(title)


def _findings_table(wb: XlWorkbook, ws: Worksheet, findings: Sequence[Finding],
                    header: int) -> None:
    for col, (title, width) in enumerate(HEADERS, start=1):
        cell = ws.cell(header, col, title)
        cell.font, cell.fill = _font(bold=True, color="FFFFFF"), _solid("FF" + HEADER_FILL[1:])
        ws.column_dimensions[cell.column_letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    ordered = sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])  # stable: errors first
    for row, item in enumerate(ordered, start=header + 1):
        values = (SEVERITY_LABELS[item.severity], item.sheet, item.cell, item.column, item.value,
                  item.message)
        for col, value in enumerate(values, start=1):
            _put_text(ws.cell(row, col), value).alignment = wrap
        # A stored height as tall as the longest text: no finding prints over the next.
        ws.row_dimensions[row].height = max(
            text_height(str(value or ""), width)
            for value, (_, width) in zip(values, HEADERS[:len(values)], strict=True))
        target_ws = _sheet(wb, item.sheet)
        spots = [spot for ref in item.every_cell
                 if target_ws is not None and (spot := _position(target_ws, ref)) is not None]
        if target_ws is not None and spots:  # live: does a cell still hold what was flagged?
            flagged = [still_flagged(target_ws.cell(*spot), target_ws.title) for spot in spots]
            either = flagged[0] if len(flagged) == 1 else f"OR({','.join(flagged)})"
            ws.cell(row, len(values) + 1, f'=IF({either},"{STILL}","{CHANGED}")').alignment = wrap
        # Neither Excel nor LibreOffice grows a row for wrapped text in a file it opens.
        ws.row_dimensions[row].height = 15 * max(
            math.ceil(len(value or "") / (width * 1.1)) or 1
            for value, (_, width) in zip(values, HEADERS, strict=False))
        ws.cell(row, 1).fill = _solid(FILLS[item.severity])
        target = _sheet(wb, item.sheet)
        if target is not None and target is not ws:  # a cell link, else one to the sheet
            ref = item.cell if item.cell and _position(target, item.cell) else None
            link, quoted = ws.cell(row, 3 if ref else 2), target.title.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{ref or 'A1'}")
            link.font = _font(color="0563C1", underline="single")
    ws.freeze_panes = ws.cell(header + 1, 1)
    ws.auto_filter.ref = f"A{header}:{ws.cell(header + len(ordered), len(HEADERS)).coordinate}"
    ws.print_title_rows = f"{header}:{header}"


def _put_text(cell: Cell, value: str | None) -> Cell:
    """Text stays text: a region's '=SUM(A1)' or '@x' must not turn into a formula."""
    if value is not None:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    return cell


# --- .ods: rebuild in the template ------------------------------------------------------------


def _rebuild(package: Package, identity: Identity | None) -> XlWorkbook:
    with calamine.CalamineWorkbook.from_filelike(io.BytesIO(package.verified)) as book:
        sheets = [(meta.name, next((s for v, s in HIDDEN if v == meta.visible), "visible"),
                   book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False))
                  for meta in book.sheets_metadata
                  if meta.typ == calamine.SheetTypeEnum.WorkSheet]
    wb = _fresh_template(identity)
    unused = list(wb.sheetnames)
    for name, state, grid in sheets:
        match = find_sheet(unused, name)
        if match is not None:
            unused.remove(match)
            ws = wb[match]
            for cell in list(ws._cells.values()):  # the file, not the template, holds the data
                if not isinstance(cell, MergedCell) and cell.data_type != "f":
                    cell.value = None
        else:  # the region's own sheet: after the visible template sheets
            index = next((i for i, s in enumerate(wb.worksheets) if s.sheet_state != "visible"),
                         len(wb.worksheets))
            ws = wb.create_sheet(name, index)
            ws.sheet_state = state
        _put_grid(ws, grid)
    return wb


def _fresh_template(identity: Identity | None) -> XlWorkbook:
    """The workbook this file was generated as (same identity); blank for a foreign file."""
    templates = load_templates()
    template = templates.get(identity.template_version) if identity else None
    if (identity is None or identity.year is None or template is None
            or identity.template_id != templates.id):
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        return wb
    try:
        generated = dt.datetime.fromisoformat(identity.generated_at)
    except ValueError:
        generated = dt.datetime.now(dt.UTC)
    settings = load_settings()
    ctx = PlanContext(
        template=template, region=Region(identity.region_code, identity.region_name),
        year=identity.year, parties=default_parties(), settings=settings,
        return_date=return_date(settings, identity.year, dt.date.today()),
        file_id=identity.file_id, generated_at=generated,
        generator_version=identity.generator_version, issued=tuple(identity.issued_ids.split()))
    with tempfile.TemporaryDirectory(prefix="smso-feedback-") as tmp:
        write_plan(Path(tmp) / "mal.xlsx", ctx)
        return load_workbook((Path(tmp) / "mal.xlsx").read_bytes())


def _put_grid(ws: Worksheet, grid: list[list[object]]) -> None:
    for row, line in enumerate(grid, start=1):
        for col, value in enumerate(line, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row, col)
            if isinstance(cell, MergedCell) or cell.data_type == "f":
                continue  # the template's formula computes what the .ods showed
            if isinstance(value, str):
                _put_text(cell, value)
                continue
            general = cell.number_format == "General"
            cell.value = value
            if general and isinstance(value, dt.date):
                timed = isinstance(value, dt.datetime) and value.time() != dt.time()
                cell.number_format = DATE_FORMAT + (" hh:mm" if timed else "")

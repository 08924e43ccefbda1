"""Are two overview workbooks the same to a reader? Cell for cell, format for format (issue 26).

A change to how the overview is written (shared or inline strings, the order formats are
made in, xlsxwriter's modes) may change the file's bytes but not what Excel shows. This
script loads both files with openpyxl and compares, per sheet: every cell's value, type and
effective format (number format, font, fill, border, alignment, protection), the comments,
column widths, row heights, merged cells, tables, data validations, conditional formats,
freeze panes and views, print setup (page, margins, scale, fit, titles, area, header and
footer, breaks); per workbook: the sheets' order, the active sheet, the defined names and
the document properties (but the creation time). Charts and drawings are compared as their
XML parts, byte for byte. It prints every difference (the first few per kind) and exits 1
when there is one.

    python benchmarks/compare_overviews.py before.xlsx after.xlsx [more pairs …]
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.xml.functions import tostring

MAX_SHOWN = 5  # differences printed per kind


def _xml(obj: Any) -> str:
    """An openpyxl object as the XML it would be written as: a full, comparable form."""
    if obj is None:
        return "None"
    tree = obj.to_tree() if hasattr(obj, "to_tree") else None
    return tostring(tree).decode() if tree is not None else repr(obj)


def _styles(book: Any) -> dict[Any, str]:
    """Per style array (the indices a cell holds), the format it stands for, in full."""
    cache: dict[Any, str] = {}

    def style_of(cell: Any) -> str:
        if cell._style is None:  # a merged cell but the first: openpyxl keeps no format
            return "merged"
        key = tuple(cell._style)
        if key not in cache:
            cache[key] = "|".join((cell.number_format, _xml(cell.font), _xml(cell.fill),
                                   _xml(cell.border), _xml(cell.alignment),
                                   _xml(cell.protection)))
        return cache[key]

    return style_of  # type: ignore[return-value]


def _sheet_facts(ws: Any, style_of: Any) -> Iterator[tuple[str, object]]:
    """Everything of a sheet but its cells, each as (what, its comparable form). A column's
    format is compared as what it stands for: openpyxl's number for it depends on the order
    the file lists its formats in."""
    yield "dimensions", ws.dimensions
    yield "merged", sorted(str(r) for r in ws.merged_cells.ranges)
    for letter, dim in sorted(ws.column_dimensions.items()):
        yield f"column {letter}", (dim.min, dim.max, dim.width, dim.customWidth, dim.hidden,
                                   dim.outlineLevel, style_of(dim))
    for index, dim in sorted(ws.row_dimensions.items()):
        yield f"row {index}", (dim.ht, dim.customHeight, dim.hidden, dim.outlineLevel,
                               dim.s if dim.customFormat else None)
    for name, table in sorted(ws.tables.items()):
        yield f"table {name}", _xml(table)
    yield "validations", [_xml(v) for v in ws.data_validations.dataValidation]
    yield "conditional formats", [(str(rng.sqref), [_xml(rule) for rule in rules])
                                  for rng, rules in ws.conditional_formatting._cf_rules.items()]
    yield "auto filter", _xml(ws.auto_filter)
    yield "freeze panes", ws.freeze_panes
    yield "views", _xml(ws.views)
    yield "sheet properties", _xml(ws.sheet_properties)
    yield "sheet format", _xml(ws.sheet_format)
    yield "state", ws.sheet_state
    yield "protection", _xml(ws.protection)
    yield "page setup", _xml(ws.page_setup)
    yield "print options", _xml(ws.print_options)
    yield "margins", _xml(ws.page_margins)
    yield "header and footer", _xml(ws.HeaderFooter)
    yield "print titles", (ws.print_title_rows, ws.print_title_cols)
    yield "print area", ws.print_area
    yield "breaks", (_xml(ws.row_breaks), _xml(ws.col_breaks))


def _cells(ws: Any, style_of: Any) -> Iterator[tuple[str, tuple[object, ...]]]:
    """Every cell that holds a value, a format or a comment: (address, its facts)."""
    for row in ws.iter_rows():
        for cell in row:
            comment = cell.comment
            facts = (cell.value, cell.data_type, style_of(cell),
                     (comment.text, comment.author, comment.width, comment.height)
                     if comment else None)
            if cell.value is None and comment is None and not cell.has_style:
                continue
            yield cell.coordinate, facts


def _parts(path: Path) -> dict[str, bytes]:
    """The charts' and drawings' XML (openpyxl does not keep them whole)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name.startswith(("xl/charts/", "xl/drawings/"))}


def compare(before: Path, after: Path) -> list[str]:
    """Every difference a reader could see between the two workbooks, in words."""
    differences: list[str] = []
    counts: dict[str, int] = {}

    def differ(kind: str, text: str) -> None:
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= MAX_SHOWN:
            differences.append(text)

    old, new = (openpyxl.load_workbook(p, rich_text=True) for p in (before, after))
    if old.sheetnames != new.sheetnames:
        differ("sheets", f"sheets: {old.sheetnames} → {new.sheetnames}")
    if old.active.title != new.active.title:
        differ("active", f"active sheet: {old.active.title} → {new.active.title}")
    names = [sorted((n, _xml(d)) for n, d in book.defined_names.items()) for book in (old, new)]
    if names[0] != names[1]:
        differ("names", f"defined names: {names[0]} → {names[1]}")
    for field in ("title", "subject", "description", "creator", "keywords", "category"):
        if getattr(old.properties, field) != getattr(new.properties, field):
            differ("properties", f"property {field}: {getattr(old.properties, field)!r} → "
                   f"{getattr(new.properties, field)!r}")
    old_style, new_style = _styles(old), _styles(new)
    for name in old.sheetnames:
        if name not in new.sheetnames:
            continue
        ws_old, ws_new = old[name], new[name]
        facts_old, facts_new = (dict(_sheet_facts(ws_old, old_style)),
                              dict(_sheet_facts(ws_new, new_style)))
        for what in [*facts_old, *(w for w in facts_new if w not in facts_old)]:
            if (a := facts_old.get(what)) != (b := facts_new.get(what)):
                differ(f"{name} {what.split()[0]}", f"{name}: {what}: {a} → {b}")
        for a, b in zip_longest(_cells(ws_old, old_style), _cells(ws_new, new_style)):
            if a != b:
                differ(f"{name} cells", f"{name}: cell {a} → {b}")
                if a is None or b is None or a[0] != b[0]:
                    break  # out of step: the rest would only repeat it
    old_parts, new_parts = _parts(before), _parts(after)
    for part in sorted(old_parts.keys() | new_parts.keys()):
        if old_parts.get(part) != new_parts.get(part):
            differ("parts", f"part {part} differs")
    differences += [f"… and {n - MAX_SHOWN} more: {kind}" for kind, n in counts.items()
                    if n > MAX_SHOWN]
    return differences


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths or len(paths) % 2:
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    same = True
    for before, after in zip(paths[::2], paths[1::2], strict=True):
        differences = compare(before, after)
        same &= not differences
        print(f"{before} ↔ {after}: " + ("the same" if not differences else
                                         f"{len(differences)} differences"))
        for line in differences:
            print("  " + line)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Returned plans built in memory, for the tests of the rules: the one builder.

A rule test needs the plan as the reader hands it to the rules, not a file: filling a
workbook with openpyxl and saving it costs about 0.45 s, reading it back and validating it
0.03 s. ``build_plan`` gives the same :class:`~smso_xl.template.model.Workbook` without
either. It starts from the generated workbook, read once per region and year (its identity,
its sheets as the reader's grid of values, its Tables' extent), types the rows in with
``smso_xl.workbook.fill.fill_book`` (the filling ``tests.workbooks.make_plan`` does to a
file: the same rows land in the same cells) and keeps each value as python-calamine reads
back what openpyxl saved. The reader's own ``read_table`` and ``read_form`` then find the
headers, labels and rows. ``tests/test_builders.py`` holds the two tiers to each other: a
built plan and the same plan filled into a file, read and validated, must agree.

``validate_built`` runs the validator's identity checks and rules on built plans, with
``validate``'s defaults. The *clean plan* (``clean_rows``) is the base every rule test
starts from; ``build_clean_plan`` builds it in memory, ``clean_plan`` writes it to a file
for the tests that need one (reading, feedback copies, the command line, LibreOffice).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import hashlib
import types
from collections.abc import Mapping, Sequence
from pathlib import Path

import python_calamine as calamine

from smso_xl.base.cells import parse_a1
from smso_xl.round.validation import ValidationReport, validate, validate_workbook
from smso_xl.template.config import Region, default_parties, default_regions
from smso_xl.template.definition import Template, load_template, load_templates
from smso_xl.template.model import TABLE_HEADER_ROW, Workbook
from smso_xl.workbook.fill import fill_book
from smso_xl.workbook.reader import read, read_form, read_table
from tests.planting import Base
from tests.workbooks import Rows, generated, make_plan, numbered

__all__ = ["CLEAN_ACTION", "CLEAN_FORM", "CLEAN_GOAL", "CLEAN_PARTICIPANT", "PARTICIPANT",
           "PARTIES", "TODAY", "YEAR", "build_clean_plan", "build_plan", "check", "clean_plan",
           "clean_rows", "codes_at", "only", "risk", "validate_built"]

Values = dict[str, object]
Cells = Mapping[str, Mapping[str, object]]
Codes = list[tuple[str, str | None, str | None]]

# --- building a plan -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Blank:
    """A generated workbook as the reader sees it, before anyone types into it."""

    workbook: Workbook
    template: Template
    grids: dict[str, list[list[object]]]          # sheet name → calamine's values
    table_ends: dict[str, tuple[int, int]]        # table sheet → (header row, last row)


@functools.cache
def _blank(region: str, year: int) -> _Blank:
    path = generated(region, year)
    workbook = read(path)
    # A generated workbook reads without a finding; a built plan's findings are its own.
    assert workbook.findings == [], workbook.findings
    template = load_templates().for_version(workbook.template_version)
    book = calamine.CalamineWorkbook.from_path(str(path))
    names = [s.name for s in template.tables] + [template.form.name]
    grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
             for name in names}
    ends = {name: (TABLE_HEADER_ROW, TABLE_HEADER_ROW + rows)
            for name, rows in Base.of(path, template).table_rows.items()}
    return _Blank(workbook, template, grids, ends)


def _as_read(value: object) -> object:
    """What python-calamine reads back of a value openpyxl saved (seen, tests/test_builders):
    numbers as floats, dates as they were, text starting with ``=`` as a formula without a
    result (empty), text of only spaces as empty."""
    if value is None or isinstance(value, bool | dt.date):
        return "" if value is None else value
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    return "" if text.startswith("=") or not text.strip() else text


class _GridCell:
    def __init__(self, grid: list[list[object]], row: int, col: int) -> None:
        self._grid, self._row, self._col = grid, row, col
        self.number_format = "General"  # fill_book sets it for dates; calamine keeps dates

    @property
    def value(self) -> object:
        line = self._grid[self._row - 1] if self._row <= len(self._grid) else []
        value = line[self._col - 1] if self._col <= len(line) else ""
        return None if value == "" else value  # openpyxl's empty cell

    @value.setter
    def value(self, value: object) -> None:
        while len(self._grid) < self._row:
            self._grid.append([])
        line = self._grid[self._row - 1]
        line.extend([""] * (self._col - len(line)))
        line[self._col - 1] = _as_read(value)


class _GridSheet:
    """As much of an openpyxl worksheet as ``fill_book`` types into, over a grid."""

    def __init__(self, grid: list[list[object]]) -> None:
        self.grid = [list(line) for line in grid]
        self.row_dimensions: collections.defaultdict[int, types.SimpleNamespace] = (
            collections.defaultdict(types.SimpleNamespace))

    @property
    def max_row(self) -> int:
        return len(self.grid)

    def cell(self, row: int, column: int) -> _GridCell:
        return _GridCell(self.grid, row, column)


def build_plan(*, region: str = "42", year: int = 2026, rows: Rows | None = None,
               form: Mapping[str, object] | None = None, cells: Cells | None = None,
               name: str | None = None, saved_at: dt.datetime | None = None) -> Workbook:
    """The plan ``make_plan`` would write, as the reader would read it, built in memory.

    ``rows`` and ``form`` as for ``make_plan`` (a new row of a numbered sheet takes the next
    free ID); ``cells`` (sheet → A1 → value, ``None`` empties) are typed afterwards, over
    anything, as a region types over a formula. ``saved_at`` is the file's own saved time."""
    blank = _blank(region, year)
    template = blank.template
    sheets = {name: _GridSheet(grid) for name, grid in blank.grids.items()}

    def ids_in(sheet: str, col: int) -> list[object]:
        return [line[col - 1] for line in sheets[sheet].grid if len(line) >= col]

    fill_book(sheets, template, form=form, rows=numbered(template, rows or {}, ids_in))
    for sheet, typed in (cells or {}).items():
        for ref, value in typed.items():
            sheets[sheet].cell(*parse_a1(ref)).value = value
    path = Path(name or f"plan-{region}-{year}.xlsx")
    findings, tables = [], {}
    for spec in template.tables:
        table, found = read_table(spec, spec.name, sheets[spec.name].grid, file=str(path),
                                  table_end=blank.table_ends.get(spec.name))
        tables[spec.name] = table
        findings += found
    form_spec = template.form
    typed_in = repr((region, year, rows, form, cells)).encode()
    return dataclasses.replace(
        blank.workbook, path=path, sha256=hashlib.sha256(typed_in).hexdigest(),
        tables=tables, form=read_form(form_spec, form_spec.name, sheets[form_spec.name].grid),
        findings=findings, saved_at=saved_at or blank.workbook.saved_at)


def validate_built(plans: Sequence[Workbook], *, today: dt.date, year: int | None = None,
                   regions: Sequence[Region] | None = None) -> ValidationReport:
    """``validate`` of built plans: the identity checks and the rules, as for files."""
    parties = tuple(p.name for p in default_parties())
    known = {r.code for r in (regions or default_regions())}
    return ValidationReport(files=[
        validate_workbook(plan, templates=load_templates(), today=today, known_regions=known,
                          year=year, parties=parties) for plan in plans])


# --- the clean plan: the base of every rule test --------------------------------------------

TODAY = dt.date(2026, 6, 1)
YEAR = 2026
PARTIES = [p.name for p in default_parties()]
PARTICIPANT = "Skatteetaten"  # the one party of the clean plan that takes part

CLEAN_FORM: Values = {"Leder": "Kari Nordmann", "E-post leder": "kari.nordmann@example.no",
                      "Overordnet mål for samarbeidet": "Mindre svart arbeid i Agder."}
CLEAN_GOAL: Values = {
    "ID": "M1", "Mål": "Flere elever vet hva svart arbeid koster",
    "Nasjonalt innsatsområde": "Øke kunnskapen", "Målgruppe": "Ungdom/elever",
    "Indikator": "Antall skoler besøkt", "Utgangsverdi": "0", "Målverdi": "10",
    "Frist": dt.date(2026, 12, 1), "Ansvarlig": "Kari Nordmann", "Status": "Pågår",
}
CLEAN_ACTION: Values = {
    "ID": "T1", "Mål-ID": "M1", "Tiltak": "Skolebesøk i Kristiansand",
    "Beskrivelse": "Besøk på videregående skoler", "Aktivitetstype": "Skolebesøk",
    "Område": "Aktivitet", "Målgruppe": "Ungdom/elever", "Ansvarlig": "Ola Nordmann",
    "Ansvarlig part": "LO", "Samarbeidspartnere": "NHO", "Start": dt.date(2026, 2, 1),
    "Frist": dt.date(2026, 11, 30), "Status": "Pågår", "Timer": 40, "Budsjett (kr)": 20000,
}
CLEAN_PARTICIPANT: Values = {"Part": PARTICIPANT, "Deltakelse": "Deltar",
                             "Representant": "Per Hansen", "E-post": "per.hansen@example.no",
                             "Timer per år": 100, "Mandat avklart": "Ja"}


def clean_rows(*, goal: Values | None = None, action: Values | None = None,
               extra: Mapping[str, Sequence[Values]] | None = None
               ) -> dict[str, list[Values]]:
    """The clean plan's rows: the form filled (``CLEAN_FORM``), a stand on every party,
    every criterion ``Oppfylt``, one goal M1 and one action T1 fully filled; it validates
    with no findings at all. ``goal``/``action`` change M1/T1 (``None`` empties a cell),
    ``extra`` rows are written after the clean ones (a ``Part``, ``Kriterium`` or ``ID``
    names the row they change, other rows go into the next free row)."""
    rows: dict[str, list[Values]] = {
        "Parter": [{"Part": p, "Deltakelse": "Vurdert – ikke aktuelt"}
                   for p in PARTIES if p != PARTICIPANT] + [dict(CLEAN_PARTICIPANT)],
        "Mål": [{**CLEAN_GOAL, **(goal or {})}],
        "Tiltak": [{**CLEAN_ACTION, **(action or {})}],
        "Egenvurdering": [{"Kriterium": c, "Vurdering": "Oppfylt"}
                          for c in load_template().criteria],
    }
    for sheet, more in (extra or {}).items():
        rows.setdefault(sheet, []).extend(dict(r) for r in more)
    return rows


def clean_plan(tmp_path: Path, *, goal: Values | None = None, action: Values | None = None,
               extra: Mapping[str, Sequence[Values]] | None = None,
               form: Values | None = None, name: str | None = None) -> Path:
    """The clean plan (with changes, as ``clean_rows`` takes them) as a file in ``tmp_path``."""
    return make_plan(tmp_path, rows=clean_rows(goal=goal, action=action, extra=extra),
                     form={**CLEAN_FORM, **(form or {})}, name=name)


def build_clean_plan(*, goal: Values | None = None, action: Values | None = None,
                     extra: Mapping[str, Sequence[Values]] | None = None,
                     form: Values | None = None, cells: Cells | None = None,
                     name: str | None = None) -> Workbook:
    """``clean_plan``, built in memory (``cells`` as ``build_plan`` takes them)."""
    return build_plan(rows=clean_rows(goal=goal, action=action, extra=extra),
                      form={**CLEAN_FORM, **(form or {})}, cells=cells, name=name)


def check(plan: Path | Workbook, **options: object) -> ValidationReport:
    """Validate one plan, a file or built, on ``TODAY`` for the plan year ``YEAR``."""
    settings: dict[str, object] = {"today": TODAY, "year": YEAR, **options}
    if isinstance(plan, Path):
        return validate([plan], **settings)  # type: ignore[arg-type]
    return validate_built([plan], **settings)  # type: ignore[arg-type]


def codes_at(report: ValidationReport) -> Codes:
    return [(f.code, f.sheet, f.cell) for f in report.findings]


def only(report: ValidationReport, code: str) -> str:
    """The message of the one finding with ``code``."""
    (message,) = [f.message for f in report.findings if f.code == code]
    return message


def risk(**values: object) -> Values:
    """A Risiko row about T1; Sannsynlighet × Konsekvens given as p and k."""
    row: Values = {"Risiko": "For få skoler svarer", "Gjelder": "T1",
                   "Sannsynlighet (1–5)": values.pop("p", 2),
                   "Konsekvens (1–5)": values.pop("k", 2)}
    return {**row, **{key.replace("_", " "): v for key, v in values.items()}}

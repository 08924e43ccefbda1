"""Build returned workbooks for tests, from rows written inline in the test.

``make_plan`` generates a real regional workbook (``smso_xl.round.generator``) and fills it::

    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Ansvarlig": "Kari",
                                                 "Frist": "15.03.2026"}]},
                     form={"Leder": "Kari Nordmann"})

Row dicts are keyed by column *header*; a row naming a prefilled label (``Part``,
``Kriterium``) or an ``ID`` updates that row, any other row takes the next empty one
(``smso_xl.workbook.fill.fill_plan``). Form dicts are keyed by the Organisering *label*.
Generated templates, and plans filled with the same rows and form, are cached for the test
session; each test gets its own copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from smso_xl.round.generator import generate
from smso_xl.template.config import Region, default_regions
from smso_xl.template.definition import Template, load_template
from smso_xl.template.prefill import next_ids
from smso_xl.workbook import fill

__all__ = ["GENERATED_AT", "add_zip_entries", "edit_workbook", "fill_plan", "generated",
           "make_plan", "numbered", "template_copy"]

Rows = Mapping[str, Sequence[Mapping[str, object]]]
GENERATED_AT = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
_CACHE = Path(tempfile.mkdtemp(prefix="smso-test-templates-"))


#: The template version of the workbooks ``template_copy`` makes unless told otherwise: the
#: tests written before version 3 spell out version 2's cell addresses (version 3 only moved
#: columns; its own tests ask for it, and ``agder_plan``/``generate_plan`` are the newest).
ADDRESSED_VERSION = "2"


def generated(region: str, year: int, version: str = ADDRESSED_VERSION) -> Path:
    """The unfilled workbook generated for ``region`` and ``year`` of template ``version``,
    once per session: read it, never change it."""
    return _generated(region, year, version)  # one cache key however it is called


@functools.cache
def _generated(region: str, year: int, version: str) -> Path:
    known = {r.code: r for r in default_regions()}
    regions = [known.get(region) or Region(code=region, name=f"Region {region}")]
    result = generate(regions=regions, year=year, out_dir=_CACHE / f"{region}-{year}-v{version}",
                      now=GENERATED_AT, new_file_id=lambda: f"test-{region}-{year}",
                      template=load_template(version))
    return result.files[0].path


def template_copy(tmp_path: Path, *, region: str = "42", year: int = 2026,
                  name: str | None = None, version: str = ADDRESSED_VERSION) -> Path:
    """A fresh, unfilled generated workbook for ``region`` and ``year`` in ``tmp_path``, of
    template ``version``."""
    path = tmp_path / (name or f"plan-{region}-{year}.xlsx")
    shutil.copyfile(generated(region, year, version), path)
    return path


def make_plan(tmp_path: Path, *, region: str = "42", year: int = 2026,
              rows: Rows | None = None, form: Mapping[str, object] | None = None,
              name: str | None = None, version: str = ADDRESSED_VERSION) -> Path:
    """A plan for ``region`` and ``year`` in ``tmp_path`` of template ``version``, filled with
    ``rows`` and ``form``.

    A plan filled once is copied when a test asks for the same rows and form again (filling
    costs half a second; many tests start from the same clean plan)."""
    if not (rows or form):
        return template_copy(tmp_path, region=region, year=year, name=name, version=version)
    key = repr((region, year, version, rows, form))
    filled = _FILLED.get(key)
    if filled is None:
        folder = _CACHE / "filled" / str(len(_FILLED))
        folder.mkdir(parents=True)
        filled = fill_plan(template_copy(folder, region=region, year=year, version=version),
                           rows=rows, form=form)
        _FILLED[key] = filled
    path = tmp_path / (name or f"plan-{region}-{year}.xlsx")
    shutil.copyfile(filled, path)
    return path


#: Plans filled by ``make_plan``, by what was typed into them (their repr).
_FILLED: dict[str, Path] = {}


# --- filling and editing any template-shaped workbook ---------------------------------------


@contextlib.contextmanager
def edit_workbook(path: Path) -> Iterator[OpenpyxlWorkbook]:
    """Open ``path`` with openpyxl, let the test change it, save it in place."""
    book = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    try:
        yield book
        book.save(path)
    finally:
        book.close()


def fill_plan(path: Path, *, rows: Rows | None = None,
              form: Mapping[str, object] | None = None,
              saved_at: dt.datetime | None = None) -> Path:
    """Fill ``path`` in place: ``rows`` (sheet → row dicts keyed by header), ``form``
    (label → value); ``saved_at`` sets the workbook's own "last saved" time.

    A new row of a numbered sheet (Mål, Tiltak, Risiko) without an ``ID`` key takes the
    next free ID, as a region picks it from the ID dropdown; ``"ID": None`` leaves it out."""
    if not rows:
        return fill.fill_plan(path, path, form=form, saved_at=saved_at)
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        def ids_in(sheet: str, col: int) -> list[object]:
            return [row[0] for row in book[sheet].iter_rows(min_col=col, max_col=col,
                                                             values_only=True)]

        rows = numbered(load_template(), rows, ids_in)
    finally:
        book.close()
    return fill.fill_plan(path, path, rows=rows, form=form, saved_at=saved_at)


def numbered(template: Template, rows: Rows, ids_in: Callable[[str, int], Sequence[object]]
             ) -> Rows:
    """``rows`` with the next free ID on each new row of a numbered sheet that has none;
    ``ids_in(sheet, column)`` gives the values already in a sheet's ID column."""
    result: dict[str, list[Mapping[str, object]]] = {}
    for name, sheet_rows in rows.items():
        spec = next((s for s in template.tables if s.name == name), None)
        if spec is None or not spec.id_prefix:
            result[name] = list(sheet_rows)
            continue
        key = spec.key_of("id") or ""
        header, col = spec.column(key).header, [c.key for c in spec.columns].index(key) + 1
        taken = [str(r.get(header)) for r in sheet_rows if r.get(header)]
        taken += [str(value) for value in ids_in(name, col) if value]
        fresh = iter(next_ids(spec.id_prefix, taken, len(sheet_rows)))
        result[name] = [r if header in r else {header: next(fresh), **r} for r in sheet_rows]
    return result


def add_zip_entries(path: Path, entries: Mapping[str, bytes], *,
                    target: Path | None = None) -> Path:
    """Copy the workbook zip at ``path`` to ``target`` (default: in place) with extra entries,
    for parts a test cannot make through a library (a vbaProject.bin, an external link)."""
    target = target or path
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename not in entries:
                out.writestr(info, data)
        for name, data in entries.items():
            out.writestr(name, data)
    return target

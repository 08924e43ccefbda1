"""``generate``: one action-plan workbook per region, from the template definition."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import __version__
from ..base.batch import split_with_helper
from ..base.fileio import OutputError, atomic_output, check_writable, folder_error_text
from ..template.config import (
    FIRST_PLAN_YEAR,
    LAST_PLAN_YEAR,
    ConfigError,
    Party,
    Region,
    Settings,
    default_parties,
    default_year,
    load_settings,
    plan_file_name,
    return_date,
    select_regions,
)
from ..template.definition import Template, load_template
from ..template.prefill import Carried
from ..workbook.writer import PlanContext, write_plan


class Companion(Protocol):
    """A file written beside each workbook — the cover e-mail of ``smso_xl.mail.PlanDrafts``.
    Handed in by the caller: the generator never imports the mail package above it."""

    def path(self, workbook: Path) -> Path: ...

    def write(self, workbook: Path, *, region: Region, year: int, settings: Settings,
              due: dt.date, now: dt.datetime) -> Path: ...


@dataclass(frozen=True)
class GeneratedFile:
    region: Region
    path: Path
    file_id: str
    draft: Path | None = None  # the cover e-mail (.eml) beside it, given ``drafts``
    carried: Carried | None = None  # last round's plan it was prefilled with


@dataclass(frozen=True)
class KeptFile:
    """A region's workbook that existed already and was kept (no ``force``)."""

    region: Region
    path: Path
    draft: Path | None = None  # the cover e-mail written for it now, when it had none


@dataclass(frozen=True)
class GenerateResult:
    year: int
    out_dir: Path
    files: tuple[GeneratedFile, ...]
    return_date: dt.date | None = None
    kept: tuple[KeptFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """What was written and what was kept, ready for ``json.dumps``."""
        return {"year": self.year, "out_dir": str(self.out_dir),
                "return_date": self.return_date.isoformat() if self.return_date else None,
                "files": [{"region": f.region.code, "name": f.region.name, "path": str(f.path),
                           "file_id": f.file_id, "draft": str(f.draft) if f.draft else None}
                          for f in self.files],
                "kept": [{"region": k.region.code, "name": k.region.name, "path": str(k.path),
                          "draft": str(k.draft) if k.draft else None} for k in self.kept]}


def generate(
    *,
    regions: Sequence[Region],
    region_codes: Sequence[str] = (),
    year: int | None = None,
    out_dir: Path = Path("."),
    force: bool = False,
    settings: Settings | None = None,
    parties: Sequence[Party] | None = None,
    now: dt.datetime | None = None,
    new_file_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    drafts: Companion | None = None,
    template: Template | None = None,
    carried: Mapping[str, Carried] | None = None,
    helper: Executor | None = None,
) -> GenerateResult:
    """Write one workbook per selected region into ``out_dir``; with ``drafts`` (e.g.
    ``smso_xl.mail.PlanDrafts()``), beside each an ``.eml`` cover e-mail with the workbook
    attached.

    Without ``force`` a workbook that exists is kept (``GenerateResult.kept``; its missing
    cover e-mail is written) and the missing ones are written. With ``force`` every target
    is checked first — a file open in Excel or LibreOffice, a folder in its place — and then
    all are written or none: the workbooks are written beside their targets and put in
    place together at the end.

    Raises :class:`ConfigError` for a wrong option (unknown region; a cover e-mail whose
    workbook is gone, without ``force``) and :class:`OutputError` when a target cannot be
    written — before any file is written. ``template``: the version to write (default: the
    newest shipped one). ``carried``: by region code, last round's plan to prefill its
    workbook with (``rounds.generate_round``); other regions get a blank one. ``helper``:
    another process that writes every second workbook meanwhile (the demo's).
    """
    template = template or load_template()
    now = now or dt.datetime.now(dt.UTC)
    year = year or default_year(now.date())
    if not FIRST_PLAN_YEAR <= year <= LAST_PLAN_YEAR:
        raise ConfigError(f"Planåret {year} er ikke et gyldig år "
                          f"({FIRST_PLAN_YEAR}–{LAST_PLAN_YEAR}).")
    chosen = select_regions(regions, region_codes)
    settings = settings or load_settings()
    parties = tuple(parties or default_parties())
    targets = [(region, out_dir / plan_file_name(year, region)) for region in chosen]
    kept = [] if force else [(region, path) for region, path in targets if path.exists()]
    to_write = [(region, path) for region, path in targets if (region, path) not in kept]
    if drafts is not None and not force:
        orphans = [drafts.path(path).name for _, path in to_write if drafts.path(path).exists()]
        if orphans:
            raise ConfigError(f"{_first_of(orphans)} finnes allerede i {out_dir}, men ikke "
                              "arbeidsboken det hører til. Slett utkastet, eller bruk --force "
                              "for å skrive begge på nytt.")
    _ensure_dir(out_dir)
    _check_targets([path for _, path in to_write]
                   + ([drafts.path(path) for _, path in targets if force or
                       not drafts.path(path).exists()] if drafts is not None else []))
    due = return_date(settings, year, now.date())
    contexts = {path: PlanContext(
        template=template, region=region, year=year, parties=parties, settings=settings,
        return_date=due, file_id=new_file_id(), generated_at=now, generator_version=__version__,
        carried=(carried or {}).get(region.code)) for region, path in to_write}
    with contextlib.ExitStack() as together:  # each is put in place when all are written
        writes = [functools.partial(write_plan, together.enter_context(atomic_output(path)), ctx)
                  for path, ctx in contexts.items()]
        split_with_helper(writes, helper)

    def draft_of(region: Region, path: Path) -> Path | None:
        if drafts is None or (not force and drafts.path(path).exists()):
            return None
        return drafts.write(path, region=region, year=year, settings=settings, due=due, now=now)

    files = [GeneratedFile(region=region, path=path, file_id=contexts[path].file_id,
                           draft=draft_of(region, path), carried=contexts[path].carried)
             for region, path in to_write]
    return GenerateResult(year=year, out_dir=out_dir, files=tuple(files), return_date=due,
                          kept=tuple(KeptFile(region, path, draft_of(region, path))
                                     for region, path in kept))


def _first_of(names: Sequence[str]) -> str:
    """«a.xlsx», «a.xlsx (og 13 til)»."""
    return names[0] + (f" (og {len(names) - 1} til)" if len(names) > 1 else "")


def _check_targets(paths: Sequence[Path]) -> None:
    """Every target writable (not open, not a folder) before the first is written."""
    problems = []
    for path in paths:
        try:
            check_writable(path)
        except OutputError as exc:
            problems.append(str(exc))
    if problems:
        more = f" Det gjelder {len(problems)} filer; ingen er skrevet." if len(problems) > 1 \
            else " Ingen filer er skrevet."
        raise OutputError(problems[0] + more)


def _ensure_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(folder_error_text(exc, out_dir)) from exc
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir} er ikke en mappe.")
    probe = out_dir / ".smso-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(folder_error_text(exc, out_dir)) from exc

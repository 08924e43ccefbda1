"""Rounds: next round's workbook prefilled from the plan a region sent (docs/reference.md §9).

``generate --from`` reads last round's returned workbooks, chooses each region's newest
plan as ``consolidate`` does, and carries it into the newest template version:

* a **status round** (the same plan year) carries every filled row with its ID, and the
  self-assessment;
* a **new plan year** carries Organisering, Parter and the goals, and the actions and risks
  that are not done (status not Fullført/Avlyst), each marked as carried over; the
  self-assessment starts blank.

Nothing is lost: a value lands in the column with the same key; what the new version has no
place for (a column it dropped, the region's own columns and sheets) is listed, in the new
workbook and in the command's output. IDs are kept, so ``compare`` can follow a row from
round to round; new rows continue the numbering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..template.config import ConfigError, Party, Region, default_parties, region_of_file_name
from ..template.definition import Role, Sheet, Template, TemplateSet, load_templates
from ..template.kinds import is_input
from ..template.prefill import LEFTOVERS_SHEET, NEW_YEAR, STATUS_ROUND, Carried, Leftover, RowValues
from ..template.rules import Plan, PlanRow
from ..template.values import fold, format_date
from .consolidation import (
    EXCLUDED,
    INCLUDED,
    INCLUDED_WITH_ERRORS,
    OTHER_YEAR,
    Consolidation,
    Submission,
    consolidate,
)
from .feedback import SHEET as FEEDBACK_SHEET
from .generator import GenerateResult, generate


@dataclass(frozen=True)
class Sources:
    """What last round's files give each region: a plan to carry, or why none."""

    carried: Mapping[str, Carried]
    blank: Mapping[str, str]         # region code → why it gets a blank workbook
    unused: tuple[tuple[Path, str], ...]  # files not used, and why


@dataclass(frozen=True)
class RoundResult:
    generated: GenerateResult
    sources: Sources
    source_year: int | None


def generate_round(paths: Sequence[Path], *, regions: Sequence[Region],
                   year: int | None = None, templates: TemplateSet | None = None,
                   parties: Sequence[Party] | None = None, jobs: int | None = 1,
                   progress: Callable[[Path], None] | None = None,
                   **options: Any) -> RoundResult:
    """``generate --from``: each region's workbook prefilled from its newest plan under
    ``paths``, in the newest template version. ``year``: the new workbooks' plan year (by
    default the plan year of the sources: a status round). ``options`` go to ``generate``."""
    templates = templates or load_templates()
    parties = tuple(parties or default_parties())
    result = consolidate(paths, regions=regions, templates=templates, jobs=jobs,
                         progress=progress)
    if result.year is None:
        raise ConfigError("Fant ingen lesbar handlingsplan i "
                          + ", ".join(str(p) for p in paths) + ".")
    target_year = year or result.year
    if target_year < result.year:
        raise ConfigError(f"Planåret {target_year} er før planene i kildene ({result.year}).")
    sources = sources_of(result, year=target_year, target=templates.newest, parties=parties)
    generated = generate(regions=regions, year=target_year, template=templates.newest,
                         carried=sources.carried, parties=parties, **options)
    return RoundResult(generated=generated, sources=sources, source_year=result.year)


def sources_of(result: Consolidation, *, year: int, target: Template,
               parties: Sequence[Party]) -> Sources:
    carried: dict[str, Carried] = {}
    blank: dict[str, str] = {}
    for summary in result.regions:
        sub = summary.submission
        reason = _unusable(sub, year) if sub else _why_nothing(result, summary.region.code)
        if reason:
            blank[summary.region.code] = reason
            continue
        assert sub is not None and sub.report.plan is not None and sub.year is not None
        carried[summary.region.code] = carry(sub, target=target, year=year, parties=parties)
    unused = tuple((s.path, s.status) for s in result.submissions
                   if s.status not in (INCLUDED, INCLUDED_WITH_ERRORS, EXCLUDED))
    return Sources(carried=carried, blank=blank, unused=unused)


def _why_nothing(result: Consolidation, code: str) -> str:
    """Why a region has no plan to carry: the files that could be its, and what they are."""
    own = [s for s in result.submissions
           if s.region == code or (s.region is None and region_of_file_name(s.path.name) == code)]
    if not own:
        return "ingen plan fra regionen i kildene"
    return "; ".join(f"{s.path.name}: {_status_text(s)}" for s in own)


def _status_text(sub: Submission) -> str:
    if sub.year is not None and sub.status == OTHER_YEAR:
        return f"planen gjelder {sub.year}"
    return sub.status.lower()


def _unusable(sub: Submission | None, year: int) -> str | None:
    if sub is None:
        return "ingen plan fra regionen i kildene"
    if sub.report.plan is None or sub.year is None:
        return f"planen i {sub.path.name} kan ikke leses"
    if sub.year > year:
        return f"planen i {sub.path.name} gjelder {sub.year}, som er etter {year}"
    return None


def carry(sub: Submission, *, target: Template, year: int,
          parties: Sequence[Party]) -> Carried:
    plan, workbook = sub.report.plan, sub.report.workbook
    assert plan is not None and workbook is not None and sub.year is not None
    new_year = year > sub.year
    leftovers: list[Leftover] = []
    form = _carry_form(plan, target)
    rows: dict[str, list[RowValues]] = {}
    marked: dict[str, tuple[str, ...]] = {}
    for sheet in target.tables:
        source_rows = plan.rows.get(sheet.name, [])
        if new_year and sheet.role == Role.ASSESSMENT:
            continue  # a new year's self-assessment starts blank
        dropped = new_year and sheet.role in (Role.ACTIONS, Role.RISKS)  # only while not done
        kept = [r for r in source_rows if not (dropped and _done(target, sheet, r))]
        rows[sheet.name] = [_carry_row(sheet, r, leftovers) for r in kept]
        if new_year and sheet.key_of(Role.ID):
            marked[sheet.name] = tuple(str(r.id) for r in kept if r.id)
    if Role.PARTIES in {s.role for s in target.tables}:
        _add_missing_parties(target.sheet_by_role(Role.PARTIES), rows, parties)
    leftovers += _other_sheets(workbook.sheet_names, target)
    number = 1 if new_year else (sub.identity.round if sub.identity else 1) + 1
    # Every ID the plan holds or had given, carried or not: none is given to a new row.
    issued = [*(workbook.identity.issued_ids.split() if workbook.identity else ()),
              *(str(r.id) for sheet_rows in plan.rows.values() for r in sheet_rows if r.id)]
    return Carried(source=sub.path, sha256=workbook.sha256, source_year=sub.year,
                   round=NEW_YEAR if new_year else STATUS_ROUND, number=number,
                   form=form, rows=rows,
                   carried_over=marked, leftovers=tuple(leftovers), issued=tuple(issued))


def _done(template: Template, sheet: Sheet, row: PlanRow) -> bool:
    status = sheet.key_of(Role.STATUS)
    return status is not None and template.is_done(row.values.get(status))


def _carry_form(plan: Plan, target: Template) -> dict[str, object]:
    return {f.key: value for f in target.form.fields
            if is_input(f) and (value := plan.form_shown(f.key)) is not None}


def _carry_row(sheet: Sheet, row: PlanRow, leftovers: list[Leftover]) -> RowValues:
    """Every value by key into the new sheet; computed columns are computed anew."""
    values: RowValues = {}
    name = row.id or str(row.shown(sheet.key_of(Role.TITLE) or "") or f"rad {row.row}")
    keys = {c.key for c in sheet.columns if c.formula is None}
    for key in set(row.values) | set(row.texts):
        value = row.shown(key)
        if value is None:
            continue
        if key in keys:
            values[key] = value
        elif not sheet.has_column(key):
            leftovers.append(Leftover(row.sheet, name, key, _text(value),
                                      "kolonnen finnes ikke i den nye versjonen av malen"))
    for header, text in row.extra.items():
        if text:
            leftovers.append(Leftover(row.sheet, name, header, text,
                                      "regionens egen kolonne"))
    first, deadline = sheet.key_of(Role.FIRST_DEADLINE), sheet.key_of(Role.DEADLINE)
    if first and not values.get(first) and deadline and values.get(deadline):
        # The deadline the row was first given stays with it, so a move stays visible.
        values[first] = _text(values[deadline])
    return values


def _add_missing_parties(sheet: Sheet, rows: dict[str, list[RowValues]],
                         parties: Sequence[Party]) -> None:
    """Every configured party has a row, also one the region's plan lacked."""
    title, kind = sheet.key_of(Role.TITLE), sheet.key_of(Role.PARTY_TYPE)
    if title is None:
        return
    carried = rows.setdefault(sheet.name, [])
    named = {fold(str(r.get(title) or "")) for r in carried}
    for party in parties:
        if fold(party.name) not in named:
            carried.append({title: party.name, **({kind: party.type} if kind else {})})


def _other_sheets(names: Sequence[str], target: Template) -> list[Leftover]:
    """The region's own sheets: named, so the coordinator can copy what matters by hand."""
    known = {fold(s.name) for s in target.sheets} | {fold(FEEDBACK_SHEET),
                                                      fold(LEFTOVERS_SHEET)}
    return [Leftover(name, "", "", "", "regionens eget ark, ikke overført")
            for name in names if fold(name) not in known]


def _text(value: object) -> str:
    return format_date(value) if isinstance(value, dt.date) else str(value)

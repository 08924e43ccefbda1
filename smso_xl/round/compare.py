"""``compare``: what changed in the plans between two rounds (docs/reference.md §9).

Submissions are matched by region (the newest of each region on each side, chosen as
``consolidate`` chooses), rows by what identifies them across rounds: the ID (M1, T3, R2),
else the name a prefilled row carries (a party, a criterion). Rows keep their IDs from round
to round (``generate --from``), so a row moved, sorted or renumbered in the sheet is still
the same row.

Each change is one of ``added``, ``removed`` or ``changed`` (a field: old → new). A moved
deadline carries the days it moved; the text report names status changes, moved deadlines
and new responsibles first, as the coordinator follows those up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..template.config import Region
from ..template.definition import Role, Sheet, Template, TemplateSet
from ..template.kinds import is_input
from ..template.rules import Plan, PlanRow
from ..template.values import fold
from .consolidation import Consolidation, Submission, consolidate

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    change: str                      # added | removed | changed
    sheet: str
    id: str | None                   # the row's ID, or the name it is known by
    field: str | None                # the column's header (changed only)
    old: object = None
    new: object = None
    role: str | None = None          # the column's role: deadline, status, owner …

    @property
    def days(self) -> int | None:
        """How many days a deadline moved (later is positive)."""
        if self.role == Role.DEADLINE and isinstance(self.old, dt.date) and isinstance(
                self.new, dt.date):
            return (self.new - self.old).days
        return None

    def to_json(self) -> dict[str, Any]:
        data = {"change": self.change, "sheet": self.sheet, "id": self.id,
                "field": self.field, "old": _json_value(self.old),
                "new": _json_value(self.new)}
        if self.days is not None:
            data["days"] = self.days
        return data


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    return value


@dataclass
class RegionChanges:
    code: str
    name: str
    old: Path | None
    new: Path | None
    changes: list[Change] = field(default_factory=list)

    def count(self, test: Callable[[Change], bool]) -> int:
        return sum(1 for c in self.changes if test(c))

    def to_json(self) -> dict[str, Any]:
        return {"region": self.code, "name": self.name,
                "old": str(self.old) if self.old else None,
                "new": str(self.new) if self.new else None,
                "changes": [c.to_json() for c in self.changes]}


@dataclass
class Comparison:
    """Every region found on either side, in the order of the region list."""

    regions: list[RegionChanges]
    template: Template

    @property
    def changes(self) -> list[tuple[RegionChanges, Change]]:
        return [(region, change) for region in self.regions for change in region.changes]

    @property
    def summary(self) -> dict[str, int]:
        every = [c for _, c in self.changes]
        return {
            "regions": len(self.regions),
            "regions_changed": sum(1 for r in self.regions if r.changes),
            "added": sum(1 for c in every if c.change == ADDED),
            "removed": sum(1 for c in every if c.change == REMOVED),
            "changed": sum(1 for c in every if c.change == CHANGED),
            "status_changed": sum(1 for c in every if is_status_change(c)),
            "deadlines_moved": sum(1 for c in every if c.days),
            "responsible_changed": sum(1 for c in every if c.role == Role.OWNER
                                       and c.change == CHANGED),
        }

    def to_json(self) -> dict[str, Any]:
        return {"regions": [r.to_json() for r in self.regions], "summary": self.summary}

    def progress(self, code: str) -> Progress | None:
        """What region ``code`` moved since the previous round (Oversikt shows it); None
        when it has no plan in one of the rounds."""
        region = next((r for r in self.regions if r.code == code), None)
        if region is None or region.old is None or region.new is None:
            return None
        return Progress(region.count(lambda c: completed_since(self.template, c)),
                        region.count(lambda c: bool(c.days)),
                        region.count(lambda c: c.change == REMOVED))


@dataclass(frozen=True)
class Progress:
    """A region's progress since the previous round: actions completed, deadlines moved,
    rows removed."""

    completed: int
    moved: int
    removed: int


def is_status_change(change: Change) -> bool:
    return change.change == CHANGED and change.role == Role.STATUS


def completed_since(template: Template, change: Change) -> bool:
    """An action whose status became one that closes it (Fullført, Avlyst)."""
    actions = template.sheet_by_role(Role.ACTIONS).name
    return (is_status_change(change) and change.sheet == actions
            and template.is_done(change.new) and not template.is_done(change.old))


def compare(old: Sequence[Path], new: Sequence[Path], *,
            regions: Sequence[Region] | None = None, today: dt.date | None = None,
            templates: TemplateSet | None = None, jobs: int | None = 1,
            progress: Callable[[Path], None] | None = None) -> Comparison:
    """Read both rounds and list what changed, region by region. Each side's plan year is
    the one most of its files carry (a later one: next year's plans, compared by ID)."""
    before, after = (consolidate(paths, regions=regions, today=today, templates=templates,
                                 jobs=jobs, progress=progress, keep_tables=False)
                     for paths in (old, new))
    return changes_between(before, after)


def changes_between(before: Consolidation, after: Consolidation) -> Comparison:
    """The changes from one consolidated round to the next."""
    template = after.template
    old_by_region = {s.region.code: s.submission for s in before.regions if s.submission}
    result = []
    for summary in after.regions:
        old_sub, new_sub = old_by_region.get(summary.region.code), summary.submission
        if old_sub is None and new_sub is None:
            continue
        region = RegionChanges(summary.region.code, summary.region.name,
                               old_sub.path if old_sub else None,
                               new_sub.path if new_sub else None)
        old_plan, new_plan = _plan(old_sub), _plan(new_sub)
        if old_plan is not None and new_plan is not None:
            # A region with a plan on one side only is listed without its rows: a first
            # plan is not a change of one, and its prefilled parties would bury the rest.
            region.changes = plan_changes(template, old_plan, new_plan)
        result.append(region)
    return Comparison(regions=result, template=template)


def _plan(sub: Submission | None) -> Plan | None:
    return sub.report.plan if sub is not None and sub.report.plan is not None else None


def plan_changes(template: Template, old: Plan, new: Plan) -> list[Change]:
    """Field by field of the form, then row by row, sheet by sheet."""
    changes: list[Change] = []
    form = template.form
    for field_ in form.fields:
        if not is_input(field_):
            continue
        before, after = old.form_shown(field_.key), new.form_shown(field_.key)
        if _differs(before, after):
            changes.append(Change(CHANGED, form.name, None, field_.label, before, after,
                                  field_.role))
    for sheet in template.tables:
        old_rows = _keyed(sheet, old.rows.get(sheet.name, []))
        new_rows = _keyed(sheet, new.rows.get(sheet.name, []))
        for key, row in new_rows.items():
            if key not in old_rows:
                changes.append(Change(ADDED, sheet.name, key, None))
                continue
            changes += _row_changes(sheet, key, old_rows[key], row)
        changes += [Change(REMOVED, sheet.name, key, None)
                    for key in old_rows if key not in new_rows]
    return changes


def row_key(sheet: Sheet, row: PlanRow) -> str:
    """What identifies a row across rounds: its ID, else its name, else its place."""
    if row.id:
        return row.id.strip().upper()
    title = sheet.key_of(Role.TITLE)
    name = row.shown(title) if title else None
    return str(name).strip() if name else f"rad {row.row}"


def _keyed(sheet: Sheet, rows: Sequence[PlanRow]) -> dict[str, PlanRow]:
    keyed: dict[str, PlanRow] = {}
    for row in rows:
        key = row_key(sheet, row)
        if key in keyed:  # a duplicate ID (its own finding): keep both, apart
            key = f"{key} (rad {row.row})"
        keyed[key] = row
    return keyed


def _row_changes(sheet: Sheet, key: str, old: PlanRow, new: PlanRow) -> list[Change]:
    changes = []
    for column in sheet.columns:
        if column.role in (Role.ID, Role.RISK_SCORE, Role.RISK_LEVEL, Role.FIRST_DEADLINE):
            continue  # the key itself, values computed from others, the kept first deadline
        before, after = old.shown(column.key), new.shown(column.key)
        if _differs(before, after):
            changes.append(Change(CHANGED, sheet.name, key, column.header, before, after,
                                  column.role))
    return changes


def _differs(before: object, after: object) -> bool:
    if isinstance(before, str) and isinstance(after, str):
        return fold(before) != fold(after)  # "pågår" → "Pågår" is no change
    if isinstance(before, int | float) and isinstance(after, int | float):
        return float(before) != float(after)
    return before != after

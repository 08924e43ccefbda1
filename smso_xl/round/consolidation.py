"""``consolidate``: choose one submission per region and gather every filled row.

The model returned here is what the overview workbook (``overview.py``) shows and what
analysts get as pandas DataFrames (``Consolidation.frames()``). Choosing follows
docs/reference.md §6: identity from the metadata, byte-identical files collapse, the newest of a
region wins (the workbook's own saved time, then ``Sist oppdatert``, then the time the mail
was sent, from the ``collect`` manifest), the rest are listed.

Every expected region gets one status (``RegionSummary.status``): a plan received, with or
without errors; a file that is the region's but is in a format the tool does not read (an
old .xls) or cannot be read (credited by the name ``generate`` gave it, by the sender
``collect`` recorded, or by the region's name in the file name); or nothing. The console
and the overview both show it, with the date the plan was received.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.batch import paused_gc
from ..base.findings import Finding, finding
from ..template.config import Region, default_parties, default_regions, plan_of_file_name
from ..template.definition import Figure, Role, Sheet, Template, TemplateSet, load_templates
from ..template.rules import PlanRow
from ..template.values import fold
from .submission import (
    DUPLICATE,
    EXCLUDED,
    INCLUDED,
    INCLUDED_WITH_ERRORS,
    NOT_TEMPLATE,
    OTHER_YEAR,
    SUPERSEDED,
    UNKNOWN_REGION,
    UNREADABLE,
    WRONG_FORMAT,
    Submission,
)
from .validation import (
    ProvenanceLookup,
    add_provenance,
    find_workbooks,
    validate_files,
)

if TYPE_CHECKING:
    import pandas as pd

NO_STATUS = "Ikke satt"  # an action without a status, in the counts by status

# An expected region's status, on Oversikt and in the console (RegionSummary.status).
RECEIVED = "Mottatt"
RECEIVED_WITH_ERRORS = "Mottatt med feil"
RECEIVED_WRONG_FORMAT = "Mottatt i feil format"  # the region's file, but e.g. an old .xls
UNREADABLE_FILE = "Uleselig"          # a file that is the region's, but cannot be read
NOT_RECEIVED = "Ikke mottatt"
REGION_STATUSES = (RECEIVED, RECEIVED_WITH_ERRORS, RECEIVED_WRONG_FORMAT, UNREADABLE_FILE,
                   NOT_RECEIVED)
#: The keys of ``Consolidation.to_json()["summary"]`` for the statuses.
REGION_STATUS_KEYS = {RECEIVED: "received", RECEIVED_WITH_ERRORS: "received_with_errors",
                      RECEIVED_WRONG_FORMAT: "wrong_format", UNREADABLE_FILE: "unreadable",
                      NOT_RECEIVED: "not_received"}
# Files that tell nothing by their content: credited by name or sender instead.
_UNUSABLE = (UNREADABLE, WRONG_FORMAT, NOT_TEMPLATE)
# What sniff says of a workbook it will not parse because of its format: the region sent
# its plan, in the wrong format, and a Save As fixes it. (Why .xls is not read: docs.)
_FORMAT_CODES = frozenset({"file-legacy-xls", "file-unsupported-type"})


@dataclass
class RegionSummary:
    """One line of the overview's ``Oversikt``: an expected region and what it sent."""

    region: Region
    submission: Submission | None
    # Files credited to the region that cannot be read (Submission.credited_to), newest first.
    unreadable: list[Submission] = field(default_factory=list)
    # The template's figures (Template.figures) by key: counts and sums; a share figure's
    # value is the number of its rows with a responsible and a deadline, and ``totals``
    # holds the number of its rows.
    figures: dict[str, float] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)  # actions by status

    @property
    def received(self) -> bool:
        """A plan came that could be read (with or without errors)."""
        return self.submission is not None

    @property
    def status(self) -> str:
        """One of REGION_STATUSES."""
        if self.submission is not None:
            return RECEIVED if self.submission.report.ok else RECEIVED_WITH_ERRORS
        if not self.unreadable:
            return NOT_RECEIVED
        return (RECEIVED_WRONG_FORMAT if self.unreadable[0].status == WRONG_FORMAT
                else UNREADABLE_FILE)

    @property
    def file(self) -> Submission | None:
        """The file its status stands on: the plan used, else the newest unreadable one."""
        return self.submission or next(iter(self.unreadable), None)

    @property
    def received_at(self) -> dt.datetime | None:
        """When that file came (sent, else saved); None when that is not known."""
        return self.file.received_at if self.file else None

    @property
    def received_on(self) -> dt.date | None:
        """The date of :attr:`received_at` on the coordinator's clock."""
        return self.received_at.astimezone().date() if self.received_at else None

    def figure(self, figure: Figure) -> float | None:
        """The number Oversikt shows: a count or sum, or a share (None without rows)."""
        value = self.figures.get(figure.key, 0)
        if figure.share:
            total = self.totals.get(figure.key, 0)
            return None if total == 0 else value / total
        return value

    @property
    def counted(self) -> bool:
        """Its figures count in the national totals: a plan came and it was included."""
        return self.submission is not None and self.submission.included

    # The figures the command line reports, by their keys in the shipped template.
    @property
    def goals(self) -> int:
        return int(self.figures.get("goals", 0))

    @property
    def actions(self) -> int:
        return int(self.figures.get("actions", 0))

    @property
    def overdue(self) -> int:
        return int(self.figures.get("overdue", 0))


@dataclass(frozen=True)
class SharedRows:
    """Two regions' plans with the same goal and action rows (one plan sent under two
    regions): the rows of ``later`` (the later saved) that stand in ``earlier`` too. The
    totals on Oversikt count them once (:meth:`Consolidation.counted_twice`)."""

    earlier: Submission
    later: Submission
    rows: dict[str, list[PlanRow]]   # template sheet → the later plan's shared rows
    of: int                          # rows in the smaller of the two plans

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass(frozen=True)
class NationalTotal:
    """One figure for the whole country: the counted regions' figures summed, the rows two
    regions sent alike counted once. ``twice`` is what those rows add to the regions' sum
    (the total subtracts it), ``twice_rows`` how many rows they are (a share leaves them
    out of its denominator too)."""

    figure: Figure
    value: float | None  # a count or sum; a share (None without rows)
    twice: float = 0
    twice_rows: int = 0


@dataclass(frozen=True)
class Deadline:
    """A row whose deadline has passed or comes soon and that is not done (Frister)."""

    submission: Submission
    sheet: Sheet          # the template's sheet of the row
    row: PlanRow
    deadline: dt.date
    days: int             # from the consolidation's today; negative when it has passed

    @property
    def overdue(self) -> bool:
        return self.days < 0


@dataclass
class Consolidation:
    year: int | None
    today: dt.date
    template: Template
    regions: list[RegionSummary]
    submissions: list[Submission]
    findings: list[Finding]            # the run's own: conflicting copies, shared plans
    shared: list[SharedRows] = field(default_factory=list)  # one plan under two regions

    @property
    def chosen(self) -> list[Submission]:
        return [s for s in self.submissions if s.included]

    def rows(self, sheet: str) -> list[tuple[Submission, PlanRow]]:
        """Every filled row of ``sheet`` in the chosen submissions, in region order."""
        order = {r.region.code: i for i, r in enumerate(self.regions)}
        result = []
        for sub in sorted(self.chosen, key=lambda s: (order.get(s.region or "", 999), str(s.path))):
            plan = sub.report.plan
            for plan_row in (plan.rows.get(sheet, []) if plan else []):
                result.append((sub, plan_row))
        return result

    def all_findings(self) -> list[tuple[Submission | None, Finding]]:
        """Every finding of every file seen but the superseded versions and identical
        copies (their region's newer file is judged), then the run's own."""
        pairs: list[tuple[Submission | None, Finding]] = [
            (sub, f) for sub in self.submissions if sub.status not in (SUPERSEDED, DUPLICATE)
            for f in sub.report.findings]
        return pairs + [(None, f) for f in self.findings]

    def frames(self) -> dict[str, pd.DataFrame]:
        """pandas DataFrames for analysts: goals, actions, risks, parties, assessments,
        findings and submissions (one row per filled row, with region and source), and
        regions and totals: Oversikt's lines and its Totalt, the numbers computed once."""
        from .frames import FrameSource, build_frames

        names: dict[str, str] = {}
        for summary in self.regions:  # the first of a repeated code wins, as on the sheets
            names.setdefault(summary.region.code, summary.region.name)
        figures = self.template.figures
        lines = [{"region": r.region.code, "region_name": r.region.name, "status": r.status,
                  "received_at": r.received_at, "file": str(r.file.path) if r.file else None,
                  "errors": r.file.errors if r.file else None,
                  "warnings": r.file.warnings if r.file else None,
                  **{f.key: r.figure(f) if r.counted else None for f in figures}}
                 for r in self.regions]
        totals = {key: total.value for key, total in self.national_totals.items()}
        return build_frames(FrameSource(self.template, names, self.submissions, self.rows,
                                        self.all_findings(), lines, totals))

    def counted_twice(self) -> dict[str, tuple[float, int]]:
        """What the regions' figures count twice because two regions sent the same rows:
        per figure key, the value and the number of rows of the later plans' shared rows.
        The national totals subtract it, so that each shared row counts once."""
        return self._twice

    @cached_property
    def _twice(self) -> dict[str, tuple[float, int]]:
        # A plan sent by three regions is in two pairs with the first: each later plan's
        # shared rows are gathered over its pairs, so that no row is subtracted twice.
        copies: dict[int, dict[str, dict[int, PlanRow]]] = defaultdict(lambda: defaultdict(dict))
        for pair in self.shared:
            for sheet, rows in pair.rows.items():
                copies[id(pair.later)][sheet].update((id(row), row) for row in rows)
        twice: dict[str, tuple[float, int]] = {}
        for by_sheet in copies.values():
            rows_of = {sheet: list(rows.values()) for sheet, rows in by_sheet.items()}
            for figure in self.template.figures:
                value, count = _figure(figure, rows_of, self.template, self.today)
                old_value, old_count = twice.get(figure.key, (0, 0))
                twice[figure.key] = (old_value + value, old_count + count)
        return twice

    @cached_property
    def national_totals(self) -> dict[str, NationalTotal]:
        """Every figure of the template for the whole country (by its key), computed once:
        what Oversikt's Totalt row shows (as the cached values of its formulas) and
        ``--format json`` reports under ``totals``."""
        counted = [s for s in self.regions if s.counted]
        totals = {}
        for figure in self.template.figures:
            less, less_rows = self._twice.get(figure.key, (0, 0))
            summed = sum(s.figures.get(figure.key, 0) for s in counted) - less
            if figure.share:
                rows = sum(s.totals.get(figure.key, 0) for s in counted) - less_rows
                value: float | None = summed / rows if rows else None
            else:
                value = summed
            totals[figure.key] = NationalTotal(figure, value, less, less_rows)
        return totals

    @cached_property
    def party_hours(self) -> list[tuple[str, float]]:
        """The hours a year of the participating parties (Parter: ``Timer per år``), summed
        by party over the chosen plans, largest first; empty when none gave hours."""
        template = self.template
        parties = template.sheet_by_role(Role.PARTIES)
        stand, hours_key = parties.key_of(Role.STAND) or "", parties.key_of(Role.HOURS) or ""
        title = parties.key_of(Role.TITLE) or ""
        hours: dict[str, float] = {}
        for _, plan_row in self.rows(parties.name):
            if plan_row.values.get(stand) not in template.participating:
                continue
            value = plan_row.values.get(hours_key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                name = str(plan_row.shown(title) or "(uten navn)")
                hours[name] = hours.get(name, 0) + value
        return sorted(hours.items(), key=lambda item: (-item[1], fold(item[0])))

    def deadlines(self, within_days: int) -> list[Deadline]:
        """The deadlines passed or within ``within_days`` of rows not done, on every sheet
        with deadlines, the earliest first (sheets in the template's order, regions in the
        region list's order within a day)."""
        template, today = self.template, self.today
        horizon = today + dt.timedelta(days=within_days)
        found: list[tuple[int, Deadline]] = []
        for order, sheet in enumerate(s for s in template.tables if s.key_of(Role.DEADLINE)):
            deadline_key, status_key = sheet.key_of(Role.DEADLINE) or "", sheet.key_of(Role.STATUS)
            for sub, row in self.rows(sheet.name):
                deadline = row.values.get(deadline_key)
                if (isinstance(deadline, dt.date) and deadline <= horizon
                        and not template.is_done(row.values.get(status_key or ""))):
                    found.append((order, Deadline(sub, sheet, row, deadline,
                                                  (deadline - today).days)))
        found.sort(key=lambda item: (item[1].deadline, item[0]))  # stable
        return [deadline for _, deadline in found]

    def shares_rows_with(self, code: str) -> list[str]:
        """The regions whose plan has the same rows as region ``code``'s (:attr:`shared`)."""
        found = [(b if a == code else a) for a, b in
                 ((p.earlier.region, p.later.region) for p in self.shared) if code in (a, b)]
        return sorted({c for c in found if c})

    def region_counts(self) -> dict[str, int]:
        """How many expected regions have each status, in the order of REGION_STATUSES."""
        tally = Counter(r.status for r in self.regions)
        return {status: tally[status] for status in REGION_STATUSES}

    def to_json(self, out: Path | None = None) -> dict[str, Any]:
        """The summary ``consolidate --format json`` prints, ready for ``json.dumps``; ``out``
        is the overview that was written (None: none). The contract is
        ``smso_xl/schemas/consolidate.schema.json``."""
        counts = self.region_counts()
        return {
            "out": str(out) if out else None,
            "year": self.year,
            "regions": [{"code": r.region.code, "name": r.region.name, "received": r.received,
                         "status": r.status,
                         "received_at": _iso(r.received_at),
                         "file": str(r.file.path) if r.file else None,
                         "reason": r.file.reason() or None
                         if r.file and r.submission is None else None,
                         "shares_rows_with": self.shares_rows_with(r.region.code),
                         "goals": r.goals, "actions": r.actions, "overdue": r.overdue,
                         "errors": r.submission.errors if r.submission else 0,
                         "warnings": r.submission.warnings if r.submission else 0}
                        for r in self.regions],
            "submissions": [{"path": str(s.path), "region": s.region, "year": s.year,
                             "status": s.status,
                             "superseded_by": str(s.superseded_by) if s.superseded_by else None,
                             "credited_to": s.credited_to,
                             "errors": s.errors, "warnings": s.warnings,
                             "sender": s.report.mail.sender if s.report.mail else None,
                             "sent": _iso(s.sent_at)}
                            for s in self.submissions],
            "findings": [f.to_json() for f in self.findings],
            "totals": {key: total.value for key, total in self.national_totals.items()},
            "party_hours": [{"party": name, "hours": hours}
                            for name, hours in self.party_hours],
            "summary": {"files": len(self.submissions), "regions": len(self.regions),
                        **{REGION_STATUS_KEYS[k]: v for k, v in counts.items()}},
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def regions_in_words(result: Consolidation) -> str:
    """«Av 15 regioner: 2 mottatt, 4 mottatt med feil, 1 uleselig, 8 ikke mottatt.» — the
    same sentence on Oversikt and in the console."""
    total = len(result.regions)
    parts = [f"{count} {status.lower()}" for status, count in result.region_counts().items()
             if count]
    head = f"Av {total} {'region' if total == 1 else 'regioner'}"
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."


def consolidate(
    paths: Sequence[Path],
    *,
    regions: Sequence[Region] | None = None,
    year: int | None = None,
    today: dt.date | None = None,
    exclude_invalid: bool = False,
    progress: Callable[[Path], None] | None = None,
    jobs: int | None = 1,
    keep_tables: bool = True,
    templates: TemplateSet | None = None,
    provenance: ProvenanceLookup | None = None,
) -> Consolidation:
    """Read, validate and choose; the result is ready for ``overview.write_overview``.
    ``jobs`` worker processes read the files (``None``: one per core for many files);
    ``keep_tables``, ``templates`` and ``provenance`` (who sent each file, which the newest
    version falls back on) as for :func:`validation.validate`; ``keep_tables=False`` also
    leaves out what only the findings needed of each plan row (``Plan.drop_cell_facts``)."""
    templates = templates or load_templates()
    template = templates.newest  # the overview's columns: every version's keys land in them
    today = today or dt.date.today()
    expected = tuple(regions or default_regions())
    known = {r.code for r in expected}
    parties = tuple(p.name for p in default_parties())
    submissions: list[Submission] = []
    facts: dict[int, _PlanFacts] = {}  # by the submission's id
    with paused_gc():  # reports pile up, and none holds a reference cycle
        for report in validate_files(find_workbooks(paths), templates=templates, today=today,
                                     known_regions=known, year=year, parties=parties,
                                     jobs=jobs, progress=progress, keep_tables=keep_tables):
            add_provenance(report, provenance)
            submission = Submission(report=report)
            submissions.append(submission)
            facts[id(submission)] = _plan_facts(submission, template, today)
    year = choose(submissions, known, year, exclude_invalid=exclude_invalid)
    findings = _conflicting_copies(submissions)
    _credit(submissions, expected, year)
    chosen_by_region, credited = _by_region(submissions)
    summaries = [_summarise(region, chosen_by_region, credited, facts) for region in expected]
    names = {r.code: r.name for r in expected}
    shared = _shared_rows([s for s in submissions if s.included], facts)
    findings += [_shared_finding(pair, names) for pair in shared]
    return Consolidation(year=year, today=today, template=template, regions=summaries,
                         submissions=submissions, findings=findings, shared=shared)


def choose(submissions: list[Submission], known: set[str], year: int | None = None, *,
           exclude_invalid: bool = False) -> int | None:
    """Each region's newest submission of the plan ``year`` (without one: the year most
    files carry), by :func:`_newness`; the others superseded, identical copies collapsed.
    Sets every submission's status in place and returns the year chosen for. ``validate``
    on a folder chooses with this too."""
    year = year if year is not None else _most_common_year(submissions)
    _classify(submissions, known, year, exclude_invalid)
    return year


def _most_common_year(submissions: Sequence[Submission]) -> int | None:
    """Without ``--year``: the plan year most files carry (the later one on a tie)."""
    years = Counter(s.year for s in submissions if s.year is not None)
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))


def _classify(submissions: list[Submission], known: set[str], year: int | None,
              exclude_invalid: bool) -> None:
    candidates: dict[str, list[Submission]] = defaultdict(list)
    first_of_hash: dict[str, Submission] = {}
    # Of identical copies keep the plainest name ("a.xlsx" over "a (2).xlsx").
    for sub in sorted(submissions, key=lambda s: (len(s.path.name), str(s.path))):
        if sub.report.workbook is None:
            first = next((f for f in sub.report.findings if f.sheet is None), None)
            sub.status = WRONG_FORMAT if first and first.code in _FORMAT_CODES else UNREADABLE
        elif sub.identity is None:
            sub.status = NOT_TEMPLATE
        elif sub.year != year:
            sub.status = OTHER_YEAR
        elif sub.region not in known:
            sub.status = UNKNOWN_REGION
        elif sub.sha256 in first_of_hash:
            sub.status = DUPLICATE  # byte-identical: the same submission forwarded twice
            sub.superseded_by = first_of_hash[sub.sha256 or ""].path
        else:
            first_of_hash[sub.sha256 or ""] = sub
            candidates[sub.region or ""].append(sub)
    for versions in candidates.values():
        newest = max(versions, key=_newness)
        for sub in versions:
            if sub is not newest:
                sub.status, sub.superseded_by = SUPERSEDED, newest.path
        if newest.report.ok:
            newest.status = INCLUDED
        else:
            newest.status = EXCLUDED if exclude_invalid else INCLUDED_WITH_ERRORS
    by_path = {sub.path: sub for sub in reversed(submissions)}  # the first of a path
    for sub in submissions:
        # A copy of a version that was itself superseded points at the version that won.
        original = by_path.get(sub.superseded_by) if sub.status == DUPLICATE else None
        if original is not None and original.superseded_by:
            sub.superseded_by = original.superseded_by


def _credit(submissions: Sequence[Submission], expected: Sequence[Region],
            year: int | None) -> None:
    """Credit each file that cannot be read to the expected region it belongs to: by the
    name ``generate`` gave it («Kopi av …», «(2)» around it are fine), else by the address
    ``collect`` recorded as its sender (a region's ``email`` in the region list; an address
    two regions share credits neither), else by one region's name in a name of the
    region's own («Handlingsplan Agder.xls»). A name ``generate`` gave for another plan
    year credits nobody by its name."""
    known = {r.code for r in expected}
    by_address: dict[str, set[str]] = defaultdict(set)
    for region in expected:
        for address in re.findall(r"[^\s<>,;]+@[^\s<>,;]+", region.email.casefold()):
            by_address[address].add(region.code)
    for sub in submissions:
        if sub.status not in _UNUSABLE:
            continue
        named = plan_of_file_name(sub.path.name)
        code = named[1] if named and (year is None or named[0] == year) else None
        if code not in known and sub.report.mail is not None:
            senders = by_address.get(sub.report.mail.sender_address.strip().casefold(), set())
            code = next(iter(senders)) if len(senders) == 1 else None
        if code not in known and named is None:
            code = _region_named_in(sub.path.name, expected)
        sub.credited_to = code if code in known else None


def _region_named_in(file_name: str, expected: Sequence[Region]) -> str | None:
    """The code of the one expected region whose name stands in ``file_name`` as whole
    words, in any case and spelling of æøå (Møre og Romsdal in «plan_more_og_romsdal.xls»);
    None for no region or several («Troms og Finnmark»)."""
    def words(text: str) -> str:
        return f" {' '.join(re.findall(r'[0-9a-z]+', fold(text)))} "

    name = words(Path(file_name).stem)
    found = {r.code for r in expected if words(r.name).strip() and words(r.name) in name}
    return found.pop() if len(found) == 1 else None


def _newness(sub: Submission) -> tuple[Any, ...]:
    """The workbook's own saved time first, then ``Sist oppdatert``, then the time its mail
    was sent (docs/email.md says why in this order); the file name last, so the choice never
    depends on the order files were found in."""
    saved = sub.saved_at
    saved_key = saved.replace(tzinfo=None) if saved else dt.datetime.min
    updated = sub.last_updated or dt.date.min
    sent = sub.sent_at
    sent_key = sent.astimezone(dt.UTC).replace(tzinfo=None) if sent else dt.datetime.min
    return (saved_key, updated, sent_key, sub.path.name)


def _conflicting_copies(submissions: Sequence[Submission]) -> list[Finding]:
    """Copies of one generated file (same file id) that claim different regions."""
    by_file_id: dict[str, list[Submission]] = defaultdict(list)
    for sub in submissions:
        if sub.identity is not None and sub.identity.file_id:
            by_file_id[sub.identity.file_id].append(sub)
    findings = []
    for subs in by_file_id.values():
        regions = sorted({s.region or "?" for s in subs})
        if len(regions) > 1:
            findings.append(finding(
                "copies-conflict", files=", ".join(s.path.name for s in subs),
                regions=", ".join(regions)))
    return findings


# One plan under two regions: the plans' goal and action rows are compared by what they
# say. Two plans share a plan when at least this many rows, and at least this share of the
# smaller plan's rows, are the same: one common row is chance, half a plan is a paste.
MIN_SHARED_ROWS, MIN_SHARED_SHARE = 2, 0.5
_PLAN_ROLES = (Role.GOALS, Role.ACTIONS)


def _row_keys(sheet: Sheet, rows: Sequence[PlanRow]) -> Iterator[tuple[tuple[str, ...], PlanRow]]:
    """What makes each row the same in another plan: its text, responsible and deadline,
    as the region sees them (case, spacing and æøå spellings aside); a row without a text
    has none."""
    keys = [sheet.key_of(role) or "" for role in (Role.TITLE, Role.OWNER, Role.DEADLINE)]
    for row in rows:
        title, owner, deadline = row.shown_each(keys)
        if title is None or not str(title).strip():
            continue
        yield (sheet.name, *(fold(str(shown or "")) for shown in (title, owner, deadline))), row


_Fingerprints = dict[tuple[str, ...], PlanRow]  # a plan's goal and action rows by what they say


def _fingerprints(sub: Submission, template: Template) -> _Fingerprints:
    """A plan's goal and action rows by :func:`_row_keys`; a row repeated within the plan
    counts once."""
    rows = sub.report.plan.rows if sub.report.plan else {}
    keys: _Fingerprints = {}
    for role in _PLAN_ROLES:
        sheet = template.sheet_by_role(role)
        for key, row in _row_keys(sheet, rows.get(sheet.name, [])):
            keys.setdefault(key, row)
    return keys


def _shared_rows(chosen: Sequence[Submission],
                 facts: Mapping[int, _PlanFacts]) -> list[SharedRows]:
    """Every pair of chosen plans of two regions that share most of their goal and action
    rows, the earlier saved first (its region's plan is taken as the original). Plans meet
    through an index from each row's fingerprint (:func:`_fingerprints`) to the plans that
    hold it, so the work grows with the rows, not with the pairs of plans: two plans that
    share no row are never compared."""
    keyed = [(sub, facts[id(sub)].fingerprints) for sub in sorted(chosen, key=_newness)]
    holders: dict[tuple[str, ...], list[int]] = defaultdict(list)
    common: Counter[tuple[int, int]] = Counter()  # (earlier, later) → rows alike
    for index, (_, keys) in enumerate(keyed):
        for key in keys:
            for earlier in holders[key]:
                common[earlier, index] += 1
            holders[key].append(index)
    pairs = []
    for (first_index, second_index), same in sorted(common.items()):
        (earlier, first), (later, second) = keyed[first_index], keyed[second_index]
        smaller = min(len(first), len(second))
        if (earlier.region != later.region and same >= MIN_SHARED_ROWS
                and same >= MIN_SHARED_SHARE * smaller):
            rows: dict[str, list[PlanRow]] = defaultdict(list)
            for key, row in second.items():
                if key in first:
                    rows[row.sheet].append(row)
            pairs.append(SharedRows(earlier, later, dict(rows), smaller))
    return pairs


def _shared_finding(pair: SharedRows, names: dict[str, str]) -> Finding:
    def region(sub: Submission) -> str:
        code = sub.region or "?"
        return f"{code} {names.get(code, '')}".strip()

    return finding("plan-shared", file=str(pair.later.path),
                   first=region(pair.earlier), first_file=pair.earlier.path.name,
                   second=region(pair.later), second_file=pair.later.path.name,
                   count=pair.count, of=pair.of)


def _by_region(submissions: Sequence[Submission]) -> tuple[dict[str, Submission],
                                                             dict[str, list[Submission]]]:
    """Per region code, once for all regions: its chosen submission (the first), and the
    unreadable files credited to it (:func:`_credit`)."""
    chosen: dict[str, Submission] = {}
    credited: dict[str, list[Submission]] = defaultdict(list)
    for sub in submissions:
        if sub.status in (INCLUDED, INCLUDED_WITH_ERRORS, EXCLUDED):
            chosen.setdefault(sub.region or "", sub)
        if sub.credited_to is not None:
            credited[sub.credited_to].append(sub)
    return chosen, credited


@dataclass
class _PlanFacts:
    """What a region's summary and the search for shared plans need of a plan: counted as
    the plan comes, while worker processes read the next ones."""

    fingerprints: _Fingerprints
    figures: dict[str, float] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)


def _plan_facts(sub: Submission, template: Template, today: dt.date) -> _PlanFacts:
    facts = _PlanFacts(fingerprints=_fingerprints(sub, template))
    if sub.report.plan is None:
        return facts
    rows = sub.report.plan.rows
    for figure in template.figures:
        facts.figures[figure.key], total = _figure(figure, rows, template, today)
        if figure.share:
            facts.totals[figure.key] = total
    actions = template.sheet_by_role(Role.ACTIONS)
    status = actions.key_of(Role.STATUS) or ""
    facts.status_counts = dict(Counter(str(r.values.get(status) or NO_STATUS)
                                       for r in rows.get(actions.name, [])))
    return facts


def _summarise(region: Region, chosen_by_region: dict[str, Submission],
               credited: dict[str, list[Submission]],
               facts: Mapping[int, _PlanFacts]) -> RegionSummary:
    chosen = chosen_by_region.get(region.code)
    unreadable = sorted(credited.get(region.code, ()), key=_newness, reverse=True)
    summary = RegionSummary(region=region, submission=chosen, unreadable=unreadable)
    if chosen is None or chosen.report.plan is None or not chosen.included:
        return summary
    plan = facts[id(chosen)]
    summary.figures, summary.totals = dict(plan.figures), dict(plan.totals)
    summary.status_counts = dict(plan.status_counts)
    return summary


def _figure(figure: Figure, rows: dict[str, list[PlanRow]], template: Template,
            today: dt.date) -> tuple[float, int]:
    """One figure of one plan: its value, and the number of rows it looked at."""
    counted: list[tuple[Sheet, PlanRow]] = []
    for name in figure.sheets:
        kept = rows.get(name, [])
        for key, values in figure.where.items():  # each condition in turn: all must hold
            kept = [r for r in kept if r.values.get(key) in values]
        sheet = template.sheet(name)
        counted += [(sheet, r) for r in kept]
    if figure.measure == "sum":
        return sum(_number(r.values.get(figure.column or "")) for _, r in counted), len(counted)
    if figure.measure == "overdue":
        return sum(1 for sheet, r in counted if template.is_overdue(sheet, r.values, today)), 0
    if figure.measure == "share":
        return sum(1 for sheet, r in counted if _owned_with_deadline(sheet, r)), len(counted)
    return len(counted), len(counted)


def _owned_with_deadline(sheet: Sheet, row: PlanRow) -> bool:
    owner, deadline = sheet.key_of(Role.OWNER), sheet.key_of(Role.DEADLINE)
    return (owner is not None and row.values.get(owner) is not None
            and deadline is not None and isinstance(row.values.get(deadline), dt.date))


def is_overdue(result: Consolidation, row: PlanRow) -> bool:
    """``Template.is_overdue`` for a row of the overview (on its template sheet)."""
    return result.template.is_overdue(result.template.sheet(row.sheet), row.values, result.today)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

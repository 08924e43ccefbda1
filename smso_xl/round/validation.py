"""``validate``: read every returned workbook, apply the rules, return one report.

One unreadable or broken file becomes file-level findings in its own entry; it never stops
the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.batch import keep_freed_memory, map_in_workers, paused_gc, resolve_jobs
from ..base.fileio import unique_paths
from ..base.findings import ERROR, INFO, WARNING, Finding, counts, finding, sort_key
from ..base.formats import WORKBOOK_SUFFIXES
from ..base.provenance import Provenance
from ..template.config import Region, default_parties, default_regions
from ..template.definition import Sheet, Template, TemplateSet, as_template_set, load_templates
from ..template.model import ReadError, Workbook
from ..template.rules import Plan, check_workbook
from ..workbook.reader import read

#: Who sent a file: its path and sha256 (None when it could not be read) → the provenance,
#: or None. Handed in by the caller (the command line gives ``smso_xl.mail``'s manifest).
ProvenanceLookup = Callable[[Path, str | None], Provenance | None]
#: Why a file whose worker process died twice has no report of its own.
CRASHED = "lesingen stoppet uventet, og filen ble hoppet over"


@dataclass
class FileReport:
    path: Path
    findings: list[Finding]
    workbook: Workbook | None = None
    plan: Plan | None = None
    mail: Provenance | None = None  # who sent it, when: attached by the caller (provenance)
    #: The form's «Sist oppdatert» when it is a date (``Plan.last_updated``), kept without
    #: the plan: choosing a region's newest return needs it, and nothing else of the plan.
    last_updated: dt.date | None = None

    @property
    def region(self) -> str | None:
        ident = self.workbook.identity if self.workbook else None
        return ident.region_code if ident else None

    @property
    def year(self) -> int | None:
        ident = self.workbook.identity if self.workbook else None
        return ident.year if ident else None

    @property
    def template_version(self) -> str | None:
        ident = self.workbook.identity if self.workbook else None
        return ident.template_version if ident else None

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def readable(self) -> bool:
        return self.workbook is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": str(self.path), "region": self.region, "year": self.year,
            "template_version": self.template_version, "ok": self.ok,
            "findings": [f.to_json() for f in self.findings]}
        if self.mail is not None:  # only for collected files, beside docs/reference.md §4.4's keys
            data["mail"] = {"sender": self.mail.sender, "subject": self.mail.subject,
                            "sent": self.mail.sent.isoformat() if self.mail.sent else None,
                            "attachment": self.mail.original_name}
        return data


@dataclass
class ValidationReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def summary(self) -> dict[str, int]:
        tally = counts(self.findings)
        return {"files": len(self.files), "ok": sum(1 for r in self.files if r.ok),
                "errors": tally[ERROR], "warnings": tally[WARNING], "info": tally[INFO]}

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.files)

    def has_warnings(self) -> bool:
        return any(f.severity == WARNING for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        summary = self.summary
        return {"files": [r.to_json() for r in self.files],
                "summary": {k: summary[k] for k in ("files", "ok", "errors", "warnings")}}


def find_workbooks(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders searched recursively; Office lock files (``~$…``) and hidden
    files are skipped, duplicates removed, order stable."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and _is_candidate(p, path))
        else:
            found.append(path)
    return unique_paths(found)


def without_workbooks(paths: Iterable[Path]) -> list[Path]:
    """The folders among ``paths`` that hold no workbook at all (a wrong folder, say). A file
    named on its own always counts: what it is, its findings say."""
    return [path for path in paths if path.is_dir() and not find_workbooks([path])]


def no_workbooks_message(paths: Sequence[Path]) -> str:
    """One sentence naming the folders of :func:`without_workbooks`."""
    where = _and(list(dict.fromkeys(str(p) for p in paths)))  # «compare tom tom»: once
    kinds = _and(list(WORKBOOK_SUFFIXES))
    return (f"Fant ingen arbeidsbøker i {where} (det søkes etter {kinds}, også i "
            "undermapper). Er det riktig mappe?")


def _is_candidate(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if any(part.startswith(".") for part in parts) or path.name.startswith("~$"):
        return False
    return path.suffix.lower() in WORKBOOK_SUFFIXES


def validate(
    paths: Sequence[Path],
    *,
    today: dt.date | None = None,
    regions: Sequence[Region] | None = None,
    year: int | None = None,
    progress: Callable[[Path], None] | None = None,
    jobs: int | None = 1,
    keep_tables: bool = True,
    keep_plans: bool = True,
    templates: TemplateSet | None = None,
    provenance: ProvenanceLookup | None = None,
) -> ValidationReport:
    """Validate every workbook under ``paths``.

    ``regions`` are the expected regions (default: the shipped list); ``year``, when given,
    is the plan year being collected. ``today`` fixes the date for overdue checks. ``jobs``
    worker processes read the files (``None``: one per core for many files); the report is
    the same for any number. ``keep_tables=False`` leaves out of each report's workbook the
    tables as read, cell by cell, once the rules have run, and of its plan what only the
    findings needed (``Plan.drop_cell_facts``; the findings and every value ``shown`` are
    the same): most of the memory, for callers that need only those. ``keep_plans=False`` leaves
    out the parsed plans too (``FileReport.plan`` is None; ``last_updated`` stays): what the
    findings need alone, and the half of a report that worker processes would otherwise
    send back. ``templates``:
    the published template versions (default: the shipped ones); each file is checked
    against the version it names. ``provenance`` looks up who sent each file
    (``FileReport.mail``), e.g. ``smso_xl.mail.ManifestIndex().lookup``; without it, none is
    known.
    """
    templates = templates or load_templates()
    today = today or dt.date.today()
    known_regions = {r.code for r in (regions or default_regions())}
    parties = tuple(p.name for p in default_parties())
    report = ValidationReport()
    with paused_gc():  # reports pile up, and none holds a reference cycle
        for file_report in validate_files(find_workbooks(paths), templates=templates,
                                          today=today, known_regions=known_regions, year=year,
                                          parties=parties, jobs=jobs, progress=progress,
                                          keep_tables=keep_tables, keep_plans=keep_plans):
            add_provenance(file_report, provenance)
            report.files.append(file_report)
    return report


def add_provenance(report: FileReport, provenance: ProvenanceLookup | None) -> None:
    """Who sent the file, from the caller's ``provenance`` lookup (matched by sha256)."""
    if provenance is not None:
        report.mail = provenance(report.path,
                                 report.workbook.sha256 if report.workbook else None)


def validate_files(paths: Sequence[Path], *, templates: TemplateSet, today: dt.date,
                   known_regions: set[str], year: int | None, parties: Sequence[str],
                   jobs: int | None = 1,
                   progress: Callable[[Path], None] | None = None,
                   keep_tables: bool = True,
                   keep_plans: bool = True) -> Iterator[FileReport]:
    """:func:`validate_file` for each of ``paths``, in order; in worker processes when
    ``jobs`` (``None``: auto) says so (``smso_xl.base.batch``)."""
    keep_freed_memory()  # here and in each worker
    workers = resolve_jobs(jobs, len(paths))
    if workers > 1:
        settings = FileSettings(templates=templates, today=today,
                                known_regions=set(known_regions), year=year,
                                parties=tuple(parties), keep_tables=keep_tables,
                                keep_plans=keep_plans)
        yield from map_in_workers(validate_with, paths, jobs=workers, context=settings,
                                  crashed=crashed_report, progress=progress,
                                  shared=template_sheets)
        return
    for path in paths:
        if progress:
            progress(path)
        yield validate_file(path, templates=templates, today=today,
                            known_regions=known_regions, year=year, parties=parties,
                            keep_tables=keep_tables, keep_plans=keep_plans)


@dataclass(frozen=True)
class FileSettings:
    """:func:`validate_file`'s settings, sent once to each worker process (the template
    too: a worker never loads one of its own)."""

    templates: TemplateSet
    today: dt.date
    known_regions: set[str]
    year: int | None
    parties: tuple[str, ...]
    keep_tables: bool = True
    keep_plans: bool = True


def validate_with(settings: FileSettings, path: Path) -> FileReport:
    """:func:`validate_file` with ``settings``: what a worker process runs for each file."""
    return validate_file(path, templates=settings.templates, today=settings.today,
                         known_regions=settings.known_regions, year=settings.year,
                         parties=settings.parties, keep_tables=settings.keep_tables,
                         keep_plans=settings.keep_plans)


def template_sheets(settings: FileSettings) -> dict[tuple[str, str], Sheet]:
    """The sheets a report shares with its template: they travel back from a worker by
    version and name, so that the reports refer to this process's own templates."""
    return {(version, sheet.name): sheet
            for version, template in settings.templates.versions.items()
            for sheet in template.sheets}


def crashed_report(path: Path) -> FileReport:
    """The report of a file whose worker process died twice (``smso_xl.base.batch``)."""
    return FileReport(path=path, findings=[finding("file-unreadable", file=str(path),
                                                   reason=CRASHED)])


def validate_file(path: Path, *, templates: TemplateSet | Template, today: dt.date,
                  known_regions: set[str], year: int | None,
                  parties: Sequence[str], keep_tables: bool = True,
                  keep_plans: bool = True) -> FileReport:
    templates = as_template_set(templates)
    try:
        workbook = read(path, templates=templates)
    except ReadError as exc:
        return FileReport(path=path, findings=[exc.finding])
    except Exception as exc:  # one broken file must never stop a batch
        reason = f"uventet feil ved lesing: {type(exc).__name__}"
        return FileReport(path=path, findings=[finding("file-unreadable", file=str(path),
                                                       reason=reason)])
    return validate_workbook(workbook, templates=templates, today=today,
                             known_regions=known_regions, year=year, parties=parties,
                             keep_tables=keep_tables, keep_plans=keep_plans)


def validate_workbook(workbook: Workbook, *, templates: TemplateSet | Template,
                      today: dt.date, known_regions: set[str], year: int | None,
                      parties: Sequence[str], keep_tables: bool = True,
                      keep_plans: bool = True) -> FileReport:
    """:func:`validate_file` for a workbook already read (its reading findings included):
    the identity checks and the rules. The tests hand it plans built in memory."""
    templates = as_template_set(templates)
    path = workbook.path
    template = templates.for_version(workbook.template_version)
    findings = list(workbook.findings) + _identity_findings(workbook, templates, known_regions,
                                                            year)
    if workbook.identity is None and not workbook.tables and workbook.form is None:
        # Not this template at all: one clear finding, not one per sheet it lacks.
        findings = [f for f in findings if f.code not in ("sheet-missing", "column-missing")]
    content, plan = check_workbook(workbook, template=template, today=today, parties=parties)
    findings = sorted(_unique(findings + content), key=sort_key(workbook.sheet_names))
    if not keep_tables:
        workbook = dataclasses.replace(workbook, tables={})
        if keep_plans:
            plan.drop_cell_facts()
    return FileReport(path=path, findings=findings, workbook=workbook,
                      plan=plan if keep_plans else None, last_updated=plan.last_updated)


def _identity_findings(wb: Workbook, templates: TemplateSet, known_regions: set[str],
                       year: int | None) -> list[Finding]:
    ident, file = wb.identity, str(wb.path)
    if ident is None:
        return []
    findings: list[Finding] = []
    if ident.template_id != templates.id:
        findings.append(finding("file-not-template", file=file))
    elif ident.template_version not in templates:
        findings.append(finding("template-version-unknown", file=file,
                                value=ident.template_version,
                                expected=_and(list(templates.versions))))
    if ident.region_code not in known_regions:
        findings.append(finding("region-unknown", file=file, value=ident.region_code))
    if year is not None and ident.year != year:
        findings.append(finding("year-mismatch", file=file, value=ident.year, expected=year))
    return findings


def _and(items: list[str]) -> str:
    """«1», «1 og 2», «1, 2 og 3»."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _unique(findings: list[Finding]) -> list[Finding]:
    """One message per problem: the same code at the same cell is reported once."""
    seen: set[tuple[object, ...]] = set()
    unique = []
    for item in findings:
        key = (item.code, item.sheet, item.cell, item.message)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique

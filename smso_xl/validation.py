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
from typing import TYPE_CHECKING, Any

from .batch import paused_gc, resolve_jobs, validate_in_workers
from .config import Region, default_parties, default_regions
from .fileio import unique_paths
from .findings import ERROR, INFO, WARNING, Finding, counts, finding, sort_key
from .model import ReadError, Workbook
from .reader import read
from .rules import Plan, check_workbook
from .template import Template, TemplateSet, as_template_set, load_templates

if TYPE_CHECKING:
    from .collect import ManifestIndex, Provenance

#: What a folder is searched for. A file named explicitly is always tried (and gets a clear
#: finding when it is not a workbook); in a folder, other files are not plans.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")


@dataclass
class FileReport:
    path: Path
    findings: list[Finding]
    workbook: Workbook | None = None
    plan: Plan | None = None
    mail: Provenance | None = None  # who sent it, when: from the collect manifest beside it

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
        if self.mail is not None:  # only for collected files: the SPEC §4 keys stay as they are
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
) -> ValidationReport:
    """Validate every workbook under ``paths``.

    ``regions`` are the expected regions (default: the shipped list); ``year``, when given,
    is the plan year being collected. ``today`` fixes the date for overdue checks. ``jobs``
    worker processes read the files (``None``: one per core for many files); the report is
    the same for any number. ``keep_tables=False`` leaves out of each report's workbook the
    tables as read, cell by cell, once the rules have run (findings and plans are the same):
    a third of the memory, for callers that need only those. ``keep_plans=False`` leaves
    out the parsed plans too (``FileReport.plan`` is None): what the findings need alone,
    and the half of a report that worker processes would otherwise send back. ``templates``:
    the published template versions (default: the shipped ones); each file is checked
    against the version it names.
    """
    templates = templates or load_templates()
    today = today or dt.date.today()
    known_regions = {r.code for r in (regions or default_regions())}
    parties = tuple(p.name for p in default_parties())
    report = ValidationReport()
    manifests = manifest_index()
    with paused_gc():  # reports pile up, and none holds a reference cycle
        for file_report in validate_files(find_workbooks(paths), templates=templates,
                                          today=today, known_regions=known_regions, year=year,
                                          parties=parties, jobs=jobs, progress=progress,
                                          keep_tables=keep_tables, keep_plans=keep_plans):
            add_provenance(file_report, manifests)
            report.files.append(file_report)
    return report


def manifest_index() -> ManifestIndex:
    from .collect import ManifestIndex

    return ManifestIndex()


def add_provenance(report: FileReport, manifests: ManifestIndex) -> None:
    """Who sent the file, from the ``collect`` manifest in its folder (matched by sha256)."""
    report.mail = manifests.lookup(report.path,
                                   report.workbook.sha256 if report.workbook else None)


def validate_files(paths: Sequence[Path], *, templates: TemplateSet, today: dt.date,
                   known_regions: set[str], year: int | None, parties: Sequence[str],
                   jobs: int | None = 1,
                   progress: Callable[[Path], None] | None = None,
                   keep_tables: bool = True,
                   keep_plans: bool = True) -> Iterator[FileReport]:
    """:func:`validate_file` for each of ``paths``, in order; in worker processes when
    ``jobs`` (``None``: auto) says so (``smso_xl.batch``)."""
    workers = resolve_jobs(jobs, len(paths))
    if workers > 1 and templates is load_templates():  # workers know only the shipped ones
        yield from validate_in_workers(paths, jobs=workers, today=today,
                                       known_regions=known_regions, year=year,
                                       parties=parties, progress=progress,
                                       keep_tables=keep_tables, keep_plans=keep_plans)
        return
    for path in paths:
        if progress:
            progress(path)
        yield validate_file(path, templates=templates, today=today,
                            known_regions=known_regions, year=year, parties=parties,
                            keep_tables=keep_tables, keep_plans=keep_plans)


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
    return FileReport(path=path, findings=findings, workbook=workbook,
                      plan=plan if keep_plans else None)


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
                                expected=", ".join(templates.versions)))
    if ident.region_code not in known_regions:
        findings.append(finding("region-unknown", file=file, value=ident.region_code))
    if year is not None and ident.year != year:
        findings.append(finding("year-mismatch", file=file, value=ident.year, expected=year))
    return findings


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

"""``validate``: read every returned workbook, apply the rules, return one report.

One unreadable or broken file becomes file-level findings in its own entry; it never stops
the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Region, default_parties, default_regions
from .findings import ERROR, INFO, WARNING, Finding, counts, finding, sort_key
from .model import ReadError, Workbook
from .reader import read
from .rules import Plan, check_workbook
from .template import Template, load_template

#: What a folder is searched for. A file named explicitly is always tried (and gets a clear
#: finding when it is not a workbook); in a folder, other files are not plans.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")


@dataclass
class FileReport:
    path: Path
    findings: list[Finding]
    workbook: Workbook | None = None
    plan: Plan | None = None

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
        return {"path": str(self.path), "region": self.region, "year": self.year,
                "template_version": self.template_version, "ok": self.ok,
                "findings": [f.to_json() for f in self.findings]}


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
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


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
) -> ValidationReport:
    """Validate every workbook under ``paths``.

    ``regions`` are the expected regions (default: the shipped list); ``year``, when given,
    is the plan year being collected. ``today`` fixes the date for overdue checks.
    """
    template = load_template()
    today = today or dt.date.today()
    known_regions = {r.code for r in (regions or default_regions())}
    parties = tuple(p.name for p in default_parties())
    report = ValidationReport()
    for path in find_workbooks(paths):
        if progress:
            progress(path)
        report.files.append(validate_file(path, template=template, today=today,
                                          known_regions=known_regions, year=year,
                                          parties=parties))
    return report


def validate_file(path: Path, *, template: Template, today: dt.date,
                  known_regions: set[str], year: int | None,
                  parties: Sequence[str]) -> FileReport:
    try:
        workbook = read(path, template=template)
    except ReadError as exc:
        return FileReport(path=path, findings=[exc.finding])
    except Exception as exc:  # one broken file must never stop a batch
        reason = f"uventet feil ved lesing: {type(exc).__name__}"
        return FileReport(path=path, findings=[finding("file-unreadable", file=str(path),
                                                       reason=reason)])
    findings = list(workbook.findings) + _identity_findings(workbook, template, known_regions,
                                                            year)
    if workbook.identity is None and not workbook.tables and workbook.form is None:
        # Not this template at all: one clear finding, not one per sheet it lacks.
        findings = [f for f in findings if f.code not in ("sheet-missing", "column-missing")]
    content, plan = check_workbook(workbook, template=template, today=today, parties=parties)
    findings = sorted(_unique(findings + content), key=sort_key(workbook.sheet_names))
    return FileReport(path=path, findings=findings, workbook=workbook, plan=plan)


def _identity_findings(wb: Workbook, template: Template, known_regions: set[str],
                       year: int | None) -> list[Finding]:
    ident, file = wb.identity, str(wb.path)
    if ident is None:
        return []
    findings: list[Finding] = []
    if ident.template_id != template.id:
        findings.append(finding("file-not-template", file=file))
    elif ident.template_version != template.version:
        findings.append(finding("template-version-unknown", file=file,
                                value=ident.template_version, expected=template.version))
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

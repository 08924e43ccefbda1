"""Renders a validation report as text for the terminal (the JSON form is ``to_json``)."""

from __future__ import annotations

from collections import defaultdict

import click

from .findings import ERROR, INFO, WARNING, Finding, location
from .validation import FileReport, ValidationReport

LABELS = {ERROR: "feil", WARNING: "advarsel", INFO: "merknad"}
COLOURS = {ERROR: "red", WARNING: "yellow", INFO: "cyan"}


def finding_text(item: Finding) -> str:
    """The message without its location prefix (the text report groups by location)."""
    prefix = location(item.sheet, item.cell) + ": "
    return item.message[len(prefix):] if item.message.startswith(prefix) else item.message


def render_text(report: ValidationReport) -> str:
    lines: list[str] = []
    for file_report in report.files:
        lines += _render_file(file_report)
        lines.append("")
    summary = report.summary
    files = summary["files"]
    lines.append(click.style(
        f"{_count(files, 'fil', 'filer')} kontrollert: {summary['ok']} uten feil, "
        f"{summary['errors']} feil, {_count(summary['warnings'], 'advarsel', 'advarsler')}, "
        f"{_count(summary['info'], 'merknad', 'merknader')}.", bold=True))
    return "\n".join(lines)


def _render_file(report: FileReport) -> list[str]:
    ident = report.workbook.identity if report.workbook else None
    who = f"region {ident.region_code} {ident.region_name}, {ident.year}" if ident else "ukjent"
    errors = sum(1 for f in report.findings if f.severity == ERROR)
    warnings = sum(1 for f in report.findings if f.severity == WARNING)
    status = (click.style("OK", fg="green", bold=True) if report.ok
              else click.style(f"{errors} feil", fg="red", bold=True))
    lines = [f"{click.style(str(report.path), bold=True)} ({who}): {status}"
             + (f", {_count(warnings, 'advarsel', 'advarsler')}" if warnings else "")]
    by_sheet: dict[str, list[Finding]] = defaultdict(list)
    for item in report.findings:
        by_sheet[item.sheet or ""].append(item)
    for sheet, items in by_sheet.items():
        indent = "  "
        if sheet:
            lines.append(f"  {sheet}")
            indent = "    "
        for item in items:
            label = click.style(f"{LABELS[item.severity]:<8}", fg=COLOURS[item.severity])
            cell = f"{item.cell or '':<6}" if sheet else ""
            lines.append(f"{indent}{cell}{label} {finding_text(item)}  [{item.code}]")
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"

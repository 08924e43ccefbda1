"""The text the commands print: each result rendered for the terminal, in one place.

The JSON forms are the result objects' own ``to_json()`` (``ValidationReport``,
``Consolidation``, ``CollectResult``, ``GenerateResult``); the command line prints one or the
other and renders nothing itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..base.findings import ERROR, INFO, SEVERITY_LABELS, WARNING, Finding, location
from ..round.consolidation import (
    NOT_RECEIVED,
    RECEIVED,
    RECEIVED_WITH_ERRORS,
    RECEIVED_WRONG_FORMAT,
    UNREADABLE_FILE,
    regions_in_words,
)
from ..round.validation import FileReport, ValidationReport
from ..template.prefill import NEW_YEAR, STATUS_ROUND
from ..template.values import format_date

if TYPE_CHECKING:
    from ..mail import CollectResult, Mail
    from ..mail.reminders import Reminder
    from ..round.compare import Change, Comparison
    from ..round.consolidation import Consolidation
    from ..round.demo import DemoResult
    from ..round.feedback import FeedbackFile
    from ..round.generator import GenerateResult
    from ..round.rounds import RoundResult
    from ..round.workflows import Superseded

LABELS = {severity: label.lower() for severity, label in SEVERITY_LABELS.items()}
COLOURS = {ERROR: "red", WARNING: "yellow", INFO: "cyan"}
#: Each severity's label as printed, styled once: a report of 200 plans has 15 000 findings.
STYLED_LABELS = {severity: click.style(f"{label:<8}", fg=COLOURS[severity])
                 for severity, label in LABELS.items()}
REGION_COLOURS = {RECEIVED: "green", RECEIVED_WITH_ERRORS: "yellow",
                  RECEIVED_WRONG_FORMAT: "red", UNREADABLE_FILE: "red", NOT_RECEIVED: "red"}


def finding_text(item: Finding) -> str:
    """The message without its location prefix (the text report groups by location)."""
    prefix = location(item.sheet, item.cell) + ": "
    return item.message[len(prefix):] if item.message.startswith(prefix) else item.message


def render_text(report: ValidationReport, *, verbose: bool = False) -> str:
    """Per file and sheet, each finding's Norwegian message; with ``verbose`` its code
    after it («[deadline-overdue]»)."""
    lines: list[str] = []
    for file_report in report.files:
        lines += _render_file(file_report, verbose=verbose)
        lines.append("")
    summary = report.summary
    files = summary["files"]
    lines.append(click.style(
        f"{_count(files, 'fil', 'filer')} kontrollert: {summary['ok']} uten feil, "
        f"{files - summary['ok']} med feil. Funn: {summary['errors']} feil, "
        f"{_count(summary['warnings'], 'advarsel', 'advarsler')}, "
        f"{_count(summary['info'], 'merknad', 'merknader')}.", bold=True))
    return "\n".join(lines)


def _render_file(report: FileReport, *, verbose: bool) -> list[str]:
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
            label = STYLED_LABELS[item.severity]
            cell = f"{item.cell or '':<6}" if sheet else ""
            code = f"  [{item.code}]" if verbose else ""
            lines.append(f"{indent}{cell}{label} {finding_text(item)}{code}")
    return lines


def superseded_text(superseded: Sequence[Superseded]) -> str:
    """One line per file left aside because its region sent a newer one."""
    lines = [f"Ikke kontrollert – regionen har sendt en nyere versjon "
             f"({_n(superseded, 'fil', 'filer')}):"]
    for item in superseded:
        why = "lik kopi av" if item.duplicate else "erstattet av"
        lines.append(f"  {item.path}: {why} {item.by.name}")
    return "\n".join(lines)


def feedback_text(results: Sequence[FeedbackFile], folder: Path, *,
                  summary: bool = True) -> list[str]:
    """Why a file got no copy (one line each), then how many copies were written."""
    lines = [f"Ingen tilbakemelding for {item.source.name}: {item.problem}"
             for item in results if item.problem]
    if summary:
        written = sum(1 for item in results if item.path is not None)
        failed = sum(1 for item in results if item.path is None)
        files = "fil" if written == 1 else "filer"
        lines.append(f"Tilbakemeldinger: {written} {files} skrevet i {folder}"
                     + (f"; {failed} ikke skrevet (se over)." if failed else "."))
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _n(items: Sized, one: str, many: str) -> str:
    return _count(len(items), one, many)


# --- generate ---------------------------------------------------------------------------------


def generate_text(result: GenerateResult, *, drafts: bool, coordinator: str = "") -> str:
    """Each workbook written or kept, then the counts, the return date and where the plans
    go (``coordinator``, as the workbooks' Veiledning names it)."""
    lines, without_address = [], []
    for item in result.files:
        lines.append(f"  {item.region.code} {item.region.name}: {item.path}")
        if item.draft is not None:
            to = item.region.email.strip()
            lines.append(f"     e-postutkast {item.draft.name}: til {to}" if to else
                         f"     e-postutkast {item.draft.name}: " + click.style(
                             "ingen e-postadresse i regionlisten – fyll inn mottaker",
                             fg="yellow"))
            if not to:
                without_address.append(item.region.code)
    for kept in result.kept:
        lines.append(f"  {kept.region.code} {kept.region.name}: {kept.path} finnes fra før, "
                     "beholdt" + (f" (e-postutkast {kept.draft.name} laget)" if kept.draft
                                  else ""))
    made = _n(result.files, "arbeidsbok", "arbeidsbøker")
    lines.append(f"Laget {made} for {result.year} i {result.out_dir}."
                 if result.files else f"Ingen nye arbeidsbøker for {result.year} i "
                 f"{result.out_dir}.")
    if result.files and result.return_date:
        lines.append(f"Innleveringsfrist {format_date(result.return_date)}"
                     + (f"; regionene sender til {coordinator}." if coordinator else "."))
    if result.kept:
        lines.append(f"Beholdt {_n(result.kept, 'arbeidsbok', 'arbeidsbøker')} som fantes fra "
                     "før; bruk --force for å skrive dem på nytt.")
    written_drafts = [f.draft for f in result.files if f.draft] + [
        k.draft for k in result.kept if k.draft]
    if drafts:
        lines.append(f"E-postutkast: {len(written_drafts)}; åpne dem i Outlook eller Thunderbird "
                     "og send." + (f" {len(without_address)} mangler mottaker (regionlisten "
                                   "har ingen e-postadresse for " + ", ".join(without_address)
                                   + ")." if without_address else ""))
    return "\n".join(lines)


# --- collect ----------------------------------------------------------------------------------


def mail_text(mail: Mail) -> str:
    subject = f"«{mail.subject}»" if mail.subject else "(uten emne)"
    sent = f", sendt {mail.sent:%d.%m.%Y %H:%M}" if mail.sent else ""
    return f"{subject} fra {mail.sender or 'ukjent avsender'}{sent}"


def collect_text(result: CollectResult) -> str:
    lines = []
    if not (result.mails or result.drafts or result.unreadable):
        lines.append("Fant ingen e-postfiler (.eml, .msg eller mbox) i kildene.")
    if result.saved:
        lines.append(f"Lagret i {result.into}:")
        lines += [f"  {item.path.name}  ← {mail_text(item.mail)}"
                  + (f" ({item.note})" if item.note else "") for item in result.saved]
    for item in result.duplicates:
        lines.append(f"  Lik kopi av {item.same_as.name}, ikke lagret på nytt: "
                     f"{item.original_name} i {mail_text(item.mail)}")
    for mail in result.without_workbook:
        others = [a.name for a in result.other_attachments if a.mail is mail]
        what = (f"vedlegg som ikke er arbeidsbøker: {', '.join(others)}" if others
                else "ingen vedlegg")
        lines.append(f"  Ingen arbeidsbok i {mail_text(mail)} ({what}) – {mail.where}")
    for mail in result.drafts:
        lines.append(f"  Hoppet over et usendt utkast: {mail_text(mail)} – {mail.where}")
    for problem in result.damaged:
        lines.append(click.style(f"  Skadet e-post {problem.where}: {problem.reason}",
                                 fg="yellow"))
    for problem in result.unreadable:
        lines.append(click.style(f"  Kan ikke leses: {problem.where}: {problem.reason}",
                                 fg="red"))
    lines.append(click.style(
        f"{_n(result.mails, 'e-post', 'e-poster')} lest: "
        f"{_n(result.saved, 'arbeidsbok', 'arbeidsbøker')} lagret, "
        f"{_n(result.duplicates, 'lik kopi', 'like kopier')} hoppet over, "
        f"{_n(result.other_attachments, 'annet vedlegg', 'andre vedlegg')}, "
        f"{_n(result.without_attachments, 'e-post', 'e-poster')} uten vedlegg, "
        f"{len(result.unreadable)} uleselige"
        + (f", {_n(result.not_mail, 'fil', 'filer')} som ikke er e-post, ikke lest."
           if result.not_mail else "."), bold=True))
    if result.saved:
        lines.append(f"Neste steg: smso-xl validate {result.into}")
    return "\n".join(lines)


# --- consolidate ------------------------------------------------------------------------------


def consolidation_text(result: Consolidation, written: Path | None) -> str:
    """One line per expected region — its status, the date it was received and the file —
    as Oversikt shows it; then the files that were not used, and why."""
    year = f"Planår {result.year}: " if result.year else ""
    lines = [f"{year}{_n(result.submissions, 'fil', 'filer')} lest. {regions_in_words(result)}"]
    width = max((len(f"{r.region.code} {r.region.name}") for r in result.regions), default=0)
    for summary in result.regions:
        sub = summary.file
        when = format_date(summary.received_on) if summary.received_on else ""
        what = f"{when:<10}  {sub.path.name}" if sub else ""
        if sub is not None and summary.submission is None:  # why the region's file is unused
            what += f": {sub.reason()}"
        status = click.style(f"{summary.status:<21}" if what else summary.status,
                             fg=REGION_COLOURS[summary.status])
        lines.append(f"  {summary.region.code + ' ' + summary.region.name:<{width}}  {status}"
                     + (f"  {what}" if what else ""))
    shown = {id(s.file) for s in result.regions if s.file is not None}
    others = [s for s in result.submissions if not s.included and id(s) not in shown]
    if others:
        lines.append("Andre filer:")
    for sub in others:
        extra = f" → {sub.superseded_by.name}" if sub.superseded_by else ""
        reason = f": {sub.reason()}" if sub.report.workbook is None else ""
        lines.append(f"  {sub.status}: {sub.path}{extra}{reason}")
    for item in result.findings:
        lines.append(f"  Advarsel: {item.message}")
    if written:
        lines.append(click.style(f"Oversikten er skrevet til {written}.", bold=True))
    else:
        lines.append(click.style("Ingen arbeidsbøker kunne samles; ingen oversikt skrevet.",
                                 fg="red", bold=True))
    return "\n".join(lines)


def reminders_text(reminders: Sequence[Reminder], folder: Path) -> str:
    """One line per reminder written (to whom, why), the ones without a recipient marked."""
    lines = [f"Påminnelser: {_n(reminders, 'utkast', 'utkast')} i {folder}"
             + (":" if reminders else " – alle regionene har sendt en plan uten feil.")]
    for item in reminders:
        to = item.to or click.style("ingen e-postadresse – fyll inn mottaker", fg="yellow")
        with_file = f", {item.attached.name} vedlagt" if item.attached else ""
        lines.append(f"  {item.code} {item.name} ({item.status.lower()}): {item.path.name} "
                     f"til {to}{with_file}")
    missing = [item for item in reminders if not item.to]
    if missing:
        lines.append(f"{_n(missing, 'påminnelse', 'påminnelser')} uten mottaker: regionlisten "
                     "har ingen e-postadresse for " + ", ".join(i.code for i in missing)
                     + ". Fyll inn mottakeren i utkastet før det sendes.")
    return "\n".join(lines)


# --- demo -------------------------------------------------------------------------------------


def demo_text(result: DemoResult) -> str:
    summary = result.report.summary
    sent = sum(1 for r in result.consolidation.regions if r.status != NOT_RECEIVED)
    return "\n".join([
        render_text(result.report),
        *([superseded_text(result.superseded)] if result.superseded else []),
        "",
        click.style(f"Demoen er laget i {result.folder}/", bold=True)
        + f" (planår {result.year}, «i dag» = {result.today:%d.%m.%Y}):",
        f"  1-utsendt/           {len(result.generated.files)} arbeidsbøker, én per region",
        f"  2-innboks/           {summary['files'] + len(result.superseded)} filer sendt "
        "tilbake fra "
        f"{sent} regioner (én region to ganger, én fil ødelagt)",
        f"  3-tilbakemeldinger/  {len(result.feedback)} kopier med funnene markert",
        f"  {result.overview.name}  den nasjonale oversikten",
        f"Statusrunden («i dag» = {result.status_today:%d.%m.%Y}):",
        f"  5-utsendt-statusrunde/  {len(result.status_round.sources.carried)} arbeidsbøker "
        "ferdig utfylt med det regionene sendte, "
        f"{len(result.status_round.sources.blank)} tomme",
        f"  6-innboks-statusrunde/  {len(list(result.status_inbox.iterdir()))} statusrapporter",
        f"  {result.status_overview.name}  med arket Endringer: "
        f"{result.changes.summary['status_changed']} statusendringer, "
        f"{result.changes.summary['deadlines_moved']} frister flyttet",
        click.style(f"Åpne først: {result.overview}", fg="green", bold=True),
    ])


# --- rounds: generate --from, compare ---------------------------------------------------------

ROUND_WORDS = {STATUS_ROUND: "statusrunde", NEW_YEAR: "nytt planår"}


def round_text(result: RoundResult) -> str:
    """Which region got which plan, which got a blank workbook and why, and what had no
    place in the new workbooks (listed on their sheet «Ikke overført» too)."""
    sources = result.sources
    lines = [f"Forrige runde: planene for {result.source_year}."]
    for item in result.generated.files:
        code = item.region.code
        carried = sources.carried.get(code)
        if carried is not None:
            rows = sum(len(r) for r in carried.rows.values())
            lines.append(f"  {code} {item.region.name}: utfylt fra {carried.source.name} "
                         f"({ROUND_WORDS[carried.round]}, {_count(rows, 'rad', 'rader')})")
            for left in carried.leftovers:
                where = " ".join(part for part in (left.sheet, left.row, left.column) if part)
                value = f" «{left.value}»" if left.value else ""
                lines.append(click.style(f"     ikke overført: {where}{value} – {left.reason}",
                                         fg="yellow"))
        elif code in sources.blank:
            lines.append(f"  {code} {item.region.name}: tom arbeidsbok – {sources.blank[code]}")
    for path, status in sources.unused:
        lines.append(f"  Ikke brukt: {path} ({status.lower()})")
    return "\n".join(lines)


CHANGE_TEXT = {"added": "ny", "removed": "fjernet"}


def comparison_text(result: Comparison) -> str:
    lines: list[str] = []
    for region in result.regions:
        head = click.style(f"{region.code} {region.name}", bold=True)
        if region.old is None or region.new is None:
            side = "forrige" if region.old is None else "nye"
            lines.append(f"{head}: ingen plan i {side} runde")
            continue
        if not region.changes:
            lines.append(f"{head}: ingen endringer ({region.old.name} → {region.new.name})")
            continue
        lines.append(f"{head}: {_count(len(region.changes), 'endring', 'endringer')} "
                     f"({region.old.name} → {region.new.name})")
        by_sheet: dict[str, list[Change]] = defaultdict(list)
        for change in region.changes:
            by_sheet[change.sheet].append(change)
        for sheet, changes in by_sheet.items():
            lines.append(f"  {sheet}")
            lines += [f"    {_change_text(change)}" for change in changes]
    lines.append(click.style(_changes_in_words(result), bold=True))
    return "\n".join(lines)


def changes_summary(result: Comparison) -> str:
    """``consolidate --previous``: what changed since the earlier round, in one sentence,
    and where the detail is."""
    return (f"Endringer siden forrige runde: {_changes_in_words(result)} "
            "Hver endring står på arket Endringer.")


def _changes_in_words(result: Comparison) -> str:
    summary = result.summary
    return (
        f"{_count(summary['regions_changed'], 'region', 'regioner')} med endringer: "
        f"{_count(summary['added'], 'ny rad', 'nye rader')} og "
        f"{_count(summary['removed'], 'fjernet rad', 'fjernede rader')}, "
        f"{_count(summary['status_changed'], 'statusendring', 'statusendringer')}, "
        f"{_count(summary['deadlines_moved'], 'frist flyttet', 'frister flyttet')}, "
        f"{summary['responsible_changed']} med ny ansvarlig.")


def _change_text(change: Change) -> str:
    who = change.id or ""
    if change.change in CHANGE_TEXT:
        return f"{who}: {CHANGE_TEXT[change.change]}"
    old, new = _shown(change.old), _shown(change.new)
    text = f"{who}: {change.field} {old} → {new}".lstrip(": ")
    if change.days:
        text += f" ({'+' if change.days > 0 else ''}{change.days} dager)"
        return click.style(text, fg="red") if change.days > 0 else text
    return text


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(tom)"
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"«{value}»" if isinstance(value, str) else str(value)

"""Reminder drafts (``consolidate --drafts DIR``): a polite word to every region whose plan
is not in the overview as it should be.

One ``.eml`` draft per region, by the status ``consolidate`` gave it:

- *Ikke mottatt* — to the region's address (the region list's ``email``): the plan has not
  come; the workbook ``generate`` wrote for it is attached again when ``sent`` names the
  folder it went out from.
- *Mottatt med feil* — to whoever sent the file (the ``collect`` manifest), else the region's
  address: what the check found, and that a corrected plan is wanted.
- *Uleselig* and *Mottatt i feil format* — to the sender of the file, else the region's
  address: the file could not be used, why, and how to send it again.

Each says by when (``due``). A region without any address still gets its draft, without a
recipient, and :attr:`Reminder.to` is empty: the caller names it. The drafts are built with
:func:`drafts.compose` and written with :func:`drafts.write_draft` (atomically, beside each
other as ``Paminnelse-<year>-<code>-<name>.eml``; a run replaces last run's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..round.consolidation import (
    NOT_RECEIVED,
    RECEIVED_WITH_ERRORS,
    RECEIVED_WRONG_FORMAT,
    UNREADABLE_FILE,
    Consolidation,
    RegionSummary,
)
from ..template.config import Settings, plan_file_name, safe_file_part
from ..template.values import format_date
from .drafts import DRAFT_SUFFIX, compose, findings_summary, reply_recipient, write_draft

#: The statuses that get a reminder; a region whose plan came in order gets none.
REMINDED = (NOT_RECEIVED, RECEIVED_WITH_ERRORS, UNREADABLE_FILE, RECEIVED_WRONG_FORMAT)
#: Without a return date given: this many days from «today» to send the plan.
DAYS_TO_ANSWER = 14


@dataclass(frozen=True)
class Reminder:
    """One written reminder: for which region and status, where, to whom ("" when no
    address is known), and the workbook attached (None: none)."""

    code: str
    name: str
    status: str
    path: Path
    to: str
    attached: Path | None = None

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "status": self.status,
                "draft": str(self.path), "to": self.to or None,
                "attached": str(self.attached) if self.attached else None}


def reminder_due(result: Consolidation, settings: Settings) -> dt.date:
    """The date a reminder asks for: the settings' return date while it lies ahead, else
    two weeks from the run's «today»."""
    if settings.return_date is not None and settings.return_date >= result.today:
        return settings.return_date
    return result.today + dt.timedelta(days=DAYS_TO_ANSWER)


def write_reminders(result: Consolidation, out_dir: Path, *, settings: Settings,
                    due: dt.date | None = None, sent: Path | None = None,
                    now: dt.datetime | None = None) -> list[Reminder]:
    """A reminder draft in ``out_dir`` for each region of ``result`` in :data:`REMINDED`, in
    the order of the region list. ``due``: the date asked for (default
    :func:`reminder_due`); ``sent``: the folder ``generate`` wrote the workbooks to.
    Raises OutputError when a draft cannot be written (the ones before it stay whole)."""
    due = due or reminder_due(result, settings)
    inputs = tuple(s.path for s in result.submissions)
    reminders = []
    for summary in result.regions:
        if summary.status not in REMINDED:
            continue
        attached = _workbook_sent(summary, result.year, sent)
        to = _recipient(summary)
        msg = compose(to=to, settings=settings, subject=_subject(summary, result.year),
                      body=reminder_body(summary, year=result.year, due=due,
                                         settings=settings, attached=attached is not None),
                      attachment=attached, now=now)
        region = summary.region
        name = (f"Paminnelse-{result.year or ''}-{safe_file_part(region.code)}-"
                f"{safe_file_part(region.name)}{DRAFT_SUFFIX}").replace("--", "-")
        path = write_draft(msg, out_dir / name, inputs=inputs)
        reminders.append(Reminder(region.code, region.name, summary.status, path, to,
                                  attached))
    return reminders


def _workbook_sent(summary: RegionSummary, year: int | None, sent: Path | None) -> Path | None:
    """The workbook ``generate`` wrote for a region that has sent nothing, if it is there."""
    if summary.status != NOT_RECEIVED or sent is None or year is None:
        return None
    path = sent / plan_file_name(year, summary.region)
    return path if path.is_file() else None


def _recipient(summary: RegionSummary) -> str:
    """The sender of the file the status stands on, else the region's address, else ""."""
    file = summary.file
    sender = reply_recipient(file.report, [summary.region]) if file is not None else ""
    return sender or summary.region.email.strip()


def _subject(summary: RegionSummary, year: int | None) -> str:
    plan = f"lokal handlingsplan for SMSØ {year or ''}".rstrip()
    if summary.status == NOT_RECEIVED:
        return f"Påminnelse: {plan} – {summary.region.name}"
    return f"Ny innsending trengs: {plan} – {summary.region.name}"


def reminder_body(summary: RegionSummary, *, year: int | None, due: dt.date,
                  settings: Settings, attached: bool) -> str:
    """The reminder's text for one region, by its status."""
    name, when = summary.region.name, format_date(due)
    plan = f"handlingsplanen for SMSØ {name}" + (f" for {year}" if year else "")
    address = settings.coordinator_email or "koordinatoren"
    file = summary.file
    received = (f", mottatt {format_date(summary.received_on)}" if summary.received_on
                else "")
    lines = ["Hei,", ""]
    if summary.status == NOT_RECEIVED:
        lines += [f"Vi har ennå ikke mottatt {plan}. Vi setter pris på om dere sender den "
                  f"innen {when}, som vedlegg til {address} – svar gjerne på denne e-posten.",
                  ""]
        lines += (["Arbeidsboken dere fikk, ligger ved på nytt. Arket Veiledning forklarer "
                   "hvordan den fylles ut, og arket Sjekk viser hva som mangler."]
                  if attached else
                  ["Finner dere ikke arbeidsboken dere fikk, så svar på denne e-posten, så "
                   "sender vi den på nytt."])
        lines += ["", "Er planen allerede sendt, kan dere se bort fra denne påminnelsen."]
    elif summary.status == RECEIVED_WITH_ERRORS and file is not None:
        lines += [f"Takk for {plan} (filen «{file.path.name}»{received}).", ""]
        lines += findings_summary(file.report.findings)
        lines += ["", f"Feilene må rettes før planen kan regnes som komplett. Rett dem i "
                  f"arbeidsboken (arket Sjekk viser hva som mangler) og send den på nytt "
                  f"innen {when} til {address}."]
    else:  # the file is the region's, but could not be read or is in the wrong format
        reason = file.reason() if file is not None else ""
        shown = f"«{file.path.name}»" if file is not None else "dere sendte"
        lines += [f"Takk for {plan}. Vi kunne dessverre ikke bruke filen {shown}"
                  f"{received}:", f"- {reason}" if reason else "- filen kan ikke leses.", "",
                  f"Send arbeidsboken på nytt som .xlsx innen {when} til {address}."]
    lines += ["", "Med vennlig hilsen", settings.coordinator_name or "Koordinatoren for SMSØ",
              *([settings.coordinator_email] if settings.coordinator_email else []), ""]
    return "\n".join(lines)


def without_address(reminders: Sequence[Reminder]) -> list[Reminder]:
    """The reminders that have no recipient: the coordinator fills in To."""
    return [item for item in reminders if not item.to]


__all__ = ["DAYS_TO_ANSWER", "REMINDED", "Reminder", "reminder_body", "reminder_due",
           "without_address", "write_reminders"]

"""One file seen in a round's inbox, and its status there (``consolidate`` chooses).

Below the consolidation, so that what reads a consolidation's files (the analysts'
DataFrames, ``frames.py``) can name them without importing the consolidation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.findings import ERROR, WARNING
from .validation import FileReport

# Submission statuses, as the overview's Innsendinger sheet names them.
INCLUDED = "Med"
INCLUDED_WITH_ERRORS = "Med – har feil"
SUPERSEDED = "Erstattet av nyere versjon"
DUPLICATE = "Lik kopi"
EXCLUDED = "Utelatt – har feil"
UNREADABLE = "Kan ikke leses"
WRONG_FORMAT = "Feil filformat"  # a workbook saved in a format the tool does not read (.xls)
NOT_TEMPLATE = "Ikke fra malen"
OTHER_YEAR = "Annet planår"
UNKNOWN_REGION = "Ukjent region"


@dataclass
class Submission:
    """One file seen in the inbox."""

    report: FileReport
    status: str = UNREADABLE
    superseded_by: Path | None = None
    # The expected region a file that cannot be read is credited to (by the name generate
    # gave it, or by its sender); None for a readable one (its metadata says) or nobody's.
    credited_to: str | None = None

    @property
    def path(self) -> Path:
        return self.report.path

    @property
    def identity(self) -> Any:
        return self.report.workbook.identity if self.report.workbook else None

    @property
    def region(self) -> str | None:
        return self.report.region

    @property
    def year(self) -> int | None:
        return self.report.year

    @property
    def sha256(self) -> str | None:
        return self.report.workbook.sha256 if self.report.workbook else None

    @property
    def saved_at(self) -> dt.datetime | None:
        return self.report.workbook.saved_at if self.report.workbook else None

    @property
    def last_updated(self) -> dt.date | None:
        """``Sist oppdatert (dato)`` from the Organisering form, if the region filled it."""
        return self.report.last_updated

    @property
    def sent_at(self) -> dt.datetime | None:
        """When the mail that brought the file was sent (``collect`` manifest), if known."""
        return self.report.mail.sent if self.report.mail else None

    @property
    def received_at(self) -> dt.datetime | None:
        """When it came: the time its mail was sent, else the workbook's own saved time."""
        return self.sent_at or self.saved_at

    @property
    def included(self) -> bool:
        return self.status in (INCLUDED, INCLUDED_WITH_ERRORS)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.report.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.report.findings if f.severity == WARNING)

    def reason(self) -> str:
        """Why an unreadable file could not be used (its first file-level finding)."""
        first = next((f for f in self.report.findings if f.sheet is None), None)
        return first.message if first else ""

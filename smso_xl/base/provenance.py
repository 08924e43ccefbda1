"""Who sent a workbook, and when: one entry of the ``collect`` manifest.

The mail package (``smso_xl.mail``) writes and reads these; a validation report carries one
per collected file (``FileReport.mail``), attached by the caller. The record lives down here,
as plain data, so that validation can hold it without importing the mail package.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any


def sender_text(name: str, address: str) -> str:
    """``Name <address>``, or whichever of the two is known."""
    if name and address:
        return f"{name} <{address}>"
    return name or address


@dataclass(frozen=True)
class Provenance:
    """One manifest entry: a saved workbook and the mail it came with."""

    sha256: str
    saved_name: str
    original_name: str
    sender_name: str
    sender_address: str
    subject: str
    sent: dt.datetime | None
    message_id: str
    source: str                   # the mail file
    source_number: int | None = None  # the mail's position in an mbox file
    collected_at: str = ""

    @property
    def sender(self) -> str:
        return sender_text(self.sender_name, self.sender_address)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent"] = self.sent.isoformat() if self.sent else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Provenance:
        sent = data.get("sent")
        return cls(sha256=str(data["sha256"]), saved_name=str(data.get("saved_name", "")),
                   original_name=str(data.get("original_name", "")),
                   sender_name=str(data.get("sender_name", "")),
                   sender_address=str(data.get("sender_address", "")),
                   subject=str(data.get("subject", "")),
                   sent=dt.datetime.fromisoformat(sent) if sent else None,
                   message_id=str(data.get("message_id", "")),
                   source=str(data.get("source", "")),
                   source_number=_int_or_none(data.get("source_number")),
                   collected_at=str(data.get("collected_at", "")))


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

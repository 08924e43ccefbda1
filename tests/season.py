"""Small builders the season's tests share (issue 28): a coordinator's inbox, a saved mail."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from tests.test_rules import clean_plan

#: `generate` needs the coordinator's address (the demo alone has its own).
COORDINATOR = ("--coordinator", "Kari Koordinator <kari@example.no>")


def agder_inbox(tmp_path: Path, **action: object) -> Path:
    """``tmp_path/innboks`` holding Agder's plan (clean, or with ``action``'s values)."""
    folder = tmp_path / "innboks"
    folder.mkdir(exist_ok=True)
    clean_plan(folder, name="Agder.xlsx", action=action or None)
    return folder


def saved_mail(path: Path, workbook: Path) -> Path:
    """A mail with ``workbook`` attached, saved as ``path`` (.eml) as a mail program does."""
    message = EmailMessage()
    message["From"], message["Subject"] = "Kari <kari@example.no>", "Plan"
    message.set_content("Vedlagt.")
    message.add_attachment(workbook.read_bytes(), maintype="application",
                           subtype="octet-stream", filename=workbook.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))
    return path

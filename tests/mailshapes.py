"""Mail in the shapes real clients write it, built for the ``collect`` tests.

Several test modules (``test_collect.py``, ``test_mail_wild.py``, ``test_mail_corpus.py``,
``test_mail_lost.py``) feed ``collect`` the same kinds of mail and check the result the same
way, so the builders and checks they share live here, in a helper module, and no test
module imports another (that would collect its tests a second time and tie the files
together). What is built here:

* raw MIME, byte by byte with CRLF line ends: a multipart mail from raw parts
  (``multipart``), a base64 workbook attachment (``workbook_part``), a plain text part and
  the headers of Ingrid's mail from Agder (``TEXT_PART``, ``HEADERS``);
* Outlook's rich-text mail: a winmail.dat (TNEF) as Outlook writes it (``tnef``) inside the
  mail that carries it (``outlook_rich_text_mail``);
* a real mail of the vendored corpus (``CORPUS``, the Ruby mail library's fixtures) with a
  workbook added the way a client adds one (``add_workbook``), each workbook made distinct
  by its zip comment (``with_comment``);
* an mbox written by the standard library's writer (``write_mbox``);
* the part of extract-msg's message and attachment interface ``collect`` uses
  (``FakeMessage``, ``FakeAttachment``), since no library writes a ``.msg`` with a workbook.

And the checks: the files' hashes, to show the inputs are only read (``fingerprints``),
the manifest ``collect`` writes (``manifest``), and one mail collected with both
(``collected``). Helpers only one module uses stay in that module; shared fixtures
(``outlook_msg``) are in ``conftest.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import mailbox
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from smso_xl.mail import MANIFEST_NAME, WORKBOOK_MIME_TYPES, collect

XLSX = WORKBOOK_MIME_TYPES[".xlsx"]
CRLF = b"\r\n"
#: The real mails of the Ruby mail library's fixtures (MIT, see its README).
CORPUS = Path(__file__).parent / "data" / "mail" / "mikel-mail"


# --- checks -------------------------------------------------------------------------------------


def fingerprints(paths: Iterable[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def manifest(inbox: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((inbox / MANIFEST_NAME).read_text(encoding="utf-8"))
    return {entry["saved_name"]: entry for entry in data["files"]}


def collected(tmp_path: Path, raw: bytes, name: str = "mail.eml"):
    source = tmp_path / name
    source.write_bytes(raw)
    before = fingerprints([source])
    result = collect([source], tmp_path / "innboks")
    assert fingerprints([source]) == before  # inputs never change
    return result


# --- mailboxes ------------------------------------------------------------------------------------


def write_mbox(path: Path, messages: Iterable[EmailMessage]) -> Path:
    box = mailbox.mbox(path)
    try:
        for message in messages:
            box.add(message)
        box.flush()
    finally:
        box.close()
    return path


# --- raw MIME -----------------------------------------------------------------------------------


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def multipart(headers: bytes, boundary: bytes, *parts: bytes) -> bytes:
    """A multipart message from raw parts (each: its headers, a blank line, its body)."""
    body = b"".join(b"--" + boundary + CRLF + part + CRLF for part in parts)
    return (headers + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\""
            + boundary + b"\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"
            + body + b"--" + boundary + b"--" + CRLF)


def workbook_part(data: bytes, name: bytes = b"Handlingsplan Agder.xlsx") -> bytes:
    return (b"Content-Type: " + XLSX.encode() + b'; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))


TEXT_PART = b"Content-Type: text/plain; charset=utf-8\r\n\r\nHei, her er planen.\r\n"
HEADERS = (b"From: Ingrid =?utf-8?q?=C3=98vland?= <ingrid@agder.example.no>\r\n"
           b"To: smso@example.no\r\nSubject: Plan Agder\r\n"
           b"Date: Mon, 02 Mar 2026 09:30:00 +0100\r\nMessage-ID: <w@agder.example.no>\r\n")


# --- Outlook's winmail.dat ----------------------------------------------------------------------


def tnef(files: list[tuple[str, bytes]], *, title_encoding: str = "cp1252",
         long_names: bool = True) -> bytes:
    """A winmail.dat as Outlook writes it for a rich-text mail: the attachment's 8.3 title
    in the code page, its data, and its long name as a MAPI Unicode property. Without
    ``long_names`` the whole name is the title, in the code page (as some Outlook versions
    write it), and no MAPI name follows."""
    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        return (struct.pack("<BHHI", level, name, kind, len(data)) + data
                + struct.pack("<H", sum(data) & 0xFFFF))

    def unicode_property(prop: int, text: str) -> bytes:
        value = (text + "\0").encode("utf-16-le")
        padded = value + b"\0" * (-len(value) % 4)
        return struct.pack("<IHHII", 1, 0x001F, prop, 1, len(value)) + padded

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))   # TNEF version
    out += attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))     # code page
    for name, data in files:
        out += attribute(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\0" * 8)
        short = name[:6].upper() + "~1" + name[name.rfind("."):][:4].upper()
        title = short if long_names else name
        out += attribute(2, 0x8010, 0x0001, title.encode(title_encoding, "replace") + b"\0")
        out += attribute(2, 0x800F, 0x0006, data)
        if long_names:
            out += attribute(2, 0x9005, 0x0006, unicode_property(0x3707, name))
    return out


def outlook_rich_text_mail(winmail: bytes) -> bytes:
    part = (b'Content-Type: application/ms-tnef; name="winmail.dat"\r\n'
            b"Content-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="winmail.dat"\r\n\r\n' + b64(winmail))
    return multipart(HEADERS + b"X-MS-Has-Attach: yes\r\nX-MS-TNEF-Correlator: <x@y>\r\n",
                     b"_000_outlook_", TEXT_PART, part)


# --- real mail with a workbook added ------------------------------------------------------------


def with_comment(workbook: bytes, comment: str) -> bytes:
    """The workbook with its zip comment set: other bytes, the same workbook."""
    buffer = io.BytesIO(workbook)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = comment.encode()
    return buffer.getvalue()


def add_workbook(raw: bytes, data: bytes, name: str) -> bytes:
    """``raw`` with a workbook part before the closing delimiter of its top-level multipart
    (at the end when the mail was cut off before it), in the mail's own line ends."""
    boundary = BytesParser(policy=policy.default).parsebytes(raw).get_boundary()
    assert boundary, "every mail of the corpus is multipart"
    nl = b"\r\n" if b"\r\n" in raw else b"\n"
    part = nl.join([b"--" + boundary.encode(), b"Content-Type: " + XLSX.encode()
                    + b'; name="' + name.encode() + b'"', b"Content-Transfer-Encoding: base64",
                    b'Content-Disposition: attachment; filename="' + name.encode() + b'"', b"",
                    base64.encodebytes(data).replace(b"\n", nl)])
    close = b"--" + boundary.encode() + b"--"
    at = raw.rfind(close)
    if at < 0:
        return raw.rstrip() + nl + part + close + nl
    return raw[:at] + part + raw[at:]


# --- Outlook .msg through extract-msg's interface -----------------------------------------------


@dataclass
class FakeAttachment:
    """The part of extract-msg's attachment interface that collect uses."""

    longFilename: str | None
    data: Any
    shortFilename: str | None = None
    mimetype: str | None = None


@dataclass
class FakeMessage:
    """The part of extract-msg's message interface that collect uses."""

    attachments: list[Any]
    sender: str = "Ingrid Øvland <ingrid@agder.example.no>"
    subject: str = "Handlingsplan Agder"
    date: dt.datetime | None = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    messageId: str = "<msg@agder>"
    header: dict[str, str] = field(default_factory=dict)
    closed: bool = False

    def close(self) -> None:
        self.closed = True

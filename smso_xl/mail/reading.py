"""Reading saved mail files: ``.eml``, Outlook ``.msg`` (extract-msg) and mbox.

The kind of a file is recognised by its first bytes, not its name. :func:`read_mail_file`
yields each mail in a file with its sender, subject, sent time and attachments
(:class:`ParsedMail`), or a :class:`Problem` for a mail or a file that cannot be read: one bad
mail never stops the others, and nothing raises for a bad mail. The mail files are only
read; their bytes never change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import mailbox
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from ..fileio import unique_paths
from ..provenance import sender_text

#: What a folder is searched for; a file named explicitly is always tried.
MAIL_SUFFIXES = (".eml", ".msg", ".mbox", ".mbx")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (and legacy .xls, .doc …)
# The parts of a multipart mail could not be told apart: its attachments cannot be found.
FATAL_DEFECTS = (email_errors.StartBoundaryNotFoundDefect,
                 email_errors.NoBoundaryInMultipartDefect,
                 email_errors.MultipartInvariantViolationDefect)
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _where(source: Path, number: int | None) -> str:
    """The mail file, with the mail's number in an mbox."""
    return f"{source} (e-post nr. {number})" if number else str(source)


@dataclass(frozen=True)
class Mail:
    """Where a mail came from and who sent it, when."""

    source: Path                 # the mail file
    number: int | None           # position in an mbox file (1, 2, …); None for .eml/.msg
    sender_name: str
    sender_address: str
    subject: str
    sent: dt.datetime | None     # the Date header (for .msg: the message's date)
    message_id: str = ""

    @property
    def sender(self) -> str:
        return sender_text(self.sender_name, self.sender_address)

    @property
    def where(self) -> str:
        return _where(self.source, self.number)

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.source), "number": self.number, "sender": self.sender,
                "subject": self.subject, "sent": self.sent.isoformat() if self.sent else None,
                "message_id": self.message_id}


@dataclass(frozen=True)
class Attachment:
    """One attachment as found in a mail, before it is judged."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Problem:
    """A mail file or one mail in it that could not be read (completely)."""

    source: Path
    number: int | None
    reason: str

    @property
    def where(self) -> str:
        return _where(self.source, self.number)

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.source), "number": self.number, "reason": self.reason}


@dataclass
class ParsedMail:
    """One mail as read: who sent it, its attachments, and what was damaged in it."""

    mail: Mail
    attachments: list[Attachment]
    damage: list[str]
    draft: bool = False  # an unsent draft (X-Unsent: 1)


class _Unreadable(Exception):
    """This mail (or mail file) cannot be read; the message says why, in Norwegian."""


def find_mail_files(sources: Iterable[Path], *, skip: Path | None = None) -> list[Path]:
    """Files as given; folders searched recursively for mail files (hidden files and the
    inbox itself skipped). A file without a suffix counts when it starts like an mbox file
    (Thunderbird keeps its folders so)."""
    skip_resolved = skip.resolve() if skip is not None else None
    found: list[Path] = []
    for source in sources:
        if not source.is_dir():
            found.append(source)
            continue
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).parts
            if (any(part.startswith(".") for part in relative) or not path.is_file()
                    or (skip_resolved is not None and skip_resolved in path.resolve().parents)):
                continue
            if path.suffix.lower() in MAIL_SUFFIXES or (not path.suffix and _head(path, 5)
                                                        == b"From "):
                found.append(path)
    return unique_paths(found)


def _head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


# --- one mail file: .eml, .msg or mbox ------------------------------------------------------


def read_mail_file(path: Path) -> Iterator[ParsedMail | Problem]:
    """Each mail in the file at ``path``, in order, or a :class:`Problem` for a mail (or the
    whole file) that cannot be read. Close the iterator when stopping early (an mbox file is
    held open while it runs)."""
    if not path.is_file():
        yield Problem(path, None, "er ikke en fil")
        return
    head = _head(path, len(OLE_MAGIC))
    try:
        if not head:
            raise _Unreadable("filen er tom eller kan ikke leses")
        if head == OLE_MAGIC:
            yield _read_one(lambda: _read_msg(path), path, None)
        elif head.startswith(b"From "):
            yield from _read_mbox(path)
        else:
            yield _read_one(lambda: _read_eml(path.read_bytes(), path, None), path, None)
    except _Unreadable as exc:
        yield Problem(path, None, str(exc))
    except OSError as exc:
        yield Problem(path, None, f"kan ikke leses ({exc.strerror})")
    except Exception as exc:  # mailbox's surprise with a strange file must not end the run
        yield Problem(path, None, f"uventet feil ved lesing ({type(exc).__name__})")


def _read_mbox(path: Path) -> Iterator[ParsedMail | Problem]:
    # mailbox opens the file for update when it may, but writes only on flush() with
    # pending changes, which reading never makes: the file stays byte-identical.
    box = mailbox.mbox(path, create=False)
    try:
        keys = list(box.iterkeys())
        if not keys:
            raise _Unreadable("ingen e-poster funnet i mbox-filen")
        for number, key in enumerate(keys, start=1):
            def read(key: str = key, number: int = number) -> ParsedMail:
                return _read_eml(box.get_bytes(key), path, number)

            yield _read_one(read, path, number)
    finally:
        box.close()


def _read_one(read: Callable[[], ParsedMail], path: Path,
              number: int | None) -> ParsedMail | Problem:
    """Read one mail; one bad mail never stops the others."""
    try:
        return read()
    except _Unreadable as exc:
        return Problem(path, number, str(exc))
    except OSError as exc:
        return Problem(path, number, f"kan ikke leses ({exc.strerror})")
    except Exception as exc:  # a mail library's surprise must not end the run
        return Problem(path, number, f"uventet feil ved lesing ({type(exc).__name__})")


# --- .eml and mbox messages ------------------------------------------------------------------


def _read_eml(data: bytes, path: Path, number: int | None) -> ParsedMail:
    if not data.strip():
        raise _Unreadable("e-posten er tom")
    msg = BytesParser(policy=policy.default).parsebytes(data)
    if not msg.keys():
        raise _Unreadable("ingen e-posthoder funnet – filen er ikke en lagret e-post")
    mail = _mail_of(msg, path, number)
    damage: list[str] = []
    attachments: list[Attachment] = []
    for part, defects in _leaves(msg):
        if any(isinstance(d, FATAL_DEFECTS) for d in defects):
            raise _Unreadable("e-posten er skadet: delene (vedleggene) kan ikke skilles fra "
                              "hverandre")
        if any(isinstance(d, email_errors.CloseBoundaryNotFoundDefect) for d in defects):
            damage.append("e-posten er avkortet (slutten mangler); vedlegg som var med, er tatt")
        try:
            attachment = _attachment_of(part)
        except Exception as exc:  # a header too broken to read: say so, keep going
            damage.append(f"et vedlegg kan ikke leses ({type(exc).__name__})")
            continue
        if attachment is None:
            continue
        if any(isinstance(d, email_errors.InvalidBase64CharactersDefect
                          | email_errors.InvalidBase64PaddingDefect
                          | email_errors.InvalidBase64LengthDefect) for d in part.defects):
            damage.append(f"vedlegget «{attachment.name}» er skadet i e-posten (ugyldig "
                          "base64); det er lagret slik det kunne leses")
        attachments.append(attachment)
    draft = str(msg.get("X-Unsent", "")).strip() == "1"
    return ParsedMail(mail, attachments, list(dict.fromkeys(damage)), draft)


def _leaves(msg: Message) -> Iterator[tuple[Message, list[Any]]]:
    """Every non-multipart part, with the defects of its containers and itself."""
    stack: list[tuple[Message, list[Any]]] = [(msg, [])]
    while stack:
        part, inherited = stack.pop()
        defects = [*inherited, *part.defects]
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack += [(child, defects) for child in reversed(children)]
            continue
        yield part, defects


def _attachment_of(part: Message) -> Attachment | None:
    """The part as an attachment, or None when it is the mail's text."""
    content_type = part.get_content_type()
    name = _decoded(part.get_filename() or "")
    disposition = part.get_content_disposition()
    if not name and disposition != "attachment" and part.get_content_maintype() == "text":
        return None  # the body (plain or HTML)
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    return Attachment(name=name, content_type=content_type, data=data)


def _text(value: str) -> str:
    """Text fit for the manifest and the terminal: raw 8-bit header bytes, which the parser
    keeps as surrogate escapes, are read as UTF-8 (what such mailers mean), anything else
    undecodable becomes �; control characters (a terminal escape sequence in a file name)
    and bidirectional overrides (a name that displays reversed) are dropped."""
    try:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch for ch in value
                   if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)


def _decoded(name: str) -> str:
    """A file name as the sender wrote it: RFC 2047 words that a mailer put inside a quoted
    parameter (``"=?utf-8?b?…?="``), which the parser leaves alone, are decoded too."""
    if "=?" in name and "?=" in name:
        with contextlib.suppress(ValueError, LookupError, UnicodeError,
                                 email_errors.HeaderParseError):
            name = str(make_header(decode_header(name)))
    return _text(name)


def _mail_of(msg: EmailMessage, path: Path, number: int | None) -> Mail:
    name, address = _sender(msg)
    return Mail(source=path, number=number, sender_name=name, sender_address=address,
                subject=_header_text(msg, "Subject"), sent=_parse_date(_header_text(msg, "Date")),
                message_id=_header_text(msg, "Message-ID"))


def _header_text(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser chokes on: take it as it stands
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    return _text(" ".join(str(value).split())) if value is not None else ""


def _sender(msg: EmailMessage) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ())
        if addresses:
            return _text(addresses[0].display_name), _text(addresses[0].addr_spec)
    except Exception:
        pass
    name, address = email.utils.parseaddr(_header_text(msg, "From"))
    return _decoded(name), address


def _parse_date(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means "zone unknown": treat as UTC so that times compare.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- Outlook .msg -----------------------------------------------------------------------------


def _read_msg(path: Path) -> ParsedMail:
    try:
        import extract_msg
    except ImportError as exc:  # the optional extra is not installed
        raise _Unreadable("Outlook-filer (.msg) krever tillegget «outlook»: "
                          "pip install 'smso-xl[outlook]'") from exc
    data = path.read_bytes()
    try:
        # From bytes, so that extract-msg holds no handle on the input file.
        message = extract_msg.openMsg(data)
    except Exception as exc:  # extract-msg's and olefile's errors alike: a damaged file
        detail = " ".join(str(exc).split())[:120]
        raise _Unreadable(f"ikke en lesbar Outlook-fil ({type(exc).__name__}"
                          + (f": {detail})" if detail else ")")) from exc
    try:
        mail = msg_mail(message, path)
        damage: list[str] = []
        attachments = list(msg_attachments(message, damage))
        draft = str((getattr(message, "header", None) or {}).get("X-Unsent", "")).strip() == "1"
        return ParsedMail(mail, attachments, damage, draft)
    finally:
        message.close()


def msg_mail(message: Any, path: Path) -> Mail:
    """Sender, subject and sent time of an extract-msg message. The time comes from the
    transport headers' ``Date`` when present (it keeps the sender's time zone), else from
    the message's own date."""
    header = getattr(message, "header", None)
    raw_date = str(header.get("Date", "") or "") if header is not None else ""
    sent = _parse_date(raw_date)
    if sent is None and isinstance(getattr(message, "date", None), dt.datetime):
        sent = message.date if message.date.tzinfo else message.date.replace(tzinfo=dt.UTC)
    name, address = email.utils.parseaddr(_text(str(getattr(message, "sender", "") or "")))
    return Mail(source=path, number=None, sender_name=name, sender_address=address,
                subject=_text(" ".join(str(getattr(message, "subject", "") or "").split())),
                sent=sent, message_id=_text(str(getattr(message, "messageId", "") or "").strip()))


def msg_attachments(message: Any, damage: list[str]) -> Iterator[Attachment]:
    """The attachments of an extract-msg message, as :class:`Attachment`.

    Uses only this much of extract-msg's attachment interface: ``longFilename``,
    ``shortFilename``, ``mimetype`` and ``data`` — bytes for a file, a message object for an
    attached mail (whose attachments are taken in turn), anything else (a web link, a
    broken or unsupported attachment) is listed as damaged."""
    for item in getattr(message, "attachments", ()) or ():
        name = _text(str(getattr(item, "longFilename", None)
                         or getattr(item, "shortFilename", None) or ""))
        try:
            data = item.data
        except Exception as exc:  # extract-msg raises for attachment kinds it cannot read
            damage.append(f"vedlegget «{name or '?'}» kan ikke leses ({type(exc).__name__})")
            continue
        if isinstance(data, bytes | bytearray):
            mime = str(getattr(item, "mimetype", None) or "application/octet-stream")
            yield Attachment(name=name, content_type=mime.lower(), data=bytes(data))
        elif hasattr(data, "attachments"):  # an attached Outlook message
            yield from msg_attachments(data, damage)
        else:
            damage.append(f"vedlegget «{name or '?'}» kan ikke leses (ingen fildata)")

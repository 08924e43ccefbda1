"""Reading saved mail files: ``.eml``, Apple Mail ``.emlx``, Outlook ``.msg`` (extract-msg) and
mbox.

The kind of a file is recognised by its first bytes, not its name (a UTF-8 byte-order mark,
which some Windows tools put first, is passed over). :func:`read_mail_file`
yields each mail in a file with its sender, subject, sent time and attachments
(:class:`ParsedMail`), or a :class:`Problem` for a mail or a file that cannot be read: one bad
mail never stops the others, and nothing raises for a bad mail. The mail files are only
read; their bytes never change.

Only a defect of the mail itself can make it unreadable (its parts cannot be told apart).
Damage further in — a forwarded message cut short, a part whose boundary is lost, a header
too broken to read — is recorded in :attr:`ParsedMail.damage`, and everything else in the
mail is still taken. Zip archives, Outlook's winmail.dat and mails attached as files are
unpacked (:mod:`.containers`); files uuencoded in a body («begin 644 plan.xlsx») are taken
out of it.
"""

from __future__ import annotations

import binascii
import contextlib
import datetime as dt
import email.utils
import itertools
import quopri
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from ..base.fileio import unique_paths
from ..base.provenance import sender_text
from ..workbook.sniff import MAX_FILE_BYTES
from .containers import Attachment, unpacked

#: What a folder is searched for; a file named explicitly is always tried.
MAIL_SUFFIXES = (".eml", ".emlx", ".msg", ".mbox", ".mbx")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (and legacy .xls, .doc …)
BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark: Notepad and some Windows tools write it first
# Apple Mail's .emlx: the message's length in bytes on a line of its own, the message, then
# an XML property list.
_EMLX_LENGTH = re.compile(rb"[ \t]*(\d{1,12})[ \t]*\r?\n")
# A file uuencoded in a body: «begin 644 plan.xlsx» … «end» (mode, then the name).
_UU_BEGIN = re.compile(rb"^begin [0-7]{3,4} ([^\r\n]+?)[ \t]*\r?$", re.MULTILINE)
_UU_END = re.compile(rb"^end[ \t]*\r?$", re.MULTILINE)
# The parts of a multipart mail could not be told apart: its attachments cannot be found.
FATAL_DEFECTS = (email_errors.StartBoundaryNotFoundDefect,
                 email_errors.NoBoundaryInMultipartDefect,
                 email_errors.MultipartInvariantViolationDefect)
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Messages inside messages (forwards of forwards) and multiparts inside multiparts are
#: followed this deep; real mail nests a handful of levels, a crafted one thousands.
MAX_NESTING = 50
# Zone names Python's date parser does not know (it knows the US ones and UT/GMT/Z, and
# takes any other name as "zone unknown"); Norwegian mail servers and clients write these.
_ZONE_NAMES = {"CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200",
               "MEZ": "+0100", "MESZ": "+0200", "WET": "+0000", "WEST": "+0100",
               "BST": "+0100", "EET": "+0200", "EEST": "+0300", "UTC": "+0000"}
_ZONE_AT_END = re.compile(r"\b(" + "|".join(_ZONE_NAMES) + r")\s*$", re.IGNORECASE)
# An mbox envelope line as mail programs write it: «From sender date», the date ending in a
# year, with a time before it (Thunderbird «From - Sat Mar 01 10:00:00 2026», Gmail «From
# 1234@xxx Sat Mar 01 10:00:00 +0000 2026», Python's mailbox «From MAILER-DAEMON …»).
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_ENVELOPE = re.compile(rb"From \S*[ \t]+.*\b\d{1,2}:\d{2}(?::\d{2})?\b.*\b\d{4}[ \t]*\r?\n?$")


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


@dataclass(frozen=True)
class MailFiles:
    """What the sources hold: the mail files to read, and the files in folders passed over
    as not mail (``.txt``, ``.pdf``, a file without suffix that is no mbox)."""

    found: list[Path]
    not_mail: list[Path]


def scan_sources(sources: Iterable[Path], *, skip: Path | None = None) -> MailFiles:
    """Files as given; folders searched recursively for mail files (hidden files and the
    inbox itself skipped, and not counted). A file without a suffix counts when it starts
    like an mbox file (Thunderbird keeps its folders so), or when it is a message in a
    Maildir folder (in its ``cur`` or ``new``; ``tmp`` holds mail still being delivered)."""
    skip_resolved = skip.resolve() if skip is not None else None
    found: list[Path] = []
    not_mail: list[Path] = []
    for source in sources:
        if not source.is_dir():
            found.append(source)
            continue
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).parts
            if (any(part.startswith(".") for part in relative) or not path.is_file()
                    or (skip_resolved is not None and skip_resolved in path.resolve().parents)):
                continue
            if (path.suffix.lower() in MAIL_SUFFIXES or _in_maildir(path)
                    or (not path.suffix and _head(path, 8).removeprefix(BOM)[:5] == b"From ")):
                found.append(path)
            elif not (path.parent.name == "tmp"  # mail still being delivered to a Maildir
                      and _in_maildir(path.parent.parent / "cur" / path.name)):
                not_mail.append(path)
    return MailFiles(unique_paths(found), unique_paths(not_mail))


def find_mail_files(sources: Iterable[Path], *, skip: Path | None = None) -> list[Path]:
    """The mail files of :func:`scan_sources`."""
    return scan_sources(sources, skip=skip).found


def _in_maildir(path: Path) -> bool:
    """A message file of a Maildir folder (Dovecot, Maildrop, mutt, offlineimap): named
    like «1700000000.M1P2.host:2,S», in ``cur`` or ``new`` beside each other."""
    folder = path.parent
    return (folder.name in ("cur", "new") and (folder.parent / "cur").is_dir()
            and (folder.parent / "new").is_dir())


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
    head = _head(path, 64)
    try:
        if not head:
            raise _Unreadable("filen er tom eller kan ikke leses")
        if head.startswith(OLE_MAGIC):
            yield _read_one(lambda: _read_msg(path), path, None)
        elif head.removeprefix(BOM).startswith(b"From "):
            yield from _read_mbox(path)
        else:
            yield _read_one(lambda: _read_eml(_message_bytes(path.read_bytes()), path, None),
                            path, None)
    except _Unreadable as exc:
        yield Problem(path, None, str(exc))
    except OSError as exc:
        yield Problem(path, None, f"kan ikke leses ({exc.strerror})")
    except Exception as exc:  # mailbox's surprise with a strange file must not end the run
        yield Problem(path, None, f"uventet feil ved lesing ({type(exc).__name__})")


def _message_bytes(data: bytes) -> bytes:
    """The message in a saved mail file: a leading byte-order mark dropped, and Apple Mail's
    ``.emlx`` (the message's length, the message, a property list) cut to its message."""
    data = data.removeprefix(BOM)
    emlx = _EMLX_LENGTH.match(data)
    if emlx:
        start = emlx.end()
        message = data[start:start + int(emlx[1])]
        if _HEADER_LINE.match(message):
            return message
    return data


def _read_mbox(path: Path) -> Iterator[ParsedMail | Problem]:
    number = 0
    for number, data in enumerate(mbox_messages(path), start=1):
        yield _read_one(lambda data=data, number=number: _read_eml(data, path, number),
                        path, number)
    if not number:
        raise _Unreadable("ingen e-poster funnet i mbox-filen")


def mbox_messages(path: Path) -> Iterator[bytes]:
    """The messages of an mbox file, one at a time, the envelope lines left out.

    A «From » line that follows an empty line (or starts the file) begins a message when it
    looks like an envelope (sender, then a date with a time and a year) or when a header
    line follows it (some tools write «From sender» alone). Not every mailer escapes «From »
    at the start of a body line as «>From »; the standard library's :mod:`mailbox` splits
    such a mail in two, which cuts an attachment off. So such a line inside a multipart
    mail whose closing boundary has not come yet is held (:class:`_MboxSplitter`): the
    mail's own boundary coming after it shows that it was body text. A byte-order mark
    before the first line is passed over. The file is opened for reading only."""
    splitter = _MboxSplitter()
    with path.open("rb") as handle:
        for number, line in enumerate(handle):
            yield from splitter.feed(line.removeprefix(BOM) if number == 0 else line)
    yield from splitter.finish()


# The boundary of a multipart message, in its header block.
_BOUNDARY = re.compile(rb"""\bboundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))""", re.IGNORECASE)
# A held «From » line waits this long for the mail around it to go on; then the mail
# before it was cut off, and the line started a new one.
_MAX_HELD_BYTES = 2 * MAX_FILE_BYTES


class _Top:
    """The top of one message in an mbox: its header block, and whether its multipart (if
    it is one) is still open, its closing boundary not yet seen."""

    def __init__(self) -> None:
        self.header: list[bytes] = []
        self.in_header = True
        self.delimiter: bytes | None = None
        self.closed = False

    @property
    def open(self) -> bool:
        return self.delimiter is not None and not self.closed

    def see(self, line: bytes) -> bool:
        """Take the message's next line; True when it is a line of its own boundary."""
        if self.in_header:
            if line.strip():
                self.header.append(line)
                return False
            self.in_header = False
            block = b"".join(self.header)
            if b"multipart" in block.lower() and (found := _BOUNDARY.search(block)):
                self.delimiter = b"--" + (found[1] or found[2])
            self.header = []
            return False
        if self.delimiter is None or not line.startswith(self.delimiter):
            return False
        rest = line[len(self.delimiter):].rstrip()
        self.closed = self.closed or rest == b"--"
        return rest in (b"", b"--")


class _MboxSplitter:
    """Splits an mbox into messages line by line (see :func:`mbox_messages`).

    A «From » line that would start a new mail while the current one's multipart is open is
    held. It was body text when a boundary line of the current mail comes after it; it
    started a new mail when that new mail's own multipart closes first, when the file ends,
    or when too much has come since (the mail before it was cut off)."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.top = _Top()
        self.held: list[tuple[int, _Top]] = []  # (index of the «From » line, its mail's top)
        self.held_bytes = 0
        self.pending: bytes | None = None  # a «From » line: an envelope if a header follows
        self.previous_blank = True

    def feed(self, line: bytes) -> Iterator[bytes]:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            if _HEADER_LINE.match(line):
                yield from self._split(pending)
            else:
                yield from self._append(pending)
        if self.previous_blank and line.startswith(b"From "):
            self.previous_blank = False
            if not self.lines or _ENVELOPE.match(line):
                yield from self._split(line)
            else:
                self.pending = line
            return
        if not self.lines and not line.strip():
            return  # blank lines before the first header
        self.previous_blank = not line.strip()
        yield from self._append(line)

    def finish(self) -> Iterator[bytes]:
        if self.pending is not None:
            yield from self._append(self.pending)
        yield from self._release(len(self.held))
        if self.lines:
            yield b"".join(self.lines)

    def _split(self, envelope: bytes) -> Iterator[bytes]:
        """A new mail starts here, unless the current one's multipart is open: then held."""
        if self.top.open or self.held:
            self.held.append((len(self.lines), _Top()))
            self.lines.append(envelope)
            return
        if self.lines:
            yield b"".join(self.lines)
        self.lines, self.top = [], _Top()

    def _append(self, line: bytes) -> Iterator[bytes]:
        self.lines.append(line)
        if self.top.see(line):
            self.held, self.held_bytes = [], 0  # the mail went on: the held lines were body
            return
        if not self.held:
            return
        self.held_bytes += len(line)
        for index, (_, top) in enumerate(self.held):
            if top.see(line) and top.closed:
                yield from self._release(index + 1)
                return
        if self.held_bytes > _MAX_HELD_BYTES:
            yield from self._release(len(self.held))

    def _release(self, count: int) -> Iterator[bytes]:
        """The first ``count`` held «From » lines did start mails: yield the mails before the
        last of them, which becomes the current mail (those held after it were inside it)."""
        if not count:
            return
        starts = [index for index, _ in self.held[:count]]
        yield b"".join(self.lines[:starts[0]])
        for start, end in itertools.pairwise(starts):
            yield b"".join(self.lines[start + 1:end])
        self.lines = self.lines[starts[-1] + 1:]
        self.top = self.held[count - 1][1]
        self.held, self.held_bytes = [], 0


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
    msg = _parsed(data)
    mail = _mail_of(msg, path, number)
    damage: list[str] = []
    attachments = unpacked(_attachments(msg, damage), damage, open_mail=_attached_mail)
    draft = _header_text(msg, "X-Unsent").strip() == "1"
    return ParsedMail(mail, attachments, list(dict.fromkeys(damage)), draft)


def _parsed(data: bytes) -> EmailMessage:
    """The message in ``data``; :class:`_Unreadable` when it is none, or its parts cannot be
    told apart."""
    if not data.strip():
        raise _Unreadable("e-posten er tom")
    msg = BytesParser(policy=policy.default).parsebytes(data)
    if not msg.keys():
        raise _Unreadable("ingen e-posthoder funnet – filen er ikke en lagret e-post")
    if any(isinstance(d, FATAL_DEFECTS) for d in msg.defects):
        raise _Unreadable("e-posten er skadet: delene (vedleggene) kan ikke skilles fra "
                          "hverandre")
    return msg


def _attachments(msg: Message, damage: list[str]) -> list[Attachment]:
    """Every attachment of ``msg`` (not yet unpacked), and the files uuencoded in its text."""
    attachments: list[Attachment] = []
    for part in _leaves(msg, damage):
        try:
            attachment = _attachment_of(part)
        except Exception as exc:  # a header too broken to read: say so, keep going
            damage.append(f"et vedlegg kan ikke leses ({type(exc).__name__})")
            continue
        if attachment is None:
            attachments += _uuencoded(part, damage)
            continue
        if any(isinstance(d, email_errors.InvalidBase64CharactersDefect
                          | email_errors.InvalidBase64PaddingDefect
                          | email_errors.InvalidBase64LengthDefect) for d in part.defects):
            damage.append(f"vedlegget «{attachment.name}» er skadet i e-posten (ugyldig "
                          "base64); det er lagret slik det kunne leses")
        attachments.append(attachment)
    return attachments


def _attached_mail(attachment: Attachment, damage: list[str]) -> list[Attachment] | None:
    """The attachments of a mail attached as a file (``.eml``, ``.emlx`` or Outlook ``.msg``),
    named with it as their container; None, with the reason in ``damage``, when it cannot be
    read. Their files are credited to the mail the coordinator received."""
    label = attachment.full_name or "videresendt e-post"
    damage_inside: list[str] = []
    try:
        if attachment.data.startswith(OLE_MAGIC):
            message = _open_msg(attachment.data)
            try:
                found = list(msg_attachments(message, damage_inside))
            finally:
                message.close()
        else:
            found = _attachments(_parsed(_message_bytes(attachment.data)), damage_inside)
    except _Unreadable as exc:
        damage.append(f"den vedlagte e-posten «{label}» kan ikke åpnes: {exc}")
        return None
    except Exception as exc:  # a mail library's surprise must not end the run
        damage.append(f"den vedlagte e-posten «{label}» kan ikke åpnes ({type(exc).__name__})")
        return None
    damage += [f"i den vedlagte e-posten «{label}»: {reason}" for reason in damage_inside]
    return [replace(item, container=f"{label}/{item.container}" if item.container else label)
            for item in found]


def _uuencoded(part: Message, damage: list[str]) -> list[Attachment]:
    """Files uuencoded in a text part («begin 644 plan.xlsx» … «end»), as old mailers and
    some scripts send them. A line that is no uuencode ends the file there, as damage."""
    if part.get_content_maintype() != "text":
        return []
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes) or b"begin " not in body:
        return []
    found: list[Attachment] = []
    for begin in _UU_BEGIN.finditer(body):
        name = _text(_repaired(begin[1].decode("utf-8", "surrogateescape")))
        end = _UU_END.search(body, begin.end())
        stop = end.start() if end else len(body)
        data, broken = _uu_decoded(body[begin.end():stop])
        if broken or end is None:
            damage.append(f"det uuencodede vedlegget «{name}» er skadet eller avkortet; det "
                          "er lagret slik det kunne leses")
        found.append(Attachment(name=name, content_type="application/octet-stream", data=data))
    return found


def _uu_decoded(text: bytes) -> tuple[bytes, bool]:
    """The bytes of uuencoded lines, and whether a line could not be decoded."""
    out: list[bytes] = []
    size = 0
    for line in text.splitlines():
        if not line.strip() or line.strip() == b"`":
            continue
        try:
            chunk = binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders add padding beyond the line's declared length.
            try:
                chunk = binascii.a2b_uu(line[:((line[0] - 32) & 63) * 4 // 3 + 5])
            except (binascii.Error, IndexError):
                return b"".join(out), True
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            return b"".join(out), True
        out.append(chunk)
    return b"".join(out), False


def _leaves(msg: Message, damage: list[str]) -> Iterator[Message]:
    """Every non-multipart part, in order. Damage below the mail itself is recorded in
    ``damage`` and the walk goes on: what can be read is taken."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_NESTING:
            damage.append(f"e-posten har deler nestet mer enn {MAX_NESTING} nivåer dypt; "
                          "de innerste er ikke lest")
            continue
        _record_defects(part, damage, nested=depth > 0)
        if part.get_content_type() == "message/rfc822" and _encoding(part) in (
                "base64", "quoted-printable"):
            inner = _encoded_message(part, damage)
            if inner is not None:
                stack.append((inner, depth + 1))
            continue
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack += [(child, depth + 1) for child in reversed(children)]
            continue
        yield part


def _record_defects(part: Message, damage: list[str], *, nested: bool) -> None:
    if nested and any(isinstance(d, FATAL_DEFECTS) for d in part.defects):
        damage.append("en del av e-posten (f.eks. en videresendt e-post) er skadet: delene i "
                      "den kan ikke skilles fra hverandre; resten av e-posten er lest")
    if any(isinstance(d, email_errors.CloseBoundaryNotFoundDefect) for d in part.defects):
        damage.append("e-posten er avkortet (slutten mangler); vedlegg som var med, er tatt")


def _encoding(part: Message) -> str:
    try:
        return str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    except Exception:  # a header the parser chokes on
        return ""


def _encoded_message(part: Message, damage: list[str]) -> Message | None:
    """A forwarded message sent base64- or quoted-printable-encoded (the standard forbids
    it, some mailers and gateways do it): the parser takes its encoded text for the message
    itself, so decode it and parse again."""
    children = part.get_payload()
    raw = b""
    if isinstance(children, list) and children:
        # Nothing in base64 text looks like a header, so the parser has put it all in the
        # body; generating the inner message back gives the text as it came.
        raw = children[0].as_bytes(policy=policy.default.clone(max_line_length=0))
    try:
        if _encoding(part) == "base64":
            data = binascii.a2b_base64(b"".join(raw.split()))
        else:
            data = quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        damage.append("en videresendt e-post er skadet (ugyldig base64) og kan ikke leses")
        return None
    inner = BytesParser(policy=policy.default).parsebytes(data)
    if not inner.keys():
        damage.append("en videresendt e-post kan ikke leses (ingen e-posthoder)")
        return None
    return inner


def _attachment_of(part: Message) -> Attachment | None:
    """The part as an attachment, or None when it is the mail's text."""
    content_type = part.get_content_type()
    name = _file_name(part)
    disposition = part.get_content_disposition()
    if not name and disposition != "attachment" and part.get_content_maintype() == "text":
        return None  # the body (plain or HTML)
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    return Attachment(name=name, content_type=content_type, data=data)


def _file_name(part: Message) -> str:
    """The attachment's name: ``filename`` of Content-Disposition, else ``name`` of
    Content-Type, as the standard library reads them (RFC 2231 included), with what real
    mailers get wrong repaired: raw 8-bit names (Latin-1 as well as UTF-8), RFC 2047 words
    inside quotes, and names with spaces left unquoted (``filename=Plan Agder.xlsx``)."""
    for header, param in (("Content-Disposition", "filename"), ("Content-Type", "name")):
        raw = _raw_header(part, header)
        if raw is None:
            continue
        value = _header_object(header, raw)
        params = getattr(value, "params", None) or {}
        name = str(params.get(param) or "")
        unquoted = re.search(rf"(?:^|;)\s*{param}\s*=\s*([^\s\";][^\";]*?)\s*(?:;|$)",
                             _repaired(raw), re.IGNORECASE)
        if unquoted and len(unquoted[1]) > len(name) and unquoted[1].startswith(name):
            name = unquoted[1]
        if name:
            return _decoded(name)
    return ""


def _raw_header(part: Message, name: str) -> str | None:
    """A header's value as it stands in the mail (8-bit bytes as surrogate escapes)."""
    return next((str(v) for k, v in part.raw_items() if k.lower() == name.lower()), None)


def _repaired(raw: str) -> str:
    """Raw header text with its 8-bit bytes read as UTF-8 when they are, else as Windows'
    Latin-1 (cp1252): mailers that skip the encoding write their own code page."""
    try:
        data = raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _header_object(name: str, raw: str) -> Any:
    """The header parsed by the standard library's header registry from repaired text; the
    raw text when the registry cannot parse it."""
    text = " ".join(_repaired(raw).split())
    try:
        return policy.default.header_factory(name, text)
    except Exception:
        return text


def _text(value: str) -> str:
    """Text fit for the manifest and the terminal: raw 8-bit header bytes, which the parser
    keeps as surrogate escapes, are read as UTF-8 or else as cp1252 (see :func:`_repaired`);
    control characters (a terminal escape sequence in a file name)
    and bidirectional overrides (a name that displays reversed) are dropped."""
    value = _repaired(value)
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


def _header_text(msg: Message, name: str) -> str:
    """A header's text, encoded words decoded. The Date is taken as written: the registry
    would put «-0000» in place of a zone name it does not know."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    value = _repaired(raw) if name.lower() == "date" else str(_header_object(name, raw))
    return _text(" ".join(value.split()))


def _sender(msg: Message) -> tuple[str, str]:
    """Name and address of the first sender in From, read by the standard library's
    header registry. A From that is one encoded word around both name and address
    (``=?unknown-8bit?b?…?=``, as Python's generator writes a raw 8-bit header) is decoded
    first and then read: the name never ends up in the address."""
    raw = _raw_header(msg, "From")
    if raw is None:
        return "", ""
    header = _header_object("From", raw)
    name, address = sender_of(getattr(header, "addresses", None), str(header))
    if "=?" in raw and not _BARE_ADDRESS.fullmatch(address):
        decoded = _encoded_words_decoded(_repaired(raw))
        header = _header_object("From", decoded)
        name, address = sender_of(getattr(header, "addresses", None), decoded)
    return name, address


def _encoded_words_decoded(text: str) -> str:
    """``text`` with its RFC 2047 words decoded, whatever charset they name: an unknown one
    (``unknown-8bit``) is read as UTF-8, else cp1252."""
    try:
        chunks = decode_header(text)
    except (ValueError, email_errors.HeaderParseError):
        return text
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        try:
            parts.append(chunk.decode(charset or "ascii"))
        except (LookupError, UnicodeDecodeError):
            parts.append(_repaired(chunk.decode("utf-8", "surrogateescape")))
    return "".join(parts)


def sender_of(addresses: Sequence[Any] | None, text: str) -> tuple[str, str]:
    """The first address that has a domain, with its name. Outlook writes «Nordmann, Kari
    <kari@…>» without quotes; the registry then sees an address «Nordmann» without domain
    before «Kari <kari@…>». Such parts right before the real address belong to its name."""
    addresses = list(addresses or ())
    for index, address in enumerate(addresses):
        if not address.domain:
            continue
        before: list[str] = []
        for earlier in reversed(addresses[:index]):
            if earlier.domain or earlier.display_name:
                break
            before.insert(0, earlier.username)
        name = ", ".join(part for part in [*before, address.display_name] if part)
        if _BARE_ADDRESS.fullmatch(_text(address.addr_spec)):
            return _text(name), _text(address.addr_spec)
    # No address at all: keep what there is as the name, never as the address.
    name, address = email.utils.parseaddr(text)
    if not _BARE_ADDRESS.fullmatch(address):
        name, address = text, ""
    return _decoded(" ".join(name.split())), _text(address)


def _parse_date(text: str) -> dt.datetime | None:
    if not text:
        return None
    text = _ZONE_AT_END.sub(lambda zone: _ZONE_NAMES[zone[1].upper()], text.strip())
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "zone unknown": treat as UTC so that times compare.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- Outlook .msg -----------------------------------------------------------------------------


def _read_msg(path: Path) -> ParsedMail:
    message = _open_msg(path.read_bytes())
    try:
        mail = msg_mail(message, path)
        damage: list[str] = []
        attachments = unpacked(msg_attachments(message, damage), damage,
                               open_mail=_attached_mail)
        draft = str((getattr(message, "header", None) or {}).get("X-Unsent", "")).strip() == "1"
        return ParsedMail(mail, attachments, damage, draft)
    finally:
        message.close()


def _open_msg(data: bytes) -> Any:
    """An Outlook message read by extract-msg, from bytes so that it holds no handle on the
    input file; :class:`_Unreadable` when it cannot be (or extract-msg is not installed)."""
    try:
        import extract_msg
    except ImportError as exc:  # the optional extra is not installed
        raise _Unreadable("Outlook-filer (.msg) krever tillegget «outlook»: "
                          "pip install 'smso-xl[outlook]'") from exc
    try:
        return extract_msg.openMsg(data)
    except Exception as exc:  # extract-msg's and olefile's errors alike: a damaged file
        detail = " ".join(str(exc).split())[:120]
        raise _Unreadable(f"ikke en lesbar Outlook-fil ({type(exc).__name__}"
                          + (f": {detail})" if detail else ")")) from exc


def msg_mail(message: Any, path: Path) -> Mail:
    """Sender, subject and sent time of an extract-msg message. The time comes from the
    transport headers' ``Date`` when present (it keeps the sender's time zone), else from
    the message's own date."""
    header = getattr(message, "header", None)
    raw_date = str(header.get("Date", "") or "") if header is not None else ""
    sent = _parse_date(raw_date)
    if sent is None and isinstance(getattr(message, "date", None), dt.datetime):
        sent = message.date if message.date.tzinfo else message.date.replace(tzinfo=dt.UTC)
    sender = _text(str(getattr(message, "sender", "") or ""))
    header = _header_object("From", sender)
    name, address = sender_of(getattr(header, "addresses", None), sender)
    if not address:
        address = _msg_smtp_address(message)
    return Mail(source=path, number=None, sender_name=name, sender_address=address,
                subject=_text(" ".join(str(getattr(message, "subject", "") or "").split())),
                sent=sent, message_id=_text(str(getattr(message, "messageId", "") or "").strip()))


# Where an Outlook message keeps the sender's SMTP address when it has no transport headers
# (a message saved from Exchange, or written by Outlook and never sent through the
# internet): PR_SENDER_SMTP_ADDRESS, PR_SENT_REPRESENTING_SMTP_ADDRESS, and the sender's
# (and sent-representing) e-mail address when its address type is SMTP (else it is an
# Exchange «/O=…» name). extract-msg reads only the first, and only beside no From header.
_MSG_SMTP_STREAMS = (("__substg1.0_5D01", None), ("__substg1.0_5D02", None),
                     ("__substg1.0_0C1F", "__substg1.0_0C1E"),
                     ("__substg1.0_0065", "__substg1.0_0064"))
_BARE_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+")


def _msg_smtp_address(message: Any) -> str:
    """The sender's SMTP address from an Outlook message's properties, or ""."""
    read = getattr(message, "getStringStream", None)
    if read is None:
        return ""
    for stream, kind in _MSG_SMTP_STREAMS:
        try:
            if kind is not None and str(read(kind) or "").strip().upper() != "SMTP":
                continue
            value = _text(str(read(stream) or "")).strip()
        except Exception:  # a damaged stream: try the next
            continue
        if _BARE_ADDRESS.fullmatch(value):
            return value
    return ""


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

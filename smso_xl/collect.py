"""``collect``: save the workbooks attached to saved e-mails into an inbox folder.

Sources are ``.eml`` files, Outlook ``.msg`` files (read with extract-msg), mbox files (the
standard library's ``mailbox``), or folders of them, searched recursively. The kind of a
file is recognised by its first bytes, not its name. Every workbook attachment (``.xlsx``,
``.xlsm``, ``.ods``, and ``.xls``/``.xlsb`` so that ``validate`` can name the problem) is
saved under a safe version of its decoded name, never overwriting: ``Agder.xlsx`` exists →
``Agder (2).xlsx``. A byte-identical file (sha256), in this run or already in the inbox, is
not saved twice.

The manifest :data:`MANIFEST_NAME` in the inbox records, per saved file, its sha256, the
attachment's name, the saved name, the sender, subject, sent time and message id, and the
mail file it came from. It is hidden (leading dot), so ``validate`` never takes it for a
workbook; ``validate`` and ``consolidate`` read it (:class:`ManifestIndex`) and match files
by sha256, so a renamed file keeps its provenance and an edited one does not claim it.

Nothing is lost and nothing raises for a bad mail: a mail without attachments, an attachment
that is not a workbook, a damaged or unreadable mail are each listed in the
:class:`CollectResult`. The mail files are only read; their bytes never change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import mailbox
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from .fileio import OutputError, atomic_output, unique_paths
from .mail import WORKBOOK_MIME_TYPES
from .validation import WORKBOOK_SUFFIXES

MANIFEST_NAME = ".smso-manifest.json"
MANIFEST_VERSION = 1
#: What a folder is searched for; a file named explicitly is always tried.
MAIL_SUFFIXES = (".eml", ".msg", ".mbox", ".mbx")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (and legacy .xls, .doc …)
MAX_NAME = 120  # characters of a saved file name's stem: well inside every file system's limit
# Names Windows refuses for a file, whatever the extension.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                    *(f"lpt{i}" for i in range(1, 10))}
# The parts of a multipart mail could not be told apart: its attachments cannot be found.
FATAL_DEFECTS = (email_errors.StartBoundaryNotFoundDefect,
                 email_errors.NoBoundaryInMultipartDefect,
                 email_errors.MultipartInvariantViolationDefect)
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SUFFIX_FOR_TYPE = {mime.lower(): suffix for suffix, mime in WORKBOOK_MIME_TYPES.items()}


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
        if self.sender_name and self.sender_address:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_name or self.sender_address

    @property
    def where(self) -> str:
        """The mail file, with the mail's number in an mbox."""
        return f"{self.source} (e-post nr. {self.number})" if self.number else str(self.source)


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
        if self.sender_name and self.sender_address:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_name or self.sender_address

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


@dataclass(frozen=True)
class Saved:
    path: Path
    original_name: str
    sha256: str
    mail: Mail


@dataclass(frozen=True)
class Duplicate:
    """A workbook byte-identical to one saved before (this run or an earlier one)."""

    original_name: str
    sha256: str
    same_as: Path
    mail: Mail


@dataclass(frozen=True)
class OtherAttachment:
    """An attachment that is not a workbook: listed, not saved."""

    name: str
    content_type: str
    mail: Mail


@dataclass(frozen=True)
class Problem:
    """A mail file or one mail in it that could not be read (completely)."""

    source: Path
    number: int | None
    reason: str

    @property
    def where(self) -> str:
        return f"{self.source} (e-post nr. {self.number})" if self.number else str(self.source)


@dataclass
class CollectResult:
    into: Path
    manifest: Path | None = None
    mails: list[Mail] = field(default_factory=list)
    saved: list[Saved] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    other_attachments: list[OtherAttachment] = field(default_factory=list)
    without_attachments: list[Mail] = field(default_factory=list)
    drafts: list[Mail] = field(default_factory=list)     # unsent drafts (X-Unsent), skipped
    damaged: list[Problem] = field(default_factory=list)  # read in part; what was found is kept
    unreadable: list[Problem] = field(default_factory=list)  # nothing could be read

    @property
    def without_workbook(self) -> list[Mail]:
        """Mails that brought no workbook (no attachment, or only other attachments)."""
        brought = {id(item.mail) for item in (*self.saved, *self.duplicates)}
        return [m for m in self.mails if id(m) not in brought]

    @property
    def ok(self) -> bool:
        """Every source could be read (exit code 0)."""
        return not self.unreadable


@dataclass(frozen=True)
class Attachment:
    """One attachment as found in a mail, before it is judged."""

    name: str
    content_type: str
    data: bytes


class _Unreadable(Exception):
    """This mail (or mail file) cannot be read; the message says why, in Norwegian."""


# --- the entry point ------------------------------------------------------------------------


def collect(sources: Sequence[Path], into: Path, *,
            now: dt.datetime | None = None) -> CollectResult:
    """Save the workbooks attached to the mails under ``sources`` into ``into``.

    Raises :class:`OutputError` when ``into`` cannot be used: not a folder, cannot be made
    or read, a manifest there that cannot be read (checked before anything is saved), or a
    file that cannot be written into it."""
    now = now or dt.datetime.now(dt.UTC)
    if into.exists() and not into.is_dir():
        raise OutputError(f"{into} er ikke en mappe.")
    manifest_path = into / MANIFEST_NAME
    entries = read_manifest(manifest_path, strict=True)
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Kan ikke lage mappen {into}: {exc.strerror}.") from exc
    result = CollectResult(into=into)
    try:
        inbox = _Inbox(into, entries, now)
    except OSError as exc:
        raise OutputError(f"Kan ikke lese mappen {into}: {exc.strerror}.") from exc
    try:
        for path in find_mail_files(sources, skip=into):
            _collect_file(path, inbox, result)
    finally:
        # Whatever happens, the files saved so far keep their provenance.
        if inbox.changed:
            result.manifest = write_manifest(manifest_path, inbox.entries)
        elif manifest_path.exists():
            result.manifest = manifest_path
    return result


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


def _collect_file(path: Path, inbox: _Inbox, result: CollectResult) -> None:
    if not path.is_file():
        result.unreadable.append(Problem(path, None, "er ikke en fil"))
        return
    head = _head(path, len(OLE_MAGIC))
    try:
        if not head:
            raise _Unreadable("filen er tom eller kan ikke leses")
        if head == OLE_MAGIC:
            _collect_mail(lambda: _read_msg(path), path, None, inbox, result)
        elif head.startswith(b"From "):
            _collect_mbox(path, inbox, result)
        else:
            _collect_mail(lambda: _read_eml(path.read_bytes(), path, None), path, None, inbox,
                          result)
    except _Unreadable as exc:
        result.unreadable.append(Problem(path, None, str(exc)))
    except OSError as exc:
        result.unreadable.append(Problem(path, None, f"kan ikke leses ({exc.strerror})"))
    except OutputError:
        raise  # the inbox cannot be written: no use going on
    except Exception as exc:  # mailbox's surprise with a strange file must not end the run
        result.unreadable.append(Problem(path, None,
                                         f"uventet feil ved lesing ({type(exc).__name__})"))


def _collect_mbox(path: Path, inbox: _Inbox, result: CollectResult) -> None:
    # mailbox opens the file for update when it may, but writes only on flush() with
    # pending changes, which reading never makes: the file stays byte-identical.
    box = mailbox.mbox(path, create=False)
    try:
        keys = list(box.iterkeys())
        if not keys:
            raise _Unreadable("ingen e-poster funnet i mbox-filen")
        for number, key in enumerate(keys, start=1):
            def read(key: str = key, number: int = number) -> _Parsed:
                return _read_eml(box.get_bytes(key), path, number)

            _collect_mail(read, path, number, inbox, result)
    finally:
        box.close()


@dataclass
class _Parsed:
    mail: Mail
    attachments: list[Attachment]
    damage: list[str]
    draft: bool = False


def _collect_mail(read: Callable[[], _Parsed], path: Path, number: int | None, inbox: _Inbox,
                  result: CollectResult) -> None:
    """Read one mail and sort its attachments; one bad mail never stops the others."""
    try:
        parsed: _Parsed = read()
    except _Unreadable as exc:
        result.unreadable.append(Problem(path, number, str(exc)))
        return
    except OSError as exc:
        result.unreadable.append(Problem(path, number, f"kan ikke leses ({exc.strerror})"))
        return
    except Exception as exc:  # a mail library's surprise must not end the run
        result.unreadable.append(Problem(path, number,
                                         f"uventet feil ved lesing ({type(exc).__name__})"))
        return
    if parsed.draft:
        result.drafts.append(parsed.mail)
        return
    result.mails.append(parsed.mail)
    result.damaged += [Problem(path, number, reason) for reason in parsed.damage]
    if not parsed.attachments:
        result.without_attachments.append(parsed.mail)
    for attachment in parsed.attachments:
        inbox.take(attachment, parsed.mail, result)


# --- .eml and mbox messages ------------------------------------------------------------------


def _read_eml(data: bytes, path: Path, number: int | None) -> _Parsed:
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
    return _Parsed(mail, attachments, list(dict.fromkeys(damage)), draft)


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


def _read_msg(path: Path) -> _Parsed:
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
        return _Parsed(mail, attachments, damage, draft)
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


# --- saving into the inbox ---------------------------------------------------------------------


def workbook_suffix(attachment: Attachment) -> str | None:
    """The workbook suffix to save ``attachment`` under, or None when it is no workbook:
    the name's suffix decides; a nameless one is judged by its MIME type."""
    suffix = Path(attachment.name.replace("\\", "/")).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return suffix
    if not suffix or suffix == ".":
        return _SUFFIX_FOR_TYPE.get(attachment.content_type.lower())
    return None


def safe_name(name: str, suffix: str) -> str:
    """A file name that is safe to create: the decoded name's last path component, control
    characters and characters Windows forbids removed, no leading dot or ``~$`` (those files
    validate skips), Norwegian letters kept, ending in ``suffix``."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name)
    stem = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    while stem.startswith(("~$", ".", "~")):
        stem = stem.lstrip(".~$ ")
    if stem.lower().split(".")[0] in WINDOWS_RESERVED:
        stem = f"_{stem}"
    return f"{stem[:MAX_NAME].rstrip(' .') or 'vedlegg'}{suffix}"


class _Inbox:
    """The inbox folder: names taken, sha256 of the workbooks in it, the manifest entries."""

    def __init__(self, folder: Path, entries: list[Provenance], now: dt.datetime) -> None:
        self.folder = folder
        self.entries = entries
        self.changed = False
        self.now = now
        self.known = {e.sha256 for e in entries}
        self.by_hash: dict[str, Path] = {}
        self.names = {p.name.lower() for p in folder.iterdir()}
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if not hidden and path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES:
                digest = _sha256_file(path)
                if digest is not None:
                    self.by_hash.setdefault(digest, path)

    def take(self, attachment: Attachment, mail: Mail, result: CollectResult) -> None:
        suffix = workbook_suffix(attachment)
        shown = attachment.name or f"(uten navn, {attachment.content_type})"
        if suffix is None:
            result.other_attachments.append(OtherAttachment(shown, attachment.content_type,
                                                            mail))
            return
        digest = hashlib.sha256(attachment.data).hexdigest()
        if digest in self.by_hash:
            same = self.by_hash[digest]
            result.duplicates.append(Duplicate(shown, digest, same, mail))
            # A file put there by hand now has a known sender; the manifest speaks for its
            # own folder only (that is where validate looks), so not for subfolders.
            if digest not in self.known and same.parent == self.folder:
                self._record(digest, same.name, attachment, mail)
            return
        name = self._free_name(safe_name(attachment.name or "vedlegg", suffix))
        target = self.folder / name
        with atomic_output(target) as tmp:
            tmp.write_bytes(attachment.data)
        self.by_hash[digest] = target
        self._record(digest, name, attachment, mail)
        result.saved.append(Saved(target, shown, digest, mail))

    def _free_name(self, name: str) -> str:
        """``name``, or ``stem (2).suffix`` … when taken (compared without case, as Windows
        and macOS do)."""
        stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
        candidate, number = name, 1
        while candidate.lower() in self.names or (self.folder / candidate).exists():
            number += 1
            candidate = f"{stem} ({number}){suffix}"
        self.names.add(candidate.lower())
        return candidate

    def _record(self, digest: str, saved_name: str, attachment: Attachment, mail: Mail) -> None:
        self.entries.append(Provenance(
            sha256=digest, saved_name=saved_name, original_name=attachment.name,
            sender_name=mail.sender_name, sender_address=mail.sender_address,
            subject=mail.subject, sent=mail.sent, message_id=mail.message_id,
            source=os.path.abspath(mail.source), source_number=mail.number,
            collected_at=self.now.isoformat(timespec="seconds")))
        self.known.add(digest)
        self.changed = True


def _sha256_file(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# --- the manifest ----------------------------------------------------------------------------


def read_manifest(path: Path, *, strict: bool = False) -> list[Provenance]:
    """The entries of the manifest at ``path`` ([] when there is none).

    A manifest that cannot be read raises :class:`OutputError` with ``strict`` (collect must
    not write over it: the provenance in it would be lost), else gives []."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Provenance.from_json(item) for item in data["files"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        if strict:
            raise OutputError(f"Manifestet {path} kan ikke leses ({type(exc).__name__}). "
                              "Flytt det bort (det er ikke slettet) og kjør igjen.") from exc
        return []


def write_manifest(path: Path, entries: Sequence[Provenance]) -> Path:
    data = {"format": "smso-xl collect manifest", "version": MANIFEST_VERSION,
            "files": [entry.to_json() for entry in entries]}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class ManifestIndex:
    """Looks up the provenance of a workbook from the manifest in its own folder, by sha256.

    Each folder's manifest is read once; a folder without one costs nothing (no hashing)."""

    def __init__(self) -> None:
        self._folders: dict[Path, dict[str, Provenance]] = {}

    def lookup(self, path: Path, sha256: str | None = None) -> Provenance | None:
        folder = path.parent.resolve()
        if folder not in self._folders:
            entries = read_manifest(folder / MANIFEST_NAME)
            # The first entry of a hash is the mail that brought the file first.
            self._folders[folder] = {}
            for entry in entries:
                self._folders[folder].setdefault(entry.sha256, entry)
        by_hash = self._folders[folder]
        if not by_hash:
            return None
        digest = sha256 or _sha256_file(path)
        return by_hash.get(digest) if digest else None

"""The inbox: ``collect`` saves the workbooks attached to saved e-mails into a folder, and
its manifest records who sent each one.

Every workbook attachment (``.xlsx``, ``.xlsm``, ``.ods``, and ``.xls``/``.xlsb`` so that
``validate`` can name the problem) is saved under a safe version of its decoded name, never
overwriting: ``Agder.xlsx`` exists → ``Agder (2).xlsx``. An attachment whose name does not
say what it is (none, ``.dat``, ``.bin``, no suffix) is a workbook when its bytes are one;
it is saved under the sender's name (``Arbeidsbok fra Kari Nordmann.xlsx``), and
:attr:`Saved.note` says so. A byte-identical file (sha256), in
this run or already in the inbox, is not saved twice.

The manifest (``manifest``: :data:`MANIFEST_NAME` in the inbox) records who sent each saved
file. It is hidden (leading dot), so ``validate`` never takes it for a workbook; the command
line hands :class:`~smso_xl.mail.manifest.ManifestIndex`'s ``lookup`` to ``validate`` and
``consolidate``.

Nothing is lost and nothing raises for a bad mail: a mail without attachments, an attachment
that is not a workbook, a damaged or unreadable mail are each listed in the
:class:`CollectResult`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import OutputError
from ..base.fileio import atomic_output
from ..base.formats import WORKBOOK_MIME_TYPES, WORKBOOK_SUFFIXES
from ..base.provenance import Provenance
from .containers import VAGUE_SUFFIXES, Attachment, content_suffix, name_suffix
from .manifest import MANIFEST_NAME, read_manifest, sha256_file, write_manifest
from .reading import Mail, ParsedMail, Problem, read_mail_file, scan_sources

MAX_NAME = 120  # characters of a saved file name's stem: well inside every file system's limit
# Names Windows refuses for a file, whatever the extension.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                    *(f"lpt{i}" for i in range(1, 10))}
_SUFFIX_FOR_TYPE = {mime.lower(): suffix for suffix, mime in WORKBOOK_MIME_TYPES.items()}


@dataclass(frozen=True)
class Saved:
    path: Path
    original_name: str
    sha256: str
    mail: Mail
    note: str = ""  # why it was saved under another name than its own, in Norwegian


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
    not_mail: list[Path] = field(default_factory=list)  # files in folders that are no mail

    @property
    def without_workbook(self) -> list[Mail]:
        """Mails that brought no workbook (no attachment, or only other attachments)."""
        brought = {id(item.mail) for item in (*self.saved, *self.duplicates)}
        return [m for m in self.mails if id(m) not in brought]

    @property
    def ok(self) -> bool:
        """Every source could be read (exit code 0)."""
        return not self.unreadable

    def to_json(self) -> dict[str, Any]:
        """What was saved, skipped and could not be read, ready for ``json.dumps``."""
        return {
            "into": str(self.into),
            "manifest": str(self.manifest) if self.manifest else None,
            "ok": self.ok,
            "saved": [{"path": str(s.path), "attachment": s.original_name, "sha256": s.sha256,
                       "note": s.note or None, "mail": s.mail.to_json()} for s in self.saved],
            "duplicates": [{"attachment": d.original_name, "sha256": d.sha256,
                            "same_as": str(d.same_as), "mail": d.mail.to_json()}
                           for d in self.duplicates],
            "other_attachments": [{"name": a.name, "content_type": a.content_type,
                                   "mail": a.mail.to_json()} for a in self.other_attachments],
            "without_workbook": [m.to_json() for m in self.without_workbook],
            "drafts": [m.to_json() for m in self.drafts],
            "damaged": [p.to_json() for p in self.damaged],
            "unreadable": [p.to_json() for p in self.unreadable],
            "not_mail": [str(p) for p in self.not_mail],
            "summary": {"mails": len(self.mails), "saved": len(self.saved),
                        "duplicates": len(self.duplicates),
                        "other_attachments": len(self.other_attachments),
                        "without_attachments": len(self.without_attachments),
                        "unreadable": len(self.unreadable),
                        "not_mail": len(self.not_mail)},
        }


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
        files = scan_sources(sources, skip=into)
        result.not_mail = files.not_mail
        for path in files.found:
            with contextlib.closing(read_mail_file(path)) as mails:
                for item in mails:
                    if isinstance(item, Problem):
                        result.unreadable.append(item)
                    else:
                        _take_mail(item, inbox, result)
    finally:
        # Whatever happens, the files saved so far keep their provenance.
        if inbox.changed:
            result.manifest = write_manifest(manifest_path, inbox.entries)
        elif manifest_path.exists():
            result.manifest = manifest_path
    return result


def _take_mail(parsed: ParsedMail, inbox: _Inbox, result: CollectResult) -> None:
    """Sort one mail's attachments into the inbox and the result."""
    if parsed.draft:
        result.drafts.append(parsed.mail)
        return
    result.mails.append(parsed.mail)
    result.damaged += [Problem(parsed.mail.source, parsed.mail.number, reason)
                       for reason in parsed.damage]
    if not parsed.attachments:
        result.without_attachments.append(parsed.mail)
    for attachment in parsed.attachments:
        inbox.take(attachment, parsed.mail, result)


# --- saving into the inbox ---------------------------------------------------------------------


def workbook_suffix(attachment: Attachment) -> str | None:
    """The workbook suffix to save ``attachment`` under, or None when it is no workbook:
    the name's suffix decides; a name that says nothing (none, ``.dat``, ``.bin``, no
    suffix) is judged by the content, then by the MIME type."""
    suffix = name_suffix(attachment.name)
    if suffix in WORKBOOK_SUFFIXES:
        return suffix
    if suffix in VAGUE_SUFFIXES:
        return (content_suffix(attachment.data)
                or _SUFFIX_FOR_TYPE.get(attachment.content_type.lower()))
    return None


def safe_name(name: str, suffix: str) -> str:
    """A file name that is safe to create: the decoded name's last path component, control
    characters and characters Windows forbids removed, no leading dot or ``~$`` (those files
    validate skips), Norwegian letters kept, ending in ``suffix``."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.rstrip(" .")  # Windows drops them: «Plan.XLSX.» is «Plan.XLSX»
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
                digest = sha256_file(path)
                if digest is not None:
                    self.by_hash.setdefault(digest, path)

    def take(self, attachment: Attachment, mail: Mail, result: CollectResult) -> None:
        suffix = workbook_suffix(attachment)
        shown = (attachment.full_name if attachment.name
                 else f"(uten navn, {attachment.content_type})")
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
        note = ""
        if name_suffix(attachment.name) in WORKBOOK_SUFFIXES:
            name = safe_name(attachment.name, suffix)
        else:  # the name did not say so: named after the sender, and said so
            name = safe_name(f"Arbeidsbok fra {mail.sender_name or mail.sender_address}"
                             if mail.sender_name or mail.sender_address else "", suffix)
            what = f"«{attachment.full_name}»" if attachment.name else "uten filnavn"
            how = ("innholdet" if content_suffix(attachment.data) == suffix
                   else "MIME-typen")
            note = f"vedlegget {what} er en arbeidsbok (gjenkjent på {how})"
        name = self._free_name(name)
        target = self.folder / name
        with atomic_output(target) as tmp:
            tmp.write_bytes(attachment.data)
        self.by_hash[digest] = target
        self._record(digest, name, attachment, mail)
        result.saved.append(Saved(target, shown, digest, mail, note))

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
            sha256=digest, saved_name=saved_name, original_name=attachment.full_name,
            sender_name=mail.sender_name, sender_address=mail.sender_address,
            subject=mail.subject, sent=mail.sent, message_id=mail.message_id,
            source=os.path.abspath(mail.source), source_number=mail.number,
            collected_at=self.now.isoformat(timespec="seconds")))
        self.known.add(digest)
        self.changed = True


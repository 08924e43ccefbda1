"""Attachments that carry other files: ``.zip`` archives, Outlook's ``winmail.dat`` (TNEF) and
mails attached as files (a forwarded ``.eml`` or Outlook ``.msg``); and what an attachment is
by its content (:func:`content_suffix`), for workbooks whose name does not say so.

Each is unpacked and its files handed on as attachments of their own, named with the
container they came in (``planer.zip/Agder.xlsx``, ``winmail.dat/Agder.xlsx``,
``planen.eml/Agder.xlsx``) so that the manifest says where a workbook was found. An attached
mail is opened by the caller's ``open_mail`` (reading mail is :mod:`.reading`'s, which sits
above this module). A container that cannot be unpacked, or an entry
beyond a limit, is recorded as damage and the container itself listed as an attachment: one
bad archive never stops the mail.

A zip gets the limits a workbook gets (:mod:`smso_xl.workbook.sniff`): its size, the number of
entries,
the unpacked size as declared, and the compression ratio of each entry. :mod:`zipfile` never
unpacks more than an entry's declared size and checks its CRC, so the declared sizes bound
what is unpacked. Only workbooks and containers are unpacked; the other entries are listed by
name. TNEF is read with tnefparse (LGPL, pure Python, no dependencies; see docs/email.md).
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ..base.formats import WORKBOOK_MIME_TYPES, WORKBOOK_SUFFIXES
from ..workbook.sniff import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    MB,
    ODS_MIMETYPE,
    OLE_MAGIC,
    RATIO_MIN_BYTES,
    ZIP_MAGIC,
)

#: Containers inside containers are unpacked this deep (a zip in a winmail.dat is common; a
#: zip of zips of zips is not, and each level could multiply the work).
MAX_DEPTH = 3
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
#: A mail attached as a file rather than as ``message/rfc822`` (which the parser opens
#: itself): Outlook's «Legg ved element» sends ``.msg`` as ``application/vnd.ms-outlook``,
#: webmail and gateways send a forwarded ``.eml`` as ``application/octet-stream``.
MAIL_FILE_SUFFIXES = (".eml", ".msg")
MAIL_FILE_TYPES = {"application/vnd.ms-outlook", "application/x-msg", "application/x-outlook-msg",
                   "message/rfc822"}
#: Names that say nothing about the content: these are judged by their bytes.
VAGUE_SUFFIXES = ("", ".dat", ".bin")
# Stream names in an OLE file's directory (UTF-16, NUL-terminated): an old Excel workbook
# holds «Workbook» (Excel 97+) or «Book» (Excel 5); Office's password-protected xlsx holds
# «EncryptedPackage»; an Outlook .msg holds «__substg1.0_…» streams.
_XLS_STREAMS = tuple(f"{name}\0".encode("utf-16-le") for name in ("Workbook", "Book"))
_ENCRYPTED_STREAM = "EncryptedPackage\0".encode("utf-16-le")
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_EMPTY_ZIP = b"PK\x05\x06"
# What zipfile raises for a damaged or unsupported archive or entry.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
               ValueError, EOFError, OSError, zlib.error)
# Resource forks and folders macOS adds to a zip it makes: «__MACOSX/._Agder.xlsx» is no plan.
_JUNK_PREFIXES = ("__MACOSX/", "._")


@dataclass(frozen=True)
class Attachment:
    """One attachment as found in a mail, before it is judged. ``container`` names the
    attachments it was unpacked from (``planer.zip``, ``winmail.dat/planer.zip``), "" when
    it was attached to the mail itself."""

    name: str
    content_type: str
    data: bytes
    container: str = ""

    @property
    def full_name(self) -> str:
        """The name with the containers it came in: what the manifest records."""
        return f"{self.container}/{self.name}" if self.container else self.name


def name_suffix(name: str) -> str:
    """The suffix of a file name in lower case, from its last path component; trailing dots
    and spaces do not count (Windows drops them: «Agder PLAN.XLSX.» is an .xlsx)."""
    return PurePosixPath(name.replace("\\", "/").rstrip(" .") or "x").suffix.lower()


def is_zip(attachment: Attachment) -> bool:
    """A zip archive by name or type, unless it is a workbook (an xlsx is a zip too, and is
    sent as ``application/zip`` by some mailers)."""
    suffix = name_suffix(attachment.name)
    return (suffix == ".zip" or attachment.content_type.lower() in ZIP_TYPES) and (
        suffix not in WORKBOOK_SUFFIXES) and content_suffix(attachment.data) is None


def is_tnef(attachment: Attachment) -> bool:
    """Outlook's winmail.dat, by name, type or signature (renamed ones are «ATT00001.dat»)."""
    return name_suffix(attachment.name) not in WORKBOOK_SUFFIXES and (
        PurePosixPath(attachment.name.replace("\\", "/")).name.lower() == "winmail.dat"
        or attachment.content_type.lower() in TNEF_TYPES
        or attachment.data.startswith(TNEF_MAGIC))


def is_mail_file(attachment: Attachment) -> bool:
    """A mail attached as a file: by its name (``.eml``, ``.msg``) or type; an OLE file only
    when it is no workbook (an old ``.xls`` is OLE too)."""
    if name_suffix(attachment.name) in WORKBOOK_SUFFIXES:
        return False
    return (name_suffix(attachment.name) in MAIL_FILE_SUFFIXES
            or attachment.content_type.lower() in MAIL_FILE_TYPES)


#: Opens a mail attached as a file: its attachments (not yet unpacked), or None when it
#: cannot be read (the reason goes into the list of damage).
OpenMail = Callable[[Attachment, list[str]], list[Attachment] | None]


def unpacked(attachments: Iterable[Attachment], damage: list[str], depth: int = 0, *,
             open_mail: OpenMail | None = None) -> list[Attachment]:
    """``attachments`` with every zip, winmail.dat and (given ``open_mail``) attached mail
    replaced by the files inside. A container that cannot be unpacked stays as it is (listed,
    never saved), with the reason in ``damage``."""
    result: list[Attachment] = []
    for attachment in attachments:
        inner: list[Attachment] | None = None
        mail = open_mail is not None and is_mail_file(attachment)
        if is_tnef(attachment) or is_zip(attachment) or mail:
            if depth >= MAX_DEPTH:
                damage.append(f"vedlegget «{attachment.full_name}» ligger for dypt i andre "
                              "arkiver og er ikke pakket ut")
            elif is_tnef(attachment):
                inner = _tnef_files(attachment, damage)
            elif is_zip(attachment):
                inner = _zip_files(attachment, damage)
            elif open_mail is not None:
                inner = open_mail(attachment, damage)
        if inner is None:
            result.append(attachment)
        else:
            result += unpacked(inner, damage, depth + 1, open_mail=open_mail)
    return result


def content_suffix(data: bytes) -> str | None:
    """The workbook suffix these bytes are, by their content, or None: an OOXML workbook
    (``xl/workbook.xml``; ``.xlsm`` with a macro part), an ODF spreadsheet (its ``mimetype``),
    an old Excel workbook (OLE with a «Workbook» or «Book» stream) or a password-protected
    xlsx (saved as ``.xlsx`` so that ``validate`` says it is encrypted). Only the zip's
    directory is read, with the limits a workbook gets (:mod:`smso_xl.workbook.sniff`)."""
    if len(data) > MAX_FILE_BYTES:
        return None
    if data.startswith(OLE_MAGIC):
        if _MSG_STREAM in data:
            return None
        if _ENCRYPTED_STREAM in data:
            return ".xlsx"
        return ".xls" if any(stream in data for stream in _XLS_STREAMS) else None
    if not data.startswith(ZIP_MAGIC) or data.count(b"PK\x01\x02") > MAX_ENTRIES:
        return None
    # ODF stores «mimetype» first and uncompressed, so its value stands right after the name.
    if data[30:38] == b"mimetype" and data[38:38 + len(ODS_MIMETYPE)] == ODS_MIMETYPE:
        return ".ods"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except _ZIP_ERRORS:
        return None
    if "xl/workbook.xml" not in names:
        return None
    return ".xlsm" if "xl/vbaProject.bin" in names else ".xlsx"


# --- zip ------------------------------------------------------------------------------------


def _zip_files(archive: Attachment, damage: list[str]) -> list[Attachment] | None:
    label = archive.full_name or "zip-vedlegg"

    def refuse(reason: str) -> None:
        damage.append(f"zip-vedlegget «{label}» er ikke pakket ut: {reason}")

    data = archive.data
    if len(data) > MAX_FILE_BYTES:
        refuse(f"det er større enn {MAX_FILE_BYTES // MB} MB")
        return None
    if not data.startswith((ZIP_MAGIC, _EMPTY_ZIP)):
        refuse("det er ikke en zip-fil")
        return None
    # Counted before zipfile builds an object per entry, as sniff does.
    if data.count(b"PK\x01\x02") > MAX_ENTRIES:
        refuse(f"det har flere enn {MAX_ENTRIES} filer")
        return None
    try:
        zipped = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        refuse("det er skadet eller ufullstendig")
        return None
    with zipped:
        infos = [i for i in zipped.infolist() if not i.is_dir()
                 and not _zip_name(i).startswith(_JUNK_PREFIXES)
                 and not PurePosixPath(_zip_name(i)).name.startswith("._")]
        if len(infos) > MAX_ENTRIES:
            refuse(f"det har flere enn {MAX_ENTRIES} filer")
            return None
        if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            refuse(f"innholdet er større enn {MAX_UNPACKED_BYTES // MB} MB")
            return None
        return [_zip_entry(zipped, info, label, damage) for info in infos]


def _zip_entry(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
               damage: list[str]) -> Attachment:
    name = _zip_name(info)
    entry = Attachment(name=name, content_type=_type_of(name), data=b"", container=label)
    if not (_is_workbook(name) or is_zip(entry) or is_tnef(entry) or is_mail_file(entry)):
        return entry  # listed by name; never saved, so never unpacked
    where = f"«{entry.full_name}»"
    if info.flag_bits & 0x1:
        damage.append(f"{where} er passordbeskyttet i zip-filen og er ikke pakket ut")
    elif info.file_size > MAX_FILE_BYTES:
        damage.append(f"{where} er større enn {MAX_FILE_BYTES // MB} MB og er ikke pakket ut")
    elif info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1):
        damage.append(f"{where} pakker seg ut til mer enn {MAX_RATIO} ganger sin størrelse "
                      "(en zip-bombe?) og er ikke pakket ut")
    else:
        try:
            # zipfile stops at the declared size and checks the CRC.
            return replace(entry, data=zipped.read(info))
        except _ZIP_ERRORS:
            damage.append(f"{where} er skadet i zip-filen og er ikke pakket ut")
    return entry


def _zip_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as its maker meant it. Without the UTF-8 flag zipfile reads the name
    as code page 437; Windows' own «Send til > Komprimert mappe» writes the OEM code page,
    which is 850 on Norwegian Windows (ø is 0x9B there, ¢ in 437), and some tools write UTF-8
    without setting the flag."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    raw = name.encode("cp437", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp850", "replace")


# --- winmail.dat (TNEF) --------------------------------------------------------------------


def _tnef_files(container: Attachment, damage: list[str]) -> list[Attachment] | None:
    label = container.full_name or "winmail.dat"
    try:
        import tnefparse
    except ImportError:  # a dependency: only missing in a broken installation
        damage.append(f"«{label}» (Outlook-format) kan ikke pakkes ut: pakken tnefparse "
                      "mangler (pip install tnefparse)")
        return None
    try:
        tnef = tnefparse.TNEF(container.data, do_checksum=False)
        # Without files (only the rich-text body) it stays listed as the attachment it is.
        return _tnef_attachments(tnef, label, damage) or None
    except Exception as exc:  # tnefparse's surprise with a damaged file must not end the run
        damage.append(f"«{label}» (Outlook-format) er skadet og kan ikke pakkes ut "
                      f"({type(exc).__name__})")
        return None


def _tnef_attachments(tnef: object, label: str, damage: list[str],
                      depth: int = 0) -> list[Attachment]:
    found: list[Attachment] = []
    for item in getattr(tnef, "attachments", ())[:MAX_ENTRIES]:
        embedded = getattr(item, "embed", None)
        if embedded is not None:  # an attached Outlook message: its files count too
            if depth < MAX_DEPTH:
                found += _tnef_attachments(embedded, label, damage, depth + 1)
            continue
        name = _tnef_name(item)
        data = getattr(item, "data", b"")
        if not isinstance(data, bytes | bytearray) or not data:
            damage.append(f"«{label}/{name or '?'}» har ingen fildata")
            continue
        found.append(Attachment(name=name, content_type=_type_of(name), data=bytes(data),
                                container=label))
    return found


def _tnef_name(item: object) -> str:
    """The long file name Outlook keeps in the MAPI properties, else the short title
    (attAttachTitle). Outlook writes the title in the code page the stream names
    (attOemCodepage, cp1252 in Norway); tnefparse decodes it as UTF-8 and fails on «ø», so
    its raw bytes (tnefparse keeps them as ``_name``) are decoded here in that code page."""
    codepage = str(getattr(item, "codepage", None) or "cp1252")
    for read in (lambda: item.long_filename(),  # type: ignore[attr-defined]
                 lambda: item.name,  # type: ignore[attr-defined]
                 lambda: item._name):  # type: ignore[attr-defined]
        try:
            name = read()
        except Exception:  # a title not in UTF-8 (tnefparse decodes it as such)
            continue
        if isinstance(name, bytes | bytearray):
            name = _bytes_text(bytes(name), codepage)
        if isinstance(name, str) and name.strip("\x00 "):
            return unicodedata.normalize("NFC", name.strip("\x00 "))
    return ""


def _bytes_text(raw: bytes, codepage: str = "cp1252") -> str:
    """UTF-8 when the bytes are valid UTF-8 (some tools write it whatever the stream says),
    else the stream's code page."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(codepage, "replace")
    except LookupError:  # a code page Python does not know
        return raw.decode("cp1252", "replace")


def _is_workbook(name: str) -> bool:
    return name_suffix(name) in WORKBOOK_SUFFIXES


def _type_of(name: str) -> str:
    suffix = name_suffix(name)
    if suffix == ".zip":
        return "application/zip"
    return WORKBOOK_MIME_TYPES.get(suffix, "application/octet-stream")

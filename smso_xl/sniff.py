"""Decide what an input file is, and whether it is safe to parse, before any parser sees it.

Returned workbooks are e-mail attachments: renamed, truncated, password-protected, saved as
old ``.xls``, or crafted. Each of those gets its own clear finding here, so the spreadsheet
parser only ever sees a zip that holds a workbook and unpacks to a sane size. (A 6 KB xlsx
with one value in A1 and one in XFD1048576 makes python-calamine allocate 500 GB and abort
the whole process: no exception to catch, so the sheet extent is checked here first.)
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from .cells import column_number
from .findings import finding
from .model import ReadError

SUFFIXES = (".xlsx", ".xlsm", ".ods")
LEGACY_SUFFIX = ".xls"

#: Limits for untrusted zips. Real plans are well below them: ~40 entries, ~1 MB of XML.
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024      # declared size of the XML parts we parse
MAX_RATIO = 200                              # uncompressed / compressed, per parsed entry
RATIO_MIN_BYTES = 1024 * 1024                # tiny parts may compress well without harm
MAX_SHEET_CELLS = 2_000_000                  # rows × columns of the used area of one sheet

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Office writes a password-protected xlsx as an OLE container holding this stream.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_OTHER_FORMATS = {b"%PDF": "ser ut som en PDF-fil", b"\x89PNG": "ser ut som et bilde",
                  b"\xff\xd8\xff": "ser ut som et bilde", b"Rar!": "ser ut som et RAR-arkiv"}
# The reference of a cell that holds something, in the form every real producer writes
# (Excel, LibreOffice, openpyxl, xlsxwriter): <c r="AB12" ...> and not self-closing, since
# calamine skips value-less (style-only) cells. About 1 ms per 100 KB of sheet XML.
_VALUE_CELL = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"[^/>]*>')
# Cell tags spelled with a namespace prefix or whitespace: legal XML, but not what the scan reads.
_ODD_CLOSE = (b"</c ", b"</c\t", b"</c\n", b"</c\r", b":c ", b":c\t", b":c\n", b":c\r")


@dataclass(frozen=True)
class Package:
    """An input that passed the checks: its bytes, its format and its opened zip."""

    path: Path
    data: bytes
    format: str                      # "xlsx" | "xlsm" | "ods"
    zip: zipfile.ZipFile

    @property
    def names(self) -> set[str]:
        return set(self.zip.namelist())

    def part(self, name: str) -> bytes | None:
        """One zip entry's bytes, or None when it is absent. Its size was checked by sniff."""
        try:
            return self.zip.read(name)
        except KeyError:
            return None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _unreadable(self.path, f"delen {name} er skadet") from exc


def sniff(path: Path) -> Package:
    """Read ``path`` (read-only) and check it is a workbook we may parse; else ReadError."""
    # ".xls" is let through to be named precisely below: an old workbook, or (not OLE) a
    # renamed xlsx or an HTML export judged by its content.
    if path.suffix.lower() not in (*SUFFIXES, LEGACY_SUFFIX):
        raise ReadError(finding("file-unsupported-type", file=str(path),
                                suffix=path.suffix or "uten filendelse"))
    data = _read_bytes(path)
    if not data:
        raise ReadError(finding("file-empty", file=str(path)))
    if data.startswith(OLE_MAGIC):
        code = "file-encrypted" if ENCRYPTED_STREAM in data else "file-legacy-xls"
        raise ReadError(finding(code, file=str(path)))
    if not data.startswith(ZIP_MAGIC):
        raise _not_workbook(path, _describe(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise _unreadable(path, "filen er skadet eller ufullstendig, kanskje ble vedlegget "
                                "avkuttet") from exc
    package = Package(path, data, _format(path, archive), archive)
    _check_sizes(package)
    if package.format != "ods":
        _check_sheet_extents(package)
    return package


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:  # read-only: the input is never modified
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, f"filen kan ikke åpnes: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise _unreadable(path, f"filen er større enn {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


def _describe(data: bytes) -> str:
    """Why these bytes are not a workbook, in words the coordinator can pass on."""
    for magic, text in _OTHER_FORMATS.items():
        if data.startswith(magic):
            return text
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, as Excel's "Unicode text"
        return "ser ut som en tekstfil"
    head = data[:4096]
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A cut multi-byte character at the end of the sample is still text.
            if exc.start < len(head) - 3:
                return "ikke en zip-fil"
        return "ser ut som en tekstfil"
    return "ikke en zip-fil"


def _format(path: Path, archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if any(info.flag_bits & 0x1 for info in archive.infolist()):
        raise ReadError(finding("file-encrypted", file=str(path)))  # zip-level password
    if "mimetype" in names and _small_entry(path, archive, "mimetype").strip() == ODS_MIMETYPE:
        # ODF encrypts entry by entry and lists the key data in the manifest.
        if b"encryption-data" in _small_entry(path, archive, "META-INF/manifest.xml"):
            raise ReadError(finding("file-encrypted", file=str(path)))
        return "ods"
    if "xl/workbook.xml" in names:
        macros = "xl/vbaProject.bin" in names or path.suffix.lower() == ".xlsm"
        return "xlsm" if macros else "xlsx"
    raise _not_workbook(path, "zip-filen inneholder ingen arbeidsbok")


def _small_entry(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > 1024 * 1024:
        raise _too_large(path, f"{name} er {info.file_size} byte")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _unreadable(path, f"delen {name} er skadet") from exc


def _parsed(name: str) -> bool:
    """The entries a parser inflates: XML parts. Images and binaries are never unpacked."""
    return name.endswith((".xml", ".rels"))


def _check_sizes(package: Package) -> None:
    infos = package.zip.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _too_large(package.path, f"{len(infos)} deler i zip-arkivet")
    parsed = [info for info in infos if _parsed(info.filename)]
    total = sum(info.file_size for info in parsed)
    if total > MAX_UNPACKED_BYTES:
        raise _too_large(package.path, f"{total // (1024 * 1024)} MB utpakket")
    for info in parsed:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise _too_large(package.path, f"{info.filename} pakkes ut {ratio:.0f} ganger")


def _check_sheet_extents(package: Package) -> None:
    """Reject a sheet whose used area is absurd before calamine allocates it densely."""
    for name in package.zip.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            xml = package.part(name) or b""
            last_row, last_col = _extent(xml) or _extent_parsed(package, xml)
            if last_row * last_col > MAX_SHEET_CELLS:
                raise _too_large(package.path, f"et ark strekker seg over {last_row} rader og "
                                               f"{last_col} kolonner")


def _extent(xml: bytes) -> tuple[int, int] | None:
    """Last row and column holding a value, from the cell references alone; None (parse it)
    unless the XML is in the plain form real producers write. Then markup cannot hide in
    comments or CDATA, every cell ends in an exact ``</c>``, and a valued cell that is not
    written ``<c r="…">`` (no reference: placed after its neighbour) leaves one ``</c>`` that
    the scan did not see."""
    if b"<!" in xml or xml.count(b"<?") > 1 or any(tag in xml for tag in _ODD_CLOSE):
        return None
    pairs = _VALUE_CELL.findall(xml)
    if len(pairs) != xml.count(b"</c>") + xml.count(b":c>"):
        return None
    if not pairs:
        return 0, 0
    letters, numbers = zip(*pairs, strict=True)
    return max(map(int, set(numbers))), max(map(_column, set(letters)))


def _extent_parsed(package: Package, xml: bytes) -> tuple[int, int]:
    """The slow, exact way for unusual XML: positions as calamine assigns them (a row or cell
    without ``r`` follows the previous one). Style-only cells count too: better safe here."""
    last_row = last_col = row = col = 0
    try:
        for event, element in SafeET.iterparse(io.BytesIO(xml), events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "end":
                if tag == "row":
                    element.clear()  # keep memory flat on big sheets
                continue
            if tag == "row":
                row, col = (int(element.get("r", "")) if element.get("r", "").isdigit()
                            else row + 1), 0
            elif tag == "c":
                match = re.fullmatch(r"([A-Za-z]+)([0-9]+)", element.get("r", ""))
                row, col = (int(match[2]), _column(match[1].encode())) if match else (row, col + 1)
                last_row, last_col = max(last_row, row), max(last_col, col)
    except (DefusedXmlException, ParseError) as exc:
        raise _unreadable(package.path, "et ark er skadet eller har ulovlig XML") from exc
    return last_row, last_col


def _column(letters: bytes) -> int:
    """Column number as calamine computes it; lower case or long references (never written by
    a real producer) count as huge."""
    if len(letters) > 3 or not letters.isupper():
        return MAX_SHEET_CELLS + 1
    return column_number(letters.decode())


def _unreadable(path: Path, reason: str) -> ReadError:
    return ReadError(finding("file-unreadable", file=str(path), reason=reason))


def _too_large(path: Path, detail: str) -> ReadError:
    return _unreadable(path, f"filen er mistenkelig stor når den pakkes ut: {detail}")


def _not_workbook(path: Path, reason: str) -> ReadError:
    return ReadError(finding("file-not-workbook", file=str(path), reason=reason))

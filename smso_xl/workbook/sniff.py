"""Decide what an input file is, and whether it is safe to parse, before any parser sees it.

Returned workbooks are e-mail attachments: renamed, truncated, password-protected, saved as
old ``.xls``, or crafted. Each of those gets its own clear finding here, and every limit
breach its own code (docs/security.md lists them).

A zip that passes is not handed on as it came. Every entry is unpacked here once, as a stream
with a byte budget, so a header that lies about its size cannot make anyone unpack 2 GiB;
checked (size, compression ratio, CRC, no XML ``DOCTYPE``/``ENTITY``); and stored uncompressed
in a fresh in-memory zip, :attr:`Package.verified`. calamine and openpyxl read only that copy,
so they see exactly the bytes that were checked; the reader's small parts come from the same
entries, kept by name (:attr:`Package.parts`). Sheets the caller never reads (``leave_out``)
are not unpacked at all and are absent from that copy.

Then what calamine would allocate for, since it aborts the whole process (no exception to
catch) when an allocation fails: the used area of every sheet (a 6 KB xlsx with one value in
A1 and one in XFD1048576 asks for 500 GB; so does an .ods whose one value is repeated over
every row and column) and the declared number of shared strings (a ``uniqueCount`` of four
billion).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..base.cells import column_letter, column_number
from ..base.findings import finding
from ..template.model import ReadError

SUFFIXES = (".xlsx", ".xlsm", ".ods")
LEGACY_SUFFIX = ".xls"

MB = 1024 * 1024
#: Limits for untrusted input; each breach is its own finding code. A real plan is about
#: 150 KB on disk, 35 zip entries and 2 MB unpacked, with a few hundred rows per sheet.
MAX_FILE_BYTES = 50 * MB            # file-too-large
MAX_ENTRIES = 1_000                 # zip-too-many-entries
MAX_UNPACKED_BYTES = 100 * MB       # zip-too-large: all entries, as declared and as unpacked
MAX_RATIO = 200                     # zip-bomb: unpacked / compressed bytes of one entry ...
RATIO_MIN_BYTES = 1 * MB            # ... checked once it has unpacked this much
MAX_SHEET_ROWS = 10_000             # sheet-too-large: the last row holding a value
MAX_SHEET_CELLS = 2_000_000         # sheet-too-large: rows × columns of a sheet's used area
MAX_SHARED_STRINGS = 2_000_000      # sheet-too-large: distinct texts a workbook declares

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_CENTRAL_ENTRY = b"PK\x01\x02"
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")  # 30 bytes; the last two are name/extra length
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Office writes a password-protected xlsx as an OLE container holding this stream.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_OTHER_FORMATS = {b"%PDF": "ser ut som en PDF-fil", b"\x89PNG": "ser ut som et bilde",
                  b"\xff\xd8\xff": "ser ut som et bilde", b"Rar!": "ser ut som et RAR-arkiv"}
_IN_CHUNK, _OUT_CHUNK = 64 * 1024, 1 * MB
# What zipfile raises for a damaged entry: a local header flag saying "strong encryption" or an
# unknown method is NotImplementedError, "password required" is RuntimeError.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
               ValueError)
# What expat raises for broken XML: an unknown encoding in the declaration is a LookupError.
XML_ERRORS = (ParseError, LookupError, ValueError)
# Where calamine looks for sheets: the folder after "xl/" names the kind, the file name is free.
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")
# A DTD, in the encodings an XML parser detects by itself (UTF-8, UTF-16 either way round).
# Excel and LibreOffice never write one; entity expansion (billion laughs, external entities)
# needs one. Case-insensitive, since not every parser is strict about the keyword.
_DTD = re.compile(b"|".join(
    re.escape(word.encode(encoding)) for word in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")), re.IGNORECASE)
_DECLARATION_MARK = re.compile(b"<!")
# A sheet whose every cell is written plainly <c r="…" …> with one reference within column FZ
# and row 9 999 holds at most 9 999 × 182 cells, inside both limits whatever else it holds:
# every sheet of a real plan (its widest, the hidden lists, ends at column AF), recognised by
# two searches (the exact measure below costs several times more). Anything else in cell
# tags is measured exactly.
_NEAR_ROWS, _NEAR_COLS = 9_999, column_number("FZ")
assert _NEAR_ROWS <= MAX_SHEET_ROWS and _NEAR_ROWS * _NEAR_COLS <= MAX_SHEET_CELLS
# A cell tag not written plainly as <c r="A1"…"FZ9999" a="…" …> with one r (no other
# attribute name begins with r: calamine takes a cell's last r, a scan its first): one search
# at the literal "<c" prefix. Possessive (*+): nothing given back can make the tag plain, and
# the engine then keeps no places to go back to (a quarter less time per cell).
_OTHER_CELL_TAG = re.compile(
    rb'<c(?! r="[A-F]?[A-Z][1-9][0-9]{0,3}"(?: [a-qs-z][a-z]*+="[^"<]*+")*+ ?/?>)[ >/\t\n\r]')
_PREFIXED_CELL_TAG = re.compile(rb":c[ >/\t\n\r]")  # <x:c …>: a namespace prefix
# "r =" however spaced; an attribute named r when the byte before it ends the previous name
# or value (see _one_r_each). A regular expression with the literal "r" first: a look-behind
# would make every position a start and cost four times as much.
_R_EQUALS = re.compile(rb"r[ \t\n\r]*=")
_BEFORE_ATTRIBUTE = frozenset(b' \t\n\r"\'')
# Only in UTF-8 (declared, or by default) are the bytes a scan sees the characters a parser
# reads: another declaration is caught here, UTF-16 and UTF-32 by their NUL bytes.
_OTHER_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*["'](?!utf-8["'])""", re.IGNORECASE)
# Every search for a tag's end stops at the next "<" ([^<>], which no attribute value holds):
# "[^>]*>" would scan to the end of the part from each of thousands of unclosed tags, hours
# for a crafted part of a megabyte.
# The reference of a cell that holds something, in the form every real producer writes
# (Excel, LibreOffice, openpyxl, xlsxwriter): <c r="AB12" ...> and not self-closing, since
# calamine skips value-less (style-only) cells. About 1 ms per 100 KB of sheet XML.
_VALUE_CELL = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"[^/<>]*>')
# Cell tags spelled with a namespace prefix or whitespace: legal XML, but not what the scan reads.
_ODD_CLOSE = (b"</c ", b"</c\t", b"</c\n", b"</c\r", b":c ", b":c\t", b":c\n", b":c\r")
_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b[^<>]*>")
_UNIQUE_COUNT = re.compile(rb"""\buniqueCount\s*=\s*["']\s*\+?([0-9]+)""")
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_VALUE_ATTRS = frozenset(f"{{{_ODF_OFFICE}}}{name}" for name in (
    "value-type", "value", "date-value", "time-value", "boolean-value", "string-value")) | {
    f"{{{_ODF_TABLE}}}formula"}


@dataclass(frozen=True)
class Package:
    """An input that passed the checks."""

    path: Path
    data: bytes                      # the file as received: its sha256 names the submission
    format: str                      # "xlsx" | "xlsm" | "ods"
    verified: bytes = field(repr=False)  # every entry checked and stored: what parsers read
    # The same entries by name, as unpacked and checked: small parts are read from here
    # rather than from ``verified``, which would be parsed and its checksums computed again.
    parts: dict[str, bytes] = field(repr=False, default_factory=dict)
    # Every entry's name, those left out too: what the file holds (macros, links) is told
    # by its names, whatever a crafted workbook says its sheets are.
    entries: frozenset[str] = frozenset()

    @property
    def names(self) -> set[str]:
        return set(self.entries or self.parts)

    def part(self, name: str) -> bytes | None:
        """One entry's bytes, or None when it is absent (checked and unpacked already)."""
        return self.parts.get(name)


def sniff(path: Path, *, leave_out: Collection[str] = ()) -> Package:
    """Read ``path`` (read-only) and check it is a workbook we may parse; else ReadError.
    ``leave_out``: names of sheets the caller never reads; their parts are neither unpacked
    nor handed on (:func:`_left_out`)."""
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
    # Counted before zipfile builds an object per entry: a million of them cost seconds.
    if (entries := data.count(_CENTRAL_ENTRY)) > MAX_ENTRIES:
        raise _too_many_entries(path, entries)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise _unreadable(path, "filen er skadet eller ufullstendig, kanskje ble vedlegget "
                                "avkuttet") from exc
    with archive:
        _check_declared(path, archive)
        fmt = _format(path, archive)
        skipped = _left_out(path, data, archive, leave_out) if leave_out else frozenset()
        verified, parts = _verified_copy(path, data, archive, skipped)
        names = archive.namelist()
    package = Package(path, data, fmt, verified, parts.all, frozenset(names))
    _check_grids(package, parts)
    return package


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _file_too_large(path, size)
        with path.open("rb") as handle:  # read-only: the input is never modified
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, f"filen kan ikke åpnes: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:  # grew since stat, or a device that never ends
        raise _file_too_large(path, len(data))
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


# --- the zip as its directory declares it ----------------------------------------------------


def _check_declared(path: Path, archive: zipfile.ZipFile) -> None:
    """What the central directory says, before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _too_many_entries(path, len(infos))
    names: set[str] = set()
    for info in infos:
        if info.flag_bits & 0x1:
            raise ReadError(finding("file-encrypted", file=str(path)))  # zip-level password
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(path, f"delen {info.filename} er pakket på en måte som Excel og "
                                    "LibreOffice ikke bruker")
        key = info.filename.lower()  # calamine matches entry names ignoring case
        if key in names:
            # Two parsers may pick different ones of the two: never let them choose.
            raise _unreadable(path, f"delen {info.filename} finnes to ganger")
        names.add(key)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            raise _zip_bomb(path, info.filename, info.file_size // max(info.compress_size, 1))
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNPACKED_BYTES:
        raise _zip_too_large(path, _megabytes(declared))


def _format(path: Path, archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
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
    """A marker entry, read before the full check: zipfile never unpacks more than the
    declared size, and that is small here."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > MB:
        raise _unreadable(path, f"delen {name} er {info.file_size} byte, ikke en kort markør")
    try:
        return archive.read(info)
    except _ZIP_ERRORS as exc:
        raise _unreadable(path, f"delen {name} er skadet") from exc


# --- sheets the caller never reads -----------------------------------------------------------

# A workbook's sheets and the relationships that name their parts, read with a search: only
# a name, an id and a target are needed of two small parts, and a parser costs more than
# leaving the sheets out saves. Anything this does not read leaves nothing out.
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\s([^<>]*)>")
_RELATIONSHIP_TAG = re.compile(r"<(?:\w+:)?Relationship\s([^<>]*)>")
_NAME = re.compile(r"(?:^|\s)name\s*=\s*([\"'])(.*?)\1")
_SHEET_ID = re.compile(r"\s\w+:id\s*=\s*([\"'])(.*?)\1")
_REL_ID = re.compile(r"(?:^|\s)Id\s*=\s*([\"'])(.*?)\1")
_TARGET = re.compile(r"(?:^|\s)Target\s*=\s*([\"'])(.*?)\1")


def _left_out(path: Path, data: bytes, archive: zipfile.ZipFile,
              sheets: Collection[str]) -> frozenset[str]:
    """The parts (lower-case names) of the named ``sheets``, found as calamine finds a
    sheet's part. What is left out is not in the verified copy, so no parser can read it
    unchecked: where this reading of the workbook differs from calamine's (a crafted file),
    calamine misses the part it looks for and the file is unreadable, never read unchecked."""
    try:
        book_info = archive.getinfo("xl/workbook.xml")
        rels_info = archive.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return frozenset()
    # checked as every entry is (and again when copied: they are small)
    book, rels = (_unpack_entry(path, data, info, 0)[0] for info in (book_info, rels_info))
    # Only sheets: a crafted target naming a table, a macro or a link part must not take it
    # out of what the reader sees of the file.
    return frozenset(part.lower() for name, part in _sheet_parts(book, rels)
                     if name in sheets and part.lower().startswith(_SHEET_FOLDERS)
                     and not part.endswith(".rels"))


def _sheet_parts(book: bytes, rels: bytes) -> list[tuple[str, str]]:
    """Each sheet of ``xl/workbook.xml``: its name, and the zip entry its relationship names
    (as calamine resolves it). Empty for parts in an encoding it cannot read."""
    try:
        book_text, rels_text = _text(book), _text(rels)
    except UnicodeDecodeError:
        return []
    targets = {}
    for tag in _RELATIONSHIP_TAG.finditer(rels_text):
        rel_id, target = _REL_ID.search(tag[1]), _TARGET.search(tag[1])
        if rel_id and target:
            targets[unescape(rel_id[2])] = unescape(target[2])
    sheets = []
    for tag in _SHEET_TAG.finditer(book_text):
        name, rel_id = _NAME.search(tag[1]), _SHEET_ID.search(tag[1])
        target = targets.get(unescape(rel_id[2])) if rel_id else None
        if name and target is not None:
            sheets.append((unescape(name[2]), _sheet_part(target)))
    return sheets


def _text(xml: bytes) -> str:
    """A small XML part as text: UTF-16 by its byte order mark, else UTF-8."""
    return xml.decode("utf-16" if xml.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8")


def _sheet_part(target: str) -> str:
    """The zip entry a workbook relationship's target names, as calamine resolves it."""
    return target[1:] if target.startswith("/") else (
        target if target.startswith("xl/") else f"xl/{target}")


# --- the zip as it really unpacks -------------------------------------------------------------


@dataclass
class _Parts:
    """Every entry as unpacked and checked (name → bytes, also stored in the verified copy),
    and those the grid checks must look at."""

    all: dict[str, bytes] = field(default_factory=dict)
    sheets: dict[str, bytes] = field(default_factory=dict)
    strings: dict[str, bytes] = field(default_factory=dict)


def _verified_copy(path: Path, data: bytes, archive: zipfile.ZipFile,
                   skipped: Collection[str] = ()) -> tuple[bytes, _Parts]:
    """Unpack every entry but the ``skipped`` (lower-case names) as a stream, check it, and
    store it in a new zip."""
    parts, checksums, total = _Parts(), [], 0
    for info in archive.infolist():
        if info.filename.lower() in skipped:
            continue
        if len(info.filename.encode()) > 0xFFFF:  # read as cp437, longer in UTF-8
            raise _unreadable(path, "en del av filen har et altfor langt navn")
        unpacked, checksum = _unpack_entry(path, data, info, total)
        total += len(unpacked)
        _sort_part(path, info.filename, unpacked, parts)
        checksums.append(checksum)
    return _stored_zip(parts.all, checksums), parts


def _unpack_entry(path: Path, data: bytes, info: zipfile.ZipInfo,
                  total: int) -> tuple[bytes, int]:
    """One entry's bytes and their CRC-32, unpacked within the limits (``total``: what the
    entries before it unpacked to) and checked against its size and checksum."""
    name = info.filename
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk, consumed in _unpacked(path, _packed(path, data, info), info.compress_type):
            size += len(chunk)
            if total + size > MAX_UNPACKED_BYTES:
                raise _zip_too_large(path, f"mer enn {MAX_UNPACKED_BYTES // MB} MB")
            if size > RATIO_MIN_BYTES and size > MAX_RATIO * max(consumed, 1):
                raise _zip_bomb(path, name, size // max(consumed, 1))
            chunks.append(chunk)
    except zlib.error as exc:
        raise _unreadable(path, f"delen {name} er skadet") from exc
    # Checked whole, once within the limits: every entry is kept in memory anyway (parts are
    # at most MAX_UNPACKED_BYTES together), and one search over a part costs far less than
    # one per chunk.
    unpacked = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    checksum = zlib.crc32(unpacked)
    if size != info.file_size or checksum != info.CRC:
        raise _unreadable(path, f"delen {name} er skadet (størrelse eller kontrollsum stemmer "
                                "ikke)")
    return unpacked, checksum


# A zip of stored entries, as APPNOTE 4.3 lays it out: no ZIP64 is needed within the limits.
_STORED_LOCAL = struct.Struct("<4s5H3L2H")    # signature … file name length, extra length
_STORED_CENTRAL = struct.Struct("<4s6H3L5H2L")  # … external attributes, local header offset
_STORED_END = struct.Struct("<4s4H2LH")
_DOS_DATE_1980 = (1 << 5) | 1  # 1980-01-01: the file's own dates are not copied
_UTF8_NAME = 0x800
assert MAX_UNPACKED_BYTES < 2**32 and MAX_ENTRIES < 2**16


def _stored_zip(parts: dict[str, bytes], checksums: list[int]) -> bytes:
    """``parts`` in a new zip, uncompressed. Written here rather than with ``zipfile``, whose
    writer seeks back to each local header and grows its buffer part by part: that cost more
    than unpacking the parts."""
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for (name, content), checksum in zip(parts.items(), checksums, strict=True):
        encoded, flags = ((name.encode("ascii"), 0) if name.isascii()
                          else (name.encode("utf-8"), _UTF8_NAME))
        sizes = (checksum, len(content), len(content), len(encoded))
        header = _STORED_LOCAL.pack(ZIP_MAGIC, 20, flags, zipfile.ZIP_STORED, 0,
                                    _DOS_DATE_1980, *sizes, 0)
        directory += [_STORED_CENTRAL.pack(_CENTRAL_ENTRY, 20, 20, flags, zipfile.ZIP_STORED, 0,
                                           _DOS_DATE_1980, *sizes, 0, 0, 0, 0, 0, offset),
                      encoded]
        pieces += [header, encoded, content]
        offset += len(header) + len(encoded) + len(content)
    central = b"".join(directory)
    end = _STORED_END.pack(b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), offset, 0)
    return b"".join([*pieces, central, end])


def _sort_part(path: Path, name: str, unpacked: bytes, parts: _Parts) -> None:
    """Refuse a part with a DTD; note a part the grid checks must measure."""
    # calamine finds entries ignoring case: XL/Worksheets/ is a sheet folder too.
    in_sheet_folder = name.replace("\\", "/").lower().startswith(_SHEET_FOLDERS)
    # XML by its name, or by its first bytes whatever its name: calamine's parser is lenient
    # and reads a part it is pointed to, expat judges by the first bytes.
    is_xml = (in_sheet_folder or name.lower().endswith((".xml", ".rels", ".vml"))
              or _xml_start(unpacked))
    if is_xml and _may_declare(unpacked) and _DTD.search(unpacked):
        raise ReadError(finding("xml-entities", file=str(path), part=name))
    parts.all[name] = unpacked
    # Sheets and shared strings whatever their names and first bytes: calamine opens any part
    # the workbook points to and its parser reads on past leading junk. Only a binary part
    # (images, macros: NUL bytes) with the word in it is no sheet.
    if in_sheet_folder or (b"sheetData" in unpacked and (is_xml or b"\0" not in unpacked)):
        parts.sheets[name] = unpacked
    # Only a declared count is measured: a part without the word has none to declare.
    if b"uniqueCount" in unpacked:
        parts.strings[name] = unpacked


def _may_declare(part: bytes) -> bool:
    """A cheap first look for a DTD: "<!" in UTF-8 (a compiled search: ``in`` stops at every
    "<" of the XML and costs twice as much), or in UTF-16 either way round (then with NUL
    bytes, which a search finds many times faster than a two-byte mark)."""
    return (_DECLARATION_MARK.search(part) is not None
            or (b"\0" in part and b"<\x00!" in part))


def _packed(path: Path, data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """An entry's compressed bytes, located as zipfile and calamine locate them."""
    start = info.header_offset
    header = data[start:start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or not header.startswith(ZIP_MAGIC):
        raise _unreadable(path, f"delen {info.filename} er skadet")
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    if begin + info.compress_size > len(data):
        raise _unreadable(path, f"delen {info.filename} er ufullstendig, kanskje ble vedlegget "
                                "avkuttet")
    return memoryview(data)[begin:begin + info.compress_size]


def _unpacked(path: Path, packed: memoryview, method: int) -> Iterator[tuple[bytes, int]]:
    """An entry's bytes as they unpack, each chunk with the packed bytes used so far. The
    deflate stream, not the size its header declares, decides where the entry ends."""
    if method == zipfile.ZIP_STORED:
        for start in range(0, len(packed), _OUT_CHUNK):
            chunk = bytes(packed[start:start + _OUT_CHUNK])
            yield chunk, start + len(chunk)
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position, pending = 0, b""
    while not inflater.eof:
        if not pending and position < len(packed):
            pending = packed[position:position + _IN_CHUNK]
            position += len(pending)
        chunk = inflater.decompress(pending, _OUT_CHUNK)
        pending = inflater.unconsumed_tail
        if chunk:
            yield chunk, position - len(pending)
        elif not pending and position >= len(packed):
            break  # all input used and nothing more comes out
    if not inflater.eof:
        raise _unreadable(path, "en del av filen er ufullstendig, kanskje ble vedlegget avkuttet")


def _xml_start(part: bytes) -> bool | None:
    """Whether an entry is XML, judged by its first bytes as an XML parser would; None when
    it is only white space."""
    if part.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True  # UTF-16
    head = part.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(b"<") if head else None


# --- what calamine would allocate for ------------------------------------------------------


def _check_grids(package: Package, parts: _Parts) -> None:
    """Sheets of either format are measured whatever the file calls itself: calamine makes up
    its own mind about the format."""
    for part, xml in sorted(parts.sheets.items()):
        if _near_cells_only(xml):
            continue
        rows, cols = _extent(xml) or _extent_parsed(package.path, part, xml)
        if _too_large(rows, cols):  # the sheet's name only for the message
            _check_extent(package.path, _sheet_names(package).get(part), rows, cols)
    for part, xml in sorted(parts.strings.items()):
        tag = _SST_TAG.search(xml)
        count = _UNIQUE_COUNT.search(tag[0]) if tag else None
        if count and int(count[1]) > MAX_SHARED_STRINGS:
            raise _sheet_too_large(package.path, f"delen {part} oppgir {_number(int(count[1]))} "
                                                 f"ulike tekster; grensen er "
                                                 f"{_number(MAX_SHARED_STRINGS)}")
    if "content.xml" in package.names:
        _check_ods_tables(package)


def _too_large(rows: int, cols: int) -> bool:
    return rows > MAX_SHEET_ROWS or rows * cols > MAX_SHEET_CELLS


def _check_extent(path: Path, sheet: str | None, rows: int, cols: int) -> None:
    if _too_large(rows, cols):
        where = f"arket «{sheet}»" if sheet else "et ark"
        column = column_letter(cols) if 1 <= cols <= 16_384 else f"nr. {_number(cols)}"
        raise _sheet_too_large(path, f"{where} har innhold helt til rad {rows} og kolonne "
                                     f"{column}; grensen er {_number(MAX_SHEET_ROWS)} rader og "
                                     f"{_number(MAX_SHEET_CELLS)} celler per ark")


def _sheet_names(package: Package) -> dict[str, str]:
    """Sheet part → the sheet's name, resolved as calamine does; only for messages."""
    return {part: name for name, part in _sheet_parts(
        package.part("xl/workbook.xml") or b"", package.part("xl/_rels/workbook.xml.rels") or b"")}


def _near_cells_only(xml: bytes) -> bool:
    """Whether every cell of a sheet is written plainly, ``<c r="…" …>`` with one reference
    within ``_NEAR_COLS`` and ``_NEAR_ROWS`` (then its extent need not be measured). Markup
    inside comments or CDATA only makes this say no: the scans see every real cell tag."""
    return (_byte_scannable(xml) and not _OTHER_CELL_TAG.search(xml)
            and not _PREFIXED_CELL_TAG.search(xml))


def _one_r_each(xml: bytes) -> bool:
    """No cell or row carries a second ``r`` attribute, for the reference scan of
    :func:`_extent`: calamine takes a cell's last one, the scan its first. Attributes named
    r, however spaced or quoted, must be exactly as many as the cell and row tags that begin
    with one; an "r =" in text only over-counts, which sends the sheet to the parser."""
    tags = xml.count(b'<c r="') + xml.count(b'<row r="')
    found = sum(1 for match in _R_EQUALS.finditer(xml)
                if xml[match.start() - 1] in _BEFORE_ATTRIBUTE)
    return found == tags


def _byte_scannable(xml: bytes) -> bool:
    """Whether the characters a parser reads are the bytes a scan sees (UTF-8 or ASCII)."""
    return b"\0" not in xml and not _OTHER_ENCODING.match(xml)


def _extent(xml: bytes) -> tuple[int, int] | None:
    """Last row and column holding a value, from the cell references alone; None (parse it)
    unless the XML is in the plain form real producers write. Then markup cannot hide in
    comments or CDATA, every cell ends in an exact ``</c>``, and a valued cell that is not
    written ``<c r="…">`` (no reference: placed after its neighbour) leaves one ``</c>`` that
    the scan did not see."""
    if (not _byte_scannable(xml) or b"<!" in xml or xml.count(b"<?") > 1
            or any(tag in xml for tag in _ODD_CLOSE) or not _one_r_each(xml)):
        return None
    pairs = _VALUE_CELL.findall(xml)
    if len(pairs) != xml.count(b"</c>") + xml.count(b":c>"):
        return None
    if not pairs:
        return 0, 0
    letters, numbers = zip(*pairs, strict=True)
    return max(map(int, set(numbers))), max(map(_column, set(letters)))


def _extent_parsed(path: Path, part: str, xml: bytes) -> tuple[int, int]:
    """The slow, exact way for unusual XML: positions as calamine assigns them (a row or cell
    without ``r`` follows the previous one). Style-only cells count too: better safe here."""
    last_row = last_col = row = col = 0
    for event, element in _elements(path, part, xml):
        if event != "start":
            continue
        tag = _local(element.tag)
        if tag == "row":
            number = element.get("r", "")
            row, col = (int(number) if number.isdigit() else row + 1), 0
        elif tag == "c":
            match = re.fullmatch(r"([A-Za-z]+)([0-9]+)", element.get("r", ""))
            row, col = (int(match[2]), _column(match[1].encode())) if match else (row, col + 1)
            last_row, last_col = max(last_row, row), max(last_col, col)
    return last_row, last_col


def _check_ods_tables(package: Package) -> None:
    """The used area of each .ods table as calamine unfolds it: a cell or row "repeated"
    N times is N cells or rows; only repeated *empty* ones cost nothing."""
    table, cell = f"{{{_ODF_TABLE}}}table", f"{{{_ODF_TABLE}}}table-cell"
    covered, row_tag = f"{{{_ODF_TABLE}}}covered-table-cell", f"{{{_ODF_TABLE}}}table-row"
    sheet, depth, row, col, span, width = "", 0, 0, 0, 0, 0
    in_cell, last_col = False, 0  # last_col: of the current row's valued cells
    for event, element in _elements(package.path, "content.xml", package.part("content.xml")):
        tag, start = element.tag, event == "start"
        if tag == table:
            depth += 1 if start else -1
            if start and depth == 1:
                sheet, row, width = element.get(f"{{{_ODF_TABLE}}}name", ""), 0, 0
            elif start and in_cell:  # a table inside a cell is that cell's content
                last_col = col + span
        elif depth != 1:
            continue
        elif tag in (cell, covered):
            if start:
                in_cell, span = True, _repeat(element, "number-columns-repeated")
                if not _ODF_VALUE_ATTRS.isdisjoint(element.attrib):
                    last_col = col + span
            else:
                in_cell, col = False, col + span
        elif in_cell:
            if start:  # any content (a paragraph, a comment, a table) makes the cell count
                last_col = col + span
        elif tag == row_tag:
            if start:
                col = last_col = 0
            else:
                repeated = _repeat(element, "number-rows-repeated")
                if last_col:
                    width = max(width, last_col)
                    _check_extent(package.path, sheet, row + repeated, width)
                row += repeated


def _repeat(element: Element, name: str) -> int:
    value = element.get(f"{{{_ODF_TABLE}}}{name}", "")
    return max(int(value), 1) if value.isdigit() else 1


def _elements(path: Path, part: str, xml: bytes | None) -> Iterator[tuple[str, Element]]:
    """Start and end events of a part, parsed safely; each element is dropped from its parent
    once ended, so that memory stays flat on a sheet of a million empty rows."""
    stack: list[Element] = []
    try:
        for event, element in SafeET.iterparse(io.BytesIO(xml or b""), events=("start", "end")):
            if event == "start":
                stack.append(element)
                yield event, element
                continue
            yield event, element
            stack.pop()
            if stack:
                stack[-1].remove(element)
    except DefusedXmlException as exc:
        raise ReadError(finding("xml-entities", file=str(path), part=part)) from exc
    except XML_ERRORS as exc:
        raise _unreadable(path, f"delen {part} er skadet eller har ulovlig XML") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _column(letters: bytes) -> int:
    """Column number as calamine computes it; lower case or long references (never written by
    a real producer) count as huge."""
    if len(letters) > 3 or not letters.isupper():
        return MAX_SHEET_CELLS + 1
    return column_number(letters.decode())


# --- findings -------------------------------------------------------------------------------


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB".replace(",", " ").replace(".", ",")


def _unreadable(path: Path, reason: str) -> ReadError:
    return ReadError(finding("file-unreadable", file=str(path), reason=reason))


def _file_too_large(path: Path, size: int) -> ReadError:
    return ReadError(finding("file-too-large", file=str(path), size=_megabytes(size),
                             limit=f"{MAX_FILE_BYTES // MB} MB"))


def _too_many_entries(path: Path, count: int) -> ReadError:
    return ReadError(finding("zip-too-many-entries", file=str(path), count=_number(count),
                             limit=_number(MAX_ENTRIES)))


def _zip_too_large(path: Path, size: str) -> ReadError:
    return ReadError(finding("zip-too-large", file=str(path), size=size,
                             limit=f"{MAX_UNPACKED_BYTES // MB} MB"))


def _zip_bomb(path: Path, part: str, ratio: int) -> ReadError:
    return ReadError(finding("zip-bomb", file=str(path), part=part, ratio=_number(ratio),
                             limit=MAX_RATIO))


def _sheet_too_large(path: Path, detail: str) -> ReadError:
    return ReadError(finding("sheet-too-large", file=str(path), detail=detail))


def _not_workbook(path: Path, reason: str) -> ReadError:
    return ReadError(finding("file-not-workbook", file=str(path), reason=reason))

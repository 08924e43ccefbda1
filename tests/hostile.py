"""Hostile and broken attachments, generated (never downloaded) for the tests.

Each builder writes one file into a folder and returns its path. ``CASES`` names each case
with the builder and the file-level finding code the validator must give it::

    path = CASES["zip-bomb"].build(tmp_path)

The zip bomb is the one issue 6 measured: a 2 MB ``.xlsx`` whose Tiltak sheet unpacks to 2 GiB
of white space (a plain python-calamine read takes 10–13 s and 2 GB of memory). zipfile at
compresslevel 9 needs 13 s to squeeze 2 GiB, so the deflate stream is put together instead:
one 1 MiB block of spaces is compressed once, ending in a full flush (which makes it stand
alone), and repeated: a real deflate stream of about 1 KB per MiB, 2 MB in all, never held
unpacked in memory. The zip around it is written by hand (``write_zip``), since zipfile can
only compress what it is given.

The legacy ``.xls`` is a real OLE compound file (CFB version 3, 512-byte sectors) with one
``Workbook`` stream that starts with a BIFF8 BOF record, built by ``ole_file``: no library
installed here writes ``.xls``, and olefile (a dependency of msoffcrypto-tool) reads it back
in the tests. The password-protected workbook is a generated plan encrypted with
msoffcrypto-tool (ECMA-376 agile encryption, as Excel does it).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from tests.workbooks import add_zip_entries, template_copy

__all__ = ["CASES", "Case", "RawEntry", "encrypted", "inject_dtd", "legacy_xls", "ods_cell",
           "ods_file", "ole_file", "whitespace_bomb", "write_zip"]

MIB = 1024 * 1024
GIB = 1024 * MIB
TILTAK_PART = "xl/worksheets/sheet5.xml"  # the generated plan's Tiltak sheet

# --- entity payloads --------------------------------------------------------------------------

#: Ten levels of ten: 10**9 "lol"s (3 GB) for a parser that expands entities.
BILLION_LAUGHS = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">" + "".join(
    f"<!ENTITY lol{n} \"{('&lol' + str(n - 1) + ';') * 10 if n > 1 else '&lol;' * 10}\">"
    for n in range(1, 10)) + "]>"
#: An external entity: a parser that resolves it reads a file from the coordinator's disk.
EXTERNAL_ENTITY = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PAYLOADS = {"laughs": (BILLION_LAUGHS, "&lol9;"), "xxe": (EXTERNAL_ENTITY, "&xxe;")}


def inject_dtd(xml: bytes, payload: str) -> bytes:
    """``xml`` with the payload's DTD after the XML declaration and its entity used in the
    first text or value, where an expanding parser would put the expansion."""
    dtd, reference = PAYLOADS[payload]
    declaration = re.match(rb"<\?xml[^>]*\?>\s*", xml)
    at = declaration.end() if declaration else 0
    xml = xml[:at] + dtd.encode() + xml[at:]
    text = re.search(rb"<(?:t|v)>", xml) or re.search(rb'name="', xml)
    assert text, "no text to put the entity in"
    return xml[:text.end()] + reference.encode() + xml[text.end():]


def with_payload(part: str, payload: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        plan = template_copy(folder, name=f"{payload}-{part.replace('/', '_')}.xlsx")
        with zipfile.ZipFile(plan) as archive:
            xml = archive.read(part)
        return add_zip_entries(plan, {part: inject_dtd(xml, payload)})

    return build


# --- zips written by hand -----------------------------------------------------------------------


@dataclass(frozen=True)
class RawEntry:
    """One zip entry as written: packed bytes (raw deflate or stored), and what the headers
    declare (which a hostile file need not mean)."""

    name: str
    packed: bytes | Iterable[bytes]
    crc: int
    size: int
    packed_size: int
    method: int = zipfile.ZIP_DEFLATED


def write_zip(path: Path, entries: Iterable[RawEntry]) -> Path:
    """A plain zip (no zip64, no data descriptors) from entries whose bytes are given."""
    central, offset = [], 0
    with path.open("wb") as out:
        for entry in entries:
            name = entry.name.encode()
            fields = (20, 0x800, entry.method, 0, 0x21, entry.crc, entry.packed_size,
                      entry.size, len(name))
            out.write(struct.pack("<4sHHHHHLLLHH", b"PK\x03\x04", *fields, 0) + name)
            chunks = [entry.packed] if isinstance(entry.packed, bytes) else entry.packed
            for chunk in chunks:
                out.write(chunk)
            central.append(struct.pack("<4sHHHHHHLLLHHHHHLL", b"PK\x01\x02", 20, *fields,
                                       0, 0, 0, 0, 0, offset) + name)
            offset = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, len(central), len(central),
                              len(directory), offset, 0))
    return path


def _deflated(data: bytes, name: str) -> RawEntry:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = packer.compress(data) + packer.flush()
    return RawEntry(name, packed, zlib.crc32(data), len(data), len(packed))


def whitespace_bomb(folder: Path, *, size: int = 2 * GIB, declared: int | None = None,
                    name: str = "zip-bomb.xlsx") -> Path:
    """A generated plan whose Tiltak sheet has ``size`` bytes of spaces inside its sheetData
    (legal XML), packed at about 1000:1. ``declared``: the size the headers claim instead of
    the true one, as a bomb that lies about itself does."""
    plan = template_copy(folder, name=f"source-{name}")
    with zipfile.ZipFile(plan) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    plan.unlink()
    sheet = parts[TILTAK_PART]
    cut = sheet.index(b"<sheetData>") + len(b"<sheetData>")
    head, tail = sheet[:cut], sheet[cut:]
    block = b" " * MIB
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed_block = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    blocks = size // MIB
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed_head = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed_tail = packer.compress(tail) + packer.flush()
    true_size = len(head) + blocks * MIB + len(tail)
    packed_size = len(packed_head) + blocks * len(packed_block) + len(packed_tail)
    bomb = RawEntry(TILTAK_PART, [packed_head, *([packed_block] * blocks), packed_tail], crc,
                    true_size if declared is None else declared, packed_size)
    entries = [bomb if part == TILTAK_PART else _deflated(data, part)
               for part, data in parts.items()]
    return write_zip(folder / name, entries)


# --- OLE compound files -------------------------------------------------------------------------

_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def _directory_entry(name: str, kind: int, child: int, right: int, start: int,
                     size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack("<64sHBBLLL16sLQQLQ", encoded, len(encoded), kind, 1, _NO_STREAM, right,
                       child, bytes(16), 0, 0, 0, start, size)


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A real OLE compound file: header, one FAT sector, one directory sector, and each
    stream in regular sectors (padded past the 4096-byte mini-stream cutoff)."""
    assert 1 <= len(streams) <= 3
    fat = [_FAT_SECTOR, _END]
    entries = [_directory_entry("Root Entry", 5, 1, _NO_STREAM, _END, 0)]
    body = b""
    for index, (name, content) in enumerate(streams.items(), start=1):
        data = content.ljust(max(4096, -(-len(content) // _SECTOR) * _SECTOR), b"\0")
        first, count = len(fat), len(data) // _SECTOR
        fat += [*range(first + 1, first + count), _END]
        right = index + 1 if index < len(streams) else _NO_STREAM
        entries.append(_directory_entry(name, 2, _NO_STREAM, right, first, len(data)))
        body += data
    assert len(fat) <= _SECTOR // 4
    entries += [_directory_entry("", 0, _NO_STREAM, _NO_STREAM, 0, 0)] * (4 - len(entries))
    header = struct.pack("<8s16sHHHHH6sLLLLLLLLL", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                         bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 4096, _END, 0,
                         _END, 0)
    header += struct.pack("<109L", 0, *([_FREE] * 108))
    fat_sector = struct.pack(f"<{_SECTOR // 4}L", *fat, *([_FREE] * (_SECTOR // 4 - len(fat))))
    return header + fat_sector + b"".join(entries) + body


def legacy_xls(folder: Path, name: str = "gammel.xls") -> Path:
    """A workbook in the pre-2007 format: an OLE file whose Workbook stream is BIFF8."""
    bof = struct.pack("<HHHHHHLL", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    path = folder / name
    path.write_bytes(ole_file({"Workbook": bof + eof}))
    return path


def encrypted(folder: Path, name: str = "passord.xlsx") -> Path:
    """A generated plan, password-protected as Excel does it ("Beskytt arbeidsbok")."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plan = template_copy(folder, name=f"klar-{name}")
    out = io.BytesIO()
    with plan.open("rb") as source:
        OOXMLFile(source).encrypt("hemmelig", out)
    plan.unlink()
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


# --- the simple ones ------------------------------------------------------------------------


def truncated(folder: Path) -> Path:
    whole = template_copy(folder, name="hel.xlsx").read_bytes()
    (folder / "hel.xlsx").unlink()
    path = folder / "avkuttet.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def empty(folder: Path) -> Path:
    path = folder / "tom.xlsx"
    path.write_bytes(b"")
    return path


def text_renamed(folder: Path) -> Path:
    path = folder / "tekst.xlsx"
    path.write_text("Tiltak;Ansvarlig;Frist\nSkolebesøk;Kari;15.03.2026\n", encoding="utf-8")
    return path


def not_from_template(folder: Path) -> Path:
    """A workbook someone made from scratch, with the right sheet and headers even."""
    path = folder / "egen-mal.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Tiltak")
    sheet.write_row(0, 0, ["ID", "Tiltak", "Ansvarlig", "Frist"])
    sheet.write_row(1, 0, ["T1", "Skolebesøk", "Kari", "15.03.2026"])
    book.close()
    return path


def grid_bomb(folder: Path) -> Path:
    """6 KB: one value in A1, one in XFD1048576 (calamine would allocate 17 G cells)."""
    path = folder / "rutenett.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # no loop over rows
    sheet = book.add_worksheet("Tiltak")
    sheet.write(0, 0, "ID")
    sheet.write(1048575, 16383, "x")
    book.close()
    return path


def hidden_grid_bomb(folder: Path) -> Path:
    """The grid bomb in a sheet part that does not end in .xml: calamine follows the
    workbook's relationship to any name under xl/worksheets/."""
    plan = template_copy(folder, name="skjult-rutenett.xlsx")
    return _moved_part(plan, TILTAK_PART, "xl/worksheets/sheet5.dat", _far_tiltak(plan),
                       b"worksheets/sheet5.xml", b"worksheets/sheet5.dat")


def _far_tiltak(plan: Path) -> bytes:
    """The plan's Tiltak sheet with one more value, in XFD1048576."""
    with zipfile.ZipFile(plan) as archive:
        sheet = archive.read(TILTAK_PART)
    far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    return sheet.replace(b"</sheetData>", far)


def second_reference_bomb(folder: Path, first: str = "A1") -> Path:
    """A cell with two references: calamine takes the last, XFD1048576; a scan that reads
    only the first sees a cell near A1 (found by a review of the quick extent check)."""
    plan = template_copy(folder, name=f"to-referanser-{first}.xlsx")
    with zipfile.ZipFile(plan) as archive:
        sheet = archive.read(TILTAK_PART)
    far = (f'<row r="250"><c r="{first}" r="XFD1048576" t="n"><v>1</v></c></row>'
           "</sheetData>").encode()
    return add_zip_entries(plan, {TILTAK_PART: sheet.replace(b"</sheetData>", far)})


def _moved_part(plan: Path, old: str, new: str, data: bytes, rels_from: bytes,
                rels_to: bytes) -> Path:
    """``plan`` with part ``old`` stored as ``new`` holding ``data``, and the workbook's
    relationship pointed at it."""
    with zipfile.ZipFile(plan) as archive:
        parts = [(i.filename, archive.read(i)) for i in archive.infolist() if i.filename != old]
    with zipfile.ZipFile(plan, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts:
            if name == "xl/_rels/workbook.xml.rels":
                content = content.replace(rels_from, rels_to)
            archive.writestr(name, content)
        archive.writestr(new, data)
    return plan


def upper_case_grid_bomb(folder: Path) -> Path:
    """The grid bomb in XL/worksheets/sheet5.bin, behind text that is not XML: calamine finds
    entries ignoring case and its parser reads on past the junk."""
    plan = template_copy(folder, name="store-bokstaver.xlsx")
    return _moved_part(plan, TILTAK_PART, "XL/worksheets/sheet5.bin",
                       b"junk" + _far_tiltak(plan),
                       b"worksheets/sheet5.xml", b"worksheets/sheet5.bin")


def junk_named_grid_bomb(folder: Path) -> Path:
    """The grid bomb in xl/s5.bin, one byte of junk before its XML: calamine opens whatever
    part the workbook points to, wherever it lies (found by a second review)."""
    plan = template_copy(folder, name="hvor-som-helst.xlsx")
    return _moved_part(plan, TILTAK_PART, "xl/s5.bin", b"x" + _far_tiltak(plan),
                       b'Target="worksheets/sheet5.xml"', b'Target="/xl/s5.bin"')


def upper_case_strings_bomb(folder: Path) -> Path:
    """Four billion declared texts in XL/sharedStrings.bin, behind text that is not XML."""
    plan = template_copy(folder, name="store-tekster.xlsx")
    with zipfile.ZipFile(plan) as archive:
        xml = archive.read("xl/sharedStrings.xml")
    bomb = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', xml)
    return _moved_part(plan, "xl/sharedStrings.xml", "XL/sharedStrings.bin", b"junk" + bomb,
                       b'Target="sharedStrings.xml"', b'Target="sharedStrings.bin"')


def shared_strings_bomb(folder: Path) -> Path:
    """sharedStrings.xml declaring four billion distinct texts: calamine reserves room for
    them up front and the process aborts."""
    plan = template_copy(folder, name="tekster.xlsx")
    with zipfile.ZipFile(plan) as archive:
        xml = archive.read("xl/sharedStrings.xml")
    return add_zip_entries(plan, {"xl/sharedStrings.xml": re.sub(
        rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', xml)})


def ods_file(folder: Path, name: str, rows: str) -> Path:
    """A minimal .ods: one table «Tiltak» with ``rows`` (table-row elements) as content."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Tiltak">' + rows
        + '</table:table></office:spreadsheet></office:body></office:document-content>')
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return path


def ods_cell(text: str, repeated: int = 1) -> str:
    return (f'<table:table-cell office:value-type="string" table:number-columns-repeated='
            f'"{repeated}"><text:p>{text}</text:p></table:table-cell>')


def ods_grid_bomb(folder: Path) -> Path:
    """A 1 KB .ods whose one text is repeated over 9 000 rows and 10 000 columns: 90 million
    cells, under calamine's own cap of 100 million, so it would try to hold them all."""
    return ods_file(folder, "rutenett.ods", '<table:table-row table:number-rows-repeated='
                    f'"9000">{ods_cell("x", 10_000)}</table:table-row>')


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    code: str


CASES: dict[str, Case] = {
    "truncated-zip": Case(truncated, "file-unreadable"),
    "empty-file": Case(empty, "file-empty"),
    "text-renamed-xlsx": Case(text_renamed, "file-not-workbook"),
    "password-protected": Case(encrypted, "file-encrypted"),
    "legacy-xls": Case(legacy_xls, "file-legacy-xls"),
    "xxe-in-sheet": Case(with_payload(TILTAK_PART, "xxe"), "xml-entities"),
    "laughs-in-sheet": Case(with_payload(TILTAK_PART, "laughs"), "xml-entities"),
    "laughs-in-shared-strings": Case(with_payload("xl/sharedStrings.xml", "laughs"),
                                     "xml-entities"),
    "xxe-in-workbook-xml": Case(with_payload("xl/workbook.xml", "xxe"), "xml-entities"),
    "zip-bomb": Case(whitespace_bomb, "zip-bomb"),
    "zip-bomb-lying-header": Case(
        lambda folder: whitespace_bomb(folder, declared=80_000, name="liten.xlsx"), "zip-bomb"),
    "grid-bomb": Case(grid_bomb, "sheet-too-large"),
    "grid-bomb-renamed-part": Case(hidden_grid_bomb, "sheet-too-large"),
    "shared-strings-count": Case(shared_strings_bomb, "sheet-too-large"),
    "grid-bomb-second-reference": Case(second_reference_bomb, "file-unreadable"),
    "grid-bomb-second-reference-far-first": Case(
        lambda folder: second_reference_bomb(folder, first="AA1"), "file-unreadable"),
    "grid-bomb-upper-case-part": Case(upper_case_grid_bomb, "sheet-too-large"),
    "grid-bomb-junk-named-part": Case(junk_named_grid_bomb, "sheet-too-large"),
    "shared-strings-upper-case-part": Case(upper_case_strings_bomb, "sheet-too-large"),
    "ods-grid-bomb": Case(ods_grid_bomb, "sheet-too-large"),
    "not-from-template": Case(not_from_template, "file-not-template"),
}

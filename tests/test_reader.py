"""Reading returned workbooks: file checks, tolerant structure, identity, true A1 addresses."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from smso_xl.template.definition import load_template
from smso_xl.template.model import IDENTITY_KEYS, ReadError, Workbook
from smso_xl.template.values import parse_date
from smso_xl.workbook import sniff
from smso_xl.workbook.reader import find_sheet, read
from tests.workbooks import (
    ADDRESSED_VERSION,
    GENERATED_AT,
    add_zip_entries,
    edit_workbook,
    make_plan,
)

TEMPLATE = load_template(ADDRESSED_VERSION)  # the version whose cells these tests name


def codes(book: Workbook) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in book.findings]


def read_error(path: Path) -> tuple[str, str]:
    with pytest.raises(ReadError) as caught:
        read(path)
    return caught.value.finding.code, caught.value.finding.message


def header_columns(ws: object) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value is not None}  # type: ignore[index]


# --- sniffing: what the file is, before any parser ---------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"")
    assert read_error(path)[0] == "file-empty"


def test_text_file_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_text("Tiltak;Ansvarlig;Frist\nSkolebesøk;Kari;15.03.2026\n", encoding="utf-8")
    code, message = read_error(path)
    assert code == "file-not-workbook"
    assert "ser ut som en tekstfil" in message


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    code, message = read_error(path)
    assert code == "file-not-workbook"
    assert "ikke en zip-fil" in message


def test_truncated_attachment(tmp_path: Path) -> None:
    whole = make_plan(tmp_path).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    code, message = read_error(path)
    assert code == "file-unreadable"
    assert "ufullstendig" in message


def test_zip_without_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "ikke en arbeidsbok")
    code, message = read_error(path)
    assert code == "file-not-workbook"
    assert "ingen arbeidsbok" in message


def ole_bytes(*streams: str) -> bytes:
    """An OLE compound file as far as its header and directory names go."""
    header = sniff.OLE_MAGIC + bytes(24) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(470)
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64) for name in streams)
    return header + directory + bytes(1024)


@pytest.mark.parametrize("name", ["plan.xls", "plan.xlsx"])
def test_legacy_xls(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(ole_bytes("Root Entry", "Workbook", "\x05SummaryInformation"))
    assert read_error(path)[0] == "file-legacy-xls"


def test_password_protected_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(ole_bytes("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    assert read_error(path)[0] == "file-encrypted"


@pytest.mark.parametrize(("name", "named"), [("plan.pdf", "«.pdf»"), ("plan.doc", "«.doc»"),
                                             ("plan", "«uten filendelse»")])
def test_unsupported_type(tmp_path: Path, name: str, named: str) -> None:
    path = tmp_path / name
    path.write_bytes(ole_bytes("Root Entry", "WordDocument"))  # not taken for an old .xls
    code, message = read_error(path)
    assert code == "file-unsupported-type"
    assert named in message and ".xlsx, .xlsm eller .ods" in message


def test_xls_suffix_on_a_new_workbook_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.xls"
    path.write_bytes(make_plan(tmp_path).read_bytes())
    assert read(path).format == "xlsx"


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = add_zip_entries(make_plan(tmp_path), {"xl/padding.xml": b" " * (8 * 1024 * 1024)})
    code, message = read_error(path)
    assert code == "zip-bomb"
    assert "xl/padding.xml" in message


@pytest.mark.parametrize(("limit", "value", "expected"), [
    ("MAX_ENTRIES", 10, "zip-too-many-entries"), ("MAX_UNPACKED_BYTES", 10_000, "zip-too-large")])
def test_zip_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str,
                    value: int, expected: str) -> None:
    path = make_plan(tmp_path)
    read(path)  # fine with the real limits
    monkeypatch.setattr(sniff, limit, value)
    code, message = read_error(path)
    assert code == expected
    assert "grensen er" in message


def read_in_subprocess(path: Path) -> str:
    """A failing guard would abort the interpreter (calamine allocates the used area densely),
    so read where that cannot take the test run down with it."""
    script = ("import sys; from pathlib import Path; from smso_xl.workbook.reader import read\n"
              "from smso_xl.template.model import ReadError\n"
              "try:\n    read(Path(sys.argv[1])); print('read')\n"
              "except ReadError as e:\n    print(e.finding.code, e.finding.message)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    return done.stdout.strip() or f"exit {done.returncode}: {done.stderr[-300:]}"


def test_sheet_reaching_the_last_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Tiltak")
    sheet.write(0, 0, "ID")
    sheet.write(1048575, 16383, "x")  # XFD1048576
    book.close()
    assert path.stat().st_size < 10_000
    result = read_in_subprocess(path)
    assert result.startswith("sheet-too-large"), result
    assert "rad 1048576 og kolonne XFD" in result


SHEET_START = (b"<?xml version='1.0'?><worksheet xmlns='http://schemas.openxmlformats.org/"
               b"spreadsheetml/2006/main'><sheetData>")


@pytest.mark.parametrize("rows", [
    # A cell without r follows its neighbour: this one lands in A1048576.
    b"<row r='1'><c r='XFD1'><v>1</v></c></row><row r='1048576'><c><v>2</v></c></row>",
    b'<row r="1"><c r="XFD1"><v>1</v></c></row><row r="1048576"><c><v>2</v></c ></row>',
    # A fake cell hidden in CDATA must not balance the count of cells seen.
    b'<row r="1"><c r="XFD1" t="inlineStr"><is><t><![CDATA[<c r="A1">]]></t></is></c></row>'
    b'<row r="1048576"><c><v>2</v></c></row>',
])
def test_unusual_sheet_xml_is_measured_by_parsing(tmp_path: Path, rows: bytes) -> None:
    sheet = SHEET_START + rows + b"</sheetData></worksheet>"
    path = add_zip_entries(make_plan(tmp_path), {"xl/worksheets/sheet5.xml": sheet})
    result = read_in_subprocess(path)
    assert result.startswith("sheet-too-large"), result
    assert "rad 1048576 og kolonne XFD" in result


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
              b'metadata/core-properties"><cp:keywords>&lol2;</cp:keywords></cp:coreProperties>')
    path = add_zip_entries(make_plan(tmp_path), {"docProps/core.xml": laughs})
    code, message = read_error(path)
    assert code == "xml-entities"
    assert "docProps/core.xml" in message


# --- a plan as generated and filled -----------------------------------------------------------


def test_reads_identity_values_and_file_facts(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    book = read(path)
    assert book.findings == []
    assert book.identity is not None
    assert (book.identity.template_id, book.identity.template_version, book.identity.region_code,
            book.identity.region_name, book.identity.year, book.identity.source) == (
        "smso-handlingsplan", TEMPLATE.version, "42", "Agder", 2026, "metadata")
    assert book.identity.file_id == "test-42-2026"
    assert book.format == "xlsx" and book.epoch1904 is False
    assert book.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert book.size == path.stat().st_size
    assert book.saved_at == GENERATED_AT
    assert book.sheet_names == [s.name for s in TEMPLATE.sheets]
    assert set(book.tables) == {s.name for s in TEMPLATE.tables}
    tiltak = book.tables["Tiltak"]
    assert tiltak.header_row == 1 and tiltak.missing == ()
    assert tiltak.rows == []  # a blank table holds nothing: no IDs, no formulas (issue 16)
    assert len(book.tables["Egenvurdering"].rows) == len(TEMPLATE.criteria)
    assert book.form is not None
    assert book.form.rows["leder"] == 7
    assert book.form.values["periode_fra"].value == dt.date(2026, 1, 1)
    assert book.form.values["periode_fra"].address == "B5"


def test_cell_values_and_addresses(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [
        {"Tiltak": "  Skolebesøk ", "Ansvarlig": "Kari", "Frist": "15.03.2026",
         "Start": dt.date(2026, 2, 1), "Timer": 12, "Budsjett (kr)": 1500.5},
        {"Kommentar": "   "},  # blank to a user: not a value
    ]}, form={"Leder": "Kari Nordmann"})
    book = read(path)
    first, second = book.tables["Tiltak"].rows[:2]
    assert {k: (c.value, c.address) for k, c in first.cells.items()} == {
        "id": ("T1", "A2"), "tiltak": ("  Skolebesøk ", "C2"), "ansvarlig": ("Kari", "H2"),
        "start": (dt.date(2026, 2, 1), "K2"), "frist": ("15.03.2026", "L2"),
        "timer": (12.0, "N2"), "budsjett": (1500.5, "O2")}
    assert second.cells.keys() == {"id"}
    assert book.form is not None
    assert (book.form.values["leder"].value, book.form.values["leder"].address) == (
        "Kari Nordmann", "B7")


def test_calamine_types(tmp_path: Path) -> None:
    """What the validator gets: numbers as float, dates as date, date and time as datetime,
    booleans as bool."""
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        ws["N2"], ws["O2"], ws["K2"], ws["L2"] = 7, 2.5, dt.date(2026, 2, 1), dt.datetime(
            2026, 3, 15, 14, 30)
        ws["C2"], ws["P2"] = True, "=1/0"
    cells = read(path).tables["Tiltak"].rows[0].cells
    assert [(type(cells[k].value), cells[k].value) for k in ("timer", "budsjett", "start",
                                                            "frist", "tiltak")] == [
        (float, 7.0), (float, 2.5), (dt.date, dt.date(2026, 2, 1)),
        (dt.datetime, dt.datetime(2026, 3, 15, 14, 30)), (bool, True)]
    assert "kommentar" not in cells  # a formula without a cached value is empty


# --- tolerated edits ----------------------------------------------------------------------------


@pytest.mark.slow
def test_moved_columns(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Ansvarlig": "Kari", "Frist": "15.03.2026"}]})
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        for row in (1, 2):  # swap Ansvarlig (H) and Frist (L), header and value
            ws[f"H{row}"].value, ws[f"L{row}"].value = ws[f"L{row}"].value, ws[f"H{row}"].value
    tiltak = read(path).tables["Tiltak"]
    assert (tiltak.columns["ansvarlig"], tiltak.columns["frist"]) == (12, 8)
    cells = tiltak.rows[0].cells
    assert (cells["ansvarlig"].value, cells["ansvarlig"].address) == ("Kari", "L2")
    assert (cells["frist"].value, cells["frist"].address) == ("15.03.2026", "H2")
    assert tiltak.address("frist", 9) == "H9"


@pytest.mark.slow
def test_inserted_column_keeps_true_addresses(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Frist": "15.03.2026"}]})
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        ws.insert_cols(3)
        ws["C1"], ws["C2"] = "Intern merknad", "ring Per"
    book = read(path)
    tiltak = book.tables["Tiltak"]
    row = tiltak.rows[0]
    assert (row.cells["tiltak"].address, row.cells["frist"].address) == ("D2", "M2")
    assert {k: (c.value, c.address) for k, c in row.extra.items()} == {
        "Intern merknad": ("ring Per", "C2")}
    assert tiltak.missing == () and book.findings == []


@pytest.mark.slow
def test_retyped_headers_and_line_breaks(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Ansvarlig": "Kari", "Budsjett (kr)": 900}]})
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        cols = header_columns(ws)
        ws.cell(1, cols["Ansvarlig"]).value = "  ansvarlig "
        ws.cell(1, cols["Frist"]).value = "FRIST"
        ws.cell(1, cols["Budsjett (kr)"]).value = "Budsjett\n(kr)"
        ws.cell(1, cols["Ansvarlig part"]).value = "Ansvarlig\r\npart"
    book = read(path)
    tiltak = book.tables["Tiltak"]
    assert tiltak.missing == () and book.findings == []
    assert (tiltak.columns["ansvarlig"], tiltak.columns["frist"], tiltak.columns["budsjett"],
            tiltak.columns["ansvarlig_part"]) == (8, 12, 15, 9)
    assert tiltak.rows[0].cells["budsjett"].address == "O2"


@pytest.mark.slow
def test_title_row_inserted_above_the_header(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Mål": [{"Mål": "Flere skolebesøk"}]})
    with edit_workbook(path) as wb:
        wb["Mål"].insert_rows(1)
        wb["Mål"]["A1"] = "Mål for Agder 2026"
    mal = read(path).tables["Mål"]
    assert mal.header_row == 2
    assert mal.rows[0].cells["mal"].address == "B3"
    assert mal.rows[0].cells["id"].value == "M1"


@pytest.mark.slow
def test_row_far_below_the_table_is_read(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk"}]})
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        ws["C241"], ws["H241"] = "Sommerkampanje", "Per"  # 40 rows below the last table row
    book = read(path)
    rows = book.tables["Tiltak"].rows
    assert [(r.row, r.outside_table) for r in rows] == [(2, False), (241, True)]
    assert rows[-1].cells["tiltak"].address == "C241"
    assert rows[-1].cells["ansvarlig"].value == "Per"
    assert codes(book) == [("rows-outside-table", "Tiltak", "C241")]
    assert book.findings[0].row == 241
    assert book.findings[0].message.startswith("Tiltak C241: 1 utfylte rader")


def test_rows_inside_a_grown_excel_table_are_inside(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        ws.tables["tblTiltak"].ref = "A1:P230"  # what Excel does when rows are added to a Table
        ws["C225"] = "Nytt tiltak"
    book = read(path)
    assert book.tables["Tiltak"].rows[-1].row == 225
    assert book.tables["Tiltak"].rows[-1].outside_table is False
    assert book.findings == []


def test_data_under_no_header_is_kept(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        wb["Parter"]["K3"] = "viktig"
    parter = read(path).tables["Parter"]
    row = next(r for r in parter.rows if r.row == 3)
    assert {k: c.address for k, c in row.extra.items()} == {"Kolonne K": "K3"}


@pytest.mark.parametrize("renamed", ["tiltak ", "TILTAK", " Tiltak"])
def test_renamed_sheet_is_found(tmp_path: Path, renamed: str) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk"}]})
    with edit_workbook(path) as wb:
        ws = wb["Tiltak"]
        ws.title = "midlertidig"  # openpyxl would make "TILTAK" into "TILTAK1" otherwise
        ws.title = renamed
    book = read(path)
    assert book.findings == []
    assert book.tables["Tiltak"].name == renamed
    assert book.tables["Tiltak"].rows[0].cells["tiltak"].value == "Skolebesøk"


def test_find_sheet_prefers_the_exact_name() -> None:
    assert find_sheet(["MÅL ", "Mål"], "Mål") == "Mål"
    assert find_sheet(["Mal"], "Mål") == "Mal"
    assert find_sheet(["Mål 2"], "Mål") is None


def test_missing_sheet(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        del wb["Risiko"]
    book = read(path)
    assert codes(book) == [("sheet-missing", "Risiko", None)]
    assert "Risiko" not in book.tables and "Tiltak" in book.tables


@pytest.mark.slow
def test_missing_column(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Mål": [{"Mål": "Flere skolebesøk", "Frist": "1.6.2026"}]})
    with edit_workbook(path) as wb:
        wb["Mål"]["H1"] = None  # the Frist header deleted; its value stays unheaded
    book = read(path)
    mal = book.tables["Mål"]
    assert mal.missing == ("frist",)
    assert codes(book) == [("column-missing", "Mål", "H1")]
    assert (book.findings[0].column, book.findings[0].row) == ("Frist", 1)
    assert mal.rows[0].extra["Kolonne H"].value == "1.6.2026"


def test_organisering_labels_tolerated(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        ws = wb["Organisering"]
        ws.insert_rows(5, 2)  # labels move down two rows from Planperiode fra on
        ws["A9"] = "leder:"   # was "Leder", now row 9
        ws["C9"] = "Kari"     # typed one cell too far right
        ws["B11"] = "kari@agder.no"
    book = read(path)
    assert book.form is not None
    assert book.form.rows["leder"] == 9 and book.form.rows["periode_fra"] == 7
    assert book.form.values["leder"].address == "C9"
    assert book.form.values["epost_leder"].address == "B11"


def test_missing_organisering(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        del wb["Organisering"]
    book = read(path)
    assert book.form is None
    assert codes(book) == [("sheet-missing", "Organisering", None)]


# --- identity ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_identity_from_properties_when_the_metadata_sheet_is_gone(tmp_path: Path) -> None:
    path = make_plan(tmp_path, region="03")
    with edit_workbook(path) as wb:
        del wb["Metadata"]
    book = read(path)
    assert book.findings == []
    assert book.identity is not None
    assert (book.identity.source, book.identity.region_code, book.identity.year) == (
        "properties", "03", 2026)


def test_no_identity_is_not_from_the_template(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk"}]})
    with edit_workbook(path) as wb:
        del wb["Metadata"]
        wb.custom_doc_props.props.clear()
    book = read(path)
    assert book.identity is None
    assert codes(book) == [("file-not-template", None, None)]
    assert book.findings[0].severity == "error"
    assert book.tables["Tiltak"].rows[0].cells["tiltak"].value == "Skolebesøk"  # still read


def test_identity_keys_in_metadata_sheet_match_the_model(tmp_path: Path) -> None:
    path = make_plan(tmp_path)
    with edit_workbook(path) as wb:
        keys = [c.value for c in wb["Metadata"]["A"][1:]]
    assert tuple(keys) == IDENTITY_KEYS


# --- dates, macros, links, the input itself ----------------------------------------------------


def dated_tiltak(path: Path, *, date_1904: bool, serial: float) -> Path:
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    sheet = book.add_worksheet("Tiltak")
    sheet.write_row(0, 0, [c.header for c in TEMPLATE.sheet("Tiltak").columns])
    sheet.write_datetime(1, 11, dt.date(2026, 3, 15), book.add_format({"num_format": "d.m.yyyy"}))
    sheet.write_number(2, 11, serial)  # a date typed as a plain number
    sheet.write_formula(1, 15, "=1/0", None, "#DIV/0!")  # Kommentar: a cached error value
    book.close()
    return path


@pytest.mark.parametrize(("date_1904", "serial"), [(False, 46096), (True, 44634)])
def test_date_systems(tmp_path: Path, date_1904: bool, serial: float) -> None:
    book = read(dated_tiltak(tmp_path / "plan.xlsx", date_1904=date_1904, serial=serial))
    assert book.epoch1904 is date_1904
    rows = book.tables["Tiltak"].rows
    assert rows[0].cells["frist"].value == dt.date(2026, 3, 15)
    assert "kommentar" not in rows[0].cells  # calamine reads an error value as empty
    number = rows[1].cells["frist"].value
    assert number == float(serial)
    assert parse_date(number, epoch1904=book.epoch1904).value == dt.date(2026, 3, 15)


def test_xlsm_is_read_as_data_with_macros_noted(tmp_path: Path) -> None:
    source = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk"}]})
    path = add_zip_entries(source, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"},
                           target=tmp_path / "plan.xlsm")
    book = read(path)
    assert book.format == "xlsm"
    assert codes(book) == [("macros-present", None, None)]
    assert book.findings[0].severity == "info"
    assert book.tables["Tiltak"].rows[0].cells["tiltak"].value == "Skolebesøk"


def test_external_links_are_counted_not_followed(tmp_path: Path) -> None:
    link = (b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><externalBook/></externalLink>')
    path = add_zip_entries(make_plan(tmp_path), {"xl/externalLinks/externalLink1.xml": link,
                                                 "xl/externalLinks/externalLink2.xml": link})
    book = read(path)
    assert codes(book) == [("external-links", None, None)]
    assert book.findings[0].value == "2"


def test_input_file_is_never_modified(tmp_path: Path) -> None:
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk"}]})
    before, stat = path.read_bytes(), path.stat()
    path.chmod(0o444)  # read-only access is all the reader may need
    read(path)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_unreadable_path(tmp_path: Path) -> None:
    code, message = read_error(tmp_path / "borte.xlsx")
    assert code == "file-unreadable"
    assert "kan ikke åpnes" in message


# --- LibreOffice ---------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.slow
def test_ods_saved_by_libreoffice(tmp_path: Path) -> None:
    from tests.libreoffice import convert, require_soffice

    require_soffice()
    path = make_plan(tmp_path, rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Ansvarlig": "Kari",
                                                 "Frist": dt.date(2026, 3, 15), "Timer": 12}]},
                     form={"Leder": "Kari"})
    with edit_workbook(path) as wb:
        del wb["Metadata"]  # so the identity must come from the ODF user-defined properties
    out = tmp_path / "ods"
    out.mkdir()
    book = read(convert(path, out, "ods"))
    assert book.format == "ods" and book.findings == []
    assert book.identity is not None
    assert (book.identity.source, book.identity.region_code, book.identity.year) == (
        "properties", "42", 2026)
    assert book.saved_at is not None and book.saved_at.tzinfo is dt.UTC
    cells = book.tables["Tiltak"].rows[0].cells
    assert {k: (c.value, c.address) for k, c in cells.items()} == {
        "id": ("T1", "A2"), "tiltak": ("Skolebesøk", "C2"), "ansvarlig": ("Kari", "H2"),
        "frist": (dt.date(2026, 3, 15), "L2"), "timer": (12.0, "N2")}
    assert book.form is not None and book.form.values["leder"].address == "B7"


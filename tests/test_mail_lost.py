"""The last ways a workbook was lost in the mail, and senders recorded right (issue 27).

The numbers in the test names are the points of the issue. Real files where they exist: the
Ruby mail library's fixtures (``tests/data/mail/mikel-mail``), Apple Mail's ``.emlx`` from
the emlx library's tests (``tests/data/mail/mikez-emlx``), the real Outlook ``.msg`` beside
the checkout. Where no public sample holds the shape, it is built here the way the program
that makes it writes it, and the test says so: Outlook's winmail.dat with only a cp1252
title, an mbox with an unescaped «From » line, a uuencoded body, an Outlook ``.msg`` without
transport headers (the real file with its header stream renamed away).
"""

from __future__ import annotations

import binascii
import io
import mailbox
import zipfile
from email import policy
from email.generator import BytesGenerator
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smso_xl.cli.commands import main
from smso_xl.mail import collect, mbox_messages, read_mail_file
from smso_xl.mail.containers import content_suffix
from tests.hostile import legacy_xls, ole_file
from tests.mailshapes import (
    CORPUS,
    CRLF,
    HEADERS,
    TEXT_PART,
    FakeAttachment,
    FakeMessage,
    add_workbook,
    b64,
    collected,
    fingerprints,
    manifest,
    multipart,
    outlook_rich_text_mail,
    tnef,
    with_comment,
    workbook_part,
)
from tests.workbooks import template_copy

BOM = b"\xef\xbb\xbf"
EMLX = Path(__file__).parent / "data" / "mail" / "mikez-emlx" / "plaintext.emlx"
# A real mail from Apple Mail with an attachment (multipart/mixed, no envelope line).
APPLE_MAIL = CORPUS / "attachment_emails" / "attachment_with_quoted_filename.eml"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return template_copy(tmp_path_factory.mktemp("plan"), region="42").read_bytes()


def saved_bytes(result: Any) -> dict[str, bytes]:
    return {s.path.name: s.path.read_bytes() for s in result.saved}


# --- 1: a byte-order mark before the headers ------------------------------------------------------


def test_1_bom_before_the_headers_loses_no_workbook(tmp_path: Path, workbook: bytes) -> None:
    first, second = with_comment(workbook, "1"), with_comment(workbook, "2")
    raw = add_workbook(add_workbook(APPLE_MAIL.read_bytes(), first, "Agder.xlsx"), second,
                       "Agder v2.xlsx")
    (tmp_path / "uten").mkdir()
    plain = collected(tmp_path / "uten", raw)
    assert saved_bytes(plain) == {"Agder.xlsx": first, "Agder v2.xlsx": second}
    (tmp_path / "med").mkdir()
    marked = collected(tmp_path / "med", BOM + raw)
    assert saved_bytes(marked) == saved_bytes(plain) and marked.unreadable == []
    assert marked.mails[0].sender_address == plain.mails[0].sender_address != ""


def test_1_bom_before_an_mbox_and_a_folder_finds_it(tmp_path: Path, workbook: bytes) -> None:
    one = multipart(HEADERS, b"a", TEXT_PART, workbook_part(workbook))
    two = multipart(HEADERS, b"b", TEXT_PART, workbook_part(with_comment(workbook, "2"),
                                                           b"Agder v2.xlsx"))
    (tmp_path / "Thunderbird").mkdir()
    box = tmp_path / "Thunderbird" / "Innboks"  # no suffix: found by its first line
    box.write_bytes(BOM + b"From - Mon Mar 02 09:30:00 2026\r\n" + one + CRLF
                    + b"From - Mon Mar 02 10:30:00 2026\r\n" + two + CRLF)
    assert [m.startswith(b"From: Ingrid") for m in mbox_messages(box)] == [True, True]
    result = collect([tmp_path / "Thunderbird"], tmp_path / "innboks")
    assert sorted(saved_bytes(result)) == ["Agder v2.xlsx", "Handlingsplan Agder.xlsx"]
    assert result.unreadable == [] and result.not_mail == []


# --- 2: a mail or Outlook item attached as a file ------------------------------------------------


def file_part(data: bytes, name: bytes, mime: bytes) -> bytes:
    return (b"Content-Type: " + mime + b'; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))


def test_2_forwarded_eml_sent_as_octet_stream_is_opened(tmp_path: Path, workbook: bytes) -> None:
    inner = add_workbook(APPLE_MAIL.read_bytes(), workbook, "Handlingsplan Agder.xlsx")
    raw = multipart(HEADERS, b"fwd", TEXT_PART,
                    file_part(inner, b"Plan fra kommunen.eml", b"application/octet-stream"))
    result = collected(tmp_path, raw)
    assert saved_bytes(result) == {"Handlingsplan Agder.xlsx": workbook}
    assert [s.original_name for s in result.saved] == [
        "Plan fra kommunen.eml/Handlingsplan Agder.xlsx"]
    # Credited to the mail the coordinator received: that is who a reply goes to.
    entry = manifest(tmp_path / "innboks")["Handlingsplan Agder.xlsx"]
    assert entry["sender_address"] == "ingrid@agder.example.no"
    assert all(not a.name.endswith(".eml") for a in result.other_attachments)


def test_2_an_attached_file_that_is_no_mail_is_listed_with_the_reason(tmp_path: Path) -> None:
    raw = multipart(HEADERS, b"x", TEXT_PART,
                    file_part(b"\x00\x01 ingen e-post", b"rart.eml", b"application/octet-stream"))
    result = collected(tmp_path, raw)
    assert [a.name for a in result.other_attachments] == ["rart.eml"]
    assert [p.reason.split(":")[0] for p in result.damaged] == [
        "den vedlagte e-posten «rart.eml» kan ikke åpnes"]
    assert result.ok


def test_2_outlook_item_attached_as_vnd_ms_outlook_is_opened(
        tmp_path: Path, outlook_msg: Path) -> None:
    # «Legg ved element» in Outlook: the real .msg travels as application/vnd.ms-outlook.
    raw = multipart(HEADERS, b"ol", TEXT_PART,
                    file_part(outlook_msg.read_bytes(), b"Test for TIF files.msg",
                              b"application/vnd.ms-outlook"))
    result = collected(tmp_path, raw)
    assert [a.name for a in result.other_attachments] == [
        "Test for TIF files.msg/import OleFileIO.tif",
        "Test for TIF files.msg/raised value error.tif"]
    assert result.damaged == [] and result.saved == []


def test_2_workbook_in_an_attached_outlook_item_is_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbook: bytes) -> None:
    # No library writes a .msg carrying a workbook: extract-msg's interface is faked, as in
    # test_collect.py, while the outer mail is real bytes.
    import extract_msg

    fake = FakeMessage([FakeAttachment("Handlingsplan Agder.xlsx", workbook)])
    monkeypatch.setattr(extract_msg, "openMsg", lambda data, **_: fake)
    item = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 en Outlook-melding"
    raw = multipart(HEADERS, b"ol", TEXT_PART,
                    file_part(item, b"Plan Agder.msg", b"application/vnd.ms-outlook"))
    result = collected(tmp_path, raw)
    assert [(s.original_name, s.path.read_bytes() == workbook) for s in result.saved] == [
        ("Plan Agder.msg/Handlingsplan Agder.xlsx", True)]
    assert fake.closed


# --- 3: winmail.dat whose title is in the Windows code page -------------------------------------


def test_3_winmail_title_in_cp1252_names_the_workbook(tmp_path: Path, workbook: bytes) -> None:
    # Built as Outlook writes it: attOemCodepage 1252, attAttachTitle in cp1252, and (as in
    # some Outlook versions) no MAPI long file name. No public sample has a non-ASCII title.
    name = "Handlingsplan Møre og Romsdal.xlsx"
    winmail = tnef([(name, workbook)], long_names=False)
    import tnefparse

    (item,) = tnefparse.TNEF(winmail, do_checksum=False).attachments
    with pytest.raises(UnicodeDecodeError):  # what tnefparse does with it
        item.long_filename()
    result = collected(tmp_path, outlook_rich_text_mail(winmail))
    assert [(s.path.name, s.original_name) for s in result.saved] == [
        (name, f"winmail.dat/{name}")]
    assert result.saved[0].path.read_bytes() == workbook and result.other_attachments == []


# --- 4: a workbook not named like one -------------------------------------------------------------


def odf_spreadsheet() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


def test_4_content_decides_what_a_vague_name_is(tmp_path: Path, workbook: bytes) -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", b"<w:document/>")
    xls = legacy_xls(tmp_path).read_bytes()
    msg = ole_file({"__substg1.0_0037001F": "Emne".encode("utf-16-le")})
    assert [content_suffix(data) for data in (workbook, odf_spreadsheet(), xls,
                                              docx.getvalue(), msg, b"%PDF-1.4", b"")] == [
        ".xlsx", ".ods", ".xls", None, None, None, None]


@pytest.mark.parametrize(("header", "shown"), [
    (b"Content-Type: application/octet-stream\r\n", "uten filnavn"),
    (b'Content-Type: application/octet-stream; name="ATT00001.dat"\r\n', "«ATT00001.dat»"),
    (b'Content-Type: application/octet-stream; name="plan.bin"\r\n', "«plan.bin»"),
    (b'Content-Disposition: attachment; filename="Handlingsplan"\r\n'
     b"Content-Type: application/octet-stream\r\n", "«Handlingsplan»")])
def test_4_a_workbook_named_vaguely_is_saved_under_the_senders_name(
        tmp_path: Path, workbook: bytes, header: bytes, shown: str) -> None:
    part = header + b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(workbook)
    result = collected(tmp_path, multipart(HEADERS, b"v", TEXT_PART, part))
    assert [(s.path.name, s.note) for s in result.saved] == [
        ("Arbeidsbok fra Ingrid Øvland.xlsx",
         f"vedlegget {shown} er en arbeidsbok (gjenkjent på innholdet)")]
    assert result.saved[0].path.read_bytes() == workbook
    cli = CliRunner().invoke(main, ["collect", str(tmp_path / "mail.eml"), "--into",
                                    str(tmp_path / "ny-innboks")])
    assert cli.exit_code == 0 and "(gjenkjent på innholdet)" in cli.output


def test_4_other_vague_files_stay_other_attachments(tmp_path: Path) -> None:
    parts = [file_part(data, name, b"application/octet-stream") for name, data in (
        (b"ATT00002.dat", b"%PDF-1.4 ikke en arbeidsbok"), (b"data.bin", b"PK\x03\x04 avkuttet"))]
    result = collected(tmp_path, multipart(HEADERS, b"o", TEXT_PART, *parts))
    assert result.saved == []
    assert [a.name for a in result.other_attachments] == ["ATT00002.dat", "data.bin"]


def test_4_an_ods_and_an_xls_named_dat_keep_their_kind(tmp_path: Path) -> None:
    xls = legacy_xls(tmp_path).read_bytes()
    parts = [file_part(odf_spreadsheet(), b"ATT00001.dat", b"application/octet-stream"),
             file_part(xls, b"ATT00002.dat", b"application/octet-stream")]
    result = collected(tmp_path, multipart(HEADERS, b"k", TEXT_PART, *parts))
    assert sorted(s.path.name for s in result.saved) == [
        "Arbeidsbok fra Ingrid Øvland.ods", "Arbeidsbok fra Ingrid Øvland.xls"]


# --- 5: an unescaped «From » line inside an unfinished multipart ---------------------------------


def body_with_from_line(workbook: bytes) -> bytes:
    text = (b"Content-Type: text/plain; charset=utf-8\r\n\r\nHei,\r\n\r\nplanen er vedlagt.\r\n"
            b"\r\nFrom the office in Molde\r\nTel: 71 00 00 00\r\n")
    return multipart(HEADERS, b"m1", text, workbook_part(workbook))


def test_5_from_line_inside_an_open_multipart_does_not_split(tmp_path: Path,
                                                             workbook: bytes) -> None:
    second = with_comment(workbook, "2")
    box = tmp_path / "Innboks.mbox"
    box.write_bytes(b"From - Mon Mar 02 09:30:00 2026\r\n" + body_with_from_line(workbook)
                    + CRLF + b"From - Mon Mar 02 10:30:00 2026\r\n"
                    + multipart(HEADERS, b"m2", TEXT_PART, workbook_part(second, b"v2.xlsx"))
                    + CRLF)
    # The standard library cuts the first mail at «From the office» (the oracle of the bug).
    oracle = mailbox.mbox(box, create=False)
    try:
        assert len(oracle) == 3
    finally:
        oracle.close()
    result = collect([box], tmp_path / "innboks")
    assert [(s.path.name, s.mail.number) for s in result.saved] == [
        ("Handlingsplan Agder.xlsx", 1), ("v2.xlsx", 2)]
    assert saved_bytes(result)["Handlingsplan Agder.xlsx"] == workbook
    assert len(result.mails) == 2 and result.damaged == [] and result.unreadable == []


def test_5_a_cut_off_mail_does_not_swallow_the_next(tmp_path: Path, workbook: bytes) -> None:
    whole = multipart(HEADERS, b"kuttet", TEXT_PART, workbook_part(workbook))
    cut = whole[: whole.rindex(b"--kuttet--")]  # the mail before was cut off: still open
    second = with_comment(workbook, "2")
    box = tmp_path / "Innboks.mbox"
    box.write_bytes(b"From - Mon Mar 02 09:30:00 2026\r\n" + cut
                    + b"From - Mon Mar 02 10:30:00 2026\r\n"
                    + multipart(HEADERS, b"neste", TEXT_PART,
                                workbook_part(second, b"Neste.xlsx")) + CRLF
                    + b"From - Mon Mar 02 11:30:00 2026\r\n"
                    + b"From: per@x.no\r\nSubject: siste\r\n\r\nhei\r\n")
    messages = list(mbox_messages(box))
    assert [m.split(b"\r\n", 1)[0][:12] for m in messages] == [b"From: Ingrid"] * 2 + [
        b"From: per@x."]
    result = collect([box], tmp_path / "innboks")
    assert saved_bytes(result)["Neste.xlsx"] == second
    assert [m.number for m in result.mails] == [1, 2, 3]


# --- 6: Apple Mail's .emlx, uuencoded files -------------------------------------------------------


def test_6_real_emlx_is_read(tmp_path: Path) -> None:
    before = fingerprints([EMLX])
    result = collect([EMLX.parent], tmp_path / "innboks")
    assert result.unreadable == [] and fingerprints([EMLX]) == before
    (message,) = result.mails
    assert (message.sender_name, message.sender_address, message.subject) == (
        "Michael", "michael@example.com", "Re: Emlx library")


def test_6_emlx_with_a_workbook(tmp_path: Path, workbook: bytes) -> None:
    # As Apple Mail stores a mail with its attachment: LF line ends, the byte count first,
    # the property list (here the real file's) after.
    plist = EMLX.read_bytes()[EMLX.read_bytes().index(b"<?xml"):]
    message = multipart(HEADERS, b"apple", TEXT_PART,
                        workbook_part(workbook)).replace(CRLF, b"\n")
    (tmp_path / "Mail").mkdir()
    (tmp_path / "Mail" / "12345.emlx").write_bytes(
        f"{len(message)}      \n".encode() + message + plist)
    result = collect([tmp_path / "Mail"], tmp_path / "innboks")
    assert saved_bytes(result) == {"Handlingsplan Agder.xlsx": workbook}


def uuencoded(data: bytes, name: bytes) -> bytes:
    lines = [binascii.b2a_uu(data[i:i + 45]) for i in range(0, len(data), 45)]
    return b"begin 644 " + name + b"\n" + b"".join(lines) + b"`\nend\n"


def test_6_uuencoded_file_in_a_plain_body_is_saved(tmp_path: Path, workbook: bytes) -> None:
    body = (b"Hei,\n\nher er planen (sendt fra skriptet).\n\n"
            + uuencoded(workbook, b"Handlingsplan Agder.xlsx") + b"\nHilsen Per\n")
    raw = HEADERS.replace(CRLF, b"\n") + b"Content-Type: text/plain\n\n" + body
    result = collected(tmp_path, raw)
    assert saved_bytes(result) == {"Handlingsplan Agder.xlsx": workbook}
    assert result.damaged == [] and result.without_attachments == []


def test_6_cut_uuencoded_file_is_damage(tmp_path: Path, workbook: bytes) -> None:
    text = uuencoded(workbook, b"Agder.xlsx")
    raw = HEADERS + b"\r\n" + text[: len(text) // 2]
    result = collected(tmp_path, raw)
    assert [s.path.name for s in result.saved] == ["Agder.xlsx"]
    assert [p.reason.split(";")[0] for p in result.damaged] == [
        "det uuencodede vedlegget «Agder.xlsx» er skadet eller avkortet"]


# --- 7: senders -------------------------------------------------------------------------------


def renamed_streams(data: bytes, renames: dict[str, str]) -> bytes:
    """An OLE file with directory entries renamed (same length, so nothing else moves):
    a stream renamed to an unused property is gone for every reader."""
    for old, new in renames.items():
        assert len(old) == len(new)
        before, after = old.encode("utf-16-le"), new.encode("utf-16-le")
        assert data.count(before) == 1, old
        data = data.replace(before, after)
    return data


NO_HEADERS = {"__substg1.0_007D001F": "__substg1.0_7FFD001F"}  # PR_TRANSPORT_MESSAGE_HEADERS


@pytest.mark.parametrize(("renames", "source"), [
    ({}, "the transport headers' From"),
    (NO_HEADERS, "PR_SENDER_EMAIL_ADDRESS of type SMTP"),
    ({**NO_HEADERS, "__substg1.0_0C1F001F": "__substg1.0_5D02001F",
      "__substg1.0_0065001F": "__substg1.0_7FFE001F"}, "PR_SENT_REPRESENTING_SMTP_ADDRESS")])
def test_7_outlook_msg_without_transport_headers_keeps_its_sender(
        tmp_path: Path, outlook_msg: Path, renames: dict[str, str], source: str) -> None:
    # The real .msg, its header stream renamed away: as Outlook saves a mail from Exchange.
    path = tmp_path / "Test.msg"
    path.write_bytes(renamed_streams(outlook_msg.read_bytes(), renames))
    import extract_msg

    with extract_msg.openMsg(path.read_bytes()) as message:
        has_address = "@" in str(message.sender)
    assert has_address == (not renames), source  # what extract-msg gives on its own
    (parsed,) = read_mail_file(path)
    assert (parsed.mail.sender_name, parsed.mail.sender_address) == (
        "Brian Zhou", "brizhou@gmail.com"), source


def generated_from(header: str) -> bytes:
    """A From header as Python's generator writes a raw 8-bit one: one encoded word around
    name and address."""
    message = BytesParser(policy=policy.compat32).parsebytes(
        f"From: {header}\nSubject: Plan\n\nhei\n".encode())
    out = io.BytesIO()
    BytesGenerator(out, policy=policy.compat32.clone(cte_type="7bit")).flatten(message)
    return out.getvalue()


@pytest.mark.parametrize(("header", "name"), [
    ('"Kåre Nordmann" <kare@mr.example.no>', "Kåre Nordmann"),
    ("Nordmann, Kåre <kare@mr.example.no>", "Nordmann, Kåre"),
    ("Kåre <kare@mr.example.no>", "Kåre")])
def test_7_encoded_word_around_name_and_address_is_split(
        tmp_path: Path, header: str, name: str) -> None:
    raw = generated_from(header)
    assert raw.startswith(b"From: =?unknown-8bit?b?")
    source = tmp_path / "a.eml"
    source.write_bytes(raw)
    (parsed,) = read_mail_file(source)
    assert (parsed.mail.sender_name, parsed.mail.sender_address) == (name, "kare@mr.example.no")


def test_7_no_name_is_ever_recorded_as_an_address(tmp_path: Path) -> None:
    for number, header in enumerate([b"=?utf-8?b?S8OlcmUgTm9yZG1hbm4=?=", b"Postmottak Agder",
                                     b"=?utf-8?q?K=C3=A5re_=3Ckare=3E?="]):
        source = tmp_path / f"{number}.eml"
        source.write_bytes(b"From: " + header + b"\r\nSubject: x\r\n\r\nhei\r\n")
        (parsed,) = read_mail_file(source)
        assert parsed.mail.sender_address == "", header


# --- 8: files that are not mail are counted ---------------------------------------------------


def test_8_files_skipped_as_not_mail_are_counted(tmp_path: Path, workbook: bytes) -> None:
    folder = tmp_path / "lagret"
    (folder / "Maildir" / "tmp").mkdir(parents=True)
    (folder / "Maildir" / "cur").mkdir()
    (folder / "Maildir" / "new").mkdir()
    (folder / "Maildir" / "tmp" / "1.M1.vert").write_bytes(b"From: halvveis")  # mail
    (folder / "Plan.eml").write_bytes(multipart(HEADERS, b"p", TEXT_PART, workbook_part(workbook)))
    (folder / "notater.txt").write_text("husk Agder")
    (folder / "README").write_text("lagrede e-poster")
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden: not the coordinator's file
    result = collect([folder], tmp_path / "innboks")
    assert sorted(p.name for p in result.not_mail) == ["README", "notater.txt"]
    assert result.to_json()["summary"]["not_mail"] == 2
    cli = CliRunner().invoke(main, ["collect", str(folder), "--into", str(tmp_path / "ny")])
    assert cli.exit_code == 0
    assert cli.output.rstrip().splitlines()[-2].endswith(
        "0 uleselige, 2 filer som ikke er e-post, ikke lest.")


def test_8_nothing_skipped_says_nothing(tmp_path: Path, workbook: bytes) -> None:
    source = tmp_path / "Plan.eml"
    source.write_bytes(multipart(HEADERS, b"p", TEXT_PART, workbook_part(workbook)))
    cli = CliRunner().invoke(main, ["collect", str(tmp_path), "--into", str(tmp_path / "inn")])
    assert "ikke er e-post" not in cli.output and "0 uleselige." in cli.output


"""E-mail in the wild (issue 17): the shapes real mail clients and servers produce.

Each mail is built byte by byte or with the standard library in the shape a real client
writes it (Outlook with winmail.dat, Gmail, Apple Mail, Thunderbird forwards, gateways that
base64-encode a forwarded message, mailers that write raw Latin-1). The numbers in the test
names are the points of the issue. The vendored real mails are in ``test_mail_corpus.py``.
"""

from __future__ import annotations

import binascii
import datetime as dt
import io
import quopri
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from smso_xl.mail import (
    MANIFEST_NAME,
    WORKBOOK_MIME_TYPES,
    ManifestIndex,
    collect,
    mbox_messages,
    read_mail_file,
    write_feedback_drafts,
)
from smso_xl.mail.containers import Attachment, unpacked
from smso_xl.mail.drafts import _first_name, reply_subject
from smso_xl.round.feedback import write_all
from smso_xl.round.validation import validate
from smso_xl.template.config import Settings
from smso_xl.workbook.sniff import MAX_ENTRIES, MAX_RATIO, RATIO_MIN_BYTES
from tests.mailshapes import (
    CRLF,
    HEADERS,
    TEXT_PART,
    b64,
    collected,
    manifest,
    multipart,
    outlook_rich_text_mail,
    tnef,
    workbook_part,
)
from tests.workbooks import make_plan, template_copy

XLSX = WORKBOOK_MIME_TYPES[".xlsx"]
TODAY = dt.date(2026, 6, 1)
SETTINGS = Settings(coordinator_name="Kari Koordinator",
                    coordinator_email="kari.koordinator@example.no",
                    return_date=dt.date(2027, 1, 31))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return template_copy(tmp_path_factory.mktemp("plan"), region="42").read_bytes()


# --- 1: damage inside a mail is recorded, never fatal --------------------------------------------


def test_1_damaged_forwarded_message_keeps_the_intact_workbook(tmp_path: Path,
                                                               workbook: bytes) -> None:
    # Thunderbird «Videresend som vedlegg»: the forwarded mail's own multipart has lost its
    # boundary (a gateway rewrote it); the workbook beside it is intact.
    broken_inner = (b"Content-Type: message/rfc822\r\n\r\n"
                    b"From: per@x.no\r\nSubject: gammel\r\nMIME-Version: 1.0\r\n"
                    b'Content-Type: multipart/mixed; boundary="borte"\r\n\r\n'
                    b"--en-annen\r\nContent-Type: text/plain\r\n\r\nhei\r\n")
    raw = multipart(HEADERS, b"ytre", TEXT_PART, broken_inner, workbook_part(workbook))
    stdlib = BytesParser(policy=policy.default).parsebytes(raw)
    assert any(p.get_payload(decode=True) == workbook for p in stdlib.walk()
               if not p.is_multipart())  # what the standard library returns
    result = collected(tmp_path, raw)
    assert [s.path.read_bytes() == workbook for s in result.saved] == [True]
    assert result.ok and result.unreadable == []
    assert [p.reason.split(":")[0] for p in result.damaged] == [
        "en del av e-posten (f.eks. en videresendt e-post) er skadet"]


def test_1_only_a_defect_of_the_mail_itself_is_fatal(tmp_path: Path, workbook: bytes) -> None:
    raw = (HEADERS + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n'
           b"--y\r\n" + workbook_part(workbook) + b"--y--\r\n")
    result = collected(tmp_path, raw)
    assert (result.saved, [p.reason.split(":")[0] for p in result.unreadable]) == (
        [], ["e-posten er skadet"])


def test_1_deep_nesting_is_damage_not_a_crash(tmp_path: Path, workbook: bytes) -> None:
    inner = b"Content-Type: text/plain\r\n\r\nbunn\r\n"
    for level in range(80):
        boundary = f"b{level}".encode()
        inner = (b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--'
                 + boundary + CRLF + inner + CRLF + b"--" + boundary + b"--")
    raw = multipart(HEADERS, b"ytre", workbook_part(workbook), inner)
    result = collected(tmp_path, raw)
    assert len(result.saved) == 1 and result.ok
    assert any("nestet" in p.reason for p in result.damaged)


# --- 2: a forwarded message sent base64-encoded -----------------------------------------------


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable"])
def test_2_encoded_forwarded_message_is_decoded_and_walked(tmp_path: Path, workbook: bytes,
                                                            encoding: str) -> None:
    original = multipart(b"From: kari@mr.example.no\r\nSubject: Plan\r\n", b"indre", TEXT_PART,
                         workbook_part(workbook, b"Plan fra kommunen.xlsx"))
    body = b64(original) if encoding == "base64" else quopri.encodestring(original)
    forward = (b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: "
               + encoding.encode() + b"\r\nContent-Disposition: attachment; "
               b'filename="Plan.eml"\r\n\r\n' + body)
    result = collected(tmp_path, multipart(HEADERS, b"ytre", TEXT_PART, forward))
    assert [(s.original_name, s.path.read_bytes() == workbook) for s in result.saved] == [
        ("Plan fra kommunen.xlsx", True)]
    assert result.without_attachments == [] and result.damaged == []
    # Credited to the mail the coordinator received, as every attached message is.
    assert result.saved[0].mail.sender_address == "ingrid@agder.example.no"


# --- 3: addresses by the header registry -------------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [
    (b"Nordmann, Kari <kari@mr.example.no>", ("Nordmann, Kari", "kari@mr.example.no")),
    (b"Van Dyke, Kari Anne <kari@mr.example.no>", ("Van Dyke, Kari Anne", "kari@mr.example.no")),
    (b'"Nordmann, Kari" <kari@mr.example.no>', ("Nordmann, Kari", "kari@mr.example.no")),
    (b"=?iso-8859-1?q?=D8vland=2C_Ingrid?= <i@x.no>", ("Øvland, Ingrid", "i@x.no")),
    (b"kari@mr.example.no", ("", "kari@mr.example.no")),
    (b"Kari Nordmann <kari@x.no>, Per <per@x.no>", ("Kari Nordmann", "kari@x.no")),
    (b"Nordmann, Kari", ("Nordmann, Kari", "")),  # no address: never «Nordmann» as one
])
def test_3_sender_is_read_by_the_header_registry(tmp_path: Path, header: bytes,
                                                 expected: tuple[str, str]) -> None:
    source = tmp_path / "a.eml"
    source.write_bytes(b"From: " + header + b"\r\nSubject: x\r\n\r\nhei\r\n")
    (parsed,) = read_mail_file(source)
    assert (parsed.mail.sender_name, parsed.mail.sender_address) == expected


# --- 3, 5 and 6: the reply draft ---------------------------------------------------------------


@pytest.fixture(scope="module")
def reply_drafts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two regions answer: Kari from Outlook («Nordmann, Kari», a chain of reply prefixes)
    and a shared mailbox («Postmottak Agder»). Collected, validated, answered."""
    work = tmp_path_factory.mktemp("svar")
    inbox = work / "innboks"
    plans = {"15": make_plan(work, region="15", name="Møre og Romsdal.xlsx",
                             rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Frist": "snart"}]}),
             "42": make_plan(work, region="42", name="Agder.xlsx",
                             rows={"Tiltak": [{"Tiltak": "Kampanje", "Frist": "snart"}]})}
    senders = {"15": (b"Nordmann, Kari <kari@mr.example.no>", b"SV: AW: RE[2]: Plan"),
               "42": (b"Postmottak Agder <postmottak@agder.example.no>", b"Re: SV: Planen")}
    sources = []
    for code, (sender, subject) in senders.items():
        name = plans[code].name.encode()
        raw = multipart(b"From: " + sender + b"\r\nSubject: " + subject + b"\r\nDate: Mon, "
                        b"02 Mar 2026 09:30:00 CET\r\nMessage-ID: <" + code.encode()
                        + b"@x>\r\n", b"g", TEXT_PART,
                        workbook_part(plans[code].read_bytes(), name))
        sources.append(work / f"{code}.eml")
        sources[-1].write_bytes(raw)
    collect(sources, inbox)
    report = validate([inbox], today=TODAY, provenance=ManifestIndex().lookup)
    out = work / "retur"
    drafts = write_feedback_drafts(report, write_all(report, out), out, settings=SETTINGS,
                                   regions=(), now=dt.datetime(2026, 3, 3, tzinfo=dt.UTC))
    return {d.source.stem: BytesParser(policy=policy.default).parsebytes(d.path.read_bytes())
            for d in drafts} | {f"{d.source.stem}.eml": d.path for d in drafts}


@pytest.mark.slow
def test_3_reply_goes_to_the_whole_address_and_greets_by_first_name(
        reply_drafts: dict[str, Any]) -> None:
    draft = reply_drafts["Møre og Romsdal"]
    (to,) = draft["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Nordmann, Kari", "kari@mr.example.no")
    assert draft.get_body(("plain",)).get_content().splitlines()[0] == "Hei Kari,"


def test_5_attachment_name_is_both_rfc2231_and_rfc2047(
        reply_drafts: dict[str, Any]) -> None:
    draft = reply_drafts["Møre og Romsdal"]
    (part,) = draft.iter_attachments()
    raw = reply_drafts["Møre og Romsdal.eml"].read_bytes()  # as written, not as regenerated
    assert b"filename*" in raw and b"utf-8''M%C3%B8re" in raw                 # RFC 2231
    assert b'name="=?utf-8?' in raw                                          # RFC 2047
    assert part["Content-Type"].params["name"] == "Møre og Romsdal-tilbakemelding.xlsx"
    assert part.get_filename() == "Møre og Romsdal-tilbakemelding.xlsx"
    assert part["Content-Type"].content_type == XLSX


def test_6_reply_prefixes_collapse_and_a_shared_mailbox_is_not_greeted_by_name(
        reply_drafts: dict[str, Any]) -> None:
    assert reply_drafts["Møre og Romsdal"]["Subject"] == "SV: Plan"
    agder = reply_drafts["Agder"]
    assert agder["Subject"] == "SV: Planen"
    assert agder.get_body(("plain",)).get_content().splitlines()[0] == "Hei,"
    assert [reply_subject(s) for s in ("AW: Antw: Plan", "VS: Plan", "SV: VS: Plan", "")] == [
        "SV: Plan", "SV: VS: Plan", "SV: VS: Plan", "SV:"]
    assert [_first_name(n) for n in ("Postmottak", "Postmottak Agder", "SMSØ Agder",
                                     "kari@x.no", "Nordmann, Kari", "Kari")] == [
        "", "", "", "", "Kari", "Kari"]


def test_6_draft_lines_are_at_most_76_characters_except_the_long_mime_type(
        reply_drafts: dict[str, Any]) -> None:
    for draft in (reply_drafts["Agder"], reply_drafts["Møre og Romsdal"]):
        body = draft.get_body(("plain",))
        assert body["Content-Transfer-Encoding"] == "quoted-printable"
        assert max(len(line) for line in body.get_payload().splitlines()) <= 76


# --- 4: winmail.dat and zip --------------------------------------------------------------------


def test_4_winmail_dat_is_unpacked_with_its_provenance(tmp_path: Path, workbook: bytes) -> None:
    winmail = tnef([("Handlingsplan Møre og Romsdal.xlsx", workbook),
                    ("referat.pdf", b"%PDF-1.4")])
    result = collected(tmp_path, outlook_rich_text_mail(winmail))
    assert [(s.path.name, s.original_name) for s in result.saved] == [
        ("Handlingsplan Møre og Romsdal.xlsx",
         "winmail.dat/Handlingsplan Møre og Romsdal.xlsx")]
    assert result.saved[0].path.read_bytes() == workbook
    assert [a.name for a in result.other_attachments] == ["winmail.dat/referat.pdf"]
    entry = manifest(tmp_path / "innboks")["Handlingsplan Møre og Romsdal.xlsx"]
    assert (entry["original_name"], entry["sender_address"]) == (
        "winmail.dat/Handlingsplan Møre og Romsdal.xlsx", "ingrid@agder.example.no")


def test_4_damaged_winmail_dat_is_listed_and_recorded(tmp_path: Path, workbook: bytes) -> None:
    winmail = tnef([("Agder.xlsx", workbook)])
    result = collected(tmp_path, outlook_rich_text_mail(winmail[:40] + b"\xff" * 7))
    assert result.saved == [] and result.ok
    assert [a.name for a in result.other_attachments] == ["winmail.dat"]
    (tmp_path / "2").mkdir()
    junk = collected(tmp_path / "2", outlook_rich_text_mail(b"\x78\x9f\x3e\x22" + b"\0" * 3))
    assert junk.saved == [] and junk.unreadable == []


def zipped(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_mail(data: bytes, name: bytes = b"planer.zip",
             mime: bytes = b"application/x-zip-compressed") -> bytes:
    part = (b"Content-Type: " + mime + b'; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))
    return multipart(HEADERS, b"zip", TEXT_PART, part)


def test_4_zip_is_unpacked_with_its_provenance(tmp_path: Path, workbook: bytes) -> None:
    other = workbook.replace(b"docProps", b"docProps", 1) + b""  # same bytes: one copy
    archive = zipped({"planer/Agder.xlsx": workbook, "planer/les meg.txt": b"hei",
                      "__MACOSX/planer/._Agder.xlsx": b"\0\5\26\7", "planer/": b"",
                      "planer/kopi/Agder.xlsx": other})
    result = collected(tmp_path, zip_mail(archive))
    assert [(s.path.name, s.original_name) for s in result.saved] == [
        ("Agder.xlsx", "planer.zip/planer/Agder.xlsx")]
    assert [d.original_name for d in result.duplicates] == ["planer.zip/planer/kopi/Agder.xlsx"]
    assert [a.name for a in result.other_attachments] == ["planer.zip/planer/les meg.txt"]
    assert result.damaged == []


def test_4_zip_names_from_norwegian_windows_are_read(tmp_path: Path, workbook: bytes) -> None:
    # Windows' «Komprimert mappe» writes names in code page 850 without the UTF-8 flag.
    archive = zipped({"M?re og Romsdal.xlsx": workbook}).replace(b"M?re", b"M\x9bre")
    result = collected(tmp_path, zip_mail(archive))
    assert [s.path.name for s in result.saved] == ["Møre og Romsdal.xlsx"]


def test_4_zip_gets_the_limits_of_a_workbook(workbook: bytes) -> None:
    def unpack(data: bytes) -> tuple[list[str], list[str]]:
        damage: list[str] = []
        found = unpacked([Attachment("planer.zip", "application/zip", data)], damage)
        return [a.full_name for a in found if a.container and a.data], damage

    bomb = zipped({"bombe.xlsx": b"\0" * (RATIO_MIN_BYTES * 2)})
    assert MAX_RATIO * len(bomb) < RATIO_MIN_BYTES * 2  # the ratio is over the limit
    found, damage = unpack(bomb)
    assert found == [] and "zip-bombe" in damage[0]
    many = zipped({f"{i}.txt": b"" for i in range(MAX_ENTRIES + 1)}, method=zipfile.ZIP_STORED)
    found, damage = unpack(many)
    assert found == [] and f"flere enn {MAX_ENTRIES} filer" in damage[0]
    encrypted = bytearray(zipped({"Agder.xlsx": workbook}))
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the «encrypted» flag in both places
        at = encrypted.index(header)
        flag_at = at + (6 if header == b"PK\x03\x04" else 8)
        encrypted[flag_at] |= 0x1
    found, damage = unpack(bytes(encrypted))
    assert found == [] and "passordbeskyttet" in damage[0]
    found, damage = unpack(b"PK\x03\x04 avkuttet")
    assert found == [] and "skadet" in damage[0]
    nested = zipped({"ytre/indre.zip": zipped({"Agder.xlsx": workbook})})
    assert unpack(nested) == (["planer.zip/ytre/indre.zip/Agder.xlsx"], [])
    crc = bytearray(zipped({"Agder.xlsx": workbook}, method=zipfile.ZIP_STORED))
    crc[crc.index(b"PK\x03\x04") + 30 + len("Agder.xlsx") + 100] ^= 0xFF
    found, damage = unpack(bytes(crc))
    assert found == [] and "skadet" in damage[0]


def test_4_a_workbook_is_never_unpacked_as_a_zip(tmp_path: Path, workbook: bytes) -> None:
    result = collected(tmp_path, zip_mail(workbook, b"Agder.xlsx", b"application/zip"))
    assert [s.path.read_bytes() == workbook for s in result.saved] == [True]


# --- 6: the smaller ones -----------------------------------------------------------------------


def test_6_unquoted_name_with_spaces_is_saved_whole(tmp_path: Path, workbook: bytes) -> None:
    part = (b"Content-Type: application/octet-stream; name=Handlingsplan Agder 2026.xlsx\r\n"
            b"Content-Disposition: attachment; filename=Handlingsplan Agder 2026.xlsx\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(workbook))
    result = collected(tmp_path, multipart(HEADERS, b"u", TEXT_PART, part))
    assert [s.path.name for s in result.saved] == ["Handlingsplan Agder 2026.xlsx"]


def test_6_raw_latin1_headers_are_read_as_latin1(tmp_path: Path, workbook: bytes) -> None:
    raw = multipart(b"From: Kj\xe6re \xc5se <ase@x.no>\r\nSubject: Plan for M\xf8re\r\n", b"l",
                    TEXT_PART, workbook_part(workbook, b"M\xf8re og Romsdal.xlsx"))
    result = collected(tmp_path, raw)
    (saved,) = result.saved
    assert (saved.path.name, saved.mail.sender_name, saved.mail.subject) == (
        "Møre og Romsdal.xlsx", "Kjære Åse", "Plan for Møre")


def test_6_trailing_dot_gets_no_second_suffix(tmp_path: Path, workbook: bytes) -> None:
    raw = multipart(HEADERS, b"d", TEXT_PART, workbook_part(workbook, b"Agder PLAN.XLSX."))
    assert [s.path.name for s in collected(tmp_path, raw).saved] == ["Agder PLAN.xlsx"]


def test_6_unescaped_from_line_in_an_mbox_body_does_not_split_the_mail(
        tmp_path: Path, workbook: bytes) -> None:
    first = multipart(HEADERS, b"m1", b"Content-Type: text/plain\r\n\r\nHei!\r\n\r\n"
                      b"From the region office we send the plan.\r\nHilsen Kari\r\n\r\n"
                      b"From Agder 2026, at 10:00 on Monday\r\n\r\n"
                      b"From: Kari (sendt fra mobilen)\r\n", workbook_part(workbook))
    second = multipart(HEADERS.replace(b"<w@", b"<w2@"), b"m2", TEXT_PART,
                       workbook_part(workbook + b"\0", b"Agder v2.xlsx"))
    box = tmp_path / "Innboks"
    box.write_bytes(b"From - Mon Mar 02 09:30:00 2026\r\n" + first + b"\r\n"
                    b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\r\n" + second + b"\r\n")
    assert len(list(mbox_messages(box))) == 2
    result = collect([tmp_path], tmp_path / "innboks")
    assert [(s.path.name, s.mail.number) for s in result.saved] == [
        ("Handlingsplan Agder.xlsx", 1), ("Agder v2.xlsx", 2)]
    assert result.damaged == [] and result.unreadable == []


@pytest.mark.parametrize(("date", "offset"), [
    (b"Mon, 02 Mar 2026 09:30:00 CET", 1), (b"Thu, 04 Jun 2026 09:30:00 CEST", 2),
    (b"Mon, 02 Mar 2026 09:30:00 +0100 (CET)", 1), (b"Mon, 02 Mar 2026 09:30:00 GMT", 0)])
def test_6_cet_is_not_utc(tmp_path: Path, date: bytes, offset: int) -> None:
    source = tmp_path / "a.eml"
    source.write_bytes(b"From: a@b.no\r\nDate: " + date + b"\r\n\r\nhei\r\n")
    (parsed,) = read_mail_file(source)
    assert parsed.mail.sent is not None
    assert parsed.mail.sent.utcoffset() == dt.timedelta(hours=offset)
    assert parsed.mail.sent.astimezone(dt.UTC).hour == 9 - offset


def test_6_maildir_folders_are_read(tmp_path: Path, workbook: bytes) -> None:
    maildir = tmp_path / "Maildir"
    for folder in ("cur", "new", "tmp"):
        (maildir / folder).mkdir(parents=True)
    (maildir / "cur" / "1772440200.M1P7.vert:2,S").write_bytes(
        multipart(HEADERS, b"c", TEXT_PART, workbook_part(workbook)))
    (maildir / "new" / "1772443800.M2P7.vert").write_bytes(
        multipart(HEADERS, b"n", TEXT_PART, workbook_part(workbook + b"\0", b"Ny.xlsx")))
    (maildir / "tmp" / "1772443900.M3P7.vert").write_bytes(b"From: halvveis levert")
    (maildir / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    result = collect([maildir], tmp_path / "innboks")
    assert sorted((s.path.name, s.mail.source.parent.name) for s in result.saved) == [
        ("Handlingsplan Agder.xlsx", "cur"), ("Ny.xlsx", "new")]
    assert result.unreadable == []


def test_6_quoted_printable_attachment_with_long_lines(tmp_path: Path, workbook: bytes) -> None:
    # Some mailers send small binaries quoted-printable with lines far beyond 76 characters.
    body = binascii.b2a_qp(workbook, istext=False).replace(b"=\n", b"")
    assert max(len(line) for line in body.split(CRLF)) > 76
    part = (b'Content-Type: application/octet-stream; name="Agder.xlsx"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + body)
    result = collected(tmp_path, multipart(HEADERS, b"q", TEXT_PART, part))
    assert [s.path.read_bytes() == workbook for s in result.saved] == [True]


def test_manifest_is_written_for_unpacked_files(tmp_path: Path, workbook: bytes) -> None:
    result = collected(tmp_path, zip_mail(zipped({"Agder.xlsx": workbook})))
    assert (tmp_path / "innboks" / MANIFEST_NAME).is_file() and len(result.saved) == 1

"""``collect``: workbooks out of saved e-mails, with who sent them and when.

The mails are built here with the standard library (``email``, ``mailbox``), with the
encodings real mailers use for Norwegian file names (RFC 2231 and RFC 2047). Outlook ``.msg``
is read from the real file in ``../shared/data/mail/`` (two .tif attachments, no workbook);
a ``.msg`` carrying a workbook cannot be made here, so that path runs through ``collect``
with extract-msg's message and attachment objects faked minimally.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from smso_xl.cli.commands import main
from smso_xl.mail import (
    MANIFEST_NAME,
    OLE_MAGIC,
    WORKBOOK_MIME_TYPES,
    Attachment,
    ManifestIndex,
    collect,
    msg_attachments,
    safe_name,
    workbook_suffix,
)
from smso_xl.round.consolidation import INCLUDED, INCLUDED_WITH_ERRORS, SUPERSEDED, consolidate
from smso_xl.round.overview import write_overview
from smso_xl.round.validation import validate
from tests.mailshapes import FakeAttachment, FakeMessage, fingerprints, manifest, write_mbox
from tests.workbooks import fill_plan, make_plan

XLSX = WORKBOOK_MIME_TYPES[".xlsx"]
NORWEGIAN = "Handlingsplan Møre og Romsdal.xlsx"
TODAY = dt.date(2026, 6, 1)
SAVED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


# --- building mails -------------------------------------------------------------------------


def mail(*, sender: str = "Kari Nordmann <kari@mr.example.no>",
         subject: str = "Handlingsplan Møre og Romsdal",
         date: str = "Sun, 01 Mar 2026 10:00:00 +0100",
         attachments: Sequence[tuple[str, bytes, str]] = (), text: str = "Vedlagt.",
         message_id: str = "<1@mr.example.no>") -> EmailMessage:
    """A mail as a mail client sends it; file names with non-ASCII letters RFC 2231-encoded
    (what the standard library does, and Thunderbird and modern Outlook)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "smso-koordinator@example.no"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content(text)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def rfc2047_mail(name: str, data: bytes) -> bytes:
    """A mail whose attachment name is an RFC 2047 encoded word inside quotes, as older
    Outlook and many webmail services write it (not standard, very common)."""
    word = "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="
    payload = base64.encodebytes(data).decode()
    return (
        "From: =?utf-8?q?Per_=C3=85s?= <per@mr.example.no>\r\n"
        "To: smso-koordinator@example.no\r\n"
        "Subject: =?utf-8?q?Plan_fra_M=C3=B8re?=\r\n"
        "Date: Mon, 02 Mar 2026 09:30:00 +0100\r\n"
        "Message-ID: <2@mr.example.no>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHei!\r\n"
        f'--XYZ\r\nContent-Type: {XLSX}; name="{word}"\r\n'
        f'Content-Disposition: attachment; filename="{word}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{payload}\r\n--XYZ--\r\n").encode()


def write(path: Path, data: bytes | EmailMessage) -> Path:
    path.write_bytes(data.as_bytes() if isinstance(data, EmailMessage) else data)
    return path


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("planer")
    first = make_plan(folder, region="15", name="a.xlsx",
                      rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Ansvarlig": "Kari",
                                        "Frist": "15.03.2026"}]})
    second = make_plan(folder, region="15", name="b.xlsx",
                       rows={"Tiltak": [{"Tiltak": "Kampanje", "Ansvarlig": "Per",
                                         "Frist": "15.04.2026"}]})
    return {"first": first.read_bytes(), "second": second.read_bytes()}


# --- collecting .eml ------------------------------------------------------------------------------


@pytest.mark.slow
def test_norwegian_names_rfc2231_and_rfc2047_are_decoded_and_kept(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    sources = [write(tmp_path / "1.eml", mail(attachments=[(NORWEGIAN, workbooks["first"],
                                                           XLSX)])),
               write(tmp_path / "2.eml", rfc2047_mail(NORWEGIAN, workbooks["second"]))]
    before = fingerprints(sources)
    inbox = tmp_path / "innboks"
    result = collect(sources, inbox)
    assert [(s.path.name, s.original_name) for s in result.saved] == [
        (NORWEGIAN, NORWEGIAN), ("Handlingsplan Møre og Romsdal (2).xlsx", NORWEGIAN)]
    assert (inbox / NORWEGIAN).read_bytes() == workbooks["first"]
    assert (inbox / "Handlingsplan Møre og Romsdal (2).xlsx").read_bytes() == workbooks["second"]
    assert fingerprints(sources) == before  # the mails are only read
    entries = manifest(inbox)
    first, second = entries[NORWEGIAN], entries["Handlingsplan Møre og Romsdal (2).xlsx"]
    assert {k: first[k] for k in ("original_name", "sender_name", "sender_address", "subject",
                                  "sent", "message_id")} == {
        "original_name": NORWEGIAN, "sender_name": "Kari Nordmann",
        "sender_address": "kari@mr.example.no", "subject": "Handlingsplan Møre og Romsdal",
        "sent": "2026-03-01T10:00:00+01:00", "message_id": "<1@mr.example.no>"}
    assert first["sha256"] == hashlib.sha256(workbooks["first"]).hexdigest()
    assert (first["source"], first["source_number"]) == (str(sources[0]), None)
    assert (second["sender_name"], second["subject"], second["sent"]) == (
        "Per Ås", "Plan fra Møre", "2026-03-02T09:30:00+01:00")


def test_byte_identical_attachments_are_saved_once(tmp_path: Path,
                                                   workbooks: dict[str, bytes]) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    (inbox / "lagret for hånd.xlsx").write_bytes(workbooks["second"])
    sources = [write(tmp_path / "a.eml", mail(attachments=[("Plan.xlsx", workbooks["first"],
                                                           XLSX)])),
               write(tmp_path / "b.eml", mail(attachments=[("Kopi av Plan.xlsx",
                                                           workbooks["first"], XLSX)])),
               write(tmp_path / "c.eml", mail(attachments=[("Plan.xlsx", workbooks["second"],
                                                           XLSX)]))]
    result = collect(sources, inbox)
    assert [s.path.name for s in result.saved] == ["Plan.xlsx"]
    assert [(d.original_name, d.same_as.name) for d in result.duplicates] == [
        ("Kopi av Plan.xlsx", "Plan.xlsx"), ("Plan.xlsx", "lagret for hånd.xlsx")]
    assert sorted(p.name for p in inbox.iterdir()) == [MANIFEST_NAME, "Plan.xlsx",
                                                       "lagret for hånd.xlsx"]
    # The file saved by hand now has a known sender too; a second run changes nothing.
    assert set(manifest(inbox)) == {"Plan.xlsx", "lagret for hånd.xlsx"}
    again = collect(sources, inbox)
    assert (again.saved, len(again.duplicates)) == ([], 3)
    assert sorted(p.name for p in inbox.iterdir()) == [MANIFEST_NAME, "Plan.xlsx",
                                                       "lagret for hånd.xlsx"]


def test_an_existing_name_is_never_overwritten(tmp_path: Path,
                                               workbooks: dict[str, bytes]) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    (inbox / "plan.XLSX").write_bytes(b"ikke en arbeidsbok, men min fil")
    source = write(tmp_path / "a.eml", mail(attachments=[("Plan.xlsx", workbooks["first"],
                                                         XLSX)]))
    result = collect([source], inbox)
    assert [s.path.name for s in result.saved] == ["Plan (2).xlsx"]  # names compared as Windows
    assert (inbox / "plan.XLSX").read_bytes() == b"ikke en arbeidsbok, men min fil"


def test_mail_without_attachment_and_other_attachments_are_reported(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    plain = write(tmp_path / "tom.eml", mail(subject="Spørsmål om fristen"))
    pdf = write(tmp_path / "pdf.eml", mail(subject="Referat", attachments=[
        ("Referat.pdf", b"%PDF-1.4", "application/pdf"),
        ("Plan.xlsx", workbooks["first"], XLSX)]))
    result = collect([plain, pdf], tmp_path / "innboks")
    assert [m.subject for m in result.without_attachments] == ["Spørsmål om fristen"]
    assert [(a.name, a.content_type, a.mail.subject) for a in result.other_attachments] == [
        ("Referat.pdf", "application/pdf", "Referat")]
    assert [s.path.name for s in result.saved] == ["Plan.xlsx"]
    assert [m.subject for m in result.without_workbook] == ["Spørsmål om fristen"]
    assert result.ok


def test_legacy_xls_and_nameless_workbooks_are_saved_for_validate(tmp_path: Path) -> None:
    message = mail(attachments=[("gammel.xls", OLE_MAGIC + b"xls", "application/vnd.ms-excel")])
    message.add_attachment(b"PK\x03\x04 uten navn", maintype="application",
                           subtype=XLSX.split("/")[1])
    result = collect([write(tmp_path / "a.eml", message)], tmp_path / "innboks")
    # A nameless workbook is named after its sender, and the report says why.
    assert sorted((s.path.name, s.note) for s in result.saved) == [
        ("Arbeidsbok fra Kari Nordmann.xlsx",
         "vedlegget uten filnavn er en arbeidsbok (gjenkjent på MIME-typen)"),
        ("gammel.xls", "")]
    report = validate([tmp_path / "innboks"])
    codes = {r.path.name: [f.code for f in r.findings] for r in report.files}
    assert codes["gammel.xls"] == ["file-legacy-xls"]
    assert MANIFEST_NAME not in codes  # the manifest is never taken for a workbook


def test_malformed_mails_are_reported_and_nothing_is_lost(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    garbage = write(tmp_path / "søppel.eml", b"\x00\x01\x02 dette er ingen e-post \xff\xfe")
    empty = write(tmp_path / "tom.eml", b"")
    no_boundary = write(tmp_path / "uten-grense.eml", (
        b"From: a@b.no\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="finnes-ikke"\r\n\r\n'
        b"--en-annen\r\nContent-Type: text/plain\r\n\r\nhei\r\n"))
    whole = mail(subject="Avkortet", attachments=[("Plan.xlsx", workbooks["first"], XLSX),
                                                  ("Siste.xlsx", workbooks["second"], XLSX)])
    raw = whole.as_bytes()
    truncated = write(tmp_path / "avkortet.eml", raw[: raw.rindex(b"--")])  # no closing line
    sources = [garbage, empty, no_boundary, truncated]
    before = fingerprints(sources)
    result = collect(sources, tmp_path / "innboks")
    assert sorted((p.source.name, p.reason.split(" ")[0]) for p in result.unreadable) == [
        ("søppel.eml", "ingen"), ("tom.eml", "filen"), ("uten-grense.eml", "e-posten")]
    assert [p.source.name for p in result.damaged] == ["avkortet.eml"]
    assert "avkortet" in result.damaged[0].reason
    assert {s.path.name for s in result.saved} >= {"Plan.xlsx"}
    assert not result.ok
    assert fingerprints(sources) == before


def test_raw_8bit_headers_and_control_characters_are_cleaned(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    payload = base64.encodebytes(workbooks["first"])
    raw = (b"From: Kj\xc3\xa6re \xc3\x85se <ase@x.no>\r\nSubject: Plan for M\xc3\xb8re\r\n"
           b"Date: Sun, 01 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
           b"Content-Type: " + XLSX.encode() + b"\r\nContent-Transfer-Encoding: base64\r\n"
           b'Content-Disposition: attachment; filename="Plan\x1b[2J\xe2\x80\xaexslx.xlsx"'
           b"\r\n\r\n" + payload + b"--B--\r\n")
    result = collect([write(tmp_path / "a.eml", raw)], tmp_path / "innboks")
    (saved,) = result.saved
    assert (saved.mail.sender_name, saved.mail.subject) == ("Kjære Åse", "Plan for Møre")
    assert saved.original_name == "Plan[2Jxslx.xlsx" == saved.path.name
    entry = manifest(tmp_path / "innboks")["Plan[2Jxslx.xlsx"]
    assert (entry["sender_name"], entry["original_name"]) == ("Kjære Åse", "Plan[2Jxslx.xlsx")


def test_safe_names() -> None:
    assert safe_name("Handlingsplan Møre og Romsdal.xlsx", ".xlsx") == NORWEGIAN
    assert safe_name("C:\\Users\\kari\\Plan.xlsx", ".xlsx") == "Plan.xlsx"
    assert safe_name("../../etc/passwd.xlsx", ".xlsx") == "passwd.xlsx"
    assert safe_name("Plan\x00\x1b[31m\u202e.xlsx", ".xlsx") == "Plan[31m.xlsx"
    assert safe_name('Plan: "ny"?.xlsx', ".xlsx") == "Plan_ _ny__.xlsx"
    assert safe_name(".skjult.xlsx", ".xlsx") == "skjult.xlsx"     # validate skips dot files
    assert safe_name("~$Plan.xlsx", ".xlsx") == "Plan.xlsx"        # … and Office lock files
    assert safe_name("CON.xlsx", ".xlsx") == "_CON.xlsx"
    assert safe_name("", ".xlsx") == "vedlegg.xlsx"
    assert safe_name("Plan.XLSX", ".xlsx") == "Plan.xlsx"
    assert safe_name("Plan", ".ods") == "Plan.ods"
    assert len(safe_name("x" * 500 + ".xlsx", ".xlsx")) < 130


def test_workbook_is_recognised_by_name_then_by_type() -> None:
    def suffix(name: str, mime: str = "application/octet-stream") -> str | None:
        return workbook_suffix(Attachment(name, mime, b""))

    assert [suffix("a.xlsx"), suffix("a.XLSM"), suffix("a.ods"), suffix("a.xls")] == [
        ".xlsx", ".xlsm", ".ods", ".xls"]
    assert suffix("", XLSX) == ".xlsx"
    assert suffix("a.pdf", XLSX) is None  # a named file is what its name says
    assert suffix("bilde.tif", "image/tiff") is None


def test_unsent_drafts_are_skipped(tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    draft = mail(subject="Lokal handlingsplan", attachments=[("Plan.xlsx", workbooks["first"],
                                                              XLSX)])
    draft["X-Unsent"] = "1"
    result = collect([write(tmp_path / "utkast.eml", draft)], tmp_path / "innboks")
    assert (result.saved, [m.subject for m in result.drafts]) == ([], ["Lokal handlingsplan"])


def test_folders_are_searched_and_the_inbox_inside_is_skipped(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    (tmp_path / "lagret" / "mars").mkdir(parents=True)
    write(tmp_path / "lagret" / "mars" / "a.eml", mail(attachments=[
        ("Plan.xlsx", workbooks["first"], XLSX)]))
    write(tmp_path / "lagret" / ".skjult.eml", mail(attachments=[
        ("Skjult.xlsx", workbooks["second"], XLSX)]))
    write(tmp_path / "lagret" / "notat.txt", b"ikke en e-post")
    result = collect([tmp_path / "lagret"], tmp_path / "lagret" / "innboks")
    assert [s.path.name for s in result.saved] == ["Plan.xlsx"]
    again = collect([tmp_path / "lagret"], tmp_path / "lagret" / "innboks")
    assert (again.saved, again.unreadable, len(again.duplicates)) == ([], [], 1)


# --- mbox, two versions, and what validate and consolidate make of it ----------------------------


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Agder sends its plan twice, from the same address, on 1 and 5 March. In ``tie`` both
    versions have the same saved time (the sent time must decide); in ``saved`` the version
    sent first was saved last (the saved time must decide). The version sent last arrives
    second, so it gets the name «… (2).xlsx», which would lose on the file name alone."""
    root = tmp_path_factory.mktemp("to-versjoner")
    made: dict[str, Path] = {}
    for case, saved_first, saved_second in (("tie", SAVED, SAVED),
                                            ("saved", SAVED + dt.timedelta(days=1), SAVED)):
        work = root / case
        work.mkdir()
        older = fill_plan(make_plan(work, region="42", name="v1.xlsx",
                                    rows={"Tiltak": [{"Tiltak": "Første versjon"}]}),
                          saved_at=saved_first)
        newer = fill_plan(make_plan(work, region="42", name="v2.xlsx",
                                    rows={"Tiltak": [{"Tiltak": "Andre versjon"}]}),
                          saved_at=saved_second)
        box = write_mbox(work / "Innboks.mbox", [
            mail(sender="Ingrid Øvland <ingrid@agder.example.no>", subject="Plan Agder",
                 date="Sun, 01 Mar 2026 10:00:00 +0100", message_id="<v1@agder>",
                 attachments=[("Handlingsplan Agder.xlsx", older.read_bytes(), XLSX)]),
            mail(sender="Ingrid Øvland <ingrid@agder.example.no>", subject="SV: Plan Agder",
                 date="Thu, 05 Mar 2026 14:00:00 +0100", message_id="<v2@agder>",
                 attachments=[("Handlingsplan Agder.xlsx", newer.read_bytes(), XLSX)]),
            mail(subject="Ingen vedlegg her")])
        made[case] = box
    return made


def test_mbox_collects_both_versions_with_their_sent_times(
        two_versions: dict[str, Path], tmp_path: Path) -> None:
    box = two_versions["tie"]
    before = fingerprints([box])
    result = collect([box], tmp_path / "innboks")
    assert [(s.path.name, s.mail.number, s.mail.sent) for s in result.saved] == [
        ("Handlingsplan Agder.xlsx", 1, dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)),
        ("Handlingsplan Agder (2).xlsx", 2, dt.datetime(2026, 3, 5, 13, 0, tzinfo=dt.UTC))]
    assert [m.subject for m in result.without_attachments] == ["Ingen vedlegg her"]
    entry = manifest(tmp_path / "innboks")["Handlingsplan Agder (2).xlsx"]
    assert (entry["source"], entry["source_number"]) == (str(box), 2)
    assert fingerprints([box]) == before


@pytest.mark.parametrize(("case", "winner"), [("tie", "Handlingsplan Agder (2).xlsx"),
                                              ("saved", "Handlingsplan Agder.xlsx")])
def test_newest_is_saved_time_then_sent_time(two_versions: dict[str, Path], tmp_path: Path,
                                            case: str, winner: str) -> None:
    inbox = tmp_path / "innboks"
    collect([two_versions[case]], inbox)
    # Renamed after collecting: the manifest matches by content, not by name.
    (inbox / winner).rename(inbox / f"omdøpt {winner}")
    result = consolidate([inbox], year=2026, today=TODAY,
                         provenance=ManifestIndex().lookup)
    (chosen,) = [s for s in result.submissions if s.included]
    (other,) = [s for s in result.submissions if not s.included]
    assert chosen.path.name == f"omdøpt {winner}"
    assert (other.status, other.superseded_by) == (SUPERSEDED, chosen.path)
    assert chosen.report.mail is not None
    expected_sent = dt.datetime(2026, 3, 5 if case == "tie" else 1, tzinfo=dt.UTC)
    assert chosen.sent_at is not None and chosen.sent_at.date() == expected_sent.date()


def test_overview_innsendinger_shows_sender_subject_and_sent(
        two_versions: dict[str, Path], tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    inbox = tmp_path / "innboks"
    collect([two_versions["tie"]], inbox)
    (inbox / "lagt inn for hånd.xlsx").write_bytes(workbooks["first"])
    result = consolidate([inbox], year=2026, today=TODAY,
                         provenance=ManifestIndex().lookup)
    out = write_overview(result, tmp_path / "oversikt.xlsx")
    book = openpyxl.load_workbook(out)
    rows = list(book["Innsendinger"].values)[2:]  # under the sheet's title and note
    header = list(rows[0])
    for column in ("Region", "Fil", "Lagret", "SHA-256", "Status", "Erstattet av", "Årsak"):
        assert column in header  # the existing columns stay
    records = {r[header.index("Fil")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    newer = records["Handlingsplan Agder (2).xlsx"]
    assert newer["Avsender"] == "Ingrid Øvland <ingrid@agder.example.no>"
    assert newer["Emne"] == "SV: Plan Agder"
    assert isinstance(newer["Sendt"], dt.datetime)
    assert newer["Status"] in (INCLUDED, INCLUDED_WITH_ERRORS)
    assert records["Handlingsplan Agder.xlsx"]["Emne"] == "Plan Agder"
    by_hand = records["lagt inn for hånd.xlsx"]
    assert (by_hand["Avsender"], by_hand["Emne"], by_hand["Sendt"]) == (None, None, None)


def test_validate_json_names_the_sender(two_versions: dict[str, Path], tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    collect([two_versions["tie"]], inbox)
    result = CliRunner().invoke(main, ["validate", str(inbox), "--format", "json", "--all"])
    no_traceback(result)
    files = json.loads(result.output)["files"]
    assert [f["path"] for f in files] == [str(inbox / "Handlingsplan Agder (2).xlsx"),
                                          str(inbox / "Handlingsplan Agder.xlsx")]
    assert files[0]["mail"] == {"sender": "Ingrid Øvland <ingrid@agder.example.no>",
                                "subject": "SV: Plan Agder", "sent": "2026-03-05T14:00:00+01:00",
                                "attachment": "Handlingsplan Agder.xlsx"}


# --- Outlook .msg ---------------------------------------------------------------------------------


def test_real_outlook_msg_has_nothing_to_collect(outlook_msg: Path, tmp_path: Path) -> None:
    before = fingerprints([outlook_msg])
    result = collect([outlook_msg], tmp_path / "innboks")
    assert result.ok and result.saved == [] and result.duplicates == []
    (message,) = result.mails
    assert (message.sender_name, message.sender_address) == ("Brian Zhou", "brizhou@gmail.com")
    assert message.subject == "Test for TIF files"
    assert message.sent == dt.datetime(2013, 11, 18, 8, 26, 24, tzinfo=dt.UTC)
    assert message.sent.date() == dt.date(2013, 11, 18)
    assert [(a.name, a.content_type) for a in result.other_attachments] == [
        ("import OleFileIO.tif", "image/tiff"), ("raised value error.tif", "image/tiff")]
    assert result.without_workbook == [message]
    assert not (tmp_path / "innboks" / MANIFEST_NAME).exists()
    assert fingerprints([outlook_msg]) == before


def test_cli_reports_the_outlook_sender_and_time(outlook_msg: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", str(outlook_msg), "--into",
                                       str(tmp_path / "innboks")])
    no_traceback(result)
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if "Ingen arbeidsbok" in line)
    assert "«Test for TIF files» fra Brian Zhou <brizhou@gmail.com>, sendt 18.11.2013" in line
    assert "import OleFileIO.tif" in line
    assert "0 arbeidsbøker lagret" in result.output and "2 andre vedlegg" in result.output


class Unreadable:
    @property
    def data(self) -> bytes:
        raise NotImplementedError("web attachment")

    longFilename = "lenke.url"


def test_msg_attachments_through_the_extract_msg_interface() -> None:
    inner = FakeMessage([FakeAttachment("Videresendt.xlsx", b"PK inner", mimetype=XLSX)])
    message = FakeMessage([
        FakeAttachment(None, b"PK short", shortFilename="PLAN~1.XLS"),
        FakeAttachment("Handlingsplan Agder.xlsx", b"PK long", mimetype=XLSX),
        FakeAttachment("vedlagt e-post", inner),
        Unreadable(),
        FakeAttachment("tom", None)])
    damage: list[str] = []
    found = list(msg_attachments(message, damage))
    assert [(a.name, a.data) for a in found] == [
        ("PLAN~1.XLS", b"PK short"), ("Handlingsplan Agder.xlsx", b"PK long"),
        ("Videresendt.xlsx", b"PK inner")]
    assert found[1].content_type == XLSX and found[0].content_type == "application/octet-stream"
    assert damage == ["vedlegget «lenke.url» kan ikke leses (NotImplementedError)",
                      "vedlegget «tom» kan ikke leses (ingen fildata)"]


def test_msg_with_a_workbook_is_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          workbooks: dict[str, bytes]) -> None:
    import extract_msg

    fake = FakeMessage([FakeAttachment(NORWEGIAN, workbooks["first"], mimetype=XLSX)],
                       header={"Date": "Mon, 02 Mar 2026 09:00:00 +0100"})
    opened: list[bytes] = []

    def open_msg(data: bytes, **_: Any) -> FakeMessage:
        opened.append(data)
        return fake

    monkeypatch.setattr(extract_msg, "openMsg", open_msg)
    source = write(tmp_path / "Agder.msg", OLE_MAGIC + b"ikke ekte, men det vet ikke collect")
    result = collect([source], tmp_path / "innboks")
    assert opened == [source.read_bytes()] and fake.closed
    assert [(s.path.name, s.mail.sender, s.mail.sent) for s in result.saved] == [
        (NORWEGIAN, "Ingrid Øvland <ingrid@agder.example.no>",
         dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))]
    entry = manifest(tmp_path / "innboks")[NORWEGIAN]
    assert (entry["subject"], entry["message_id"]) == ("Handlingsplan Agder", "<msg@agder>")


def test_broken_msg_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    source = write(tmp_path / "kaputt.msg", OLE_MAGIC + b"\x00" * 100)
    result = collect([source], tmp_path / "innboks")
    assert [p.source.name for p in result.unreadable] == ["kaputt.msg"]
    assert "Outlook" in result.unreadable[0].reason


# --- the command line -----------------------------------------------------------------------------


def test_cli_collect_exit_codes(tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    good = write(tmp_path / "god.eml", mail(attachments=[("Plan.xlsx", workbooks["first"],
                                                          XLSX)]))
    bad = write(tmp_path / "dårlig.eml", b"\x00\x01 ingen e-post")
    runner = CliRunner()
    ok = runner.invoke(main, ["collect", str(good), "--into", str(tmp_path / "innboks")])
    no_traceback(ok)
    assert ok.exit_code == 0
    assert "Plan.xlsx  ← «Handlingsplan Møre og Romsdal» fra Kari Nordmann" in ok.output
    assert "1 arbeidsbok lagret" in ok.output
    assert f"smso-xl validate {tmp_path / 'innboks'}" in ok.output
    failed = runner.invoke(main, ["collect", str(good), str(bad), "--into",
                                  str(tmp_path / "innboks")])
    no_traceback(failed)
    assert failed.exit_code == 1
    assert "Kan ikke leses" in failed.output and "dårlig.eml" in failed.output
    assert "1 lik kopi hoppet over" in failed.output
    (tmp_path / "tom mappe").mkdir()
    nothing = runner.invoke(main, ["collect", str(tmp_path / "tom mappe"), "--into",
                                   str(tmp_path / "innboks")])
    assert nothing.exit_code == 1 and "Fant ingen e-postfiler" in nothing.output
    usage = runner.invoke(main, ["collect", str(good)])
    assert usage.exit_code == 2
    missing = runner.invoke(main, ["collect", str(tmp_path / "finnes-ikke.eml"), "--into",
                                   str(tmp_path / "x")])
    assert missing.exit_code == 2


def test_cli_collect_into_a_file_or_past_a_broken_manifest_is_a_usage_error(
        tmp_path: Path, workbooks: dict[str, bytes]) -> None:
    good = write(tmp_path / "god.eml", mail(attachments=[("Plan.xlsx", workbooks["first"],
                                                          XLSX)]))
    a_file = write(tmp_path / "fil.txt", b"x")
    result = CliRunner().invoke(main, ["collect", str(good), "--into", str(a_file)])
    no_traceback(result)
    assert result.exit_code == 2
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    (inbox / MANIFEST_NAME).write_text("{ødelagt", encoding="utf-8")
    result = CliRunner().invoke(main, ["collect", str(good), "--into", str(inbox)])
    no_traceback(result)
    assert result.exit_code == 2 and "Manifestet" in result.output
    assert (inbox / MANIFEST_NAME).read_text(encoding="utf-8") == "{ødelagt"
    assert sorted(p.name for p in inbox.iterdir()) == [MANIFEST_NAME]


def test_cli_consolidate_json_names_the_sender(two_versions: dict[str, Path],
                                               tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    collect([two_versions["tie"]], inbox)
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "--out",
                                       str(tmp_path / "oversikt.xlsx"), "--year", "2026",
                                       "--today", "01.06.2026", "--format", "json"])
    no_traceback(result)
    assert result.exit_code == 0
    submissions = {Path(s["path"]).name: s for s in json.loads(result.output)["submissions"]}
    assert {name: (s["sender"], s["sent"]) for name, s in submissions.items()} == {
        "Handlingsplan Agder.xlsx": ("Ingrid Øvland <ingrid@agder.example.no>",
                                     "2026-03-01T10:00:00+01:00"),
        "Handlingsplan Agder (2).xlsx": ("Ingrid Øvland <ingrid@agder.example.no>",
                                         "2026-03-05T14:00:00+01:00")}

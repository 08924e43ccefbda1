"""E-mail drafts: ``generate --drafts`` (the plans out) and ``validate --feedback --drafts``
(the replies). Every draft is parsed back with the standard library's parser and checked by
header and by the attachment's bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smso_xl.cli.commands import main
from smso_xl.mail import (
    FINDINGS_IN_BODY,
    WORKBOOK_MIME_TYPES,
    ManifestIndex,
    PlanDrafts,
    collect,
    feedback_draft,
    plan_draft,
    write_draft,
    write_feedback_drafts,
)
from smso_xl.mail.drafts import _first_name
from smso_xl.round.feedback import write_all
from smso_xl.round.generator import generate
from smso_xl.round.validation import validate
from smso_xl.template.config import ConfigError, Region, Settings
from tests.workbooks import make_plan

#: `generate` needs the coordinator's address (the demo alone has its own).
COORDINATOR = ("--coordinator", "Kari Koordinator <kari@example.no>")

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
SETTINGS = Settings(coordinator_name="Kari Koordinator",
                    coordinator_email="kari.koordinator@example.no",
                    return_date=dt.date(2027, 1, 31))
REGIONS = (Region("15", "Møre og Romsdal", "Møre og Romsdal", "smso.mr@example.no"),
           Region("42", "Agder", "Agder", ""))
XLSX = WORKBOOK_MIME_TYPES[".xlsx"]
TODAY = dt.date(2026, 6, 1)


def parse(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def only_attachment(message: EmailMessage) -> EmailMessage:
    (attachment,) = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    return attachment


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


# --- the plans out ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("utsendt")
    return generate(regions=REGIONS, year=2027, out_dir=out, settings=SETTINGS, now=NOW,
                    new_file_id=lambda: "fixed-id", drafts=PlanDrafts())


@pytest.mark.slow
def test_each_workbook_gets_a_draft_beside_it(generated) -> None:
    assert [(f.path.name, f.draft.name if f.draft else None) for f in generated.files] == [
        ("SMSO-handlingsplan-2027-15-More-og-Romsdal.xlsx",
         "SMSO-handlingsplan-2027-15-More-og-Romsdal.eml"),
        ("SMSO-handlingsplan-2027-42-Agder.xlsx", "SMSO-handlingsplan-2027-42-Agder.eml")]
    assert generated.return_date == dt.date(2027, 1, 31)


def test_draft_parses_back_with_recipient_subject_and_the_workbook(generated) -> None:
    item = generated.files[0]
    assert item.draft is not None
    message = parse(item.draft)
    assert message["To"].addresses[0].addr_spec == "smso.mr@example.no"
    assert message["From"].addresses[0].addr_spec == "kari.koordinator@example.no"
    assert message["From"].addresses[0].display_name == "Kari Koordinator"
    assert str(message["Reply-To"]) == str(message["From"])
    assert str(message["Subject"]) == "Lokal handlingsplan for SMSØ 2027 – Møre og Romsdal"
    assert message["X-Unsent"] == "1"
    assert message["Date"].datetime == NOW
    attachment = only_attachment(message)
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == item.path.name
    assert attachment.get_content() == item.path.read_bytes()


def test_draft_body_says_what_by_when_to_whom_and_how(generated) -> None:
    text = body(parse(generated.files[0].draft))
    for expected in ("lokale handlingsplanen for SMSØ Møre og Romsdal for 2027",
                     "innen 31.01.2027 til kari.koordinator@example.no",
                     "arket Veiledning", "gule cellene", "ansvarlig person og en frist",
                     "Klar til innsending: Ja", "Kari Koordinator"):
        assert expected in text


def test_draft_without_address_still_written_with_no_recipient(generated) -> None:
    message = parse(generated.files[1].draft)
    assert message["To"] is None
    assert only_attachment(message).get_content() == generated.files[1].path.read_bytes()


@pytest.mark.slow
def test_drafts_are_deterministic_apart_from_date_and_message_id(tmp_path: Path) -> None:
    def run(folder: str) -> bytes:
        result = generate(regions=REGIONS[:1], year=2027, out_dir=tmp_path / folder,
                          settings=SETTINGS, now=NOW, new_file_id=lambda: "fixed-id",
                          drafts=PlanDrafts())
        draft = result.files[0].draft
        assert draft is not None
        return re.sub(rb"Message-ID: [^\r\n]*", b"", draft.read_bytes())

    first, second = run("a"), run("b")
    assert first == second
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")  # CRLF only


def test_non_ascii_file_name_is_rfc2231_encoded(tmp_path: Path) -> None:
    workbook = make_plan(tmp_path, name="Handlingsplan Møre og Romsdal.xlsx")
    target = write_draft(plan_draft(workbook, region=REGIONS[0], year=2026, settings=SETTINGS,
                                    due=dt.date(2026, 1, 31), now=NOW), tmp_path / "d.eml")
    raw = target.read_bytes()
    assert b"filename*=utf-8''Handlingsplan%20M%C3%B8re%20og%20Romsdal.xlsx" in raw
    assert raw.isascii()  # 7-bit clean: survives every mail gateway
    attachment = only_attachment(parse(target))
    assert attachment.get_filename() == "Handlingsplan Møre og Romsdal.xlsx"
    assert attachment.get_content() == workbook.read_bytes()


@pytest.mark.slow
def test_existing_draft_is_kept_without_force(tmp_path: Path) -> None:
    generate(regions=REGIONS[:1], year=2027, out_dir=tmp_path, settings=SETTINGS, now=NOW)
    draft = tmp_path / "SMSO-handlingsplan-2027-15-More-og-Romsdal.eml"
    draft.write_bytes(b"mitt eget utkast")
    (tmp_path / "SMSO-handlingsplan-2027-15-More-og-Romsdal.xlsx").unlink()
    with pytest.raises(ConfigError, match="finnes allerede"):
        generate(regions=REGIONS[:1], year=2027, out_dir=tmp_path, settings=SETTINGS, now=NOW,
                 drafts=PlanDrafts())
    assert draft.read_bytes() == b"mitt eget utkast"
    assert not (tmp_path / "SMSO-handlingsplan-2027-15-More-og-Romsdal.xlsx").exists()
    generate(regions=REGIONS[:1], year=2027, out_dir=tmp_path, settings=SETTINGS, now=NOW,
             drafts=PlanDrafts(), force=True)
    assert parse(draft)["X-Unsent"] == "1"


@pytest.mark.slow
def test_cli_generate_drafts_names_the_regions_without_address(tmp_path: Path) -> None:
    regions = tmp_path / "regioner.csv"
    regions.write_text("code;name;counties;email\n15;Møre og Romsdal;Møre og Romsdal;"
                       "mr@example.no\n42;Agder;Agder;\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", *COORDINATOR,
                                       "--year", "2027", "--regions", str(regions),
                                       "--out", str(tmp_path / "ut"), "--drafts"])
    no_traceback(result)
    assert result.exit_code == 0
    assert "til mr@example.no" in result.output
    assert "ingen e-postadresse i regionlisten" in result.output
    assert "1 mangler mottaker" in result.output and "for 42" in result.output
    assert sorted(p.suffix for p in (tmp_path / "ut").iterdir()) == [".eml", ".eml", ".xlsx",
                                                                     ".xlsx"]


def test_cli_generate_without_drafts_writes_none(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", *COORDINATOR, "--year", "2027", "--region", "42",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert [p.suffix for p in tmp_path.iterdir()] == [".xlsx"]


# --- the replies: validate --feedback --drafts -------------------------------------------------


def _mail_with(workbook: Path, *, sender: str, subject: str, date: str,
               message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SETTINGS.coordinator_email
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content("Her er planen vår.")
    message.add_attachment(workbook.read_bytes(), maintype="application",
                           subtype=XLSX.split("/")[1], filename=workbook.name)
    return message.as_bytes()


BAD_ROWS = {"Tiltak": [{"Tiltak": f"Tiltak {i}", "Frist": "snart"} for i in range(1, 8)]}


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory):
    """An inbox filled by ``collect`` (Agder, with findings) plus a file saved by hand
    (Møre og Romsdal) and a broken one; validated with feedback copies and reply drafts."""
    work = tmp_path_factory.mktemp("arbeid")
    inbox = tmp_path_factory.mktemp("innboks")
    agder = make_plan(work, region="42", rows=BAD_ROWS, name="Handlingsplan Agder.xlsx")
    mail = work / "agder.eml"
    mail.write_bytes(_mail_with(agder, sender="Ingrid Øvland <ingrid@agder.example.no>",
                                subject="Handlingsplan Agder", message_id="<a1@agder.example>",
                                date="Sun, 01 Mar 2026 10:00:00 +0100"))
    collect([mail], inbox)
    make_plan(inbox, region="15", rows=BAD_ROWS, name="Møre og Romsdal.xlsx")
    (inbox / "Telemark.xlsx").write_bytes(b"PK\x03\x04 avkortet")
    report = validate([inbox], today=TODAY, provenance=ManifestIndex().lookup)
    feedback_dir = tmp_path_factory.mktemp("retur")
    copies = write_all(report, feedback_dir)
    drafts = write_feedback_drafts(report, copies, feedback_dir, settings=SETTINGS,
                                   regions=REGIONS, now=NOW)
    return report, copies, {d.source.name: d for d in drafts}


def test_reply_goes_to_the_sender_with_the_feedback_copy(replies) -> None:
    _, copies, drafts = replies
    draft = drafts["Handlingsplan Agder.xlsx"]
    message = parse(draft.path)
    assert (message["To"].addresses[0].display_name,
            message["To"].addresses[0].addr_spec) == ("Ingrid Øvland", "ingrid@agder.example.no")
    assert str(message["Subject"]) == "SV: Handlingsplan Agder"
    assert message["In-Reply-To"] == "<a1@agder.example>"
    assert message["X-Unsent"] == "1"
    copy = next(c.path for c in copies if c.source.name == "Handlingsplan Agder.xlsx")
    assert copy is not None and draft.path == copy.with_suffix(".eml")
    attachment = only_attachment(message)
    assert attachment.get_filename() == copy.name
    assert attachment.get_content_type() == XLSX
    assert attachment.get_content() == copy.read_bytes()


def test_reply_summarises_the_findings_in_norwegian(replies) -> None:
    report, _, drafts = replies
    text = body(parse(drafts["Handlingsplan Agder.xlsx"].path))
    findings = next(r for r in report.files if r.path.name == "Handlingsplan Agder.xlsx").findings
    errors = sum(1 for f in findings if f.severity == "error")
    assert len(findings) > FINDINGS_IN_BODY  # so the list is cut and says how many are left
    assert text.startswith("Hei Ingrid,")
    assert f"Kontrollen fant {errors} feil" in text
    assert "sendt 01.03.2026" in text
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(listed) == FINDINGS_IN_BODY + 1
    assert listed[-1] == f"- … og {len(findings) - FINDINGS_IN_BODY} til."
    first_error = next(f for f in findings if f.severity == "error")
    assert listed[0] == f"- Feil: {first_error.message}"  # errors first, in the report's order
    assert "Se arket Tilbakemelding" in text


def test_reply_without_sender_goes_to_the_region_address(replies) -> None:
    _, _, drafts = replies
    message = parse(drafts["Møre og Romsdal.xlsx"].path)
    assert message["To"].addresses[0].addr_spec == "smso.mr@example.no"
    assert str(message["Subject"]) == ("Tilbakemelding på lokal handlingsplan for SMSØ 2026 – "
                                       "Møre og Romsdal")
    assert only_attachment(message).get_filename() == "Møre og Romsdal-tilbakemelding.xlsx"


def test_unreadable_file_gets_a_reply_without_attachment(replies) -> None:
    _, _, drafts = replies
    draft = drafts["Telemark.xlsx"]
    message = parse(draft.path)
    assert draft.to == "" and message["To"] is None
    assert list(message.iter_attachments()) == []
    assert "Send arbeidsboken på nytt" in body(message)


def test_reply_without_a_copy_lists_every_finding(replies) -> None:
    report, _, _ = replies
    agder = next(r for r in report.files if r.path.name == "Handlingsplan Agder.xlsx")
    message = feedback_draft(agder, copy=None, settings=SETTINGS, regions=REGIONS, now=NOW)
    listed = [line for line in body(message).splitlines() if line.startswith("- ")]
    assert len(listed) == len(agder.findings)
    assert list(message.iter_attachments()) == []
    assert "Tilbakemelding" not in body(message)


def test_greeting_takes_the_first_name_in_either_order() -> None:
    assert [_first_name(n) for n in ("Ingrid Øvland", "Øvland, Ingrid", "ingrid")] == [
        "Ingrid", "Ingrid", "ingrid"]


def test_cli_validate_feedback_drafts(tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    workbook = make_plan(inbox, region="42", rows=BAD_ROWS, name="Agder.xlsx")
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["validate", str(inbox), "--feedback",
                                       str(tmp_path / "retur"), "--drafts", *COORDINATOR,
                                       "--today", "01.06.2026"])
    no_traceback(result)
    assert result.exit_code == 1  # the file has errors
    assert "Svarutkast: 1" in result.output and "uten mottaker" in result.output
    message = parse(tmp_path / "retur" / "Agder-tilbakemelding.eml")
    assert (only_attachment(message).get_content()
            == (tmp_path / "retur" / "Agder-tilbakemelding.xlsx").read_bytes())
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before


def test_cli_drafts_needs_feedback(tmp_path: Path) -> None:
    workbook = make_plan(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(workbook), "--drafts"])
    no_traceback(result)
    assert result.exit_code == 2
    assert "--drafts trenger --feedback" in result.output

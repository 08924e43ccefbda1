"""Reminders (issue 28.2): ``consolidate --drafts DIR`` writes a polite draft to every region
whose plan did not come, came with errors or could not be read — to the region's address or
the sender, with the workbook attached again (``--sent``) and the date to answer by. Regions
without an address are named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import json
from email import policy
from email.message import EmailMessage
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from smso_xl.cli.commands import main
from smso_xl.mail.reminders import reminder_due, write_reminders
from smso_xl.round.consolidation import consolidate
from smso_xl.round.generator import generate
from smso_xl.template.config import Region, load_settings
from tests.season import COORDINATOR
from tests.test_rules import TODAY, clean_plan

# Each test consolidates a round and writes its overview: seconds, not milliseconds.
pytestmark = pytest.mark.slow

REGIONS = [Region("03", "Oslo", "Oslo", "smso@oslo.example.no"),
           Region("40", "Telemark", "Telemark", "smso@telemark.example.no"),
           Region("42", "Agder", "Agder", "smso@agder.example.no"),
           Region("46", "Vestland", "Vestland", "")]
SETTINGS = dataclasses.replace(load_settings(), coordinator_name="Kari Koordinator",
                               coordinator_email="kari@smso.example.no", return_date=None)


@pytest.fixture
def season(tmp_path: Path) -> Path:
    """utsendt/ as generate wrote it; innboks/ with Agder's plan (an error) and a cut-off
    Telemark attachment; Oslo and Vestland (no address) sent nothing."""
    generate(regions=REGIONS, year=2026, out_dir=tmp_path / "utsendt", settings=SETTINGS)
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    clean_plan(inbox, name="Handlingsplan Agder.xlsx", action={"Ansvarlig": "?"})
    (inbox / "Handlingsplan Telemark.xlsx").write_bytes(b"PK\x03\x04 avkuttet")
    return tmp_path


def read(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def test_one_reminder_per_region_not_in_order(season: Path) -> None:
    result = consolidate([season / "innboks"], regions=REGIONS, today=TODAY)
    made = write_reminders(result, season / "paminnelser", settings=SETTINGS,
                           sent=season / "utsendt", now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert [(r.code, r.status, r.path.name, r.to) for r in made] == [
        ("03", "Ikke mottatt", "Paminnelse-2026-03-Oslo.eml", "smso@oslo.example.no"),
        ("40", "Uleselig", "Paminnelse-2026-40-Telemark.eml", "smso@telemark.example.no"),
        ("42", "Mottatt med feil", "Paminnelse-2026-42-Agder.eml", "smso@agder.example.no"),
        ("46", "Ikke mottatt", "Paminnelse-2026-46-Vestland.eml", ""),
    ]
    due = "15.06.2026"  # two weeks from «today», 01.06.2026
    assert reminder_due(result, SETTINGS) == dt.date(2026, 6, 15)

    oslo = read(made[0].path)
    assert (oslo["To"], oslo["From"], oslo["X-Unsent"]) == (
        "smso@oslo.example.no", "Kari Koordinator <kari@smso.example.no>", "1")
    assert oslo["Subject"] == "Påminnelse: lokal handlingsplan for SMSØ 2026 – Oslo"
    text = body(oslo)
    assert "Vi har ennå ikke mottatt handlingsplanen for SMSØ Oslo for 2026" in text
    assert f"innen {due}" in text and "ligger ved på nytt" in text
    assert [p.get_filename() for p in oslo.iter_attachments()] == [
        "SMSO-handlingsplan-2026-03-Oslo.xlsx"]
    assert made[0].attached == season / "utsendt" / "SMSO-handlingsplan-2026-03-Oslo.xlsx"

    agder = body(read(made[2].path))
    assert "Takk for handlingsplanen for SMSØ Agder for 2026" in agder
    assert "Ansvarlig «?» er ikke en person" in agder and f"innen {due}" in agder
    assert read(made[2].path)["Subject"].startswith("Ny innsending trengs:")

    telemark = body(read(made[1].path))
    assert "kunne dessverre ikke bruke filen «Handlingsplan Telemark.xlsx»" in telemark
    assert "Send arbeidsboken på nytt som .xlsx" in telemark
    assert list(read(made[1].path).iter_attachments()) == []


def test_without_the_sent_folder_the_region_is_offered_its_workbook(season: Path) -> None:
    result = consolidate([season / "innboks"], regions=REGIONS, today=TODAY)
    made = write_reminders(result, season / "p", settings=SETTINGS)
    oslo = read(made[0].path)
    assert list(oslo.iter_attachments()) == [] and made[0].attached is None
    assert "svar på denne e-posten, så sender vi den på nytt" in body(oslo)


def test_the_settings_return_date_while_it_lies_ahead(season: Path) -> None:
    result = consolidate([season / "innboks"], regions=REGIONS, today=TODAY)
    ahead = dataclasses.replace(SETTINGS, return_date=dt.date(2026, 6, 30))
    assert reminder_due(result, ahead) == dt.date(2026, 6, 30)
    passed = dataclasses.replace(SETTINGS, return_date=dt.date(2026, 1, 31))
    assert reminder_due(result, passed) == dt.date(2026, 6, 15)


def test_cli_lists_the_reminders_and_the_regions_without_address(season: Path) -> None:
    regions = season / "regioner.csv"
    regions.write_text("code,name,counties,email\n" + "".join(
        f"{r.code},{r.name},{r.counties},{r.email}\n" for r in REGIONS), encoding="utf-8")
    result = CliRunner().invoke(main, [
        "consolidate", str(season / "innboks"), "--out", str(season / "o.xlsx"),
        "--regions", str(regions), "--today", TODAY.isoformat(), "--drafts",
        str(season / "paminnelser"), "--sent", str(season / "utsendt"), *COORDINATOR])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"Påminnelser: 4 utkast i {season / 'paminnelser'}:" in lines
    assert ("  03 Oslo (ikke mottatt): Paminnelse-2026-03-Oslo.eml til smso@oslo.example.no, "
            "SMSO-handlingsplan-2026-03-Oslo.xlsx vedlagt") in lines
    assert ("1 påminnelse uten mottaker: regionlisten har ingen e-postadresse for 46. Fyll inn "
            "mottakeren i utkastet før det sendes.") in lines
    assert sorted(p.name for p in (season / "paminnelser").iterdir()) == [
        "Paminnelse-2026-03-Oslo.eml", "Paminnelse-2026-40-Telemark.eml",
        "Paminnelse-2026-42-Agder.eml", "Paminnelse-2026-46-Vestland.eml"]


@pytest.mark.parametrize(("extra", "words"), [
    (["--drafts", "{p}"], "--coordinator «Navn <e-post>»"),  # who the reminders are from
    (["--sent", "{u}"], "--sent hører til --drafts"),
])
def test_cli_usage_errors(season: Path, extra: list[str], words: str) -> None:
    args = [a.format(p=season / "p", u=season / "utsendt") for a in extra]
    result = CliRunner().invoke(main, ["consolidate", str(season / "innboks"), "--out",
                                       str(season / "o.xlsx"), *args])
    assert result.exit_code == 2 and words in result.stderr
    assert not (season / "o.xlsx").exists() and not (season / "p").exists()


def test_json_lists_the_reminders_written(season: Path) -> None:
    """``--format json`` with ``--drafts``: the drafts written, to whom, what is attached,
    as its schema says."""
    result = CliRunner().invoke(main, [
        "consolidate", str(season / "innboks"), "--out", str(season / "o.xlsx"),
        "--today", TODAY.isoformat(), "--drafts", str(season / "paminnelser"),
        "--sent", str(season / "utsendt"), "--format", "json", *COORDINATOR])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    schema = json.loads(resources.files("smso_xl").joinpath(
        "schemas/consolidate.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)
    written = sorted(p.name for p in (season / "paminnelser").iterdir())
    assert [Path(r["draft"]).name for r in report["reminders"]] == written
    oslo = next(r for r in report["reminders"] if r["code"] == "03")
    assert oslo["status"] == "Ikke mottatt" and oslo["attached"].endswith(
        "SMSO-handlingsplan-2026-03-Oslo.xlsx")

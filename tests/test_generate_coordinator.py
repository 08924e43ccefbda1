"""What goes out says who it goes back to, and by when (issue 28.3, 28.4).

``generate`` needs the coordinator's address — from the settings or ``--coordinator`` — and
refuses the shipped example address; ``--return-date`` sets the return date, never one that
has passed. A status-round workbook says so on Veiledning and Organisering, and its return
date lies after the day it is made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from smso_xl.base.errors import ConfigError
from smso_xl.cli.commands import main
from smso_xl.round.rounds import generate_round
from smso_xl.template.config import (
    default_regions,
    has_coordinator,
    load_settings,
    parse_coordinator,
    return_date,
)
from tests.test_rules import clean_plan

KARI = "Kari Koordinator <kari@example.no>"
TOMORROW = dt.date.today() + dt.timedelta(days=1)


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, ["generate", *map(str, args)])
    assert "Traceback" not in result.output, result.output
    return result


def guide_text(path: Path) -> tuple[str, str, str]:
    """Veiledning's title, its whole text, and Organisering's title."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [str(v) for row in book["Veiledning"].iter_rows(values_only=True) for v in row if v]
    organisering = next(book["Organisering"].iter_rows(values_only=True))[0]
    return rows[0], "\n".join(rows), str(organisering)


def test_without_a_coordinator_generate_says_how_and_writes_nothing(tmp_path: Path) -> None:
    result = run("--year", "2027", "--region", "42", "--out", tmp_path / "ut")
    assert result.exit_code == 2
    assert "--coordinator «Navn <e-post>»" in result.stderr and "--settings FIL" in result.stderr
    assert not (tmp_path / "ut").exists()


def test_the_shipped_example_address_is_nobodys(tmp_path: Path) -> None:
    assert not has_coordinator(load_settings())
    settings = tmp_path / "innstillinger.yaml"
    settings.write_text("return_date: 31.01.2027\n", encoding="utf-8")  # no coordinator
    assert run("--year", "2027", "--region", "42", "--settings", settings,
               "--out", tmp_path / "ut").exit_code == 2


def test_coordinator_goes_into_veiledning(tmp_path: Path) -> None:
    result = run("--year", "2027", "--region", "42", "--out", tmp_path, "--coordinator", KARI)
    assert result.exit_code == 0, result.output
    assert "regionene sender til Kari Koordinator <kari@example.no>." in result.stdout
    _, text, _ = guide_text(tmp_path / "SMSO-handlingsplan-2027-42-Agder.xlsx")
    assert "Kari Koordinator" in text and "(kari@example.no)" in text
    assert "smso-koordinator@example.no" not in text


def test_coordinator_from_the_settings_file(tmp_path: Path) -> None:
    settings = tmp_path / "innstillinger.yaml"
    settings.write_text("coordinator:\n  name: Per Persen\n  email: per@example.no\n",
                        encoding="utf-8")
    result = run("--year", "2027", "--region", "42", "--settings", settings, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    _, text, _ = guide_text(tmp_path / "SMSO-handlingsplan-2027-42-Agder.xlsx")
    assert "Per Persen" in text and "(per@example.no)" in text


@pytest.mark.parametrize(("text", "expected"), [
    (KARI, ("Kari Koordinator", "kari@example.no")),
    ("kari@example.no", ("", "kari@example.no")),
    ('"Nordmann, Kari" <kari@example.no>', ("Nordmann, Kari", "kari@example.no")),
])
def test_parse_coordinator(text: str, expected: tuple[str, str]) -> None:
    assert parse_coordinator(text) == expected


@pytest.mark.parametrize("text", ["kari", "Kari <kari>", "kari@example", ""])
def test_a_coordinator_that_is_no_address_is_a_usage_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="er ikke en e-postadresse"):
        parse_coordinator(text)
    result = run("--year", "2027", "--region", "42", "--out", tmp_path, "--coordinator", text)
    assert result.exit_code == 2 and list(tmp_path.iterdir()) == []


def test_return_date_option(tmp_path: Path) -> None:
    result = run("--year", str(TOMORROW.year), "--region", "42", "--out", tmp_path,
                 "--coordinator", KARI, "--return-date", f"{TOMORROW:%d.%m.%Y}")
    assert result.exit_code == 0, result.output
    assert f"Innleveringsfrist {TOMORROW:%d.%m.%Y}" in result.stdout
    (path,) = tmp_path.glob("*.xlsx")
    _, text, _ = guide_text(path)
    assert f"innen {TOMORROW:%d.%m.%Y}" in " ".join(text.split())


@pytest.mark.parametrize("value", ["01.01.2020", f"{dt.date.today() - dt.timedelta(1):%d.%m.%Y}",
                                   "snart", "31.02.2027"])
def test_a_return_date_that_has_passed_or_is_none_is_a_usage_error(tmp_path: Path,
                                                                    value: str) -> None:
    result = run("--year", "2027", "--region", "42", "--out", tmp_path / "ut",
                 "--coordinator", KARI, "--return-date", value)
    assert result.exit_code == 2
    assert "«--return-date»" in result.stderr
    assert not (tmp_path / "ut").exists()


def test_a_settings_return_date_that_has_passed_is_not_used() -> None:
    settings = dataclasses.replace(load_settings(), return_date=dt.date(2026, 1, 31))
    assert return_date(settings, 2026, dt.date(2026, 9, 20)) == dt.date(2026, 10, 18)
    assert return_date(settings, 2026, dt.date(2026, 1, 2)) == dt.date(2026, 1, 31)


def test_status_round_says_so_with_its_own_return_date(tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    clean_plan(inbox, name="Agder.xlsx")  # region 42, plan year 2026
    made = dt.datetime(2026, 9, 20, 9, 0, tzinfo=dt.UTC)
    settings = dataclasses.replace(load_settings(), coordinator_email="kari@example.no",
                                   return_date=dt.date(2026, 1, 31))  # last winter's
    result = generate_round([inbox], regions=default_regions(), region_codes=["42", "03"],
                            out_dir=tmp_path / "runde-2", settings=settings, now=made)
    assert result.generated.return_date == dt.date(2026, 10, 18)  # four weeks after
    by_code = {f.region.code: f.path for f in result.generated.files}
    title, text, organisering = guide_text(by_code["42"])
    assert title == "Lokal handlingsplan for SMSØ – Agder 2026 – Statusrunde per 20.09.2026"
    assert organisering == "Organisering – Agder 2026 – Statusrunde per 20.09.2026"
    assert "innen 18.10.2026" in " ".join(text.split())
    # Oslo sent nothing: its blank workbook is a plan to start, not a status report.
    title, _, organisering = guide_text(by_code["03"])
    assert "Statusrunde" not in title and "Statusrunde" not in organisering


def test_reply_drafts_need_the_coordinator_too(tmp_path: Path) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    clean_plan(inbox, name="Agder.xlsx", action={"Ansvarlig": None})
    result = CliRunner().invoke(main, ["validate", str(inbox), "--feedback",
                                       str(tmp_path / "retur"), "--drafts"])
    assert result.exit_code == 2 and "--coordinator «Navn <e-post>»" in result.stderr
    assert not (tmp_path / "retur").exists()  # stopped before anything was written
    result = CliRunner().invoke(main, ["validate", str(inbox), "--feedback",
                                       str(tmp_path / "retur"), "--drafts",
                                       "--coordinator", KARI])
    assert result.exit_code == 1, result.output  # the plan's error
    draft = (tmp_path / "retur" / "Agder-tilbakemelding.eml").read_text(encoding="utf-8")
    assert "From: Kari Koordinator <kari@example.no>" in draft

"""The JSON reports are contracts: a JSON Schema per report ships in ``smso_xl/schemas``, and
the commands' real output is checked against it here."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from smso_xl.base.provenance import Provenance
from smso_xl.cli.commands import main
from smso_xl.round.validation import validate
from tests.workbooks import make_plan

REPORTS = ("validate", "consolidate", "compare")
FORM = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
        "Overordnet mål for samarbeidet": "Mindre svart arbeid"}


def schema(report: str) -> dict[str, Any]:
    """The schema as installed with the package."""
    text = resources.files("smso_xl").joinpath(f"schemas/{report}.schema.json").read_text("utf-8")
    return json.loads(text)


def check(report: str, data: object) -> None:
    jsonschema.Draft202012Validator(schema(report)).validate(data)


def _action(status: str, deadline: dt.date) -> dict[str, Any]:
    return {"Mål-ID": "M1", "Tiltak": "Skolebesøk", "Ansvarlig": "Per Ås", "Frist": deadline,
            "Status": status}


def _round(folder: Path, status: str, deadline: dt.date) -> Path:
    folder.mkdir()
    rows = {"Mål": [{"Mål": "Færre unge i svart arbeid", "Frist": dt.date(2026, 11, 1),
                     "Ansvarlig": "Kari Nordmann"}],
            "Tiltak": [_action(status, deadline), {"Tiltak": "Uten ansvarlig"}]}
    make_plan(folder, region="42", rows=rows, form=FORM, name="Agder.xlsx")
    good = (folder / "Agder.xlsx").read_bytes()
    (folder / "SMSO-handlingsplan-2026-40-Telemark.xlsx").write_bytes(good[:500])
    return folder


@pytest.fixture
def rounds(tmp_path: Path) -> tuple[Path, Path]:
    return (_round(tmp_path / "vaar", "Pågår", dt.date(2026, 5, 1)),
            _round(tmp_path / "hoest", "Fullført", dt.date(2026, 6, 15)))


@pytest.mark.parametrize("report", REPORTS)
def test_each_schema_is_a_valid_schema_and_shipped(report: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(report))
    setup = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text("utf-8")
    assert "schemas/*.json" in setup


def _json(*args: str) -> Any:
    run = CliRunner().invoke(main, [*args, "--format", "json"])
    assert run.exit_code in (0, 1), run.output
    return json.loads(run.stdout)


@pytest.mark.slow
def test_validate_output_matches_its_schema(rounds: tuple[Path, Path]) -> None:
    spring, _ = rounds
    report = _json("validate", str(spring), "--today", "2026-06-01")
    check("validate", report)
    assert {f["ok"] for f in report["files"]} == {False}  # findings of both kinds were checked
    sent = dt.datetime(2026, 2, 3, 8, 0, tzinfo=dt.UTC)

    def lookup(path: Path, sha256: str | None) -> Provenance:
        return Provenance(sha256=sha256 or "", saved_name=path.name, original_name=path.name,
                          sender_name="Kari", sender_address="kari@example.no",
                          subject="Plan", sent=sent, message_id="<1@x>", source="a.eml")

    collected = validate([spring], today=dt.date(2026, 6, 1), provenance=lookup).to_json()
    assert all("mail" in f for f in collected["files"])
    check("validate", collected)


def test_consolidate_output_matches_its_schema(rounds: tuple[Path, Path],
                                               tmp_path: Path) -> None:
    spring, _ = rounds
    report = _json("consolidate", str(spring), "--out", str(tmp_path / "o.xlsx"),
                   "--year", "2026", "--today", "2026-06-01")
    check("consolidate", report)
    assert {r["status"] for r in report["regions"]} == {"Mottatt med feil", "Uleselig",
                                                        "Ikke mottatt"}


def test_compare_output_matches_its_schema(rounds: tuple[Path, Path]) -> None:
    spring, autumn = rounds
    report = _json("compare", str(spring), str(autumn))
    check("compare", report)
    days = [c.get("days") for r in report["regions"] for c in r["changes"]]
    assert 45 in days  # a deadline moved, with its optional key


def test_a_report_that_breaks_its_schema_is_caught() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check("validate", {"files": [{"path": "a.xlsx", "ok": "ja"}], "summary": {}})


def test_readme_and_help_point_to_the_schemas_not_the_spec() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for report in REPORTS:
        assert f"smso_xl/schemas/{report}.schema.json" in readme
        text = CliRunner().invoke(main, [report, "--help"]).output
        assert "§" not in text and f"{report}.schema.json" in text  # no section of any document

"""A region sends its plan, gets the feedback copy, fixes it and sends the copy back (issue
28.1): ``validate`` on the inbox judges the region by its newest return, chosen exactly as
``consolidate`` chooses; the older file is listed, not judged; ``--all`` judges each file;
the fixed copy's own copy is named once; Avvik holds the chosen files' findings only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smso_xl.cli.commands import main
from smso_xl.round.consolidation import SUPERSEDED, consolidate
from smso_xl.round.feedback import feedback_name, write_feedback
from smso_xl.round.validation import validate
from smso_xl.round.workflows import check_returns
from smso_xl.workbook import fill
from tests.test_rules import TODAY, clean_plan

TODAY_ARG = TODAY.isoformat()
FIRST = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
FIXED = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, ["validate", *map(str, args)],
                                env={"SMSO_TODAY": None})  # type: ignore[dict-item]
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Agder's first return (2 errors), and the feedback copy it fixed and sent back."""
    folder = tmp_path / "innboks"
    folder.mkdir()
    first = clean_plan(tmp_path, name="Handlingsplan Agder.xlsx",
                       action={"Ansvarlig": None, "Frist": "snart"})
    fill.fill_plan(first, folder / first.name, saved_at=FIRST)
    (report,) = validate([folder / first.name], today=TODAY).files
    assert [f.code for f in report.findings] == ["responsible-missing", "date-invalid"]
    copy = write_feedback(report, tmp_path / "retur-1")
    assert copy is not None and copy.name == "Handlingsplan Agder-tilbakemelding.xlsx"
    fill.fill_plan(copy, folder / copy.name, saved_at=FIXED, rows={"Tiltak": [
        {"ID": "T1", "Ansvarlig": "Kari Nordmann", "Frist": dt.date(2026, 10, 1)}]})
    return folder


def test_the_region_is_judged_by_its_fixed_copy(inbox: Path) -> None:
    result = run(inbox, "--today", TODAY_ARG)
    assert result.exit_code == 0, result.output
    assert "Handlingsplan Agder-tilbakemelding.xlsx (region 42 Agder, 2026): OK" in result.stdout
    assert "1 fil kontrollert: 1 uten feil, 0 med feil. Funn: 0 feil" in result.stdout
    old = inbox / "Handlingsplan Agder.xlsx"
    assert (f"  {old}: erstattet av Handlingsplan Agder-tilbakemelding.xlsx"
            in result.stdout.splitlines())
    assert "2 feil" not in result.stdout


def test_json_lists_the_superseded_file(inbox: Path) -> None:
    result = run(inbox, "--today", TODAY_ARG, "--format", "json")
    report = json.loads(result.stdout)
    assert [Path(f["path"]).name for f in report["files"]] == [
        "Handlingsplan Agder-tilbakemelding.xlsx"]
    assert [(Path(s["path"]).name, Path(s["superseded_by"]).name, s["duplicate"])
            for s in report["superseded"]] == [
        ("Handlingsplan Agder.xlsx", "Handlingsplan Agder-tilbakemelding.xlsx", False)]
    assert report["summary"] == {"files": 1, "ok": 1, "errors": 0, "warnings": 0}


def test_the_choice_is_consolidates(inbox: Path) -> None:
    chosen = consolidate([inbox], today=TODAY)
    by_name = {s.path.name: s for s in chosen.submissions}
    assert by_name["Handlingsplan Agder.xlsx"].status == SUPERSEDED
    check = check_returns([inbox], today=TODAY)
    assert [r.path for r in check.report.files] == [s.path for s in chosen.chosen]
    # Avvik (all_findings) holds the chosen file's findings, not the old file's two errors.
    assert [(s.path.name, f.code) for s, f in chosen.all_findings() if s] == []


def test_all_judges_every_file(inbox: Path) -> None:
    result = run(inbox, "--today", TODAY_ARG, "--all")
    assert result.exit_code == 1
    assert "2 filer kontrollert: 1 uten feil, 1 med feil. Funn: 2 feil" in result.stdout
    assert "erstattet av" not in result.stdout


def test_a_file_named_on_its_own_is_judged(inbox: Path) -> None:
    result = run(inbox / "Handlingsplan Agder.xlsx", "--today", TODAY_ARG)
    assert result.exit_code == 1 and "2 feil" in result.stdout


def test_feedback_only_for_the_chosen_file_and_named_once(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "retur-2"
    result = run(inbox, "--today", TODAY_ARG, "--feedback", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["Handlingsplan Agder-tilbakemelding.xlsx"]
    assert "Tilbakemeldinger: 1 fil skrevet i" in result.stdout


def test_identical_copies_are_listed_as_copies(tmp_path: Path) -> None:
    folder = tmp_path / "innboks"
    folder.mkdir()
    plan = clean_plan(folder, name="Agder.xlsx")
    (folder / "Agder (2).xlsx").write_bytes(plan.read_bytes())
    check = check_returns([folder], today=TODAY)
    assert [(s.path.name, s.by.name, s.duplicate) for s in check.superseded] == [
        ("Agder (2).xlsx", "Agder.xlsx", True)]
    assert "lik kopi av Agder.xlsx" in run(folder, "--today", TODAY_ARG).stdout


@pytest.mark.parametrize(("name", "copy"), [
    ("Agder.xlsx", "Agder-tilbakemelding.xlsx"),
    ("Agder-tilbakemelding.xlsx", "Agder-tilbakemelding.xlsx"),
    ("Agder-Tilbakemelding (2).xlsx", "Agder-tilbakemelding.xlsx"),
    ("Agder_tilbakemelding.xlsm", "Agder-tilbakemelding.xlsm"),
    ("tilbakemelding.xlsx", "tilbakemelding-tilbakemelding.xlsx"),  # a stem of its own
])
def test_feedback_name_once(name: str, copy: str) -> None:
    assert feedback_name(Path(name), Path(name).suffix.lstrip(".")) == copy


def test_consolidate_previous_prints_what_changed(tmp_path: Path) -> None:
    """consolidate --previous: the changes since the earlier round in one sentence (28.6)."""
    spring, autumn = tmp_path / "innboks", tmp_path / "innboks-statusrunde"
    spring.mkdir()
    autumn.mkdir()
    clean_plan(spring, name="Agder.xlsx", action={"Status": "Pågår"})
    clean_plan(autumn, name="Statusrapport Agder.xlsx", action={"Status": "Fullført"})
    result = CliRunner().invoke(main, ["consolidate", str(autumn), "--out",
                                       str(tmp_path / "o.xlsx"), "--previous", str(spring),
                                       "--today", TODAY_ARG])
    assert result.exit_code == 0, result.output
    assert ("Endringer siden forrige runde: 1 region med endringer: 0 nye rader og 0 fjernede "
            "rader, 1 statusendring, 0 frister flyttet, 0 med ny ansvarlig. Hver endring står "
            "på arket Endringer.") in result.stdout.splitlines()

"""``smso-xl validate`` on the command line: the JSON report is the library's, exit codes
follow docs/reference.md §4.3, "today" is fixed by --today or SMSO_TODAY, inputs are untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smso_xl.cli.commands import main
from smso_xl.round.validation import validate
from smso_xl.round.workflows import check_returns
from tests.builders import CLEAN_FORM, TODAY, clean_plan, clean_rows
from tests.workbooks import ADDRESSED_VERSION, make_plan

TODAY_ARG = TODAY.isoformat()
FILE_KEYS = {"path", "region", "year", "template_version", "ok", "findings"}
FINDING_KEYS = {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    # SMSO_TODAY is cleared unless a test sets it, so the developer's shell cannot leak in.
    result = CliRunner().invoke(main, ["validate", *map(str, args)],
                                env={"SMSO_TODAY": None, **(env or {})})  # type: ignore[dict-item]
    assert "Traceback" not in result.output, result.output
    # A user's mistake ends in SystemExit with a code, never in another exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder as the coordinator receives it: two regions' plans, one with problems."""
    folder = tmp_path / "innboks"
    folder.mkdir()
    clean_plan(folder, name="Agder.xlsx")
    make_plan(folder, region="11", name="Kopi av Rogaland (2).xlsx", form=CLEAN_FORM,
              rows=clean_rows(action={"Frist": "snart", "Ansvarlig": "?"},
                              goal={"Status": "pågår"}))
    return folder


# --- JSON -----------------------------------------------------------------------------------


def test_json_equals_the_library_report(inbox: Path) -> None:
    result = run(inbox, "--format", "json", "--today", TODAY_ARG)
    assert result.exit_code == 1
    printed = json.loads(result.stdout)
    assert printed == check_returns([inbox], today=TODAY).to_json()
    assert printed["superseded"] == []  # two regions: nothing left aside
    # The premise: there is something in it to compare.
    assert [len(f["findings"]) for f in printed["files"]] == [0, 3]


def test_json_shape(inbox: Path) -> None:
    (inbox / "notat.xlsx").write_text("ikke en arbeidsbok\n", encoding="utf-8")
    result = run(inbox, "--format", "json", "--today", TODAY_ARG, "--year", "2027")
    report = json.loads(result.stdout)
    assert set(report) == {"files", "summary", "superseded"}
    assert report["summary"] == {"files": 3, "ok": 0, "errors": 5, "warnings": 1}
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert set(by_name) == {"Agder.xlsx", "Kopi av Rogaland (2).xlsx", "notat.xlsx"}
    for entry in report["files"]:
        assert set(entry) == FILE_KEYS
        for item in entry["findings"]:
            assert set(item) == FINDING_KEYS
            assert item["severity"] in ("error", "warning", "info")
    agder = by_name["Agder.xlsx"]
    assert (agder["region"], agder["year"], agder["template_version"], agder["ok"]) == (
        "42", 2026, ADDRESSED_VERSION, False)
    # A file-level finding has no sheet, cell, row or column.
    assert agder["findings"] == [{
        "code": "year-mismatch", "severity": "error", "sheet": None, "cell": None, "row": None,
        "column": None, "value": "2026",
        "message": "Planen gjelder 2026, men det samles inn planer for 2027. "
                   "Bruk arbeidsboken for 2027."}]
    # An unreadable file has no identity at all.
    unreadable = by_name["notat.xlsx"]
    assert (unreadable["region"], unreadable["year"], unreadable["template_version"]) == (
        None, None, None)
    assert [f["code"] for f in unreadable["findings"]] == ["file-not-workbook"]
    # A cell-level finding carries its place, as the user sees it.
    problems = by_name["Kopi av Rogaland (2).xlsx"]["findings"]
    assert [(f["code"], f["sheet"], f["cell"], f["row"], f["column"], f["value"])
            for f in problems] == [
        ("year-mismatch", None, None, None, None, "2026"),
        ("choice-near-miss", "Mål", "J2", 2, "Status", "pågår"),
        ("responsible-placeholder", "Tiltak", "H2", 2, "Ansvarlig", "?"),
        ("date-invalid", "Tiltak", "L2", 2, "Frist", "snart"),
    ]


def test_json_output_is_only_json(inbox: Path) -> None:
    result = run(inbox, "--format", "json", "--today", TODAY_ARG)
    json.loads(result.stdout)  # no progress line or summary mixed into stdout
    assert result.stderr == ""


# --- exit codes -------------------------------------------------------------------------------


def test_exit_0_when_clean(tmp_path: Path) -> None:
    result = run(clean_plan(tmp_path), "--today", TODAY_ARG)
    assert result.exit_code == 0, result.output


def test_exit_1_on_errors(tmp_path: Path) -> None:
    result = run(clean_plan(tmp_path, action={"Ansvarlig": None}), "--today", TODAY_ARG)
    assert result.exit_code == 1, result.output


def test_warnings_exit_0_and_1_with_strict(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, action={"Status": "pågår"})
    assert validate([path], today=TODAY).summary["warnings"] == 1  # the premise
    assert run(path, "--today", TODAY_ARG).exit_code == 0
    assert run(path, "--today", TODAY_ARG, "--strict").exit_code == 1


def test_strict_on_a_clean_file_is_0(tmp_path: Path) -> None:
    assert run(clean_plan(tmp_path), "--today", TODAY_ARG, "--strict").exit_code == 0


def test_exit_1_when_an_unreadable_file_is_among_good_ones(tmp_path: Path) -> None:
    good = clean_plan(tmp_path, name="Agder.xlsx")
    broken = tmp_path / "Rogaland.xlsx"
    broken.write_bytes(good.read_bytes()[:3000])
    result = run(good, broken, "--today", TODAY_ARG, "--format", "json")
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [(Path(f["path"]).name, f["ok"]) for f in files] == [("Agder.xlsx", True),
                                                                ("Rogaland.xlsx", False)]


@pytest.mark.parametrize("today", ["i morgen", "31.02.2026", "mars 2026", ""])
def test_exit_2_for_a_bad_today(tmp_path: Path, today: str) -> None:
    path = clean_plan(tmp_path)
    result = run(path, "--today", today) if today else run(path, env={"SMSO_TODAY": "snart"})
    assert result.exit_code == 2, result.output
    assert "--today" in result.stderr and "SMSO_TODAY" in result.stderr
    assert result.stdout == ""


def test_exit_2_for_a_path_that_does_not_exist(tmp_path: Path) -> None:
    result = run(tmp_path / "finnes-ikke.xlsx", "--today", TODAY_ARG)
    assert result.exit_code == 2
    assert "finnes-ikke.xlsx" in result.stderr


def test_exit_2_for_a_bad_regions_file(tmp_path: Path) -> None:
    regions = tmp_path / "regioner.txt"
    regions.write_text("03 Oslo\n", encoding="utf-8")
    result = run(clean_plan(tmp_path), "--regions", regions, "--today", TODAY_ARG)
    assert result.exit_code == 2
    assert result.stderr.startswith("Feil: ")


def test_regions_and_year_options(tmp_path: Path) -> None:
    path = clean_plan(tmp_path)
    regions = tmp_path / "regioner.csv"
    regions.write_text("code,name,counties,email\n03,Oslo,Oslo,\n", encoding="utf-8")
    result = run(path, "--regions", regions, "--year", "2027", "--format", "json",
                 "--today", TODAY_ARG)
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert [f["code"] for f in entry["findings"]] == ["region-unknown", "year-mismatch"]


# --- today ----------------------------------------------------------------------------------


def overdue_codes(result: Result) -> list[str]:
    (entry,) = json.loads(result.stdout)["files"]
    return [f["code"] for f in entry["findings"]]


@pytest.fixture
def due_in_may(tmp_path: Path) -> Path:
    return clean_plan(tmp_path, action={"Frist": dt.date(2026, 5, 15)})


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({"SMSO_TODAY": "2026-06-01"}, [], ["deadline-overdue"]),
    ({"SMSO_TODAY": "01.05.2026"}, [], []),
    ({}, ["--today", "01.06.2026"], ["deadline-overdue"]),
    ({}, ["--today", "2026-05-01"], []),
    # --today wins over the environment.
    ({"SMSO_TODAY": "2026-06-01"}, ["--today", "2026-05-01"], []),
    ({"SMSO_TODAY": "2026-05-01"}, ["--today", "2026-06-01"], ["deadline-overdue"]),
])
def test_today_from_option_or_environment(due_in_may: Path, env: dict[str, str],
                                          args: list[str], expected: list[str]) -> None:
    result = run(due_in_may, "--format", "json", *args, env=env)
    assert overdue_codes(result) == expected
    assert result.exit_code == 0  # overdue is a warning


# --- text -----------------------------------------------------------------------------------


def test_text_groups_by_file_and_sheet(inbox: Path) -> None:
    result = run(inbox, "--today", TODAY_ARG)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    clean = next(i for i, line in enumerate(lines) if "Agder.xlsx (" in line)
    problems = next(i for i, line in enumerate(lines) if "Kopi av Rogaland (2).xlsx (" in line)
    assert "region 11 Rogaland, 2026" in lines[problems] and "2 feil" in lines[problems]
    assert lines[clean].endswith("OK")
    block = lines[problems + 1:problems + 6]
    assert block[0] == "  Mål"
    assert block[1].split()[:2] == ["J2", "advarsel"]
    assert block[2] == "  Tiltak"
    assert block[3].split()[:2] == ["H2", "feil"]
    assert block[3].endswith("Ansvarlig «?» er ikke en person. Skriv navnet på én bestemt "
                             "person.")
    assert block[4].split()[:2] == ["L2", "feil"]
    assert not any("[" in line for line in block)  # codes only with --verbose
    assert lines[-1] == ("2 filer kontrollert: 1 uten feil, 1 med feil. Funn: 2 feil, 1 advarsel, "
                         "0 merknader.")
    verbose = run(inbox, "--today", TODAY_ARG, "--verbose").stdout.splitlines()
    assert verbose[problems + 2].endswith("[choice-near-miss]")
    assert verbose[problems + 4].endswith("[responsible-placeholder]")
    assert verbose[problems + 5].endswith("[date-invalid]")


def test_text_shows_file_level_findings_without_a_cell(tmp_path: Path) -> None:
    broken = tmp_path / "tom.xlsx"
    broken.write_bytes(b"")
    result = run(broken, "--today", TODAY_ARG)
    assert result.exit_code == 1
    assert "tom.xlsx (ukjent): 1 feil" in result.stdout
    assert "Filen er tom (0 byte)." in result.stdout and "[file-empty]" not in result.stdout
    assert "[file-empty]" in run(broken, "--today", TODAY_ARG, "-v").stdout


# --- inputs are never modified ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("extra", [
    pytest.param([], id="text"),
    pytest.param(["--format", "json"], id="json"),
    pytest.param(["--feedback", "{out}"], id="feedback"),
])
def test_inputs_are_byte_identical_after_validate(inbox: Path, tmp_path: Path,
                                                  extra: list[str]) -> None:
    (inbox / "notat.xlsx").write_text("ikke en arbeidsbok\n", encoding="utf-8")
    before = {p: sha256(p) for p in sorted(inbox.iterdir())}
    out = tmp_path / "retur"
    args = [a.format(out=out) for a in extra]
    result = run(inbox, "--today", TODAY_ARG, *args)
    assert result.exit_code == 1
    assert {p: sha256(p) for p in sorted(inbox.iterdir())} == before
    if "--feedback" in extra:
        written = sorted(p.name for p in out.iterdir())
        assert len(written) == 2  # one copy per readable input, beside (not over) the inputs
        assert not set(written) & {p.name for p in before}

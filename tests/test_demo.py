"""``smso-xl demo``: the whole round from an empty folder, no network, no LibreOffice."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from smso_xl.cli.commands import main
from tests.tiers import takes_seconds


@pytest.fixture(scope="module")
@takes_seconds  # the whole demo round
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("tom")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        result = CliRunner().invoke(main, ["demo", "--year", "2027"])
    assert result.exit_code == 0, result.output
    return cwd / "smso-demo", result.output


def test_demo_leaves_every_part_of_the_round(demo_run: tuple[Path, str]) -> None:
    folder, _ = demo_run
    assert len(list((folder / "1-utsendt").glob("*.xlsx"))) == 15
    inbox = sorted(p.name for p in (folder / "2-innboks").iterdir())
    assert "Kopi av SMSO-handlingsplan-2027-42-Agder (2).xlsx" in inbox and len(inbox) == 10
    feedback = list((folder / "3-tilbakemeldinger").glob("*.xlsx"))
    assert len(feedback) == 8  # every region's newest readable return; not the broken file
    book = openpyxl.load_workbook(folder / "4-nasjonal-oversikt-2027.xlsx")
    assert book.sheetnames[0] == "Oversikt"


def test_demo_shows_the_typical_mistakes_and_says_what_to_open(
        demo_run: tuple[Path, str]) -> None:
    _, output = demo_run
    # The console leads with the Norwegian message; the codes are for --verbose and JSON.
    for words in ("mangler ansvarlig", "er ikke en dato", "er ikke en person",
                  "mangler risikoreduserende tiltak", "er skrevet som tekst, ikke som en dato",
                  "er passert, men status er", "Filen kan ikke leses"):
        assert words in output, words
    assert "[responsible-missing]" not in output
    assert "Åpne først:" in output and "4-nasjonal-oversikt-2027.xlsx" in output


def test_demo_chooses_the_corrected_version_and_lists_silent_regions(
        demo_run: tuple[Path, str]) -> None:
    folder, _ = demo_run
    book = openpyxl.load_workbook(folder / "4-nasjonal-oversikt-2027.xlsx")
    rows = list(book["Innsendinger"].iter_rows(min_row=3, values_only=True))  # the table
    header = rows[0]
    status = {r[header.index("Fil")]: r[header.index("Status")] for r in rows[1:]}
    assert status["Kopi av SMSO-handlingsplan-2027-42-Agder (2).xlsx"] == "Med"
    assert status["Handlingsplan Agder.xlsx"] == "Erstattet av nyere versjon"
    status = {}
    for row in book["Oversikt"].iter_rows(min_row=5, max_col=3, values_only=True):
        if row[0] == "Totalt":
            break
        status[row[0]] = row[2]
    assert status["56"] == "Ikke mottatt" and status["03"] == "Mottatt"
    assert status["40"] == "Uleselig"  # the broken file, by the name generate gave it


def test_a_second_demo_gets_a_new_folder_and_a_full_folder_is_refused(tmp_path: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smso-demo").mkdir()
    (tmp_path / "smso-demo" / "mine.txt").write_text("ikke rør")
    refused = CliRunner().invoke(main, ["demo", "smso-demo"])
    assert refused.exit_code == 2 and "ikke en tom mappe" in refused.output
    assert "Traceback" not in refused.output
    from smso_xl.round.demo import demo_folder

    assert demo_folder(tmp_path) == tmp_path / "smso-demo-2"


def test_demo_regions_differ_as_real_ones_do(demo_run: tuple[Path, str]) -> None:
    folder, output = demo_run
    ws = openpyxl.load_workbook(folder / "4-nasjonal-oversikt-2027.xlsx")["Oversikt"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header = rows[0]
    lines = {}
    for row in rows[1:]:
        if row[0] == "Totalt":
            break
        lines[row[0]] = dict(zip(header, row, strict=True))
    sent = {code: r for code, r in lines.items() if r["Tiltak"] is not None}
    for figure in ("Mål", "Tiltak", "Timer (parter)", "Budsjett (kr)", "Fullført"):
        assert len({r[figure] for r in sent.values()}) >= 3, figure  # no copy-paste
    most = max(sent.values(), key=lambda r: r["Forfalt"])
    assert most["Forfalt"] >= 5 and most["Forfalt"] >= most["Tiltak"] - 1  # many overdue
    behind = min(sent.values(), key=lambda r: r["Tiltak"])
    assert behind["Tiltak"] <= 3 and behind["Fullført"] == 0  # far behind
    statuses = {r["Status"] for r in lines.values()}
    assert statuses == {"Mottatt", "Mottatt med feil", "Uleselig", "Ikke mottatt"}
    assert "fra 9 regioner" in output

"""A returned plan re-saved by LibreOffice (as .xlsx and as .ods) gives the same findings, at
the same cells, as the file it was saved from: LibreOffice's way of storing dates, text,
formulas, hidden sheets and document properties must not change what the validator sees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smso_xl.round.validation import validate
from tests.builders import TODAY, YEAR, clean_plan, codes_at, risk
from tests.libreoffice import convert, require_soffice
from tests.tiers import runs_libreoffice
from tests.workbooks import ADDRESSED_VERSION

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

#: The problems planted in the returned plan, in report order.
EXPECTED = [
    ("responsible-placeholder", "Mål", "I2"),          # Ansvarlig "TBD"
    ("choice-near-miss", "Mål", "J2"),                  # Status "pågår"
    ("responsible-missing", "Tiltak", "H2"),            # T1 without Ansvarlig
    ("date-outside-period", "Tiltak", "K3"),            # T2 starts in 2025
    ("date-invalid", "Tiltak", "L3"),                   # T2 Frist "snart"
    ("risk-unmitigated", "Risiko", "H2"),               # 4 × 5 = 20: Høy, no mitigation
]


@pytest.fixture(scope="module")
@runs_libreoffice
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The returned plan, and the same plan re-saved by LibreOffice as .xlsx and as .ods
    (two conversions for the whole module: each costs a LibreOffice start)."""
    require_soffice()
    folder = tmp_path_factory.mktemp("returned")
    second = {"ID": "T2", "Mål-ID": "M1", "Tiltak": "Kampanje i sommerferien",
              "Ansvarlig": "Ola Nordmann", "Ansvarlig part": "NHO",
              "Start": dt.date(2025, 12, 1), "Frist": "snart", "Status": "Ikke startet"}
    original = clean_plan(
        folder, name="Agder.xlsx", goal={"Ansvarlig": "TBD", "Status": "pågår"},
        action={"Ansvarlig": None},
        extra={"Tiltak": [second],
               "Risiko": [risk(p=4, k=5, Ansvarlig="Kari Nordmann",
                               Frist=dt.date(2026, 9, 1))]})
    return {
        "original": original,
        "xlsx": convert(original, tmp_path_factory.mktemp("lo-xlsx"), "xlsx"),
        "ods": convert(original, tmp_path_factory.mktemp("lo-ods"), "ods"),
    }


def test_original_has_the_planted_problems(saved: dict[str, Path]) -> None:
    report = validate([saved["original"]], today=TODAY, year=YEAR)
    assert codes_at(report) == EXPECTED


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_copy_gives_the_same_findings(saved: dict[str, Path], fmt: str) -> None:
    copy = saved[fmt]
    assert copy.suffix == f".{fmt}"
    report = validate([copy], today=TODAY, year=YEAR)
    assert codes_at(report) == EXPECTED
    (file_report,) = report.files
    assert file_report.workbook is not None and file_report.workbook.format == fmt
    # The identity survived the re-save (sheet or document properties).
    assert (file_report.region, file_report.year, file_report.template_version) == (
        "42", 2026, ADDRESSED_VERSION)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_copy_gives_the_same_values(saved: dict[str, Path], fmt: str) -> None:
    """Not only the findings: the parsed rows (dates as dates, the recomputed risk) agree."""
    reports = validate([saved["original"], saved[fmt]], today=TODAY, year=YEAR)
    plans = [r.plan for r in reports.files]
    assert plans[0] is not None and plans[1] is not None
    for sheet in ("Mål", "Tiltak", "Risiko", "Parter", "Egenvurdering"):
        original = [(r.row, r.values) for r in plans[0].rows[sheet]]
        copy = [(r.row, r.values) for r in plans[1].rows[sheet]]
        assert copy == original, sheet
    assert plans[1].form == plans[0].form
    tiltak = plans[1].rows["Tiltak"]
    assert tiltak[1].values["start"] == dt.date(2025, 12, 1)
    assert (plans[1].rows["Risiko"][0].values["risikoskar"],
            plans[1].rows["Risiko"][0].values["risikoniva"]) == (20, "Høy")

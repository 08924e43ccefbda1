"""The validation rules of docs/reference.md §5, one test per rule, asserted by code, sheet, cell.

Every test starts from a *clean* returned plan (``tests.builders.clean_rows``: the form
filled, a stand on every party, every criterion ``Oppfylt``, one goal M1 and one action T1
fully filled), which validates with no findings at all. A test adds only its own problem, so
the exact list of ``(code, sheet, cell)`` it asserts is the whole report.

The plans are built in memory (``build_clean_plan``), as the reader would hand them to the
rules; tests/test_builders.py holds that to the files. What only a file can show — moved,
inserted and merged columns, renamed and deleted sheets, the 1904 date system, the identity
in the metadata and document properties, files that are no workbook — is written to a file
and read.

Cell addresses follow the generated layout: header in row 1, data from row 2.
Tiltak: A ID, B Mål-ID, C Tiltak, H Ansvarlig, I Ansvarlig part, K Start, L Frist, M Status,
N Timer, O Budsjett (kr). Mål: E Indikator, G Målverdi, H Frist, I Ansvarlig.
Risiko: C Gjelder, D Sannsynlighet, E Konsekvens, F Risikoskår, G Risikonivå,
H Risikoreduserende tiltak, I Ansvarlig, J Frist. Egenvurdering: B Vurdering, D Oppfølging,
E Ansvarlig, F Frist. Parter: C Deltakelse, D Representant, E E-post, F Timer per år,
G Mandat avklart. Organisering: B7 Leder, B9 E-post leder, B13 Overordnet mål.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from smso_xl.base.cells import parse_a1
from smso_xl.base.findings import CATALOGUE, ERROR, INFO, WARNING
from smso_xl.round.validation import validate
from smso_xl.template import rules
from smso_xl.template.definition import load_template
from smso_xl.template.kinds import Context, kind_of
from tests.builders import (
    CLEAN_ACTION,
    CLEAN_GOAL,
    PARTICIPANT,
    PARTIES,
    TODAY,
    YEAR,
    build_clean_plan,
    build_plan,
    check,
    clean_plan,
    codes_at,
    only,
    risk,
)
from tests.planting import planted_plans
from tests.workbooks import edit_workbook, generated

TEMPLATE = load_template()
#: Prefilled rows: parties and criteria from row 2, in the configured order.
PARTY_ROW = {name: i + 2 for i, name in enumerate(PARTIES)}
CRITERION_ROW = [i + 2 for i in range(len(TEMPLATE.criteria))]
TABLE_LAST_ROW = 201  # 200 data rows under the header

Codes = list[tuple[str, str | None, str | None]]
Values = dict[str, object]


# --- the clean base ---------------------------------------------------------------------------


def test_clean_plan_has_no_findings() -> None:
    report = check(build_clean_plan())
    assert codes_at(report) == []
    assert report.summary["errors"] == 0 and report.summary["warnings"] == 0
    (file_report,) = report.files
    assert file_report.ok and file_report.region == "42" and file_report.year == 2026


def test_empty_rows_and_rows_with_only_an_id_are_not_findings() -> None:
    book = openpyxl.load_workbook(generated("42", YEAR), read_only=True)
    # The premise: empty rows hold nothing, no ID and no formula (LibreOffice would print
    # them, issue 16).
    assert book["Mål"]["A3"].value is None and book["Risiko"]["A2"].value is None
    assert book["Risiko"]["F2"].value is None and book["Risiko"]["G2"].value is None
    book.close()
    # an ID picked from the dropdown, nothing else yet
    report = check(build_clean_plan(cells={"Mål": {"A3": "M2"}, "Risiko": {"A2": "R1"}}))
    assert codes_at(report) == []
    plan = report.files[0].plan
    assert plan is not None
    assert [r.id for r in plan.rows["Mål"]] == ["M1"]
    assert [r.id for r in plan.rows["Tiltak"]] == ["T1"]
    assert plan.rows["Risiko"] == []


def test_blank_template_reports_the_missing_stands_not_the_empty_rows() -> None:
    report = check(build_plan())
    found = codes_at(report)
    assert {code for code, _, _ in found} == {
        "form-field-missing", "party-no-stand", "criterion-not-assessed", "sheet-empty"}
    # once per empty sheet that a plan needs, not once per empty row; the parties without
    # a stand and the criteria not assessed each one finding that lists the rows
    assert len(found) == 3 + 1 + 1 + 2
    (stands,) = [f for f in report.findings if f.code == "party-no-stand"]
    assert stands.message == (
        f"Parter C2: Det er ikke tatt stilling til {len(PARTIES)} parter (rad 2–20). Velg "
        "Deltar, Skal inviteres eller Vurdert – ikke aktuelt for hver av dem.")
    assert stands.cells == tuple(f"C{row}" for row in range(2, 2 + len(PARTIES)))
    (criteria,) = [f for f in report.findings if f.code == "criterion-not-assessed"]
    assert len(criteria.every_cell) == len(TEMPLATE.criteria)
    assert criteria.to_json()["cells"] == list(criteria.cells)


def test_a_few_parties_without_a_stand_are_named_one_by_one() -> None:
    # Grouping is for the blank sheet; three are three findings, each naming its party.
    report = check(build_clean_plan(extra={"Parter": [
        {"Part": name, "Deltakelse": None} for name in PARTIES[:3]]}))
    assert [f.code for f in report.findings] == ["party-no-stand"] * 3
    assert PARTIES[0] in report.findings[0].message


# --- Ansvarlig and Frist where they are required -----------------------------------------------

REQUIRED_CASES = [
    # (id, rows, expected (sheet, cell) of the missing Ansvarlig, of the missing Frist)
    pytest.param({"goal": {"Ansvarlig": None}}, ("Mål", "I2"), id="mål-ansvarlig"),
    pytest.param({"action": {"Ansvarlig": None}}, ("Tiltak", "H2"), id="tiltak-ansvarlig"),
    pytest.param({"extra": {"Risiko": [risk(p=3, k=3, Risikoreduserende_tiltak="Ring rektor",
                                            Frist=dt.date(2026, 9, 1))]}},
                 ("Risiko", "I2"), id="risiko-middels-ansvarlig"),
    pytest.param({"extra": {"Risiko": [risk(p=5, k=4, Risikoreduserende_tiltak="Ring rektor",
                                            Frist=dt.date(2026, 9, 1))]}},
                 ("Risiko", "I2"), id="risiko-høy-ansvarlig"),
    pytest.param({"extra": {"Egenvurdering": [{
        "Kriterium": TEMPLATE.criteria[2], "Vurdering": "Delvis oppfylt",
        "Oppfølging": "Møte med partene", "Frist": dt.date(2026, 9, 1)}]}},
        ("Egenvurdering", "E4"), id="egenvurdering-delvis-ansvarlig"),
]


@pytest.mark.parametrize(("change", "where"), REQUIRED_CASES)
def test_responsible_missing(change: dict[str, object], where: tuple[str, str]) -> None:
    report = check(build_clean_plan(**change))  # type: ignore[arg-type]
    assert codes_at(report) == [("responsible-missing", *where)]
    assert only(report, "responsible-missing").startswith(f"{where[0]} {where[1]}: ")


@pytest.mark.parametrize(("change", "where"), [
    pytest.param({"goal": {"Frist": None}}, ("Mål", "H2"), id="mål-frist"),
    pytest.param({"action": {"Frist": None}}, ("Tiltak", "L2"), id="tiltak-frist"),
    pytest.param({"extra": {"Risiko": [risk(p=2, k=4, Risikoreduserende_tiltak="Ring rektor",
                                            Ansvarlig="Kari Nordmann")]}},
                 ("Risiko", "J2"), id="risiko-middels-frist"),
    pytest.param({"extra": {"Egenvurdering": [{
        "Kriterium": TEMPLATE.criteria[0], "Vurdering": "Ikke oppfylt",
        "Oppfølging": "Nytt møte", "Ansvarlig": "Kari Nordmann"}]}},
        ("Egenvurdering", "F2"), id="egenvurdering-ikke-frist"),
])
def test_deadline_missing(change: dict[str, object], where: tuple[str, str]) -> None:
    report = check(build_clean_plan(**change))  # type: ignore[arg-type]
    assert codes_at(report) == [("deadline-missing", *where)]
    assert only(report, "deadline-missing").startswith(f"{where[0]} {where[1]}: ")


def test_low_risk_and_fulfilled_criterion_need_no_responsible_or_deadline() -> None:
    # Lav (2 × 3 = 6): no mitigation, responsible or deadline needed. The clean plan's
    # criteria are all Oppfylt, without Ansvarlig or Frist.
    report = check(build_clean_plan(extra={"Risiko": [risk(p=2, k=3)]}))
    assert codes_at(report) == []
    plan = report.files[0].plan
    assert plan is not None
    (row,) = plan.rows["Risiko"]
    assert (row.values["risikoskar"], row.values["risikoniva"]) == (6, "Lav")


def test_both_missing_on_one_row() -> None:
    report = check(build_clean_plan(action={"Ansvarlig": None, "Frist": None}))
    assert codes_at(report) == [("responsible-missing", "Tiltak", "H2"),
                                ("deadline-missing", "Tiltak", "L2")]


# --- Ansvarlig: a person, not a placeholder ------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["?", "-", "TBD", "ukjent", "alle", "vi"])
def test_responsible_placeholder(placeholder: str) -> None:
    report = check(build_clean_plan(action={"Ansvarlig": placeholder}))
    # A placeholder is reported once, as what it is, and not also as a missing responsible.
    assert codes_at(report) == [("responsible-placeholder", "Tiltak", "H2")]
    message = only(report, "responsible-placeholder")
    assert message.startswith(f"Tiltak H2: Ansvarlig «{placeholder}» er ikke en person.")


def test_placeholder_in_goal_and_risk() -> None:
    report = check(build_clean_plan(goal={"Ansvarlig": "Alle"}, extra={"Risiko": [
        risk(p=4, k=4, Risikoreduserende_tiltak="Ring rektor", Ansvarlig="?",
             Frist=dt.date(2026, 9, 1))]}))
    assert codes_at(report) == [("responsible-placeholder", "Mål", "I2"),
                                ("responsible-placeholder", "Risiko", "I2")]


# --- Frist: a date, in the period, after Start, not overdue -------------------------------------


@pytest.mark.parametrize("text", ["snart", "31.02.2026"])
def test_date_invalid(text: str) -> None:
    report = check(build_clean_plan(action={"Frist": text}))
    assert codes_at(report) == [("date-invalid", "Tiltak", "L2")]
    finding = report.findings[0]
    assert finding.severity == ERROR and finding.value == text
    assert finding.message.startswith(f"Tiltak L2: Frist «{text}» er ikke en dato.")
    assert "dd.mm.åååå" in finding.message


@pytest.mark.parametrize(("column", "cell", "text"), [
    ("Frist", "L2", "mars 2026"),
    ("Frist", "L2", "Q2"),
    ("Start", "K2", "15. mars 2026"),
    ("Start", "K2", "2026-03-15"),
])
def test_a_date_the_workbook_cannot_read_is_an_error(column: str, cell: str, text: str) -> None:
    # One truth: Sjekk counts these as «Ikke en dato», so the validator calls them errors.
    report = check(build_clean_plan(action={column: text, "Status": "Fullført"}))
    assert codes_at(report) == [("date-invalid", "Tiltak", cell)]
    assert report.findings[0].severity == ERROR


@pytest.mark.parametrize(("text", "reading", "iso"), [
    ("15.03.2026", "15.03.2026", "2026-03-15"),
    ("15.3.26", "15.03.2026", "2026-03-15"),
    (" 1.12.2026 ", "01.12.2026", "2026-12-01"),
])
def test_a_date_written_as_text_is_read_with_a_warning(text: str, reading: str, iso: str
                                                       ) -> None:
    # What an English-language LibreOffice keeps when a Norwegian types 15.03.2026: the
    # workbook's check recognises it as the same warning; the text is kept, never lost.
    report = check(build_clean_plan(action={"Start": text}))
    assert codes_at(report) == [("date-as-text", "Tiltak", "K2")]
    finding = report.findings[0]
    assert finding.severity == WARNING
    assert f"er lest som {reading}" in finding.message and f"skriv {iso}" in finding.message
    plan = report.files[0].plan
    assert plan is not None and plan.rows["Tiltak"][0].values["start"] == dt.date(
        *map(int, iso.split("-")))


def test_a_date_written_as_text_is_not_held_to_the_start() -> None:
    # Sjekk's «Frist før start» compares day numbers; a text date is none, so no error here.
    report = check(build_clean_plan(action={"Start": "01.10.2026",
                                                 "Frist": dt.date(2026, 9, 1)}))
    assert codes_at(report) == [("date-as-text", "Tiltak", "K2")]


@pytest.mark.parametrize(("column", "cell", "value"), [
    ("Frist", "L2", dt.date(2027, 1, 15)),
    ("Start", "K2", dt.date(2025, 12, 1)),
])
def test_date_outside_period(column: str, cell: str, value: dt.date) -> None:
    report = check(build_clean_plan(action={column: value}))
    assert codes_at(report) == [("date-outside-period", "Tiltak", cell)]
    finding = report.findings[0]
    assert finding.severity == WARNING
    assert finding.message.startswith(f"Tiltak {cell}: {column} {value:%d.%m.%Y} er utenfor "
                                      "planperioden 01.01.2026–31.12.2026.")


def test_deadline_before_start() -> None:
    report = check(build_clean_plan(action={"Start": dt.date(2026, 10, 1),
                                                "Frist": dt.date(2026, 9, 1)}))
    assert codes_at(report) == [("deadline-before-start", "Tiltak", "L2")]
    assert report.findings[0].severity == ERROR
    assert only(report, "deadline-before-start") == (
        "Tiltak L2: Frist 01.09.2026 er før start 01.10.2026. Rett start eller frist.")


@pytest.mark.parametrize(("status", "shown"), [("Pågår", "Pågår"), ("Utsatt", "Utsatt"),
                                               ("Ikke startet", "Ikke startet"),
                                               (None, "ikke satt")])
def test_deadline_overdue(status: str | None, shown: str) -> None:
    report = check(build_clean_plan(action={"Frist": dt.date(2026, 5, 15),
                                                "Status": status}))
    assert codes_at(report) == [("deadline-overdue", "Tiltak", "L2")]
    assert report.findings[0].severity == WARNING
    assert only(report, "deadline-overdue").startswith(
        f"Tiltak L2: Fristen 15.05.2026 er passert, men status er «{shown}».")


def test_overdue_with_a_status_outside_the_list_names_the_status_as_typed() -> None:
    report = check(build_clean_plan(action={"Frist": dt.date(2026, 5, 15),
                                                "Status": "Ferdig"}))
    assert codes_at(report) == [("deadline-overdue", "Tiltak", "L2"),
                                ("choice-invalid", "Tiltak", "M2")]
    assert only(report, "deadline-overdue").startswith(
        "Tiltak L2: Fristen 15.05.2026 er passert, men status er «Ferdig».")


@pytest.mark.parametrize("status", ["Fullført", "Avlyst"])
def test_deadline_passed_when_done_is_not_overdue(status: str) -> None:
    report = check(build_clean_plan(action={"Frist": dt.date(2026, 5, 15), "Status": status},
                              goal={"Frist": dt.date(2026, 4, 1), "Status": status}))
    assert codes_at(report) == []


def test_deadline_today_is_not_overdue() -> None:
    report = check(build_clean_plan(action={"Frist": TODAY}))
    assert codes_at(report) == []


def test_near_miss_done_status_counts_as_done() -> None:
    report = check(build_clean_plan(action={"Frist": dt.date(2026, 5, 15),
                                                "Status": "fullført"}))
    assert codes_at(report) == [("choice-near-miss", "Tiltak", "M2")]


def test_overdue_goal_and_risk() -> None:
    report = check(build_clean_plan(goal={"Frist": dt.date(2026, 3, 1)}, extra={"Risiko": [
        risk(p=4, k=4, Risikoreduserende_tiltak="Ring rektor", Ansvarlig="Kari Nordmann",
             Frist=dt.date(2026, 2, 1), Status="Ikke startet")]}))
    assert codes_at(report) == [("deadline-overdue", "Mål", "H2"),
                                ("deadline-overdue", "Risiko", "J2")]


# --- dropdown values --------------------------------------------------------------------------


def test_choice_invalid() -> None:
    report = check(build_clean_plan(action={"Område": "Sport"}))
    assert codes_at(report) == [("choice-invalid", "Tiltak", "F2")]
    assert only(report, "choice-invalid") == (
        "Tiltak F2: «Sport» er ikke et gyldig valg for Område. Velg fra listen: "
        "Ressurser, Aktivitet, Økonomi, Administrasjon.")


@pytest.mark.parametrize(("typed", "canonical"), [("pågår", "Pågår"), ("Fullfort", "Fullført")])
def test_choice_near_miss(typed: str, canonical: str) -> None:
    report = check(build_clean_plan(action={"Status": typed}))
    assert codes_at(report) == [("choice-near-miss", "Tiltak", "M2")]
    assert report.findings[0].severity == WARNING
    assert only(report, "choice-near-miss") == (
        f"Tiltak M2: «{typed}» er tolket som «{canonical}». Velg «{canonical}» fra listen.")
    plan = report.files[0].plan
    assert plan is not None and plan.rows["Tiltak"][0].values["status"] == canonical


def test_choice_near_miss_on_other_sheets() -> None:
    report = check(build_clean_plan(goal={"Målgruppe": "UNGDOM/ELEVER"}, extra={
        "Egenvurdering": [{"Kriterium": TEMPLATE.criteria[1], "Vurdering": "oppfylt"}]}))
    assert codes_at(report) == [("choice-near-miss", "Mål", "D2"),
                                ("choice-near-miss", "Egenvurdering", "B3")]


def test_party_unknown() -> None:
    report = check(build_clean_plan(action={"Ansvarlig part": "Rotary"}))
    assert codes_at(report) == [("party-unknown", "Tiltak", "I2")]
    assert only(report, "party-unknown").startswith("Tiltak I2: «Rotary» er ikke en av partene.")


def test_party_added_on_parter_is_accepted() -> None:
    added = {"Part": "Rotary Kristiansand", "Type": "Annen aktør", "Deltakelse": "Skal inviteres"}
    report = check(build_clean_plan(action={"Ansvarlig part": "Rotary Kristiansand"},
                              form={"Leders organisasjon": "Rotary Kristiansand"},
                              extra={"Parter": [added]}))
    assert codes_at(report) == []


def test_party_unknown_in_organisering() -> None:
    report = check(build_clean_plan(form={"Leders organisasjon": "Rotary"}))
    assert codes_at(report) == [("party-unknown", "Organisering", "B8")]


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "expected"), [
    ({"Timer": "mange"}, [("number-invalid", "Tiltak", "N2")]),
    ({"Budsjett (kr)": "20 000 eller mer"}, [("number-invalid", "Tiltak", "O2")]),
    ({"Timer": -5}, [("number-negative", "Tiltak", "N2")]),
    ({"Budsjett (kr)": "-1 500"}, [("number-invalid", "Tiltak", "O2")]),  # text, not a number
    ({"Budsjett (kr)": "kr 20 000"}, [("number-invalid", "Tiltak", "O2")]),
    ({"Budsjett (kr)": "20 000,-"}, [("number-invalid", "Tiltak", "O2")]),
])
def test_number_rules(change: Values, expected: Codes) -> None:
    report = check(build_clean_plan(action=change))
    assert codes_at(report) == expected
    assert all(f.severity == ERROR for f in report.findings)


def test_negative_hours_of_a_party() -> None:
    report = check(build_clean_plan(extra={"Parter": [{"Part": PARTICIPANT,
                                                            "Timer per år": -10}]}))
    assert codes_at(report) == [("number-negative", "Parter", f"F{PARTY_ROW[PARTICIPANT]}")]


@pytest.mark.parametrize(("timer", "budsjett", "hours", "kroner", "expected"), [
    ("1 500", "20 000", 1500, 20000, [("number-as-text", "Tiltak", "N2"),
                                      ("number-as-text", "Tiltak", "O2")]),
    ("1500,5", 20000, 1500.5, 20000, [("number-as-text", "Tiltak", "N2")]),
    (12, 20000.0, 12, 20000, []),
])
def test_numbers_written_as_people_write_them(timer: object, budsjett: object, hours: float,
                                              kroner: float, expected: Codes) -> None:
    # Digits as text are read (a warning: the spreadsheet cannot add them up), as Sjekk does.
    report = check(build_clean_plan(action={"Timer": timer, "Budsjett (kr)": budsjett}))
    assert codes_at(report) == expected
    assert report.files[0].ok
    plan = report.files[0].plan
    assert plan is not None
    row = plan.rows["Tiltak"][0]
    assert (row.values["timer"], row.values["budsjett"]) == (hours, kroner)


@pytest.mark.parametrize(("owner", "several"), [
    ("Kari / Per", True), ("Kari/Per", True), ("Kari og Per", True), ("Kari & Per", True),
    ("Kari Nordmann, Ola Hansen", True), ("Kari, Per, Ola", True),
    ("Kari Nordmann", False), ("Nordmann, Kari", False), ("Ingrid Øvland", False),
    ("Bjørn Ogre", False), ("Anne-Lise Berg", False),
])
def test_several_names_as_one_responsible_are_said(owner: str, several: bool) -> None:
    report = check(build_clean_plan(action={"Ansvarlig": owner}))
    assert codes_at(report) == ([("responsible-several", "Tiltak", "H2")] if several else [])
    assert report.files[0].ok  # a warning: the row still has a responsible
    plan = report.files[0].plan
    assert plan is not None and plan.rows["Tiltak"][0].values["ansvarlig"] == owner


@pytest.mark.parametrize(("budsjett", "kroner", "expected"), [
    ("1,500", 1.5, [("number-ambiguous", "Tiltak", "O2")]),  # 1,5 or 1 500?
    ("12,250", 12.25, [("number-ambiguous", "Tiltak", "O2")]),
    ("1,5", 1.5, [("number-as-text", "Tiltak", "O2")]),
    ("1 500", 1500, [("number-as-text", "Tiltak", "O2")]),
    ("1500,50", 1500.5, [("number-as-text", "Tiltak", "O2")]),
    ("1.500", None, [("number-invalid", "Tiltak", "O2")]),  # no reading the workbook shares
])
def test_a_number_that_reads_two_ways_is_read_the_norwegian_way_and_said(
        budsjett: str, kroner: float, expected: Codes) -> None:
    report = check(build_clean_plan(action={"Budsjett (kr)": budsjett}))
    assert codes_at(report) == expected
    plan = report.files[0].plan
    assert plan is not None and plan.rows["Tiltak"][0].values["budsjett"] == kroner
    if expected[0][0] == "number-ambiguous":
        assert only(report, "number-ambiguous") == (
            f"Tiltak O2: Budsjett (kr) «{budsjett}» er lest som {budsjett.rstrip('0')}. "
            f"Mente dere {budsjett.replace(',', ' ')}? Skriv tallet uten tusenskille, f.eks. "
            "1500, eller med desimalkomma, f.eks. 1,5.")
        assert report.files[0].ok  # a warning: the plan is still ready


@pytest.mark.parametrize("value", [0, 6, 2.5, "tre"])
def test_scale_invalid(value: object) -> None:
    report = check(build_clean_plan(extra={"Risiko": [risk(p=value, k=2)]}))
    assert codes_at(report) == [("scale-invalid", "Risiko", "D2")]
    assert only(report, "scale-invalid").startswith(
        f"Risiko D2: Sannsynlighet (1–5) «{str(value).replace('.', ',')}» må være et helt tall "
        "fra 1 til 5.")


def test_scale_wants_a_number_not_text() -> None:
    # «2» as text is no number to the risk formulas, nor to Sjekk: the same error here.
    report = check(build_clean_plan(extra={"Risiko": [risk(p="2", k=3.0)]}))
    assert codes_at(report) == [("scale-invalid", "Risiko", "D2")]


# --- e-mail, IDs and references --------------------------------------------------------------


def test_email_invalid() -> None:
    report = check(build_clean_plan(form={"E-post leder": "kari.nordmann(at)example.no"},
                              extra={"Parter": [{"Part": PARTICIPANT, "E-post": "per@"}]}))
    assert codes_at(report) == [("email-invalid", "Organisering", "B9"),
                                ("email-invalid", "Parter", f"E{PARTY_ROW[PARTICIPANT]}")]
    assert all(f.severity == WARNING for f in report.findings)


def test_id_duplicate_below_the_table() -> None:
    below = TABLE_LAST_ROW + 1
    report = check(build_clean_plan(cells={"Tiltak": {
        f"{col}{below}": value for col, value in {
            "A": "T1", "C": "Ekstra skolebesøk", "H": "Ola Nordmann",
            "L": dt.date(2026, 10, 1)}.items()}}))
    assert codes_at(report) == [("id-duplicate", "Tiltak", "A2"),
                                ("id-duplicate", "Tiltak", f"A{below}"),
                                ("rows-outside-table", "Tiltak", f"A{below}")]
    assert [f.message for f in report.findings if f.code == "id-duplicate"] == [
        f"Tiltak A2: ID-en «T1» står også i rad {below}. Gi hver rad sin egen ID.",
        f"Tiltak A{below}: ID-en «T1» står også i rad 2. Gi hver rad sin egen ID."]


def test_an_id_in_an_empty_row_is_not_a_duplicate_of_it() -> None:
    # The region typed M2 on its first goal and had picked M2 in row 3 too, still unfilled.
    # Only the filled row is named, with the row that holds the same ID.
    report = check(build_clean_plan(cells={"Mål": {"A2": "M2", "A3": "M2"}}))
    assert codes_at(report) == [("id-duplicate", "Mål", "A2"),
                                ("reference-unknown", "Tiltak", "B2")]  # its M1 is gone
    assert "står også i rad 3" in only(report, "id-duplicate")


def test_id_duplicate_differs_only_in_case_and_space() -> None:
    # COUNTIF's reading: any case; spaces count (« M1» is another ID to the workbook).
    report = check(build_clean_plan(extra={"Mål": [{**CLEAN_GOAL, "ID": "m1"}]}))
    assert codes_at(report) == [("id-duplicate", "Mål", "A2"), ("id-duplicate", "Mål", "A3")]


@pytest.mark.parametrize(("change", "expected"), [
    # M9 is prefilled in the template but its row is empty: not a goal.
    ({"action": {"Mål-ID": "M9"}}, [("reference-unknown", "Tiltak", "B2")]),
    ({"action": {"Mål-ID": "T1"}}, [("reference-unknown", "Tiltak", "B2")]),
    ({"extra": {"Risiko": [risk(Gjelder="T7")]}}, [("reference-unknown", "Risiko", "C2")]),
    ({"extra": {"Risiko": [risk(Gjelder="M1")]}}, []),
    ({"extra": {"Risiko": [risk(Gjelder="t1")]}}, []),
    ({"action": {"Mål-ID": None}}, []),
])
def test_reference_unknown(change: dict[str, object], expected: Codes) -> None:
    report = check(build_clean_plan(**change))  # type: ignore[arg-type]
    assert codes_at(report) == expected


def test_reference_message() -> None:
    report = check(build_clean_plan(action={"Mål-ID": "M9"}))
    assert only(report, "reference-unknown").startswith(
        "Tiltak B2: Mål-ID «M9» viser ikke til en utfylt rad.")


# --- rules about a whole row -----------------------------------------------------------------


@pytest.mark.parametrize(("change", "cell", "lacking"), [
    ({"Indikator": None, "Målverdi": None}, "E2", "indikator og målverdi"),
    ({"Indikator": None}, "E2", "indikator"),
    ({"Målverdi": None}, "G2", "målverdi"),
])
def test_goal_not_smart(change: Values, cell: str, lacking: str) -> None:
    report = check(build_clean_plan(goal=change))
    assert codes_at(report) == [("goal-not-smart", "Mål", cell)]
    assert report.findings[0].severity == WARNING
    assert only(report, "goal-not-smart").startswith(f"Mål {cell}: Målet mangler {lacking}.")


def test_goal_without_deadline_and_responsible_is_not_smart_either() -> None:
    # S.M.A.R.T. also means a deadline and a responsible: those have their own codes.
    report = check(build_clean_plan(goal={"Indikator": None, "Frist": None,
                                              "Ansvarlig": None}))
    assert codes_at(report) == [("goal-not-smart", "Mål", "E2"),
                                ("deadline-missing", "Mål", "H2"),
                                ("responsible-missing", "Mål", "I2")]


@pytest.mark.parametrize(("p", "k", "level"), [(4, 4, "Høy"), (2, 4, "Middels")])
def test_risk_unmitigated(p: int, k: int, level: str) -> None:
    report = check(build_clean_plan(extra={"Risiko": [
        risk(p=p, k=k, Ansvarlig="Kari Nordmann", Frist=dt.date(2026, 9, 1))]}))
    assert codes_at(report) == [("risk-unmitigated", "Risiko", "H2")]
    assert only(report, "risk-unmitigated").startswith(
        f"Risiko H2: Risikoen har nivå {level}, men mangler risikoreduserende tiltak.")


def test_high_risk_without_anything() -> None:
    report = check(build_clean_plan(extra={"Risiko": [risk(p=5, k=5)]}))
    assert codes_at(report) == [("risk-unmitigated", "Risiko", "H2"),
                                ("responsible-missing", "Risiko", "I2"),
                                ("deadline-missing", "Risiko", "J2")]


def test_party_no_stand() -> None:
    report = check(build_clean_plan(extra={"Parter": [{"Part": "NAV", "Deltakelse": None}]}))
    assert codes_at(report) == [("party-no-stand", "Parter", f"C{PARTY_ROW['NAV']}")]
    assert only(report, "party-no-stand").startswith(
        f"Parter C{PARTY_ROW['NAV']}: Det er ikke tatt stilling til NAV.")


def test_party_field_missing() -> None:
    row = PARTY_ROW["LO"]
    report = check(build_clean_plan(extra={"Parter": [{"Part": "LO", "Deltakelse": "Deltar"}]}))
    assert codes_at(report) == [("party-field-missing", "Parter", f"D{row}"),
                                ("party-field-missing", "Parter", f"F{row}"),
                                ("party-field-missing", "Parter", f"G{row}")]
    assert report.findings[0].message.startswith(
        f"Parter D{row}: LO deltar, men Representant mangler.")


def test_invited_party_needs_no_representative() -> None:
    report = check(build_clean_plan(extra={"Parter": [{"Part": "LO",
                                                            "Deltakelse": "Skal inviteres"}]}))
    assert codes_at(report) == []


def test_party_mandate_unsettled() -> None:
    row = PARTY_ROW[PARTICIPANT]
    report = check(build_clean_plan(extra={"Parter": [{"Part": PARTICIPANT,
                                                            "Mandat avklart": "Nei"}]}))
    assert codes_at(report) == [("party-mandate-unsettled", "Parter", f"G{row}")]
    assert report.findings[0].severity == WARNING
    assert only(report, "party-mandate-unsettled").startswith(
        f"Parter G{row}: {PARTICIPANT} deltar, men mandatet er ikke avklart.")


def test_criterion_not_assessed() -> None:
    report = check(build_clean_plan(extra={"Egenvurdering": [
        {"Kriterium": TEMPLATE.criteria[4], "Vurdering": None}]}))
    assert codes_at(report) == [("criterion-not-assessed", "Egenvurdering",
                                 f"B{CRITERION_ROW[4]}")]


@pytest.mark.parametrize("assessment", ["Delvis oppfylt", "Ikke oppfylt"])
def test_follow_up_missing(assessment: str) -> None:
    report = check(build_clean_plan(extra={"Egenvurdering": [{
        "Kriterium": TEMPLATE.criteria[8], "Vurdering": assessment,
        "Ansvarlig": "Kari Nordmann", "Frist": dt.date(2026, 10, 1)}]}))
    cell = f"D{CRITERION_ROW[8]}"
    assert codes_at(report) == [("follow-up-missing", "Egenvurdering", cell)]
    assert only(report, "follow-up-missing").startswith(
        f"Egenvurdering {cell}: Kriteriet er «{assessment}», men oppfølging mangler.")


def test_criterion_not_fulfilled_without_anything() -> None:
    report = check(build_clean_plan(extra={"Egenvurdering": [{
        "Kriterium": TEMPLATE.criteria[0], "Vurdering": "Ikke oppfylt"}]}))
    assert codes_at(report) == [("follow-up-missing", "Egenvurdering", "D2"),
                                ("responsible-missing", "Egenvurdering", "E2"),
                                ("deadline-missing", "Egenvurdering", "F2")]


@pytest.mark.parametrize(("label", "cell"), [("Leder", "B7"), ("E-post leder", "B9"),
                                             ("Overordnet mål for samarbeidet", "B13")])
def test_form_field_missing(label: str, cell: str) -> None:
    report = check(build_clean_plan(form={label: None}))
    assert codes_at(report) == [("form-field-missing", "Organisering", cell)]
    assert only(report, "form-field-missing") == (
        f"Organisering {cell}: «{label}» er ikke fylt ut. Fyll inn {label} på arket Organisering.")


def test_placeholder_as_leader() -> None:
    report = check(build_clean_plan(form={"Leder": "ikke avklart"}))
    assert codes_at(report) == [("responsible-placeholder", "Organisering", "B7")]


# --- computed cells ---------------------------------------------------------------------------


def test_computed_mismatch_typed_over_the_score() -> None:
    # the formula is gone; the region typed a number
    report = check(build_clean_plan(extra={"Risiko": [risk(p=2, k=3)]},
                                    cells={"Risiko": {"F2": 99}}))
    assert codes_at(report) == [("computed-mismatch", "Risiko", "F2")]
    finding = report.findings[0]
    assert finding.severity == INFO and finding.value == "99"
    assert finding.message.startswith("Risiko F2: Risikoskår i filen er «99», men riktig verdi "
                                      "er «6».")
    plan = report.files[0].plan
    assert plan is not None
    assert plan.rows["Risiko"][0].values["risikoskar"] == 6


def test_computed_level_is_recomputed_not_trusted() -> None:
    # 4 × 4 = 16 is Høy: the rules follow the recomputed level, not the typed "Lav".
    report = check(build_clean_plan(extra={"Risiko": [risk(p=4, k=4)]},
                                    cells={"Risiko": {"G2": "Lav"}}))
    assert codes_at(report) == [("computed-mismatch", "Risiko", "G2"),
                                ("risk-unmitigated", "Risiko", "H2"),
                                ("responsible-missing", "Risiko", "I2"),
                                ("deadline-missing", "Risiko", "J2")]


# --- structure: where the data is --------------------------------------------------------------


@pytest.mark.slow
def test_rows_outside_table_are_read_at_their_true_cells(tmp_path: Path) -> None:
    path = clean_plan(tmp_path)
    far = TABLE_LAST_ROW + 40
    with edit_workbook(path) as book:
        ws = book["Tiltak"]
        ws[f"C{far}"] = "Kampanje i sommerferien"
        ws[f"L{far}"] = "snart"
    report = check(path)
    # The row has no ID: it gets one in the overview, and says so (issues 18.4, 16).
    assert codes_at(report) == [("id-assigned", "Tiltak", f"A{far}"),
                                ("rows-outside-table", "Tiltak", f"C{far}"),
                                ("responsible-missing", "Tiltak", f"H{far}"),
                                ("date-invalid", "Tiltak", f"L{far}")]
    assert report.findings[0].severity == WARNING
    assert only(report, "rows-outside-table").startswith(
        f"Tiltak C{far}: 1 utfylte rader står utenfor tabellen")
    plan = report.files[0].plan
    assert plan is not None
    far_row = plan.rows["Tiltak"][-1]
    assert (far_row.row, far_row.outside_table) == (far, True)


def _swap_columns(ws: object, first: str, second: str) -> None:
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):  # type: ignore[attr-defined]
        a = row[openpyxl.utils.column_index_from_string(first) - 1]
        b = row[openpyxl.utils.column_index_from_string(second) - 1]
        a.value, b.value = b.value, a.value


@pytest.mark.slow
def test_moved_columns(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, action={"Ansvarlig": None, "Frist": "snart"})
    with edit_workbook(path) as book:
        _swap_columns(book["Tiltak"], "H", "L")  # Frist now in H, Ansvarlig in L
        assert (book["Tiltak"]["H1"].value, book["Tiltak"]["L1"].value) == ("Frist", "Ansvarlig")
    report = check(path)
    assert codes_at(report) == [("date-invalid", "Tiltak", "H2"),
                                ("responsible-missing", "Tiltak", "L2")]
    assert only(report, "date-invalid").startswith("Tiltak H2: ")


@pytest.mark.slow
def test_inserted_extra_column(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, action={"Ansvarlig": None, "Frist": "snart"})
    with edit_workbook(path) as book:
        ws = book["Tiltak"]
        ws.insert_cols(3)  # a new column C; Tiltak … Kommentar move one to the right
        ws["C1"], ws["C2"] = "Vår egen merknad", "Avtalt på møtet 3. mars"
    report = check(path)
    assert codes_at(report) == [("responsible-missing", "Tiltak", "I2"),
                                ("date-invalid", "Tiltak", "M2")]
    plan = report.files[0].plan
    assert plan is not None
    row = plan.rows["Tiltak"][0]
    assert row.extra == {"Vår egen merknad": "Avtalt på møtet 3. mars"}
    assert row.cells["ansvarlig"] == "I2" and row.values["tiltak"] == CLEAN_ACTION["Tiltak"]


@pytest.mark.slow
def test_retyped_header_and_header_with_line_break(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, action={"Ansvarlig": None, "Budsjett (kr)": -100})
    with edit_workbook(path) as book:
        ws = book["Tiltak"]
        ws["H1"] = "  ansvarlig "
        ws["O1"] = "Budsjett\n(kr)"
        ws["L1"] = "FRIST"
    report = check(path)
    # No column-missing: the headers are recognised, and the findings are where they were.
    assert codes_at(report) == [("responsible-missing", "Tiltak", "H2"),
                                ("number-negative", "Tiltak", "O2")]


@pytest.mark.slow
def test_missing_column_is_a_finding_not_silence(tmp_path: Path) -> None:
    path = clean_plan(tmp_path)
    with edit_workbook(path) as book:
        book["Tiltak"]["H1"] = "Hvem"
    report = check(path)
    assert codes_at(report) == [("column-missing", "Tiltak", "H1")]


@pytest.mark.slow
def test_renamed_sheet_is_found_and_reported_by_its_name_in_the_file(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, action={"Frist": "snart"})
    with edit_workbook(path) as book:
        book["Tiltak"].title = "midlertidig"  # openpyxl makes "TILTAK" "TILTAK1" otherwise
        book["midlertidig"].title = "TILTAK"
    assert codes_at(check(path)) == [("date-invalid", "TILTAK", "L2")]


@pytest.mark.slow
@pytest.mark.parametrize(("sheet", "gjelder"), [("Tiltak", "T1"), ("Mål", "M1")])
def test_missing_sheet_is_one_finding_not_a_cascade(tmp_path: Path, sheet: str,
                                                    gjelder: str) -> None:
    # Mål-ID and Gjelder name rows of the deleted sheet: they cannot be checked, and are not
    # each reported as unknown.
    path = clean_plan(tmp_path, extra={"Risiko": [risk(Gjelder=gjelder)]})
    with edit_workbook(path) as book:
        del book[sheet]
    assert codes_at(check(path)) == [("sheet-missing", sheet, None)]


@pytest.mark.slow
@pytest.mark.parametrize(("sheet", "renamed"), [("Tiltak", "Aktiviteter"), ("Mål", "Mål 2026")])
def test_renamed_data_sheet_is_read_by_its_headers(tmp_path: Path, sheet: str,
                                                   renamed: str) -> None:
    """Issue 18.1: a renamed sheet is still the plan; its rows are read, with a note."""
    path = clean_plan(tmp_path, action={"Frist": "snart"})
    with edit_workbook(path) as book:
        book[sheet].title = renamed
    report = check(path)
    expected = [("sheet-renamed", renamed, None),
                ("date-invalid", renamed if sheet == "Tiltak" else "Tiltak", "L2")]
    assert sorted(codes_at(report), key=str) == sorted(expected, key=str)
    assert only(report, "sheet-renamed").startswith(
        f"{renamed}: Arket heter «{renamed}», ikke «{sheet}».")
    plan = report.files[0].plan
    assert plan is not None and len(plan.rows[sheet]) == 1


@pytest.mark.slow
def test_missing_id_column_is_one_finding_not_a_cascade(tmp_path: Path) -> None:
    path = clean_plan(tmp_path, extra={"Risiko": [risk(Gjelder="M1")]})
    with edit_workbook(path) as book:
        book["Mål"]["A1"] = "Nr."
    assert codes_at(check(path)) == [("column-missing", "Mål", "A1")]


@pytest.mark.slow
def test_merged_cells_in_a_filled_area(tmp_path: Path) -> None:
    second = {"ID": "T2", "Mål-ID": "M1", "Tiltak": "Foreldremøte", "Ansvarlig": "Ola Nordmann",
              "Frist": "snart", "Status": "Pågår"}
    path = clean_plan(tmp_path, extra={"Tiltak": [second]})
    with edit_workbook(path) as book:
        ws = book["Tiltak"]
        ws.merge_cells("C2:D2")   # the action's name across its description
        ws.merge_cells("J2:J3")   # one partner for both actions
    report = check(path)
    # A merge across rows gives its value to each (issue 18.2); across columns it stays put.
    assert codes_at(report) == [("cells-merged", "Tiltak", "J2"), ("date-invalid", "Tiltak", "L3")]
    plan = report.files[0].plan
    assert plan is not None
    first, row2 = plan.rows["Tiltak"]
    assert first.values["tiltak"] == CLEAN_ACTION["Tiltak"]
    assert first.values["samarbeidspartnere"] == row2.values["samarbeidspartnere"] == "NHO"
    assert not first.values["beskrivelse"]
    assert (row2.row, row2.id) == (3, "T2")


@pytest.mark.slow
def test_date1904_workbook(tmp_path: Path) -> None:
    """A workbook saved by old Mac Excel counts dates from 1904-01-01. The same dates as
    serial numbers in the 1900 system would be four years and a day later: outside the plan
    period. Both kinds of date cell are checked: Frist keeps its date format (calamine turns
    the number into a date) and Start is a plain number (the validator converts it)."""
    path = clean_plan(tmp_path, action={"Start": None, "Frist": None})
    frist = (dt.date(2026, 11, 30) - dt.date(1904, 1, 1)).days
    start = (dt.date(2026, 2, 1) - dt.date(1904, 1, 1)).days
    with edit_workbook(path) as book:
        book.epoch = CALENDAR_MAC_1904
        ws = book["Tiltak"]
        ws["L2"] = frist
        ws["L2"].number_format = "dd.mm.yyyy"
        ws["K2"] = start
        ws["K2"].number_format = "General"
    with zipfile.ZipFile(path) as archive:
        assert b'date1904="1"' in archive.read("xl/workbook.xml")
    report = check(path)
    assert codes_at(report) == []
    plan = report.files[0].plan
    assert plan is not None
    row = plan.rows["Tiltak"][0]
    assert (row.values["start"], row.values["frist"]) == (dt.date(2026, 2, 1),
                                                           dt.date(2026, 11, 30))


# --- the file as a whole --------------------------------------------------------------------


def test_not_from_the_template(tmp_path: Path) -> None:
    path = tmp_path / "egen-plan.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Hva", "Hvem", "Når"])
    sheet.append(["Skolebesøk", "Kari", "15.03.2026"])
    book.save(path)
    report = check(path)
    # Not the template at all: one clear finding, not one more per sheet it lacks.
    assert codes_at(report) == [("file-not-template", None, None)]
    assert report.files[0].region is None and not report.files[0].ok
    assert only(report, "file-not-template").startswith(
        "Arbeidsboken er ikke laget fra SMSØ-malen")


def _set_identity(path: Path, key: str, value: str, *, metadata: bool = True) -> None:
    """Change one identity value in the very hidden Metadata sheet and in the custom
    document properties, as a region (or a broken copy tool) might."""
    with edit_workbook(path) as book:
        if metadata:
            ws = book["Metadata"]
            (row,) = [r for r in ws.iter_rows(min_row=2) if r[0].value == key]
            row[1].value = value
        else:
            del book["Metadata"]
        (prop,) = [p for p in book.custom_doc_props if p.name == f"smso.{key}"]
        prop.value = value


@pytest.mark.slow
@pytest.mark.parametrize("metadata", [True, False], ids=["metadata-sheet", "properties-only"])
def test_template_version_unknown(tmp_path: Path, metadata: bool) -> None:
    path = clean_plan(tmp_path)
    _set_identity(path, "template_version", "7", metadata=metadata)
    report = check(path)
    assert codes_at(report) == [("template-version-unknown", None, None)]
    assert report.files[0].template_version == "7"
    assert only(report, "template-version-unknown").startswith(
        "Arbeidsboken er laget fra malversjon «7», men verktøyet kjenner bare versjon 1, 2 "
        "og 3.")


@pytest.mark.slow
@pytest.mark.parametrize("metadata", [True, False], ids=["metadata-sheet", "properties-only"])
def test_region_unknown(tmp_path: Path, metadata: bool) -> None:
    path = clean_plan(tmp_path)
    _set_identity(path, "region_code", "99", metadata=metadata)
    report = check(path)
    assert codes_at(report) == [("region-unknown", None, None)]
    assert report.files[0].region == "99" and not report.files[0].ok


@pytest.mark.slow
def test_other_template_id_is_not_the_template(tmp_path: Path) -> None:
    path = clean_plan(tmp_path)
    _set_identity(path, "template_id", "noe-annet")
    assert codes_at(check(path)) == [("file-not-template", None, None)]


def test_year_mismatch() -> None:
    path = build_clean_plan()
    report = check(path, year=2027)
    assert codes_at(report) == [("year-mismatch", None, None)]
    assert only(report, "year-mismatch") == (
        "Planen gjelder 2026, men det samles inn planer for 2027. Bruk arbeidsboken for 2027.")
    assert codes_at(check(path, year=None)) == []


def test_unreadable_files_beside_a_good_one(tmp_path: Path) -> None:
    good = clean_plan(tmp_path, name="agder.xlsx")
    empty = tmp_path / "tom.xlsx"
    empty.write_bytes(b"")
    text = tmp_path / "notat.xlsx"
    text.write_text("Tiltak;Ansvarlig;Frist\nSkolebesøk;Kari;15.03.2026\n", encoding="utf-8")
    truncated = tmp_path / "avkuttet.xlsx"
    truncated.write_bytes(good.read_bytes()[:5000])
    # Old binary Excel and a password-protected xlsx are both OLE compound files; the
    # encrypted one holds an "EncryptedPackage" stream (named in UTF-16 in its directory).
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    legacy = tmp_path / "gammel.xls"
    legacy.write_bytes(ole + "Workbook".encode("utf-16-le") + bytes(512))
    encrypted = tmp_path / "passord.xlsx"
    encrypted.write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + bytes(512))
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    inputs = [empty, text, good, truncated, legacy, encrypted, pdf]
    report = validate(inputs, today=TODAY, year=YEAR)
    by_name = {r.path.name: [(f.code, f.sheet, f.cell) for f in r.findings]
               for r in report.files}
    assert by_name == {
        "tom.xlsx": [("file-empty", None, None)],
        "notat.xlsx": [("file-not-workbook", None, None)],
        "agder.xlsx": [],
        "avkuttet.xlsx": [("file-unreadable", None, None)],
        "gammel.xls": [("file-legacy-xls", None, None)],
        "passord.xlsx": [("file-encrypted", None, None)],
        "plan.pdf": [("file-unsupported-type", None, None)],
    }
    assert [r.ok for r in report.files] == [False, False, True, False, False, False, False]
    assert report.summary == {"files": 7, "ok": 1, "errors": 6, "warnings": 0, "info": 0}
    # Each says what to do, in Norwegian.
    assert all(f.message.endswith(".") and f.severity == ERROR for f in report.findings)


# --- messages -----------------------------------------------------------------------------------


def test_messages_are_norwegian_and_start_with_the_location() -> None:
    report = check(build_clean_plan(goal={"Ansvarlig": None}, action={
        "Frist": "snart", "Status": "pågår", "Ansvarlig": "TBD", "Område": "Sport"}))
    assert report.findings  # the premise: there is something to read
    for item in report.findings:
        assert item.message.startswith(f"{item.sheet} {item.cell}: "), item.message
        rest = item.message.split(": ", 1)[1]
        assert rest[0].isupper() or rest[0] == "«", item.message
    text = " ".join(f.message for f in report.findings)
    for norwegian in ("mangler ansvarlig", "er ikke en dato", "er tolket som",
                      "er ikke en person", "er ikke et gyldig valg"):
        assert norwegian in text
    # No catalogue message has slipped into English.
    english = re.compile(r"\b(the|is|not|missing|invalid|please|must|file|row|cell)\b", re.I)
    for entry in CATALOGUE.values():
        assert not english.search(re.sub(r"\{\w+\}", "", entry.message)), entry.code


def test_one_message_per_problem() -> None:
    report = check(build_clean_plan(action={"Frist": "snart", "Ansvarlig": "?"}))
    assert codes_at(report) == [("responsible-placeholder", "Tiltak", "H2"),
                                ("date-invalid", "Tiltak", "L2")]


def test_findings_are_ordered_by_sheet_then_row() -> None:
    second = {"ID": "T2", "Tiltak": "Foreldremøte", "Ansvarlig": "Ola", "Frist": "snart"}
    report = check(build_clean_plan(action={"Område": "Sport"}, goal={"Ansvarlig": None},
                              form={"Leder": None}, extra={"Tiltak": [second]}))
    assert codes_at(report) == [("form-field-missing", "Organisering", "B7"),
                                ("responsible-missing", "Mål", "I2"),
                                ("choice-invalid", "Tiltak", "F2"),
                                ("date-invalid", "Tiltak", "L3")]


def test_a_value_parsed_once_is_what_each_of_its_cells_parses_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules parse a value once per column and reuse it further down (rules._check_table).
    On planted plans, each faulty value also typed into two more rows of its column, every
    given cell's value and findings are what ``parse_cell`` gives that cell on its own."""
    contexts: dict[str, Context] = {}
    parse_cell = rules.parse_cell

    def recording(*args: object, **options: object) -> object:
        ctx = args[2]
        assert isinstance(ctx, Context)
        contexts[ctx.sheet] = ctx
        return parse_cell(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(rules, "parse_cell", recording)
    compared = repeated = 0
    for planted in planted_plans([TEMPLATE], 24, seed=26):
        edits = {sheet: dict(cells) for sheet, cells in planted.edits.items()}
        for fault in planted.faults:
            column, row = re.fullmatch(r"([A-Z]+)(\d+)", fault.cell).groups()  # type: ignore[union-attr]
            rows = sorted({parse_a1(ref)[0] for ref in edits.get(fault.sheet, {})} - {int(row)})
            for other in rows[:2]:
                edits[fault.sheet][f"{column}{other}"] = fault.typed
                repeated += fault.typed is not None
        plan = build_plan(cells=edits)
        contexts.clear()
        findings, parsed = rules.check_workbook(plan, template=TEMPLATE, today=TODAY,
                                                parties=PARTIES)
        found = {(f.code, f.sheet, cell) for f in findings for cell in f.every_cell}
        for sheet in TEMPLATE.tables:
            table = plan.tables[sheet.name]
            plan_rows = {r.row: r for r in parsed.rows[sheet.name]}
            for row in table.rows:
                if row.row not in plan_rows:
                    continue
                for column in sheet.columns:
                    kind, cell = kind_of(column), row.cells.get(column.key)
                    if kind.verbatim or kind.computed or cell is None:
                        continue
                    alone = parse_cell(column, cell, contexts[table.name], row=row.row)
                    assert plan_rows[row.row].values[column.key] == alone.value, cell
                    assert {(f.code, f.sheet, f.cell) for f in alone.findings} <= found, cell
                    compared += 1
    assert compared > 4_000 and repeated > 30  # the premise: many cells, faults repeated

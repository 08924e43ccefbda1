"""Consolidation: choosing submissions, and the inbox of issue 4 end to end.

The inbox: four regions; Agder twice (the newer one renamed «Kopi av … (2).xlsx» by a mail
client); Vestland re-saved by LibreOffice; a broken file. Row conservation is asserted on
every data sheet of the overview.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import click
import openpyxl
import pytest
from click.testing import CliRunner, Result

from smso_xl.base.provenance import Provenance
from smso_xl.cli.commands import main
from smso_xl.round.consolidation import (
    DUPLICATE,
    EXCLUDED,
    INCLUDED,
    INCLUDED_WITH_ERRORS,
    NOT_RECEIVED,
    NOT_TEMPLATE,
    OTHER_YEAR,
    RECEIVED,
    RECEIVED_WITH_ERRORS,
    RECEIVED_WRONG_FORMAT,
    REGION_STATUSES,
    SUPERSEDED,
    UNREADABLE,
    UNREADABLE_FILE,
    WRONG_FORMAT,
    Consolidation,
    consolidate,
)
from smso_xl.round.overview import write_overview
from smso_xl.round.validation import validate_workbook
from smso_xl.template.config import Region, default_parties, default_regions
from smso_xl.template.definition import Role, load_templates
from smso_xl.workbook.sniff import OLE_MAGIC
from tests.builders import build_clean_plan, risk
from tests.libreoffice import convert, convert_many, require_soffice
from tests.tiers import runs_libreoffice
from tests.workbooks import edit_workbook, make_plan

TODAY = dt.date(2026, 6, 1)
SAVED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
FORM = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
        "Overordnet mål for samarbeidet": "Mindre svart arbeid"}


def _goal(text: str) -> dict[str, Any]:
    return {"Mål": text, "Indikator": "Antall", "Målverdi": "10", "Frist": dt.date(2026, 11, 1),
            "Ansvarlig": "Kari Nordmann", "Status": "Pågår"}


def _action(text: str, **extra: Any) -> dict[str, Any]:
    return {"Mål-ID": "M1", "Tiltak": text, "Ansvarlig": "Per Ås", "Frist": dt.date(2026, 9, 1),
            "Status": "Pågår", **extra}


def _rows(name: str, actions: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "Mål": [_goal(f"Mål for {name}")],
        "Tiltak": [_action(f"{name} tiltak {i}", Timer=10 * i) for i in range(1, actions + 1)],
        "Risiko": [{"Risiko": f"Risiko i {name}", "Gjelder": "T1", "Sannsynlighet (1–5)": 2,
                    "Konsekvens (1–5)": 2}],
        "Parter": [{"Part": "LO", "Deltakelse": "Deltar", "Representant": "Nina",
                    "Timer per år": 50, "Mandat avklart": "Ja"}]
        + [{"Part": p.name, "Deltakelse": "Vurdert – ikke aktuelt"}
           for p in default_parties() if p.name != "LO"],
        "Egenvurdering": [{"Vurdering": "Oppfylt"} for _ in range(9)],
    }


def _consolidate_cli(inbox: Path, out: Path, *options: str) -> Result:
    """``smso-xl consolidate`` of ``inbox`` for 2026, «today» the tests' TODAY."""
    return CliRunner().invoke(main, ["consolidate", str(inbox), "--out", str(out), "--year",
                                     str(TODAY.year), "--today", TODAY.isoformat(), *options])


def _saved(path: Path, when: dt.datetime) -> Path:
    from smso_xl.workbook.fill import fill_plan

    return fill_plan(path, path, saved_at=when)


@pytest.fixture(scope="module")
@runs_libreoffice
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("innboks")
    work = tmp_path_factory.mktemp("arbeid")
    _saved(make_plan(root, region="03", rows=_rows("Oslo æøå «Ø»", 3), form=FORM,
                     name="Oslo.xlsx"), SAVED)
    _saved(make_plan(root, region="42", rows=_rows("Agder gammel", 2), form=FORM,
                     name="SMSO-handlingsplan-2026-42-Agder.xlsx"), SAVED)
    _saved(make_plan(root, region="42", rows=_rows("Agder ny", 4), form=FORM,
                     name="Kopi av SMSO-handlingsplan-2026-42-Agder (2).xlsx"),
           SAVED + dt.timedelta(days=5))
    _saved(make_plan(root, region="11", rows=_rows("Rogaland", 1), form=FORM,
                     name="Rogaland.xlsx"), SAVED)
    vestland = make_plan(work, region="46", rows=_rows("Vestland", 2), form=FORM,
                         name="Vestland.xlsx")
    require_soffice()
    resaved = convert(vestland, work / "lo", "xlsx")
    shutil.copyfile(resaved, root / "Vestland (LibreOffice).xlsx")
    good = (root / "Oslo.xlsx").read_bytes()
    (root / "Telemark.xlsx").write_bytes(good[: len(good) // 2])  # cut off in the mail
    return root


@pytest.fixture(scope="module")
def result(inbox: Path) -> Consolidation:
    return consolidate([inbox], year=2026, today=TODAY)


@pytest.fixture(scope="module")
def overview(result: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_overview(result, tmp_path_factory.mktemp("ut") / "oversikt.xlsx")


def _status(result: Consolidation) -> dict[str, str]:
    return {s.path.name: s.status for s in result.submissions}


def test_newest_version_is_chosen_and_the_others_listed(result: Consolidation) -> None:
    assert _status(result) == {
        "Kopi av SMSO-handlingsplan-2026-42-Agder (2).xlsx": INCLUDED,
        "Oslo.xlsx": INCLUDED,
        "Rogaland.xlsx": INCLUDED,
        "SMSO-handlingsplan-2026-42-Agder.xlsx": SUPERSEDED,
        "Telemark.xlsx": UNREADABLE,
        "Vestland (LibreOffice).xlsx": INCLUDED,
    }
    old = next(s for s in result.submissions if s.status == SUPERSEDED)
    assert old.superseded_by is not None
    assert old.superseded_by.name == "Kopi av SMSO-handlingsplan-2026-42-Agder (2).xlsx"
    broken = next(s for s in result.submissions if s.status == UNREADABLE)
    assert "kan ikke leses" in broken.reason()


def test_regions_that_sent_nothing_are_listed(result: Consolidation) -> None:
    received = {r.region.code for r in result.regions if r.received}
    assert received == {"03", "11", "42", "46"}
    assert len(result.regions) == 15


def _table_rows(ws: Any) -> list[dict[str, Any]]:
    ref = next(iter(ws.tables.values())).ref
    rows = list(ws[ref])
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, (c.value for c in r), strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("sheet", ["Mål", "Tiltak", "Risiko", "Parter"])
def test_row_conservation(result: Consolidation, overview: Path, sheet: str) -> None:
    """Each data sheet holds exactly the filled rows of the chosen versions, once each."""
    expected = Counter((sub.region, row.sheet, row.row) for sub, row in result.rows(sheet))
    plans = [s for s in result.submissions if s.status == INCLUDED]
    by_hand = sum(len(s.report.plan.rows[sheet]) for s in plans if s.report.plan)
    assert sum(expected.values()) == by_hand > 0
    rows = _table_rows(openpyxl.load_workbook(overview)[sheet])
    got = Counter((r["Region"], r["Kildeark"], r["Kilderad"]) for r in rows)
    assert got == expected
    assert all(v == 1 for v in got.values())


def test_row_conservation_counts_by_region(overview: Path) -> None:
    rows = _table_rows(openpyxl.load_workbook(overview)["Tiltak"])
    assert Counter(r["Region"] for r in rows) == {"03": 3, "42": 4, "11": 1, "46": 2}
    assert not any("gammel" in str(r["Tiltak"]) for r in rows)
    assert {r["Kildefil"] for r in rows if r["Region"] == "42"} == {
        "Kopi av SMSO-handlingsplan-2026-42-Agder (2).xlsx"}


def test_every_sheet_present_charts_and_unicode(overview: Path) -> None:
    book = openpyxl.load_workbook(overview)
    assert book.sheetnames == ["Oversikt", "Kontakter", "Tiltak", "Mål", "Risiko", "Parter",
                               "Egenvurdering", "Frister", "Avvik", "Innsendinger"]
    import zipfile

    with zipfile.ZipFile(overview) as package:
        charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 2
    goals = _table_rows(book["Mål"])
    assert "Mål for Oslo æøå «Ø»" in {r["Mål"] for r in goals}


def test_submissions_sheet_lists_every_file(overview: Path, result: Consolidation) -> None:
    rows = _table_rows(openpyxl.load_workbook(overview)["Innsendinger"])
    assert {r["Fil"] for r in rows} == {s.path.name for s in result.submissions}
    sums = {r["Fil"]: r["SHA-256"] for r in rows}
    assert all(len(v or "") == 64 for k, v in sums.items() if k != "Telemark.xlsx")


def _oversikt_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Oversikt's region rows by region code, keyed by header."""
    ws = openpyxl.load_workbook(path)["Oversikt"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header = rows[0]
    found = {}
    for row in rows[1:]:
        if row[0] == "Totalt":
            break  # the chart data below repeats the region codes
        found[row[0]] = dict(zip(header, row, strict=True))
    return found


def test_oversikt_gives_each_region_one_status_and_the_date(overview: Path) -> None:
    rows = _oversikt_rows(overview)
    assert {code: r["Status"] for code, r in rows.items() if r["Status"] != "Ikke mottatt"} == {
        "03": "Mottatt", "11": "Mottatt", "42": "Mottatt", "46": "Mottatt", "40": "Uleselig"}
    # Telemark.xlsx is broken and named by hand: the region's name in it says whose it is.
    assert rows["40"]["Status"] == "Uleselig" and rows["40"]["Fil"] == "Telemark.xlsx"
    assert rows["42"]["Dato mottatt"] == dt.datetime(2026, 3, 6)  # the newer one's saved day
    assert rows["56"]["Dato mottatt"] is None


# --- a region's status: received, with errors, unreadable, nothing ---------------------------


@pytest.fixture
def statuses(tmp_path: Path) -> Path:
    """Oslo clean; Agder with errors; Telemark's file broken under the name generate gave it;
    Vestland's broken under a name of its own, but collect recorded its sender."""
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    _saved(make_plan(inbox, region="03", rows=_rows("Oslo", 1), form=FORM, name="Oslo.xlsx"),
           SAVED)
    make_plan(inbox, region="42", rows={"Tiltak": [{"Tiltak": "Uten ansvarlig"}]}, form=FORM,
              name="Agder.xlsx")
    good = (inbox / "Oslo.xlsx").read_bytes()
    (inbox / "Kopi av SMSO-handlingsplan-2026-40-Telemark (2).xlsx").write_bytes(good[:999])
    (inbox / "plan.xlsx").write_bytes(good[:999])
    (inbox / "SMSO-handlingsplan-2025-11-Rogaland.xlsx").write_bytes(good[:999])  # last year
    return inbox


def _sender(path: Path, sha256: str | None) -> Provenance | None:
    if path.name != "plan.xlsx":
        return None
    return Provenance(sha256="", saved_name=path.name, original_name="plan.xlsx",
                      sender_name="Vestland", sender_address="Post@Vestland.example.no",
                      subject="Plan", sent=dt.datetime(2026, 2, 3, 8, 0, tzinfo=dt.UTC),
                      message_id="<1@x>", source="plan.eml")


def _with_addresses() -> list[Region]:
    return [Region(r.code, r.name, r.counties,
                   "post@vestland.example.no; leder@vestland.example.no"
                   if r.code == "46" else r.email) for r in default_regions()]


@pytest.mark.slow
def test_each_expected_region_has_one_status(statuses: Path) -> None:
    result = consolidate([statuses], year=2026, today=TODAY, regions=_with_addresses(),
                         provenance=_sender)
    by_code = {r.region.code: r for r in result.regions}
    assert {code: r.status for code, r in by_code.items() if r.status != NOT_RECEIVED} == {
        "03": RECEIVED, "42": RECEIVED_WITH_ERRORS, "40": UNREADABLE_FILE,
        "46": UNREADABLE_FILE}
    assert by_code["11"].status == NOT_RECEIVED  # a name of another year credits nobody
    assert by_code["46"].received_at == dt.datetime(2026, 2, 3, 8, 0, tzinfo=dt.UTC)
    assert by_code["03"].received_at == SAVED
    assert by_code["40"].received_at is None and by_code["40"].file is not None
    assert result.region_counts() == {RECEIVED: 1, RECEIVED_WITH_ERRORS: 1,
                                      RECEIVED_WRONG_FORMAT: 0, UNREADABLE_FILE: 2,
                                      NOT_RECEIVED: 11}


@pytest.mark.slow
def test_console_oversikt_and_json_say_the_same(statuses: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    text = _consolidate_cli(statuses, out)
    assert text.exit_code == 0, text.output
    shown = {r: v["Status"] for r, v in _oversikt_rows(out).items()}
    said = {}
    for line in click.unstyle(text.stdout).splitlines():
        code, _, rest = line.strip().partition(" ")
        if code in shown:
            said[code] = next(s for s in REGION_STATUSES[::-1] if f"  {s}" in f"  {rest}")
    assert said == shown and shown["40"] == UNREADABLE_FILE
    assert "Telemark (2).xlsx: Filen kan ikke leses" in text.stdout
    telemark = [line for line in text.stdout.splitlines() if "Telemark" in line]
    assert len(telemark) == 1 and "Uleselig" in telemark[0]  # once, with its status
    assert ("Av 15 regioner: 1 mottatt, 1 mottatt med feil, 1 uleselig, 12 ikke mottatt."
            in text.stdout)
    ws = openpyxl.load_workbook(out)["Oversikt"]
    assert "Av 15 regioner: 1 mottatt, 1 mottatt med feil, 1 uleselig" in ws["A2"].value
    report = json.loads(_consolidate_cli(statuses, out, "--format", "json").stdout)
    assert {r["code"]: r["status"] for r in report["regions"]} == shown
    region = next(r for r in report["regions"] if r["code"] == "40")
    assert region["received"] is False and region["file"].endswith("Telemark (2).xlsx")
    assert "kan ikke leses" in region["reason"]
    assert report["summary"] == {"files": 5, "regions": 15, "received": 1,
                                 "received_with_errors": 1, "wrong_format": 0,
                                 "unreadable": 1, "not_received": 12}


# --- a plan saved as .xls -------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.slow
def test_an_xls_plan_is_received_in_the_wrong_format_with_advice_for_both_programs(
        tmp_path: Path) -> None:
    """Agder's .xls keeps the name generate gave it; Vestland's was renamed by hand. Both
    are saved by LibreOffice (MS Excel 97), as a region would; Innlandet's plan is a real
    .xlsx that someone named .xls."""
    require_soffice()
    work, inbox = tmp_path / "arbeid", tmp_path / "innboks"
    work.mkdir()
    inbox.mkdir()
    sources = [make_plan(work, region="42", rows=_rows("Agder", 1), form=FORM,
                         name="SMSO-handlingsplan-2026-42-Agder.xlsx"),
               make_plan(work, region="46", rows=_rows("Vestland", 1), form=FORM,
                         name="Handlingsplan_vestland_2026.xlsx")]
    saved = convert_many(sources, inbox, "xls:MS Excel 97")
    assert [p.suffix for p in saved] == [".xls", ".xls"]
    assert all(p.read_bytes().startswith(OLE_MAGIC) for p in saved)
    _saved(make_plan(inbox, region="03", rows=_rows("Oslo", 1), form=FORM, name="Oslo.xlsx"),
           SAVED)
    shutil.copyfile(make_plan(work, region="34", rows=_rows("Innlandet", 1), form=FORM),
                    inbox / "Innlandet.xls")
    out = tmp_path / "oversikt.xlsx"
    run = _consolidate_cli(inbox, out)
    assert run.exit_code == 0, run.output
    result = consolidate([inbox], year=2026, today=TODAY)
    assert {r.region.code: r.status for r in result.regions if r.status != NOT_RECEIVED} == {
        "03": RECEIVED, "34": RECEIVED, "42": RECEIVED_WRONG_FORMAT,
        "46": RECEIVED_WRONG_FORMAT}
    assert {s.path.name: s.status for s in result.submissions if s.status == WRONG_FORMAT} == {
        "SMSO-handlingsplan-2026-42-Agder.xls": WRONG_FORMAT,
        "Handlingsplan_vestland_2026.xls": WRONG_FORMAT}
    text = click.unstyle(run.stdout)
    for name in ("Agder", "Vestland"):
        line = next(line for line in text.splitlines() if name in line and "Mottatt" in line)
        assert "Mottatt i feil format" in line and f"{name.lower()}" in line.lower()
        assert "Excel-arbeidsbok (.xlsx)" in line and "Excel 2007-365 (.xlsx)" in line
    assert ("Av 15 regioner: 2 mottatt, 2 mottatt i feil format, 11 ikke mottatt."
            in text)
    rows = _oversikt_rows(out)
    assert rows["42"]["Status"] == rows["46"]["Status"] == RECEIVED_WRONG_FORMAT
    assert rows["46"]["Fil"] == "Handlingsplan_vestland_2026.xls"
    report = json.loads(_consolidate_cli(inbox, out, "--format", "json").stdout)
    agder = next(r for r in report["regions"] if r["code"] == "42")
    assert agder["status"] == RECEIVED_WRONG_FORMAT and agder["received"] is False
    assert "LibreOffice" in agder["reason"] and "Excel" in agder["reason"]
    assert report["summary"]["wrong_format"] == 2


def test_a_region_name_in_a_broken_file_name_credits_only_one_region(tmp_path: Path) -> None:
    broken = b"PK\x03\x04" + bytes(100)
    for name in ("Plan for Møre og Romsdal.xlsx", "Troms og Finnmark.xlsx", "Vestlandet.xlsx"):
        (tmp_path / name).write_bytes(broken)
    result = consolidate([tmp_path], year=2026, today=TODAY)
    credited = {s.path.name: s.credited_to for s in result.submissions}
    assert credited == {"Plan for Møre og Romsdal.xlsx": "15", "Troms og Finnmark.xlsx": None,
                        "Vestlandet.xlsx": None}


# --- one plan under two regions -----------------------------------------------------------


def _budgeted(name: str, actions: int, goal: str | None = None) -> dict[str, Any]:
    rows = _rows(name, actions)
    rows["Tiltak"] = [{**row, "Budsjett (kr)": 1000 * i}
                      for i, row in enumerate(rows["Tiltak"], start=1)]
    if goal:
        rows["Mål"] = [_goal(goal)]
    return rows


@pytest.fixture
def pasted(tmp_path: Path) -> Path:
    """Agder sent Oslo's plan (pasted into its own workbook, saved a day later); Rogaland's
    plan has one goal like Oslo's, by chance, and is its own."""
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    oslo = _budgeted("Oslo", 3)
    oslo["Tiltak"].append(_action("Oslo uten frist", Frist=None))  # 3 of 5 owned, dated
    _saved(make_plan(inbox, region="03", rows=oslo, form=FORM, name="Oslo.xlsx"), SAVED)
    _saved(make_plan(inbox, region="42", rows=oslo, form=FORM, name="Agder.xlsx"),
           SAVED + dt.timedelta(days=1))
    _saved(make_plan(inbox, region="11", rows=_budgeted("Rogaland", 2, goal="Mål for Oslo"),
                     form=FORM, name="Rogaland.xlsx"), SAVED)
    return inbox


@pytest.mark.libreoffice
@pytest.mark.slow
def test_one_plan_under_two_regions_is_a_finding_and_counted_once(
        pasted: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    run = _consolidate_cli(pasted, out)
    assert run.exit_code == 0, run.output
    result = consolidate([pasted], year=2026, today=TODAY)
    assert [(f.code, Path(f.file or "").name) for f in result.findings] == [
        ("plan-shared", "Agder.xlsx")]
    message = result.findings[0].message
    assert all(word in message for word in ("03 Oslo", "Oslo.xlsx", "42 Agder", "Agder.xlsx"))
    [pair] = result.shared
    assert (pair.earlier.region, pair.later.region, pair.count) == ("03", "42", 5)
    assert f"Advarsel: {message}" in run.stdout
    # Nothing is lost: each region's rows stay on the data sheets, once each.
    book = openpyxl.load_workbook(out)
    tiltak = Counter(r["Region"] for r in _table_rows(book["Tiltak"]))
    assert tiltak == {"03": 4, "42": 4, "11": 2}
    avvik = _table_rows(book["Avvik"])
    assert [r["Melding"] for r in avvik if r["Kode"] == "plan-shared"] == [message]
    ws = book["Oversikt"]
    assert "Samme plan under to regioner: 03 og 42" in ws["A3"].value
    rows = _oversikt_rows(out)
    assert rows["03"]["Budsjett (kr)"] == rows["42"]["Budsjett (kr)"] == 6000  # its own
    # The totals count Agder's copy once: formulas Excel recalculates, cached values, and
    # LibreOffice's own recalculation agree.
    require_soffice()
    recalculated = convert(out, tmp_path / "lo", "xlsx", recalc=True)
    for path in (out, recalculated):
        sheet = openpyxl.load_workbook(path, data_only=True)["Oversikt"]
        header = [c.value for c in sheet[4]]
        total = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "Totalt")
        got = {h: total[header.index(h)].value for h in
               ("Mål", "Tiltak", "Budsjett (kr)", "Andel med ansvarlig og frist")}
        assert got["Mål"] == 2 and got["Tiltak"] == 6  # 1 + 1 + 1 − 1, 4 + 4 + 2 − 4
        assert got["Budsjett (kr)"] == 6000 + 3000  # not 6000 + 6000 + 3000
        assert got["Andel med ansvarlig og frist"] == pytest.approx((4 + 4 + 3 - 4)
                                                                     / (5 + 5 + 3 - 5))
    formulas = {c.value for c in next(r for r in ws.iter_rows(min_row=5)
                                      if r[0].value == "Totalt") if isinstance(c.value, str)}
    assert any(f.endswith("-6000") for f in formulas)
    report = json.loads(_consolidate_cli(pasted, out, "--format", "json").stdout)
    assert {r["code"]: r["shares_rows_with"] for r in report["regions"]
            if r["shares_rows_with"]} == {"03": ["42"], "42": ["03"]}
    assert [f["code"] for f in report["findings"]] == ["plan-shared"]
    # One computed model: the JSON's totals are Oversikt's Totalt, the copy counted once.
    assert (report["totals"]["goals"], report["totals"]["actions"],
            report["totals"]["budget"]) == (2, 6, 9000)
    assert report["totals"]["owner_share"] == pytest.approx((4 + 4 + 3 - 4) / (5 + 5 + 3 - 5))


@pytest.mark.slow
def test_one_plan_under_three_regions_counts_once_in_the_totals(tmp_path: Path) -> None:
    plan = _budgeted("Oslo", 2)  # 1 goal, 2 actions, budget 1000 + 2000
    for days, (code, name) in enumerate((("03", "Oslo"), ("42", "Agder"), ("11", "Rogaland"))):
        _saved(make_plan(tmp_path, region=code, rows=plan, form=FORM, name=f"{name}.xlsx"),
               SAVED + dt.timedelta(days=days))
    result = consolidate([tmp_path], year=2026, today=TODAY)
    assert sorted((p.earlier.region, p.later.region) for p in result.shared) == [
        ("03", "11"), ("03", "42"), ("42", "11")]
    twice = result.counted_twice()
    assert (twice["actions"], twice["budget"]) == ((4, 4), (6000, 4))  # two copies, once each
    cached = openpyxl.load_workbook(write_overview(result, tmp_path / "ut" / "o.xlsx"),
                                    data_only=True)["Oversikt"]
    header = [c.value for c in cached[4]]
    total = next(r for r in cached.iter_rows(min_row=5) if r[0].value == "Totalt")
    assert total[header.index("Tiltak")].value == 2
    assert total[header.index("Budsjett (kr)")].value == 3000
    national = result.national_totals  # what the cells cache and the JSON reports
    assert (national["actions"].value, national["budget"].value) == (2, 3000)
    assert result.to_json()["totals"]["budget"] == 3000


@pytest.mark.slow
def test_a_few_rows_alike_are_not_one_plan(tmp_path: Path) -> None:
    """Two regions may well share a goal, or even two, in a plan of their own."""
    common = [_goal("Felles mål"), _goal("Felles mål 2")]
    for code, name in (("03", "Oslo"), ("42", "Agder")):
        rows = _rows(name, 3)
        rows["Mål"] = [*common, _goal(f"Eget mål {name}"), _goal(f"Andre mål {name}")]
        make_plan(tmp_path, region=code, rows=rows, form=FORM, name=f"{name}.xlsx")
    result = consolidate([tmp_path], year=2026, today=TODAY)
    assert result.findings == [] and result.shared == []  # 2 of 7 rows alike


# --- paths that hold no workbook -------------------------------------------------------------


def test_a_folder_without_workbooks_is_named_and_exits_1(tmp_path: Path) -> None:
    empty, texts = tmp_path / "tom", tmp_path / "tekst"
    empty.mkdir()
    texts.mkdir()
    (texts / "les meg.txt").write_text("ikke en plan")
    out = tmp_path / "o.xlsx"
    for args in (["consolidate", str(empty), "--out", str(out)],
                 ["validate", str(empty), str(texts)]):
        run = CliRunner().invoke(main, args)
        assert run.exit_code == 1, run.output
        assert f"Fant ingen arbeidsbøker i {empty}" in run.output
        assert "None" not in run.output and "0 filer" not in run.output
    assert f"{empty} og {texts}" in run.output
    assert not out.exists()


def test_a_wrong_folder_beside_a_right_one_fails_validate_after_the_report(
        tmp_path: Path) -> None:
    empty = tmp_path / "tom"
    empty.mkdir()
    plan = make_plan(tmp_path, region="03", rows=_rows("Oslo", 1), form=FORM, name="Oslo.xlsx")
    run = CliRunner().invoke(main, ["validate", str(plan), str(empty), "--today", "2026-06-01"])
    assert run.exit_code == 1
    assert "1 fil kontrollert" in run.output and f"ingen arbeidsbøker i {empty}" in run.output


def test_one_file_is_said_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "tom.xlsx").write_bytes(b"")
    run = CliRunner().invoke(main, ["consolidate", str(tmp_path), "--out",
                                    str(tmp_path / "o.xlsx")])
    assert "1 fil lest." in run.output and "None" not in run.output


# --- choosing, in small inboxes ------------------------------------------------------------


def test_identical_copies_collapse(tmp_path: Path) -> None:
    first = make_plan(tmp_path, region="42", rows=_rows("Agder", 1), form=FORM, name="a.xlsx")
    shutil.copyfile(first, tmp_path / "a (2).xlsx")
    result = consolidate([tmp_path], year=2026, today=TODAY)
    assert sorted(_status(result).items()) == [("a (2).xlsx", DUPLICATE), ("a.xlsx", INCLUDED)]
    assert len(result.rows("Tiltak")) == 1


@pytest.mark.slow
def test_last_updated_breaks_a_tie_of_saved_times(tmp_path: Path) -> None:
    for name, updated in (("b.xlsx", dt.date(2026, 2, 1)), ("a.xlsx", dt.date(2026, 2, 9))):
        plan = make_plan(tmp_path, region="42", rows=_rows(name, 1),
                         form={**FORM, "Sist oppdatert (dato)": updated}, name=name)
        _saved(plan, SAVED)
    assert _status(consolidate([tmp_path], year=2026, today=TODAY)) == {
        "a.xlsx": INCLUDED, "b.xlsx": SUPERSEDED}


def test_copies_of_one_file_with_different_regions_are_reported(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, region="42", rows=_rows("Agder", 1), form=FORM, name="a.xlsx")
    other = tmp_path / "b.xlsx"
    shutil.copyfile(plan, other)
    with edit_workbook(other) as book:  # the same file id, someone changed the region
        ws = book["Metadata"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "region_code":
                row[1].value = "46"
    result = consolidate([tmp_path], year=2026, today=TODAY)
    # The same rows under two regions, too: the totals count them once.
    assert [f.code for f in result.findings] == ["copies-conflict", "plan-shared"]
    assert "a.xlsx" in result.findings[0].message and "b.xlsx" in result.findings[0].message


def test_files_with_errors_are_flagged_or_excluded(tmp_path: Path) -> None:
    make_plan(tmp_path, region="42", rows={"Tiltak": [{"Tiltak": "Uten ansvarlig"}]},
              form=FORM, name="a.xlsx")
    assert _status(consolidate([tmp_path], year=2026, today=TODAY)) == {
        "a.xlsx": INCLUDED_WITH_ERRORS}
    excluded = consolidate([tmp_path], year=2026, today=TODAY, exclude_invalid=True)
    assert _status(excluded) == {"a.xlsx": EXCLUDED}
    assert excluded.rows("Tiltak") == []
    assert next(r for r in excluded.regions if r.region.code == "42").received


@pytest.mark.slow
def test_other_years_and_foreign_workbooks_are_listed_not_used(tmp_path: Path) -> None:
    make_plan(tmp_path, region="42", year=2025, rows=_rows("Agder", 1), form=FORM,
              name="gammel.xlsx")
    make_plan(tmp_path, region="42", rows=_rows("Agder", 1), form=FORM, name="ny.xlsx")
    foreign = openpyxl.Workbook()
    foreign.active.title = "Ark1"
    foreign.save(tmp_path / "annet.xlsx")
    assert _status(consolidate([tmp_path], today=TODAY)) == {
        "annet.xlsx": NOT_TEMPLATE, "gammel.xlsx": OTHER_YEAR, "ny.xlsx": INCLUDED}


# --- the command line ----------------------------------------------------------------------


def test_cli_writes_the_overview_and_reports_json(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    run = CliRunner().invoke(main, ["consolidate", str(inbox), "--out", str(out), "--year",
                                    "2026", "--today", "2026-06-01", "--format", "json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert report["out"] == str(out) and out.is_file()
    assert {s["status"] for s in report["submissions"]} == {INCLUDED, SUPERSEDED, UNREADABLE}
    assert sum(r["received"] for r in report["regions"]) == 4


def test_cli_text_summary_and_nothing_to_consolidate(tmp_path: Path) -> None:
    (tmp_path / "tom.xlsx").write_bytes(b"")
    out = tmp_path / "oversikt.xlsx"
    run = CliRunner().invoke(main, ["consolidate", str(tmp_path), "--out", str(out)])
    assert run.exit_code == 1
    assert "Ingen arbeidsbøker kunne samles" in run.output and not out.exists()
    assert "Traceback" not in run.output


def test_cli_refuses_an_output_open_in_excel(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    (tmp_path / "~$oversikt.xlsx").write_bytes(b"lock")
    run = CliRunner().invoke(main, ["consolidate", str(inbox), "--out", str(out)])
    assert run.exit_code == 2
    assert "åpen i Excel" in run.output and "Traceback" not in run.output
    assert not out.exists()


def test_cli_refuses_an_output_open_in_libreoffice(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    out.write_bytes(b"the overview the coordinator has open")
    (tmp_path / ".~lock.oversikt.xlsx#").write_text(",Kari,pc,01.06.2026 10:00,file:///;")
    run = CliRunner().invoke(main, ["consolidate", str(inbox), "--out", str(out)])
    assert run.exit_code == 2
    assert "oversikt.xlsx er åpen i LibreOffice" in run.output
    assert out.read_bytes() == b"the overview the coordinator has open"


def test_what_consolidate_keeps_of_a_plan_shows_every_value_as_the_whole_plan_does():
    """consolidate keeps of each row only what ``PlanRow.shown`` gives (issue 26: the
    memory of a round's plans): the same findings, every value shown the same, values not
    understood kept as typed."""
    plan = build_clean_plan(action={"Frist": "snart", "Timer": "mange", "Start": "1.2.2026",
                                    "Ansvarlig": "  Ola  Nordmann "},
                            extra={"Risiko": [risk(p="høy")]})
    settings = {"templates": load_templates(), "today": TODAY, "year": 2026,
                "known_regions": {r.code for r in default_regions()},
                "parties": tuple(p.name for p in default_parties())}
    whole = validate_workbook(plan, **settings)
    kept = validate_workbook(plan, **settings, keep_tables=False)
    assert kept.findings == whole.findings and kept.workbook.tables == {}
    assert whole.plan is not None and kept.plan is not None
    understood = not_understood = 0
    for sheet, rows in whole.plan.rows.items():
        assert len(kept.plan.rows[sheet]) == len(rows)
        for row, lean in zip(rows, kept.plan.rows[sheet], strict=True):
            assert lean.cells == {} and row.cells
            keys = sorted({*row.values, *row.texts})
            for key in keys:
                assert lean.shown(key) == row.shown(key), (sheet, row.row, key)
            assert lean.shown_each(keys) == [row.shown(key) for key in keys]  # one rule
            understood += sum(1 for k, text in row.texts.items()
                              if text and row.values.get(k) is not None)
            not_understood += len(lean.texts)
            assert all(lean.values.get(k) is None for k in lean.texts)
    assert understood > 20 and not_understood >= 3  # «snart», «mange», «høy» as typed
    assert kept.plan.rows["Tiltak"][0].shown(
        load_templates().newest.sheet("Tiltak").key_of(Role.DEADLINE)) == "snart"

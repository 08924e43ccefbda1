"""Rounds (docs/reference.md §9): next round's workbooks prefilled from the plans that came back,
``compare`` of two rounds, and the overview with the previous round.

The main test plays the year as it is used: round 1 filled and re-saved through LibreOffice
(.xlsx and .ods, one plan still in template version 1), round 2 generated from that inbox,
filled, re-saved, compared and consolidated with the previous round.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smso_xl.round.compare import compare
from smso_xl.round.consolidation import consolidate
from smso_xl.round.generator import generate
from smso_xl.round.overview import write_overview
from smso_xl.round.rounds import generate_round
from smso_xl.round.validation import validate
from smso_xl.template.config import default_regions
from smso_xl.template.definition import load_template
from smso_xl.template.prefill import LEFTOVERS_SHEET, highest_ids, next_ids
from smso_xl.template.values import format_date
from smso_xl.workbook.fill import fill_plan
from tests.libreoffice import convert_many, require_soffice
from tests.workbooks import edit_workbook

#: `generate` needs the coordinator's address (the demo alone has its own).
COORDINATOR = ("--coordinator", "Kari Koordinator <kari@example.no>")

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 1)
V1, V2 = load_template("1"), load_template("2")
REGIONS = [r for r in default_regions() if r.code in ("03", "42", "46", "50")]
D = dt.date


def _blank(tmp_path: Path, code: str, *, version: str = "2", year: int = 2026) -> Path:
    result = generate(regions=default_regions(), region_codes=[code], year=year,
                      out_dir=tmp_path / f"blank-{code}-v{version}-{year}", now=NOW, force=True,
                      new_file_id=lambda: f"id-{code}-{version}", template=load_template(version))
    return result.files[0].path


def _filled(tmp_path: Path, code: str, name: str, *, version: str = "2", year: int = 2026,
            saved: dt.datetime | None = None) -> Path:
    """A region's round-1 plan: three goals, four actions (one done, one cancelled), a risk."""
    rows = {
        "Mål": [
            {"Mål": f"Mål A {code}", "Indikator": "Skoler", "Målverdi": "10",
             "Frist": D(year, 11, 30), "Ansvarlig": "Kari Nordmann", "Status": "Pågår"},
            {"Mål": f"Mål B {code}", "Indikator": "Kommuner", "Målverdi": "5",
             "Frist": D(year, 10, 1), "Ansvarlig": "Per Hansen", "Status": "Ikke startet"},
        ],
        "Tiltak": [
            {"Mål-ID": "M1", "Tiltak": "Skolebesøk", "Ansvarlig": "Kari Nordmann",
             "Frist": D(year, 5, 1), "Status": "Fullført", "Timer": 40, "Budsjett (kr)": 10000},
            {"Mål-ID": "M1", "Tiltak": "Regnskapspris", "Ansvarlig": "Per Hansen",
             "Frist": D(year, 9, 1), "Status": "Pågår", "Timer": 12.5},
            {"Mål-ID": "M2", "Tiltak": "Innkjøpsseminar", "Ansvarlig": "Ola Berg",
             "Frist": D(year, 10, 15), "Status": "Ikke startet", "Kommentar": "=ikke formel"},
            {"Mål-ID": "M2", "Tiltak": "Kampanje", "Ansvarlig": "Ola Berg",
             "Frist": D(year, 8, 1), "Status": "Avlyst"},
        ],
        "Risiko": [{"Risiko": "Lite tid", "Gjelder": "T2", "Sannsynlighet (1–5)": 4,
                    "Konsekvens (1–5)": 4, "Risikoreduserende tiltak": "Tidlig avtale",
                    "Ansvarlig": "Per Hansen", "Frist": D(year, 7, 1), "Status": "Pågår"}],
        "Parter": [{"Part": "LO", "Deltakelse": "Deltar", "Representant": "Nina Strand",
                    "Timer per år": 80, "Mandat avklart": "Ja"}],
        "Egenvurdering": [{"Kriterium": V1.criteria[0], "Vurdering": "Oppfylt"}],
    }
    form = {"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
            "Overordnet mål for samarbeidet": f"Mindre svart arbeid i region {code}",
            "Sist oppdatert (dato)": D(year, 1, 20)}
    for sheet, prefix in (("Mål", "M"), ("Tiltak", "T"), ("Risiko", "R")):  # from the dropdown
        rows[sheet] = [{"ID": f"{prefix}{i}", **row} for i, row in enumerate(rows[sheet], 1)]
    return fill_plan(_blank(tmp_path, code, version=version, year=year), tmp_path / name,
                     rows=rows, form=form, saved_at=saved or NOW, template=load_template(version))


def _changes(comparison: object, code: str) -> list[tuple[str, str, str | None, str | None]]:
    region = next(r for r in comparison.regions if r.code == code)  # type: ignore[attr-defined]
    return [(c.change, c.sheet, c.id, c.field) for c in region.changes]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_a_year_of_rounds_through_libreoffice(tmp_path: Path) -> None:
    require_soffice()
    work = tmp_path / "work"
    work.mkdir()
    oslo = _filled(work, "03", "Oslo 1.xlsx")
    agder_v1 = _filled(work, "42", "Agder 1.xlsx", version="1")  # an old version still out
    vestland = _filled(work, "46", "Vestland 1.xlsx")
    inbox1 = tmp_path / "runde-1"
    saved = convert_many([oslo, agder_v1], inbox1, "xlsx") + convert_many(
        [vestland], inbox1, "ods")
    assert [p.suffix for p in saved] == [".xlsx", ".xlsx", ".ods"]

    round2 = generate_round([inbox1], regions=REGIONS, out_dir=tmp_path / "utsendt-2",
                            now=NOW)
    assert round2.source_year == 2026 and round2.generated.year == 2026
    assert set(round2.sources.carried) == {"03", "42", "46"}
    assert round2.sources.blank == {"50": "ingen plan fra regionen i kildene"}
    files = {f.region.code: f.path for f in round2.generated.files}
    # Every carried value reads back as it was sent: no change between the two.
    unchanged = compare([inbox1], [files["03"], files["42"], files["46"]], regions=REGIONS,
                        today=TODAY)
    assert unchanged.summary["added"] == unchanged.summary["removed"] == 0
    assert unchanged.summary["changed"] == 0
    # Agder's version-1 plan is now in the newest version, with the follow-up status to fill.
    book = openpyxl.load_workbook(files["42"])
    meta = {r[0]: r[1] for r in book["Metadata"].iter_rows(values_only=True)}
    assert meta["template_version"] == load_template().version and meta["round"] == "2"
    assert meta["source_sha256"] and meta["source_sha256"] != "0"
    assert meta["issued_ids"] == "M2 R1 T4"  # a new row's ID comes after these
    assert [c.value for c in book["Egenvurdering"][1]][-1] == "Status"
    tiltak = [[c.value for c in row[:3]] for row in book["Tiltak"].iter_rows(min_row=2,
                                                                               max_row=6)]
    # The carried rows keep their IDs; a fresh row is empty (issue 16), and its ID dropdown
    # goes on with the numbering.
    assert [r[0] for r in tiltak] == ["T1", "T2", "T3", "T4", None]
    cached = openpyxl.load_workbook(files["42"], data_only=True)
    lister, cell = cached.defined_names["lst_neste_id_tiltak"].attr_text.split("!")
    assert cached[lister.strip("'")][cell.replace("$", "")].value == "T5"
    assert tiltak[2][2] == "Innkjøpsseminar" and tiltak[4][2] is None

    # Round 2: the regions report progress (sorted rows, a deleted row, an added one).
    inbox2_src = tmp_path / "fylt-2"
    inbox2_src.mkdir()
    agder2 = fill_plan(files["42"], inbox2_src / "Agder 2.xlsx", rows={"Tiltak": [
        {"ID": "T2", "Status": "Fullført"}, {"ID": "T3", "Frist": D(2026, 12, 1),
                                             "Ansvarlig": "Eva Lund"},
        {"Mål-ID": "M2", "Tiltak": "Nytt seminar", "Ansvarlig": "Eva Lund",
         "Frist": D(2026, 11, 1)}]}, saved_at=NOW + dt.timedelta(days=150))
    with edit_workbook(agder2) as edited:  # the region sorts Tiltak: T3 above T2
        sheet = edited["Tiltak"]
        for col in range(1, sheet.max_column + 1):
            upper, lower = sheet.cell(3, col), sheet.cell(4, col)
            upper.value, lower.value = lower.value, upper.value
        sheet.delete_rows(5)  # and deletes T4 (cancelled)
    oslo2 = shutil.copyfile(files["03"], inbox2_src / "Oslo 2.xlsx")
    inbox2 = tmp_path / "runde-2"
    convert_many([agder2, oslo2], inbox2, "xlsx")

    comparison = compare([inbox1], [inbox2], regions=REGIONS, today=TODAY)
    agder = _changes(comparison, "42")
    assert ("changed", "Tiltak", "T2", "Status") in agder
    assert ("changed", "Tiltak", "T3", "Frist") in agder
    assert ("changed", "Tiltak", "T3", "Ansvarlig") in agder
    assert ("removed", "Tiltak", "T4", None) in agder
    assert ("added", "Tiltak", "T5", None) in agder  # the first fresh row
    assert len(agder) == 5, agder  # the sorted rows are the same rows
    moved = next(c for r in comparison.regions for c in r.changes if c.field == "Frist")
    assert moved.to_json()["old"] == "2026-10-15" and moved.to_json()["days"] == 47
    assert _changes(comparison, "03") == []

    result = consolidate([inbox2], regions=REGIONS, today=TODAY)
    before = consolidate([inbox1], regions=REGIONS, today=TODAY)
    from smso_xl.round.compare import changes_between

    out = write_overview(result, tmp_path / "oversikt.xlsx",
                         changes=changes_between(before, result))
    overview = openpyxl.load_workbook(out)
    assert "Endringer" in overview.sheetnames
    # under the sheet's title and note, the table; before and after are dates
    endringer = list(overview["Endringer"].iter_rows(min_row=4, values_only=True))
    assert ("42", "Tiltak", "T3", "Frist flyttet", "Frist", dt.datetime(2026, 10, 15),
            dt.datetime(2026, 12, 1), 47) in [
        (r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in endringer]
    header = [c.value for c in overview["Oversikt"][4]]
    agder_row = next(r for r in overview["Oversikt"].iter_rows(min_row=5, values_only=True)
                     if r[0] == "42")
    assert agder_row[header.index("Fullført siden sist")] == 1
    assert agder_row[header.index("Frister flyttet")] == 1
    assert agder_row[header.index("Rader fjernet")] == 1


@pytest.mark.slow
def test_a_new_plan_year_carries_what_is_not_done(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _filled(tmp_path, "42", "inbox/Agder.xlsx")
    result = generate_round([inbox], regions=REGIONS, year=2027, out_dir=tmp_path / "2027",
                            now=NOW)
    carried = result.sources.carried["42"]
    assert carried.new_year and carried.number == 1
    path = next(f.path for f in result.generated.files if f.region.code == "42")
    (report,) = validate([path], today=dt.date(2027, 2, 1)).files
    assert report.plan is not None and report.workbook is not None
    assert report.workbook.identity is not None and report.workbook.identity.year == 2027
    actions = [(r.id, r.shown("tiltak")) for r in report.plan.rows["Tiltak"]]
    assert actions == [("T2", "Regnskapspris"), ("T3", "Innkjøpsseminar")]  # done: left
    assert [r.id for r in report.plan.rows["Mål"]] == ["M1", "M2"]
    assert [r.id for r in report.plan.rows["Risiko"]] == ["R1"]
    assessed = [r.values.get("vurdering") for r in report.plan.rows["Egenvurdering"]]
    assert assessed == [None] * len(V2.criteria)  # the self-assessment starts blank
    assert report.plan.form["leder"] == "Kari Nordmann"
    book = openpyxl.load_workbook(path)
    ids = {c.coordinate: c for c in book["Tiltak"]["A"]}
    assert ids["A2"].value == "T2" and "2026" in ids["A2"].comment.text
    assert ids["A4"].value is None and ids["A4"].comment is None  # a fresh row: empty


@pytest.mark.slow
def test_the_newest_of_two_versions_is_carried_and_bad_sources_get_blank(
        tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _filled(tmp_path, "42", "inbox/Agder.xlsx")
    newer = _filled(tmp_path, "42", "inbox/Kopi av Agder (2).xlsx",
                    saved=NOW + dt.timedelta(days=3))
    fill_plan(newer, newer, rows={"Tiltak": [{"ID": "T2", "Kommentar": "den nyeste"}]})
    other_year = _filled(tmp_path, "46", "inbox/Vestland 2025.xlsx", year=2025)
    assert other_year.exists()
    broken = _filled(tmp_path, "03", "inbox/Oslo.xlsx")
    broken.write_bytes(broken.read_bytes()[:3000])
    result = generate_round([inbox], regions=REGIONS, out_dir=tmp_path / "out", now=NOW)
    assert result.sources.carried["42"].source.name == "Kopi av Agder (2).xlsx"
    rows = result.sources.carried["42"].rows["Tiltak"]
    assert rows[1]["kommentar"] == "den nyeste"
    assert "planen gjelder 2025" in result.sources.blank["46"]
    assert set(result.sources.blank) == {"03", "46", "50"}
    assert len(result.generated.files) == len(REGIONS)  # every region gets a workbook


@pytest.mark.slow
def test_what_has_no_place_is_listed_not_dropped(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = _filled(tmp_path, "42", "inbox/Agder.xlsx")
    with edit_workbook(path) as book:
        book["Tiltak"].cell(1, 20, "Egen merknad")
        book["Tiltak"].cell(2, 20, "ring Kari")
        book.create_sheet("Notater")["A1"] = "møtereferat"
    result = generate_round([inbox], regions=REGIONS, out_dir=tmp_path / "out", now=NOW)
    leftovers = result.sources.carried["42"].leftovers
    assert [(x.sheet, x.row, x.column, x.value) for x in leftovers] == [
        ("Tiltak", "T1", "Egen merknad", "ring Kari"), ("Notater", "", "", "")]
    out = next(f.path for f in result.generated.files if f.region.code == "42")
    book = openpyxl.load_workbook(out)
    assert LEFTOVERS_SHEET in book.sheetnames
    assert book[LEFTOVERS_SHEET].sheet_state == "visible"
    listed = [[c.value for c in row] for row in book[LEFTOVERS_SHEET].iter_rows(min_row=5)]
    assert listed[0][:4] == ["Tiltak", "T1", "Egen merknad", "ring Kari"]


@pytest.mark.slow
def test_the_id_dropdowns_offer_the_carried_rows(tmp_path: Path) -> None:
    """Mål-ID and Gjelder list the IDs of the filled rows, and a prefilled workbook has some
    from the start: the lists' cached values (what a viewer that does not recalculate
    shows) are those IDs, and nothing of the fresh rows below."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _filled(tmp_path, "42", "inbox/Agder.xlsx")
    result = generate_round([inbox], regions=REGIONS, out_dir=tmp_path / "out", now=NOW)
    out = next(f.path for f in result.generated.files if f.region.code == "42")
    book = openpyxl.load_workbook(out, data_only=True)

    def offered(name: str) -> list[object]:
        column = re.fullmatch(r"OFFSET\(Lister!\$([A-Z]+)\$2,.*", book.defined_names[name].value)
        assert column is not None
        return [c.value for c in book["Lister"][column[1]][1:] if c.value]

    assert offered("lst_ref_mal") == ["M1", "M2"]
    assert offered("lst_ref_mal_tiltak") == ["M1", "M2", "T1", "T2", "T3", "T4"]


def test_next_ids_continue_after_the_highest() -> None:
    assert next_ids("T", ["T1", "T3", "t7", "X9", "T2b"], 2) == ["T8", "T9"]
    assert next_ids("M", [], 1) == ["M1"]


TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå ÆØÅ-", min_size=1,
               max_size=20).map(str.strip).filter(bool)
ACTION = st.fixed_dictionaries({
    "Tiltak": TEXT, "Ansvarlig": TEXT,
    "Frist": st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)),
    "Status": st.sampled_from(V2.vocabularies["status"]),
    "Timer": st.integers(min_value=0, max_value=500),
    "Budsjett (kr)": st.floats(min_value=0, max_value=1e6, allow_nan=False).map(
        lambda x: round(x, 2)),
})


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(ACTION, min_size=1, max_size=6), leader=TEXT)
def test_a_prefilled_workbook_gives_back_every_carried_value(
        tmp_path_factory: pytest.TempPathFactory, actions: list[dict[str, object]],
        leader: str) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    inbox = tmp / "inbox"
    inbox.mkdir()
    fill_plan(_blank(tmp, "42"), inbox / "Agder.xlsx", rows={"Tiltak": actions},
              form={"Leder": leader})
    (source,) = validate([inbox], today=TODAY).files
    result = generate_round([inbox], regions=REGIONS, out_dir=tmp / "out", now=NOW)
    out = next(f.path for f in result.generated.files if f.region.code == "42")
    (prefilled,) = validate([out], today=TODAY).files
    assert source.plan is not None and prefilled.plan is not None
    assert prefilled.plan.form["leder"] == source.plan.form["leder"]
    for sheet in ("Tiltak", "Parter", "Mål"):
        before = {r.id or r.shown("part"): {k: r.shown(k) for k in r.values}
                  for r in source.plan.rows[sheet]}
        after = {r.id or r.shown("part"): {k: r.shown(k) for k in r.values}
                 for r in prefilled.plan.rows[sheet]}
        # Every carried row keeps the deadline it was first given, beside its deadline.
        for key, values in after.items():
            first = values.pop("forste_frist", None)
            deadline = before.get(key, {}).get("frist")
            assert first == (format_date(deadline) if isinstance(deadline, dt.date) else None)
        for values in before.values():
            assert values.pop("forste_frist", None) is None  # round 1: not yet known
        assert after == before


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_commands_of_a_round(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from smso_xl.cli.commands import main

    inbox1 = tmp_path / "innboks-1"
    inbox1.mkdir()
    _filled(tmp_path, "42", "innboks-1/Agder.xlsx")
    broken = _filled(tmp_path, "03", "innboks-1/SMSO-handlingsplan-2026-03-Oslo.xlsx")
    broken.write_bytes(broken.read_bytes()[:2000])
    regions = tmp_path / "regioner.csv"
    regions.write_text("code,name,counties,email\n03,Oslo,Oslo,\n42,Agder,Agder,\n",
                       encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "runde-2"
    made = runner.invoke(main, ["generate", *COORDINATOR,
                                "--from", str(inbox1), "--regions", str(regions),
                                "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "42 Agder: utfylt fra Agder.xlsx (statusrunde" in made.output
    assert ("03 Oslo: tom arbeidsbok – SMSO-handlingsplan-2026-03-Oslo.xlsx: kan ikke leses"
            in made.output)
    inbox2 = tmp_path / "innboks-2"
    inbox2.mkdir()
    fill_plan(out / "SMSO-handlingsplan-2026-42-Agder.xlsx", inbox2 / "Agder.xlsx",
              rows={"Tiltak": [{"ID": "T2", "Status": "Fullført"},
                               {"ID": "T3", "Frist": D(2026, 12, 1)}]})

    as_json = runner.invoke(main, ["compare", str(inbox1), str(inbox2), "--regions",
                                   str(regions), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    import json

    report = json.loads(as_json.output)
    assert set(report) == {"regions", "summary"}
    (agder,) = [r for r in report["regions"] if r["region"] == "42"]
    assert set(agder) == {"region", "name", "old", "new", "changes"}
    assert agder["changes"] == [
        {"change": "changed", "sheet": "Tiltak", "id": "T2", "field": "Status",
         "old": "Pågår", "new": "Fullført"},
        {"change": "changed", "sheet": "Tiltak", "id": "T3", "field": "Frist",
         "old": "2026-10-15", "new": "2026-12-01", "days": 47}]
    assert report["summary"]["deadlines_moved"] == 1
    as_text = runner.invoke(main, ["compare", str(inbox1), str(inbox2), "--regions",
                                   str(regions)])
    assert as_text.exit_code == 0
    assert "T3: Frist 15.10.2026 → 01.12.2026 (+47 dager)" in as_text.output
    assert "T2: Status «Pågår» → «Fullført»" in as_text.output

    overview = tmp_path / "oversikt.xlsx"
    done = runner.invoke(main, ["consolidate", str(inbox2), "--out", str(overview),
                                "--regions", str(regions), "--previous", str(inbox1)])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(overview)
    assert "Endringer" in book.sheetnames and book["Endringer"].max_row == 5  # title, note
    plain = runner.invoke(main, ["consolidate", str(inbox2), "--out",
                                 str(tmp_path / "uten.xlsx"), "--regions", str(regions)])
    assert plain.exit_code == 0
    assert "Endringer" not in openpyxl.load_workbook(tmp_path / "uten.xlsx").sheetnames
    usage = runner.invoke(main, ["compare", str(inbox1)])
    assert usage.exit_code == 2


def test_highest_ids_keep_each_tables_highest_number() -> None:
    assert highest_ids(["M1", "T3", "t10", "M2", "R1", "", "X", "M 3", "Kari"]) == "M2 R1 T10"
    # A new row's ID comes after the highest given, even one since deleted.
    assert next_ids("T", ["T1", *highest_ids(["T1", "T4"]).split()], 1) == ["T5"]

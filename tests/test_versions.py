"""Template versions side by side (docs/reference.md §9), and the template as the single source.

Version 2 adds a ``Status`` to the self-assessment's follow-ups; version 3 moves what, who,
when and status to the front and adds the signing sheet. Workbooks of versions 1 and 2 are
already in regions' hands: they must validate exactly as before, while ``generate`` writes
version 3, and ``generate --from`` carries them into it with nothing lost. And adding a
number column with a total on Oversikt is one edit of the template.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import yaml

from smso_xl.round.compare import compare
from smso_xl.round.consolidation import consolidate
from smso_xl.round.generator import generate
from smso_xl.round.overview import write_overview
from smso_xl.round.rounds import generate_round
from smso_xl.round.validation import validate
from smso_xl.template.config import default_regions
from smso_xl.template.definition import (
    Template,
    as_template_set,
    load_template,
    load_templates,
    parse_template,
    parse_yaml,
    templates_dir,
)
from smso_xl.workbook.fill import fill_plan
from tests.libreoffice import convert_many, require_soffice

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
V1, V2, V3 = load_template("1"), load_template("2"), load_template("3")
CRITERION = V1.criteria[0]


def _plan(tmp_path: Path, template: Template, code: str, *, follow_up: dict[str, object],
          extra: dict[str, object] | None = None) -> Path:
    """A filled plan of ``template``'s version: one goal, one action, one assessed criterion
    that is not met (so it needs a follow-up: ``follow_up``)."""
    result = generate(regions=default_regions(), region_codes=[code], year=2026,
                      out_dir=tmp_path / f"v{template.version}-{code}", now=NOW,
                      new_file_id=lambda: f"file-{code}", template=template)
    # Each region's own texts: two regions with the same rows would be one plan sent twice
    # (plan-shared), which the totals count once.
    goal = {"Mål": f"Flere kjenner konsekvensene ({code})", "Indikator": "Antall skoler",
            "Målverdi": "10", "Frist": dt.date(2026, 11, 30), "Ansvarlig": "Kari Nordmann",
            "Status": "Pågår"}
    action = {"Mål-ID": "M1", "Tiltak": f"Skolebesøk ({code})", "Ansvarlig": "Kari Nordmann",
              "Frist": dt.date(2026, 10, 1), "Status": "Pågår", "Budsjett (kr)": 10000,
              **(extra or {})}
    criterion = {"Kriterium": CRITERION, "Vurdering": "Ikke oppfylt", **follow_up}
    return fill_plan(result.files[0].path, tmp_path / f"returned-v{template.version}-{code}.xlsx",
                     rows={"Mål": [goal], "Tiltak": [action], "Egenvurdering": [criterion]},
                     form={"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
                           "Overordnet mål for samarbeidet": "Mindre svart arbeid"},
                     template=template)


def _codes(report_file: object) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in report_file.findings]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_every_published_version_is_shipped_and_generate_writes_the_newest(
        tmp_path: Path) -> None:
    templates = load_templates()
    assert sorted(templates.versions) == ["1", "2", "3"]
    assert templates.newest is V3
    files = sorted((templates_dir() / templates.id).glob("*.yaml"))
    assert [f.stem for f in files] == ["1", "2", "3"]
    result = generate(regions=default_regions(), region_codes=["42"], year=2026,
                      out_dir=tmp_path, now=NOW)
    book = openpyxl.load_workbook(result.files[0].path)
    meta = {row[0]: row[1] for row in book[V2.metadata_sheet.name].iter_rows(values_only=True)}
    assert meta["template_version"] == "3"
    headers = [c.value for c in book["Egenvurdering"][1]]
    assert headers == [c.header for c in V3.sheet("Egenvurdering").columns]
    assert headers[-1] == "Status" and "Status" not in [
        c.header for c in V1.sheet("Egenvurdering").columns]


@pytest.mark.slow
def test_v1_and_v2_workbooks_validate_side_by_side(tmp_path: Path) -> None:
    passed = {"Oppfølging": "Ny runde med partene", "Ansvarlig": "Per Hansen",
              "Frist": dt.date(2026, 3, 1)}
    old = _plan(tmp_path, V1, "42", follow_up=passed)
    done = _plan(tmp_path, V2, "03", follow_up={**passed, "Status": "Fullført"})
    ongoing = _plan(tmp_path, V2, "11", follow_up={**passed, "Status": "Pågår"})

    report = validate([old, done, ongoing], today=TODAY)
    by_path = {f.path: f for f in report.files}
    # Version 1 exactly as a tool that knew only version 1 reads it: no status, no overdue.
    alone = validate([old], today=TODAY, templates=as_template_set(V1))
    assert _codes(by_path[old]) == _codes(alone.files[0])
    assert by_path[old].workbook is not None
    assert by_path[old].workbook.template_version == "1"
    assert not any(f.code == "template-version-unknown" for f in report.files[0].findings)
    # Version 2: a finished follow-up is done; one still going on is overdue.
    assert ("deadline-overdue", "Egenvurdering", "F2") not in _codes(by_path[done])
    assert ("deadline-overdue", "Egenvurdering", "F2") in _codes(by_path[ongoing])
    assert ("deadline-overdue", "Egenvurdering", "F2") not in _codes(by_path[old])


@pytest.mark.slow
def test_frister_follows_the_version_of_each_plan(tmp_path: Path) -> None:
    passed = {"Oppfølging": "Ny runde med partene", "Ansvarlig": "Per Hansen",
              "Frist": dt.date(2026, 3, 1)}
    _plan(tmp_path, V1, "42", follow_up=passed)
    _plan(tmp_path, V2, "03", follow_up={**passed, "Status": "Fullført"})
    result = consolidate([p for p in tmp_path.glob("returned-*.xlsx")], today=TODAY)
    out = write_overview(result, tmp_path / "oversikt.xlsx")
    rows = list(openpyxl.load_workbook(out)["Frister"].iter_rows(values_only=True))
    follow_ups = [(r[0], r[2]) for r in rows[1:] if r[2] == "Egenvurdering"]
    assert follow_ups == [("42", "Egenvurdering")]  # v1: no status, still followed up


@pytest.mark.slow
def test_an_unknown_version_is_a_file_level_finding(tmp_path: Path) -> None:
    raw = yaml.safe_load((templates_dir() / "smso-handlingsplan" / "2.yaml").read_text("utf-8"))
    future = parse_template({**raw, "version": "9"})
    path = _plan(tmp_path, future, "42", follow_up={})
    (found,) = validate([path], today=TODAY).files
    assert ("template-version-unknown", None, None) in _codes(found)


NEW_COLUMN = ('      - {key: reise, header: Reisekostnader (kr), kind: amount, width: 14, '
              'number_format: "#,##0", summary: sum}\n')


@pytest.mark.slow
def test_a_number_column_with_a_total_on_oversikt_is_one_template_edit(tmp_path: Path) -> None:
    text = (templates_dir() / "smso-handlingsplan" / "2.yaml").read_text("utf-8")
    anchor = '         help: "Beløp i kroner (et tall)."}\n'
    assert text.count(anchor) == 1
    template = parse_template(yaml.safe_load(text.replace(anchor, anchor + NEW_COLUMN)))

    for code, cost in (("42", 2500), ("03", 1250.5)):
        _plan(tmp_path, template, code, follow_up={"Oppfølging": "Ny runde",
                                                   "Ansvarlig": "Per Hansen",
                                                   "Frist": dt.date(2026, 9, 1)},
              extra={"Reisekostnader (kr)": cost})
    result = consolidate(sorted(tmp_path.glob("returned-*.xlsx")), today=TODAY,
                         templates=as_template_set(template))
    out = write_overview(result, tmp_path / "oversikt.xlsx")
    sheet = openpyxl.load_workbook(out)["Oversikt"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    column = rows[0].index("Reisekostnader (kr)")
    regions = rows[1:[r[0] for r in rows].index("Totalt")]  # the table, not the chart data
    by_region = {r[0]: r[column] for r in regions}
    assert by_region["42"] == 2500 and by_region["03"] == 1250.5
    total_row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "Totalt")
    letter = total_row[column].column_letter
    assert total_row[column].value.startswith(f"=SUM({letter}")
    cached = openpyxl.load_workbook(out, data_only=True)["Oversikt"]
    assert cached[total_row[column].coordinate].value == pytest.approx(3750.5)
    # The tiltak sheet of the overview carries the column too, with its number format.
    actions = openpyxl.load_workbook(out)["Tiltak"]
    headers = [c.value for c in actions[3]]  # under the title and the note
    assert "Reisekostnader (kr)" in headers


@pytest.mark.slow
def test_a_blank_plan_is_not_a_plan_from_version_2_on(tmp_path: Path) -> None:
    """A rule that comes with a version: version 2's Sjekk counts empty goal and action
    sheets, so version 2's validator does; version 1's Sjekk never did, nor does its check."""
    paths = []
    for template in (V1, V2):
        result = generate(regions=default_regions(), region_codes=["42"], year=2026,
                          out_dir=tmp_path / f"v{template.version}", now=NOW,
                          template=template)
        paths.append(result.files[0].path)
    old, new = (validate([p], today=TODAY).files[0] for p in paths)
    assert [c for c in _codes(old) if c[0] == "sheet-empty"] == []
    assert [c for c in _codes(new) if c[0] == "sheet-empty"] == [
        ("sheet-empty", "Mål", "B2"), ("sheet-empty", "Tiltak", "B2")]
    book = openpyxl.load_workbook(paths[1])
    marks = [rule.formula[0] for rng, rules in book["Mål"].conditional_formatting._cf_rules.items()
             if str(rng.sqref) == "B2" for rule in rules]
    assert len(marks) == 1 and marks[0].startswith("SUMPRODUCT((LEN($B$2:$B$401&")


# --- version 3 ---------------------------------------------------------------------------

FRONT = {  # version 3: each table's first columns, what, who, when and status
    "Tiltak": ["ID", "Mål-ID", "Tiltak", "Ansvarlig", "Ansvarlig part", "Frist", "Status",
               "Start", "Beskrivelse", "Aktivitetstype", "Område", "Målgruppe",
               "Samarbeidspartnere", "Timer", "Budsjett (kr)", "Kommentar"],
    "Mål": ["ID", "Mål", "Ansvarlig", "Frist", "Status"],
    "Risiko": ["ID", "Risiko", "Risikoskår", "Risikonivå", "Ansvarlig", "Frist", "Status"],
}


def test_version_3_only_moves_columns_headers_and_keys_unchanged() -> None:
    for sheet in V2.tables:
        old, new = sheet.columns, V3.sheet(sheet.name).columns
        assert sorted((c.key, c.header, c.kind, c.role) for c in new) == sorted(
            (c.key, c.header, c.kind, c.role) for c in old), sheet.name
    for name, front in FRONT.items():
        assert [c.header for c in V3.sheet(name).columns][:len(front)] == front
    assert [s.name for s in V3.sheets if s.name not in {s.name for s in V2.sheets}] == [
        "Forankring"]


def test_no_version_reads_a_sheet_the_reader_leaves_out() -> None:
    """``read`` leaves out the newest version's unread sheets whatever a file's version is:
    every version must read none of them (it would find its sheet missing)."""
    from smso_xl.workbook.reader import never_read

    templates = load_templates()
    never = never_read(templates.newest)
    for version, template in templates.versions.items():
        read = {sheet.name for sheet in template.tables}
        read |= {template.form.name, template.metadata_sheet.name}
        assert never.isdisjoint(read), version
        assert never_read(template) <= never, version


def _v12_plans(tmp_path: Path) -> list[Path]:
    """A version-1 plan (Agder) and a version-2 plan (Oslo), every kind of value filled."""
    follow = {"Oppfølging": "Ny runde", "Ansvarlig": "Per Hansen", "Frist": dt.date(2026, 9, 1)}
    extra = {"Beskrivelse": "Besøk på alle videregående", "Aktivitetstype": "Skolebesøk",
             "Område": "Aktivitet", "Målgruppe": "Ungdom/elever", "Start": dt.date(2026, 2, 1),
             "Samarbeidspartnere": "Fylkeskommunen", "Timer": 12.5, "Ansvarlig part": "LO",
             "Kommentar": "Med elevrådene"}
    return [_plan(tmp_path, V1, "42", follow_up=follow, extra=extra),
            _plan(tmp_path, V2, "03", follow_up={**follow, "Status": "Pågår"}, extra=extra)]


@pytest.mark.slow
def test_generate_from_carries_versions_1_and_2_into_3_with_nothing_lost(
        tmp_path: Path) -> None:
    sources = _v12_plans(tmp_path)
    round2 = generate_round(sources, regions=default_regions(), out_dir=tmp_path / "ut",
                            now=NOW)
    files = {f.region.code: f.path for f in round2.generated.files
             if f.region.code in ("42", "03")}
    for path in files.values():
        book = openpyxl.load_workbook(path)
        meta = {r[0]: r[1] for r in book["Metadata"].iter_rows(values_only=True)}
        assert meta["template_version"] == "3"
        assert "Ikke overført" not in book.sheetnames  # every value has its place
        assert [c.value for c in book["Tiltak"][1]][:len(FRONT["Tiltak"])] == FRONT["Tiltak"]
    # Compared by key, the moved columns are the same fields: no change at all.
    same = compare(sources, list(files.values()), regions=default_regions(), today=TODAY)
    assert same.summary == {"regions": 2, "regions_changed": 0, "added": 0, "removed": 0,
                            "changed": 0, "status_changed": 0, "deadlines_moved": 0,
                            "responsible_changed": 0}
    # ... and the values did arrive: the action's every field, by its header.
    carried = validate(list(files.values()), today=TODAY)
    for report in carried.files:
        assert report.plan is not None and report.template_version == "3"
        (action,) = report.plan.rows["Tiltak"]
        assert {h: action.shown(V3.sheet("Tiltak").column(k).key) for h, k in (
            ("Beskrivelse", "beskrivelse"), ("Timer", "timer"), ("Start", "start"))} == {
            "Beskrivelse": "Besøk på alle videregående", "Timer": 12.5,
            "Start": dt.date(2026, 2, 1)}


def test_compare_reports_a_moved_column_as_no_change_and_a_changed_value_by_header(
        tmp_path: Path) -> None:
    old = _plan(tmp_path, V2, "42", follow_up={})
    new = _plan(tmp_path, V3, "42", follow_up={},
                extra={"Status": "Fullført"})  # one real change, in a moved column
    result = compare([old], [new], regions=default_regions(), today=TODAY)
    (region,) = [r for r in result.regions if r.code == "42"]
    assert [(c.change, c.sheet, c.id, c.field, c.old, c.new) for c in region.changes] == [
        ("changed", "Tiltak", "T1", "Status", "Pågår", "Fullført")]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_a_version_2_plan_goes_into_version_3_and_back_out_through_libreoffice(
        tmp_path: Path) -> None:
    """Saved by a region in LibreOffice, carried into version 3 by generate --from, saved in
    LibreOffice again: validate, compare and consolidate see every value."""
    require_soffice()
    follow = {"Oppfølging": "Ny runde", "Ansvarlig": "Per Hansen", "Frist": dt.date(2026, 9, 1),
              "Status": "Pågår"}
    extra = {"Beskrivelse": "Besøk på alle videregående", "Aktivitetstype": "Skolebesøk",
             "Område": "Aktivitet", "Målgruppe": "Ungdom/elever", "Start": dt.date(2026, 2, 1),
             "Samarbeidspartnere": "Fylkeskommunen", "Timer": 12.5, "Ansvarlig part": "LO",
             "Kommentar": "Med elevrådene"}
    (v2,) = convert_many([_plan(tmp_path, V2, "03", follow_up=follow, extra=extra)],
                         tmp_path / "runde-1", "xlsx")
    round2 = generate_round([v2], regions=default_regions(), out_dir=tmp_path / "ut",
                            now=NOW, region_codes=["03"])
    (v3,) = convert_many([round2.generated.files[0].path], tmp_path / "runde-2", "xlsx")

    before, after = validate([v2], today=TODAY).files[0], validate([v3], today=TODAY).files[0]
    assert (before.template_version, after.template_version) == ("2", "3")
    # The same errors, by code (their cells moved); the rows without an ID got theirs when
    # they were carried, so «id-assigned» and the reference to a goal without one are gone.
    gone = {"id-assigned", "reference-unknown"}
    assert sorted(f.code for f in after.findings) == sorted(
        f.code for f in before.findings if f.code not in gone)
    same = compare([v2], [v3], regions=default_regions(), today=TODAY)
    assert same.summary["changed"] == same.summary["added"] == same.summary["removed"] == 0
    actions = consolidate([v3], today=TODAY).rows("Tiltak")
    out = write_overview(consolidate([v3], today=TODAY), tmp_path / "oversikt.xlsx")
    sheet = openpyxl.load_workbook(out)["Tiltak"]
    table = list(sheet[next(iter(sheet.tables.values())).ref])  # under the title and note
    headers = [c.value for c in table[0]]
    (row,) = [dict(zip(headers, (c.value for c in r), strict=False))
              for r in table[1:] if r[0].value]
    assert len(actions) == 1
    for header, value in {**extra, "Tiltak": "Skolebesøk (03)", "Ansvarlig": "Kari Nordmann",
                          "Frist": dt.date(2026, 10, 1), "Status": "Pågår",
                          "Budsjett (kr)": 10000}.items():
        shown = row[header].date() if isinstance(row[header], dt.datetime) else row[header]
        assert shown == value, header


def test_the_fast_yaml_parser_reads_every_shipped_file_as_pyyaml_does() -> None:
    """parse_yaml (libyaml) gives what yaml.safe_load gives, on every shipped file; a file
    libyaml refuses gets PyYAML's own message, which quotes the line."""
    files = sorted(templates_dir().rglob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text) == yaml.safe_load(text), path.name
    broken = "regions:\n  - code: '03\n    name: Oslo\n"
    with pytest.raises(yaml.YAMLError) as theirs:
        yaml.safe_load(broken)
    with pytest.raises(yaml.YAMLError) as ours:
        parse_yaml(broken)
    assert str(ours.value) == str(theirs.value) and "line" in str(ours.value)


def test_each_version_is_parsed_when_first_asked_for_and_each_shipped_one_parses(
        tmp_path: Path) -> None:
    """load_templates names the versions by their files and parses a file when its version
    is first asked for (a round in the newest version never parses the older ones); every
    shipped file parses, as its own version of this template."""
    from smso_xl.template.definition import TemplateError, _ShippedVersions

    folder = templates_dir() / load_templates().id
    versions = _ShippedVersions({p.stem: p for p in folder.glob("*.yaml")})
    assert sorted(versions) == ["1", "2", "3"] and versions._parsed == {}
    assert versions["3"].version == "3" and list(versions._parsed) == ["3"]
    for name in versions:
        assert versions[name].version == name and versions[name].id == load_templates().id
    with pytest.raises(KeyError):
        versions["9"]
    misnamed = tmp_path / "4.yaml"  # a file whose name says another version than it holds
    misnamed.write_text((folder / "3.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(TemplateError, match=r"4\.yaml defines version"):
        _ShippedVersions({"4": misnamed})["4"]

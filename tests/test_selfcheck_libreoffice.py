"""The Sjekk sheet as LibreOffice shows it (docs/reference.md §2.4: correct in Excel and
in LibreOffice; formula cells carry their correct cached result).

Each test makes one LibreOffice conversion (a few seconds each). The hand-counted expectations
are written out in full, and they must also equal selfcheck's own Python counts on the same
rows: the two sides of one definition can then not drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from smso_xl.round.validation import validate
from smso_xl.template.config import default_parties
from smso_xl.template.definition import Template
from smso_xl.template.model import FORM_FIRST_ROW, FORM_VALUE_COL
from smso_xl.workbook import selfcheck
from tests.libreoffice import convert, convert_many, require_soffice
from tests.workbooks import edit_workbook, fill_plan

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
FIRST_CHECK_ROW = 5  # Sjekk: verdict, explanation, legend, header row, then one check per row
Checks = dict[tuple[str, str], object]


def _sjekk(path: Path) -> tuple[Checks, object]:
    """(sheet, label) → the cached count in column C; and the "Klar til innsending" value."""
    ws = openpyxl.load_workbook(path, data_only=True)["Sjekk"]
    values: Checks = {}
    assert ws["A1"].value == "Klar til innsending:"  # the verdict first
    ready = ws["C1"].value
    for row in range(FIRST_CHECK_ROW, ws.max_row + 1):
        sheet, label, value = (ws.cell(row, col).value for col in (1, 2, 3))
        if sheet and label:
            values[(sheet, label)] = value
    return values, ready


def _rows(path: Path, template: Template) -> tuple[dict[str, list[dict[str, object]]],
                                                 dict[str, object]]:
    """Every table row and form value of ``path`` keyed like the template (cached values)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    tables: dict[str, list[dict[str, object]]] = {}
    for sheet in template.tables:
        ws = wb[sheet.name]
        (table,) = ws.tables.values()
        last = range_boundaries(table.ref)[3]
        tables[sheet.name] = [
            {c.key: ws.cell(row, index).value for index, c in enumerate(sheet.columns, start=1)}
            for row in range(2, last + 1)]
    ws = wb[template.form.name]
    form = {f.key: ws.cell(FORM_FIRST_ROW + i, FORM_VALUE_COL).value
            for i, f in enumerate(template.form.fields)}
    return tables, form


def _python_counts(template: Template, path: Path) -> Checks:
    rows, form = _rows(path, template)
    counts = {name: len(table_rows) for name, table_rows in rows.items()}
    parties = [p.name for p in default_parties()]
    return {(c.sheet, c.label): c.count(rows, form)
            for c in selfcheck.all_checks(template, counts, PERIOD, parties)}


def test_blank_template_shows_correct_sjekk_without_recalculation(
        generate_plan: Callable[..., Path], template: Template, tmp_path: Path) -> None:
    require_soffice()
    out = convert(generate_plan("42"), tmp_path / "lo", "xlsx")  # LibreOffice's default: no recalc

    values, ready = _sjekk(out)
    form_label = next(label for sheet, label in values if sheet == "Organisering"
                      and label.startswith("Felt som mangler"))
    by_hand: Checks = {key: 0 for key in values}
    by_hand[("Organisering", form_label)] = 3
    by_hand[("Parter", "Rader uten Deltakelse")] = len(default_parties())
    by_hand[("Egenvurdering", "Rader uten Vurdering")] = len(template.criteria)
    by_hand[("Mål", "Ingen utfylte mål")] = 1  # a blank plan is not a plan
    by_hand[("Tiltak", "Ingen utfylte tiltak")] = 1
    assert values == by_hand
    assert values[("Parter", "Rader uten Deltakelse")] == 19
    assert values == _python_counts(template, out)
    assert ready == "Nei"
    risiko = openpyxl.load_workbook(out, data_only=True)["Risiko"]
    assert {risiko[ref].value for ref in ("F2", "G2", "F201", "G201")} <= {None, ""}


def test_filled_plan_recalculated_by_libreoffice(
        generate_plan: Callable[..., Path], template: Template, tmp_path: Path) -> None:
    require_soffice()
    path = generate_plan("42")
    parties = [p.name for p in default_parties()]
    criteria = template.criteria
    fill_plan(path, form={"Leder": "Kari Nordmann"}, rows={
        "Parter": [
            {"Part": "Skatteetaten", "Deltakelse": "Deltar", "Representant": "Siri Skatt",
             "Timer per år": 40, "Mandat avklart": "Ja"},
            {"Part": "LO", "Deltakelse": "Deltar", "Timer per år": 20,
             "Mandat avklart": "Nei"},                                        # no Representant
            {"Part": "NHO", "Deltakelse": "Deltar", "Representant": "Nils",
             "Mandat avklart": "Ja"},                                         # no hours
            # every other party takes a stand, except the last two
            *[{"Part": name, "Deltakelse": "Skal inviteres"} for name in parties[3:-2]]],
        "Mål": [
            {"Mål": "Flere skoler besøkt", "Frist": dt.date(2026, 6, 30), "Ansvarlig": "Kari"},
            {"Mål": "Mer kunnskap", "Ansvarlig": "Ola"},                       # no Frist
            {"Mål": "Kampanje", "Frist": "mars 2026"},                        # no Ansvarlig, text
        ],
        "Tiltak": [
            {"Tiltak": "Skolebesøk", "Ansvarlig": "Kari", "Frist": dt.date(2026, 5, 1)},
            {"Tiltak": "Kampanje", "Frist": dt.date(2026, 9, 1)},             # no Ansvarlig
            {"Tiltak": "Seminar"},                                            # neither
            {"Tiltak": "Brosjyre", "Ansvarlig": "Ola"},                       # no Frist
            {"Tiltak": "Media", "Ansvarlig": "Per", "Frist": "15.03.2026"},   # text date
            {"Tiltak": "Konferanse", "Ansvarlig": "Per",
             "Frist": dt.date(2027, 2, 1)},                                   # after the period
            {"Tiltak": "Sommerjobb", "Ansvarlig": "Per", "Start": dt.date(2025, 12, 1),
             "Frist": dt.date(2026, 3, 1)},                                   # Start before it
            {"Tiltak": "Stand", "Ansvarlig": " ALLE ", "Frist": dt.date(2026, 8, 1)},  # nobody
        ],
        "Risiko": [
            {"Risiko": "Få deltar", "Sannsynlighet (1–5)": 4, "Konsekvens (1–5)": 4},  # Høy
            {"Risiko": "Sykdom", "Sannsynlighet (1–5)": 2, "Konsekvens (1–5)": 3},     # Lav
            {"Risiko": "Budsjett", "Sannsynlighet (1–5)": 3, "Konsekvens (1–5)": 3,    # Middels
             "Risikoreduserende tiltak": "Søke midler", "Ansvarlig": "Kari",
             "Frist": dt.date(2026, 4, 1)},
        ],
        "Egenvurdering": [
            *[{"Kriterium": text, "Vurdering": "Oppfylt"} for text in criteria[:6]],
            {"Kriterium": criteria[6], "Vurdering": "Delvis oppfylt", "Oppfølging": "Ny plan",
             "Ansvarlig": "Kari", "Frist": dt.date(2026, 10, 1)},
            {"Kriterium": criteria[7], "Vurdering": "Ikke oppfylt",
             "Oppfølging": "Invitere NAV"},                                   # no Ansvarlig, Frist
            # the ninth criterion is not assessed
        ],
    })

    # openpyxl's save keeps the dropdowns bound to their named ranges on Lister.
    saved = openpyxl.load_workbook(path)
    tiltak_status = [dv for dv in saved["Tiltak"].data_validations.dataValidation
                     if str(dv.sqref) == "G2:G201"]  # version 3: Status beside Frist
    assert [dv.formula1 for dv in tiltak_status] == ["lst_status"]
    assert [str(dv.sqref) for dv in saved["Parter"].data_validations.dataValidation
            if dv.formula1 == "lst_deltakelse"] == ["C2:C201"]
    assert list(saved.defined_names["lst_status"].destinations) == [("Lister", "$E$2:$E$6")]

    out = convert(path, tmp_path / "lo", "xlsx", recalc=True)

    values, ready = _sjekk(out)
    form_label = next(label for sheet, label in values if sheet == "Organisering"
                      and label.startswith("Felt som mangler"))
    assert {key: value for key, value in values.items() if value != 0} == {
        ("Organisering", form_label): 2,
        ("Parter", "Rader uten Deltakelse"): 2,
        ("Parter", "Rader uten Representant"): 1,
        ("Parter", "Rader uten Timer per år"): 1,
        ("Mål", "Rader uten Frist"): 1,
        ("Mål", "Rader uten Ansvarlig"): 1,
        ("Mål", "Ikke en dato (Frist)"): 1,                  # «mars 2026»
        ("Tiltak", "Rader uten Ansvarlig"): 2,
        ("Tiltak", "Rader uten Frist"): 2,
        ("Tiltak", "Dato skrevet som tekst (Frist, Start)"): 1,  # «15.03.2026»: a warning
        ("Tiltak", "Dato utenfor planperioden (Frist, Start)"): 2,
        ("Tiltak", "Ikke en navngitt person (Ansvarlig)"): 1,  # « ALLE »: trimmed, any case
        ("Risiko", "Rader uten Risikoreduserende tiltak"): 1,
        ("Risiko", "Rader uten Ansvarlig"): 1,
        ("Risiko", "Rader uten Frist"): 1,
        ("Egenvurdering", "Rader uten Vurdering"): 1,
        ("Egenvurdering", "Rader uten Ansvarlig"): 1,
        ("Egenvurdering", "Rader uten Frist"): 1,
    }
    assert values == _python_counts(template, out)
    assert ready == "Nei"

    # ... and so does LibreOffice's.
    converted = openpyxl.load_workbook(out)
    assert [dv.formula1 for dv in converted["Tiltak"].data_validations.dataValidation
            if str(dv.sqref) == "G2:G201"] == ["lst_status"]
    assert list(converted.defined_names["lst_status"].destinations) == [("Lister", "$E$2:$E$6")]

    # A risk the region adds holds no formula (issue 16): Sjekk computed its level inline
    # (the counts above), and validate computes score and level.
    risiko = openpyxl.load_workbook(out, data_only=True)["Risiko"]
    assert all(risiko[f"{c}{r}"].value in (None, "") for c in "CD" for r in (2, 3, 4, 5))
    (report,) = validate([out], today=dt.date(2026, 6, 1), year=2026).files
    assert report.plan is not None
    assert [(r.values["risikoskar"], r.values["risikoniva"])
            for r in report.plan.rows["Risiko"]] == [(16, "Høy"), (6, "Lav"), (9, "Middels")]


def test_complete_plan_is_ready_in_libreoffice_despite_a_warning(
        generate_plan: Callable[..., Path], template: Template, tmp_path: Path) -> None:
    require_soffice()
    path = generate_plan("42")
    parties = default_parties()
    fill_plan(path, form={"Leder": "Kari Nordmann", "E-post leder": "kari@example.no",
                          "Overordnet mål for samarbeidet": "Mindre svart arbeid i Agder."},
              rows={
        "Parter": [{"Part": parties[0].name, "Deltakelse": "Deltar", "Representant": "Siri",
                    "Timer per år": 40, "Mandat avklart": "Ja"},
                   *[{"Part": p.name, "Deltakelse": "Vurdert – ikke aktuelt"}
                     for p in parties[1:]]],
        "Mål": [{"Mål": "Flere skoler besøkt", "Indikator": "Antall skoler", "Målverdi": "10",
                 "Frist": dt.date(2026, 6, 30), "Ansvarlig": "Kari", "Status": "Pågår"}],
        "Tiltak": [
            {"Mål-ID": "M1", "Tiltak": "Skolebesøk", "Ansvarlig": "Kari",
             "Start": dt.date(2026, 2, 1), "Frist": dt.date(2026, 5, 1), "Timer": 30},
            # outside the plan period: a warning, which does not block sending
            {"Mål-ID": "M1", "Tiltak": "Oppfølging", "Ansvarlig": "Ola",
             "Frist": dt.date(2027, 1, 15)},
        ],
        "Risiko": [{"Risiko": "Få deltar", "Gjelder": "T1", "Sannsynlighet (1–5)": 5,
                    "Konsekvens (1–5)": 3, "Risikoreduserende tiltak": "Ringe rundt",
                    "Ansvarlig": "Kari", "Frist": dt.date(2026, 3, 1)}],
        "Egenvurdering": [{"Kriterium": text, "Vurdering": "Oppfylt"}
                          for text in template.criteria],
    })

    out = convert(path, tmp_path / "lo", "xlsx", recalc=True)

    values, ready = _sjekk(out)
    assert {key: value for key, value in values.items() if value != 0} == {
        ("Tiltak", "Dato utenfor planperioden (Frist, Start)"): 1}
    assert values == _python_counts(template, out)
    assert ready == "Ja"
    (report,) = validate([out], today=dt.date(2026, 6, 1), year=2026).files
    assert report.plan is not None
    (risk,) = report.plan.rows["Risiko"]
    assert (risk.values["risikoskar"], risk.values["risikoniva"]) == (15, "Høy")



# --- the red cells: every error cell marked, no clean cell -----------------------------------

PROBE_COLUMN = 60  # far right of every sheet: where the marks' conditions are evaluated
PROBE_ROWS = 40    # the rows the plans below fill (and some empty ones after them)


def _probe_marks(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Write each red mark's condition, for each cell it covers, into a probe cell on the
    same row; returns sheet → [(cell marked, its probe cell)]. A mark's condition refers to
    columns absolutely and rows relatively, so it means the same on its row anywhere."""
    from openpyxl.formula.translate import Translator
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries

    from smso_xl.base.formats import ERROR_FILL, ERROR_TEXT

    wb = openpyxl.load_workbook(path)
    probes: dict[str, list[tuple[str, str]]] = {}
    for ws in wb.worksheets:
        column = PROBE_COLUMN
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                fill = rule.dxf.fill if rule.dxf else None
                colour = fill.bgColor.rgb if fill is not None and fill.bgColor is not None else None
                font = rule.dxf.font.color.rgb if rule.dxf and rule.dxf.font and \
                    rule.dxf.font.color is not None else None
                # An error mark: red on red text (a high risk's colour is the red fill alone).
                if rule.type != "expression" or not colour or colour[-6:] != ERROR_FILL[1:] \
                        or not font or font[-6:] != ERROR_TEXT[1:]:
                    continue
                for ref in str(rng.sqref).split():
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                    origin = f"{get_column_letter(min_col)}{min_row}"
                    for row in range(min_row, min(max_row, PROBE_ROWS) + 1):
                        for col in range(min_col, max_col + 1):
                            probe = f"{get_column_letter(column)}{row}"
                            condition = Translator("=" + rule.formula[0], origin
                                                   ).translate_formula(probe)
                            ws[probe] = f"=IF({condition[1:]},1,0)"
                            probes.setdefault(ws.title, []).append(
                                (f"{get_column_letter(col)}{row}", probe))
                column += 1
    wb.save(path)
    return probes


def _marked(converted: Path, probes: dict[str, list[tuple[str, str]]]) -> set[tuple[str, str]]:
    wb = openpyxl.load_workbook(converted, data_only=True)
    return {(sheet, cell) for sheet, pairs in probes.items() for cell, probe in pairs
            if wb[sheet][probe].value == 1}


def test_every_error_cell_is_red_and_no_clean_cell_is(
        generate_plan: Callable[..., Path], template: Template, tmp_path: Path) -> None:
    """docs/reference.md §5.7: every cell validate reports as an error is marked by the
    workbook's own conditional formats, and no other cell is — on a plan with a fault of every
    kind and on a blank one (grouped findings mark each of their cells)."""
    require_soffice()

    faulty = generate_plan("42", out_dir=tmp_path / "faulty")
    parties = [p.name for p in default_parties()]
    criteria = template.criteria
    fill_plan(faulty, form={"Leder": "?", "Leders organisasjon": "Skateetaten",
                            "Forankret hos partene (dato)": "15.03.2026",
                            "Sist oppdatert (dato)": "snart"}, rows={
        "Parter": [
            {"Part": parties[0], "Deltakelse": "deltar", "Representant": "(TBD)",
             "Timer per år": "1 500", "Mandat avklart": "Ja"},
            {"Part": parties[1], "Deltakelse": "Deltar", "Representant": "Per",
             "Timer per år": "mange", "Mandat avklart": "Ja"},
            {"Part": parties[2], "Deltakelse": "Ferdig"},
            {"Part": parties[3], "Deltakelse": "Deltar", "Representant": "Kari",
             "Timer per år": -5, "Mandat avklart": "Ja"},
            *[{"Part": name, "Deltakelse": "Skal inviteres"} for name in parties[4:]]],
        "Mål": [{"Mål": "A", "Frist": dt.date(2026, 6, 30), "Ansvarlig": "Kari",
                 "Status": "Fullfort"},
                {"Mål": "B", "Frist": "1.3.26", "Ansvarlig": "???", "Status": "Pågår"},
                {"Mål": "C", "Frist": 2026, "Ansvarlig": "ukjent.", "Status": "Ferdig"},
                {"Mål": "D"}],
        "Tiltak": [{"Mål-ID": "M1", "Tiltak": "x", "Ansvarlig": "Kari",
                    "Start": dt.date(2026, 5, 1), "Frist": dt.date(2026, 4, 1)},
                   {"Mål-ID": "M9", "Tiltak": "y", "Ansvarlig": "Ola", "Frist": "mars 2026",
                    "Timer": "1,500", "Budsjett (kr)": "kr 20", "Ansvarlig part": "Rotary"},
                   {"Mål-ID": "m2", "Tiltak": "z", "Ansvarlig": "Per",
                    "Frist": dt.date(2026, 5, 5), "Status": "pågår"}],
        "Risiko": [{"Risiko": "r", "Gjelder": "T7", "Sannsynlighet (1–5)": 6,
                    "Konsekvens (1–5)": "4"},
                   {"Risiko": "s", "Gjelder": "T1", "Sannsynlighet (1–5)": 4,
                    "Konsekvens (1–5)": 4}],
        "Egenvurdering": [{"Kriterium": criteria[0], "Vurdering": "oppfylt"},
                          {"Kriterium": criteria[1], "Vurdering": "Ikke oppfylt"},
                          *[{"Kriterium": text, "Vurdering": "Oppfylt"} for text in criteria[2:]]],
    })
    with edit_workbook(faulty) as book:
        book["Tiltak"]["A4"] = "T1"  # an ID used twice
    blank = generate_plan("42", out_dir=tmp_path / "blank")
    blank = blank.rename(blank.with_name("blank.xlsx"))

    errors = {}
    for path in (faulty, blank):
        report = validate([path], today=dt.date(2026, 6, 1), year=2026)
        errors[path] = {(f.sheet, cell) for f in report.files[0].findings
                        if f.severity == "error" for cell in f.every_cell
                        if int("".join(ch for ch in cell if ch.isdigit())) <= PROBE_ROWS}
    probes = {path: _probe_marks(path) for path in (faulty, blank)}
    converted = convert_many([faulty, blank], tmp_path / "lo", "xlsx", recalc=True)
    for path, out in zip((faulty, blank), converted, strict=True):
        assert _marked(out, probes[path]) == errors[path], path.parent.name
    assert len(errors[faulty]) > 30 and len(errors[blank]) == 3 + 19 + 2 + 9

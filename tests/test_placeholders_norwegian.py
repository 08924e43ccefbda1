"""Placeholders as Norwegians write them (issue 28.5): «NN», «N.N.», «N N», «ikke bestemt»,
«senere», «kommer senere», «TBD» name nobody — to the validator and to the workbook's Sjekk,
in every person column (Tiltak Ansvarlig, Parter Representant, Egenvurdering Ansvarlig).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from smso_xl.round.validation import validate
from smso_xl.template.config import default_parties
from smso_xl.template.definition import Template
from smso_xl.template.formulas import PLACEHOLDER_SENTINEL
from smso_xl.template.values import DEFAULT_PLACEHOLDERS, is_placeholder, placeholder_key
from smso_xl.workbook import selfcheck
from tests.libreoffice import convert, require_soffice
from tests.workbooks import fill_plan

NORWEGIAN = ["NN", "N.N.", "N N", "ikke bestemt", "senere", "kommer senere", "TBD"]
# The same, as people type them: case, trailing marks, spaces around.
VARIANTS = ["nn", "n.n", " N.N. ", "N. N.", "Ikke bestemt.", "Senere!", "(kommer senere)",
            "tbd"]
REAL_NAMES = ["Nina Nilsen", "N. Nilsen", "Senera Olsen", "Kari (kommer senere inn)"]


@pytest.mark.parametrize("text", NORWEGIAN + VARIANTS)
def test_names_nobody(template: Template, text: str) -> None:
    assert is_placeholder(text)                          # the library's default list
    assert is_placeholder(text, template.placeholders)   # the template's own list


@pytest.mark.parametrize("text", REAL_NAMES)
def test_real_names_stay_names(template: Template, text: str) -> None:
    assert not is_placeholder(text, template.placeholders)


def test_the_workbooks_hidden_list_holds_them_as_the_check_compares(template: Template) -> None:
    # «N.N.», «N N» and «NN» are one entry: the check removes marks and spaces first (and
    # ends each key with the sentinel, so that the match is whole).
    listed = selfcheck.placeholder_texts(template)
    keys = {"nn", "ikkebestemt", "senere", "kommersenere", "tbd"}
    assert {key + PLACEHOLDER_SENTINEL for key in keys} <= set(listed)
    assert [placeholder_key(t) for t in ("N.N.", "N N", "NN")] == ["nn", "nn", "nn"]
    assert {placeholder_key(t) for t in NORWEGIAN} <= {placeholder_key(t)
                                                      for t in DEFAULT_PLACEHOLDERS}


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_and_validate_agree_on_norwegian_placeholders(
        generate_plan: Callable[..., Path], template: Template, tmp_path: Path) -> None:
    """One plan with a placeholder of each spelling in three person columns; LibreOffice
    recalculates Sjekk, and its counts equal the validator's findings per sheet."""
    require_soffice()
    path = generate_plan("42")
    parties = [p.name for p in default_parties()]
    texts = NORWEGIAN + VARIANTS  # 15 texts
    fill_plan(path, rows={
        "Mål": [{"Mål": "Færre svarte jobber", "Frist": dt.date(2026, 6, 30),
                 "Ansvarlig": "Kari Nordmann", "Status": "Pågår"}],
        "Tiltak": [{"Mål-ID": "M1", "Tiltak": f"Tiltak {i}", "Ansvarlig": text,
                    "Frist": dt.date(2026, 9, 1), "Status": "Pågår"}
                   for i, text in enumerate(texts + REAL_NAMES)],
        "Parter": [{"Part": parties[i], "Deltakelse": "Deltar", "Representant": text,
                    "Timer per år": 10, "Mandat avklart": "Ja"}
                   for i, text in enumerate(["NN", "N N", "Ikke bestemt", "Nina Nilsen"])],
        "Egenvurdering": [{"Kriterium": template.criteria[i], "Vurdering": "Oppfylt",
                           "Ansvarlig": text, "Frist": dt.date(2026, 10, 1)}
                          for i, text in enumerate(["N.N.", "senere", "Ola"])],
    })
    out = convert(path, tmp_path / "lo", "xlsx", recalc=True)

    ws = openpyxl.load_workbook(out, data_only=True)["Sjekk"]
    sjekk = {(ws.cell(r, 1).value, ws.cell(r, 2).value): ws.cell(r, 3).value
             for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value}
    shown = {sheet: count for (sheet, label), count in sjekk.items()
             if str(label).startswith("Ikke en navngitt person")}
    (report,) = validate([out], today=dt.date(2026, 6, 1), year=2026).files
    found: dict[str, int] = {}
    for item in report.findings:
        if item.code == "responsible-placeholder":
            found[item.sheet or ""] = found.get(item.sheet or "", 0) + 1
    assert found == {"Tiltak": len(texts), "Parter": 3, "Egenvurdering": 2}
    assert {sheet: count for sheet, count in shown.items() if count} == found

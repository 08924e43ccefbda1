"""The template is the single source: the code never spells out what the template says.

Sheet names, column headers and vocabulary values live in ``templates/``; the package finds
sheets and columns by their role and takes every label and value from the template. A
string constant in ``smso_xl/`` that equals one of them is knowledge written twice, and the
two copies drift apart on the next template version.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from smso_xl.template.definition import load_templates

PACKAGE = Path(__file__).resolve().parent.parent / "smso_xl"

#: Places where a template word is the overview's own word, not the template's.
OWN_WORDS = {
    # Oversikt and Innsendinger: the status of a submission (Med, Erstattet …), not a row's.
    ("overview.py", "Status"),
}
#: Modules left out, and why.
NOT_CODE = {
    # The demo's sample answers: what a region types into its workbook, in its words.
    "demo.py",
}


def template_words() -> set[str]:
    words: set[str] = set()
    for template in load_templates().versions.values():
        for sheet in template.sheets:
            words.add(sheet.name)
            words.update(c.header for c in sheet.columns)
        for values in template.vocabularies.values():
            words.update(values)
        words.update(template.done_statuses)
        words.update(band.level for band in template.risk_bands)
        words.update(template.yes_no)
    return words


def string_constants(source: str) -> list[tuple[int, str]]:
    """Every string constant of a module, docstrings included (a docstring rarely equals a
    header, and when it does it is documentation that has gone stale too)."""
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def words_in(path: Path, words: set[str]) -> list[tuple[int, str]]:
    return [(line, value) for line, value in string_constants(path.read_text("utf-8"))
            if value in words and (path.name, value) not in OWN_WORDS]


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py")
                                        if p.name not in NOT_CODE), ids=lambda p: p.name)
def test_no_template_word_is_spelled_out_in_the_code(path: Path) -> None:
    assert words_in(path, template_words()) == []


def test_the_check_finds_a_template_word(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text('DONE = "Fullført"\nSHEET = "Tiltak"\nOK = "Fullført og vel"\n',
                       encoding="utf-8")
    assert words_in(planted, template_words()) == [(1, "Fullført"), (2, "Tiltak")]


def test_the_cli_year_range_is_the_configured_one() -> None:
    from smso_xl.cli import commands as cli
    from smso_xl.template.config import FIRST_PLAN_YEAR, LAST_PLAN_YEAR

    assert (cli._PLAN_YEAR.min, cli._PLAN_YEAR.max) == (FIRST_PLAN_YEAR, LAST_PLAN_YEAR)

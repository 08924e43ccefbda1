"""Every command's ``--help`` states its exit codes, and they are true (issue 28.6): each
documented code is produced here by a case of its own, and no code is left undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from smso_xl.cli.commands import main
from tests.season import COORDINATOR, agder_inbox, saved_mail
from tests.test_rules import TODAY, clean_plan

Case = Callable[[Path], list[str]]


def _empty(tmp: Path) -> Path:
    folder = tmp / "tom"
    folder.mkdir()
    return folder


def _mail(tmp: Path) -> Path:
    return saved_mail(tmp / "svar.eml", clean_plan(tmp, name="Agder.xlsx"))


def _not_empty(tmp: Path) -> Path:
    folder = tmp / "demo"
    folder.mkdir()
    (folder / "noe.txt").write_text("x", encoding="utf-8")
    return folder


TODAY_ARGS = ["--today", TODAY.isoformat()]
#: command → (exit code, what makes it) for every code its --help documents.
CASES: dict[str, list[tuple[int, Case]]] = {
    "generate": [
        (0, lambda t: ["--year", "2027", "--region", "42", "--out", str(t / "ut"), *COORDINATOR]),
        (1, lambda t: ["--from", str(_empty(t)), "--out", str(t / "ut"), *COORDINATOR]),
        (2, lambda t: ["--year", "2027", "--region", "42", "--out", str(t / "ut")]),
    ],
    "collect": [
        (0, lambda t: [str(_mail(t)), "--into", str(t / "innboks")]),
        (1, lambda t: [str(_empty(t)), "--into", str(t / "innboks")]),
        (2, lambda t: [str(_mail(t))]),
    ],
    "validate": [
        (0, lambda t: [str(agder_inbox(t)), *TODAY_ARGS]),
        (1, lambda t: [str(agder_inbox(t, Ansvarlig=None)), *TODAY_ARGS]),
        (1, lambda t: [str(_empty(t)), *TODAY_ARGS]),
        (2, lambda t: [str(agder_inbox(t)), "--today", "snart"]),
    ],
    "consolidate": [
        (0, lambda t: [str(agder_inbox(t)), "--out", str(t / "o.xlsx"), *TODAY_ARGS]),
        (1, lambda t: [str(_empty(t)), "--out", str(t / "o.xlsx"), *TODAY_ARGS]),
        (2, lambda t: [str(agder_inbox(t)), *TODAY_ARGS]),
    ],
    "compare": [
        (0, lambda t: [str(agder_inbox(t)), str(t / "innboks")]),
        (1, lambda t: [str(agder_inbox(t)), str(_empty(t))]),
        (2, lambda t: [str(agder_inbox(t))]),
    ],
    "demo": [
        (0, lambda t: [str(t / "ny-demo"), "--year", "2027"]),
        (2, lambda t: [str(_not_empty(t))]),
    ],
}


def documented_codes(command: str) -> set[int]:
    """The codes in the help's sentence «Avslutter med 0 …, 1 …, 2 …»."""
    text = CliRunner().invoke(main, [command, "--help"]).output
    flat = " ".join(text.split())
    match = re.search(r"Avslutter med (.*?)(?:\. [A-ZÆØÅ]|\.$| Eksempler)", flat)
    assert match, f"{command} --help states no exit codes"
    return {int(code) for code in re.findall(r"(?:med |, | og )([012])\b", "med "
                                             + match.group(1))}


@pytest.mark.parametrize("command", sorted(CASES))
def test_help_states_the_codes_the_cases_produce(command: str) -> None:
    assert set(main.commands) == set(CASES)  # a new command gets its cases here
    assert documented_codes(command) == {code for code, _ in CASES[command]}


@pytest.mark.parametrize(("command", "code", "case"), [
    pytest.param(command, code, case, id=f"{command}-{code}-{index}",
                 marks=[pytest.mark.slow] if command == "demo" and code == 0 else [])
    for command, cases in CASES.items() for index, (code, case) in enumerate(cases)])
def test_each_documented_code(tmp_path: Path, command: str, code: int, case: Case) -> None:
    result = CliRunner().invoke(main, [command, *case(tmp_path)],
                                env={"SMSO_TODAY": None})  # type: ignore[dict-item]
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output

"""Each rule has one home, and each role one name.

A rule of the workbook's own check is a ``template.checks.CellRule``: its finding code is
written there, its severity, title and Sjekk label in the finding catalogue
(``base.findings``), and nowhere else — the validator, Sjekk, the red marks and the kinds
take them from there. A role is a member of ``template.definition.Role``: where the code
asks for a role it never writes the name as a string, so a typo is an error, not a column
that silently is not found. These tests read the package's source (AST) to show it.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from smso_xl.base.findings import CATALOGUE, CHECK_LABELS, ERROR, blocks
from smso_xl.template import checks, formulas
from smso_xl.template.definition import (
    COLUMN_ROLES,
    FORM_ROLES,
    SHEET_ROLES,
    Role,
    TemplateError,
    load_template,
    load_templates,
    parse_template,
)
from smso_xl.template.kinds import KINDS
from smso_xl.template.values import is_placeholder, text_date, text_number
from smso_xl.workbook import selfcheck

PACKAGE = Path(__file__).resolve().parents[1] / "smso_xl"
FINDINGS, CHECKS, DEFINITION = (PACKAGE / "base" / "findings.py",
                                PACKAGE / "template" / "checks.py",
                                PACKAGE / "template" / "definition.py")
RULES = [value for value in vars(checks).values() if isinstance(value, checks.CellRule)]
#: The functions and methods that take a role.
ROLE_TAKERS = {"key_of", "by_role", "sheet_by_role", "field_by_role", "key"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text("utf-8"), str(path))


def _strings(tree: ast.AST) -> Iterator[ast.Constant]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"


# --- rules -----------------------------------------------------------------------------------


def test_the_rules_are_found() -> None:
    """The measure below measures something: the rules, their codes and the kinds."""
    assert len(RULES) >= 15
    held = {rule.code for kind in KINDS.values() for rule in kind.rules}
    assert held >= {"date-invalid", "number-negative", "choice-near-miss", "party-unknown"}


def test_each_rule_code_is_written_in_its_home_only() -> None:
    codes = {code for rule in RULES for code in rule.codes}
    found = [f"{_where(path, node)} {node.value!r}" for path, tree in _modules()
             if path not in (FINDINGS, CHECKS) for node in _strings(tree) if node.value in codes]
    assert not found, found


def test_each_rules_label_and_title_live_in_the_catalogue_only() -> None:
    """No Sjekk label or catalogue title of a rule is typed again (selfcheck once retyped
    them): a string that is one, or that starts with a label's fixed words, is found."""
    codes = {code for rule in RULES for code in rule.codes} | set(CHECK_LABELS)
    texts = {CATALOGUE[code].title for code in codes} | {
        label.split("{")[0].strip() for label in CHECK_LABELS.values()}
    texts.discard("")
    found = [f"{_where(path, node)} {node.value!r}" for path, tree in _modules()
             if path != FINDINGS for node in _strings(tree)
             if any(node.value.strip().startswith(text) for text in texts)]
    assert not found, found


def test_severity_is_not_written_beside_a_rule() -> None:
    """Whether a count blocks sending is the code's severity in the catalogue: no module of
    the rules or of Sjekk names a severity, or passes ``blocking`` a constant."""
    found = []
    for path, tree in _modules():
        if path.parent.name not in ("template", "workbook") or path == DEFINITION:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("blocking", "severity") and \
                    isinstance(node.value, ast.Constant):
                found.append(_where(path, node))
            if isinstance(node, ast.Name) and node.id in ("ERROR", "WARNING", "INFO"):
                found.append(f"{_where(path, node)} {node.id}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id == "Check" and any(isinstance(a, ast.Constant) and
                                                    isinstance(a.value, bool) for a in node.args):
                found.append(_where(path, node))
    assert not found, found


def test_sjekk_takes_label_and_blocking_from_the_catalogue() -> None:
    template = load_template()
    counts = {s.name: 200 for s in template.tables}
    every = selfcheck.all_checks(template, counts, template.period(2027))
    assert len(every) > 40
    for check in every:
        assert check.blocking == any(blocks(code) for code in check.codes), check.label
        labels = {CHECK_LABELS[code].split("{")[0].split(" (")[0].rstrip()
                  for code in check.codes if code in CHECK_LABELS}
        assert any(check.label.startswith(label) for label in labels), check.label
    (placeholder,) = [c for c in every if c.sheet == "Tiltak" and
                      c.codes == {"responsible-placeholder"}]
    assert placeholder.label == "Ikke en navngitt person (Ansvarlig)"
    assert placeholder.blocking and CATALOGUE["responsible-placeholder"].severity == ERROR
    assert [c.label for c in every if c.codes == {"scale-invalid"}] == [
        "Ikke et helt tall fra 1 til 5 (Sannsynlighet (1–5), Konsekvens (1–5))"]


def test_a_kind_holds_rule_objects() -> None:
    for kind in KINDS.values():
        assert all(isinstance(rule, checks.CellRule) for rule in kind.rules), kind.name
        assert all(rule.code in CATALOGUE and rule.code in CHECK_LABELS
                   for rule in kind.rules), kind.name


# --- the vocabulary: each word's Python twin ------------------------------------------------


@pytest.mark.parametrize(("value", "given"), [(None, False), ("", False), (" ", True), (0, True)])
def test_given_and_its_twin(value: object, given: bool) -> None:
    assert formulas.is_given(value) is given
    assert formulas.given("A2") == "(LEN(A2)>0)"


def test_filled_and_its_twin() -> None:
    assert formulas.is_filled({"a": None, "b": "x"}, ("a", "b"))
    assert not formulas.is_filled({"a": "", "b": "x"}, ("a",))
    assert formulas.filled(["$B2", "$C2"]) == "(LEN($B2&$C2)>0)"


def test_overdue_word_names_every_done_status() -> None:
    formula = formulas.overdue("L2", "$M2", ("Fullført", "Avbrutt"))
    assert formula == 'ISNUMBER(L2)*(L2<TODAY())*($M2<>"Fullført")*($M2<>"Avbrutt")'


def test_placeholder_key_is_looked_up_once() -> None:
    formula = formulas.placeholder("$D2", "lst_plassholdere")
    assert formula.count("TRIM(") == 1 and formula.count("MATCH(") == 1
    keys = formulas.placeholder_keys(["tbd", "alle", "tbd", ""])
    assert keys == ["|", "tbd|", "alle|"]
    assert is_placeholder("T.B.D.") and not is_placeholder("Kari Nordmann")


def test_heavy_words_become_named_helpers_inside_sjekk_only() -> None:
    """In a count (a reference from another sheet) the text words are one named helper per
    column, gated on the column holding text; in a mark they are written out."""
    with formulas.naming() as names:
        counted = formulas.text_date("Tiltak!$L$2:$L$401")
        again = formulas.text_date("Tiltak!$L$2:$L$401")
        number = formulas.text_number("Tiltak!$N$2:$N$401")
    assert counted == again == "smso_tekstdato_tiltak_l2_l401"
    assert number == "smso_teksttall_tiltak_n2_n401"
    assert set(names) == {counted, number}
    assert names[counted].startswith("IF(SUMPRODUCT(ISTEXT(Tiltak!$L$2:$L$401)*1)=0,0,")
    assert formulas.text_date("$L2").startswith("ISNUMBER(1/(")  # a mark, no names collected
    assert text_date("15.03.2027") == dt.date(2027, 3, 15) and text_number("1 500") == 1500


# --- roles -----------------------------------------------------------------------------------


def _role_strings(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants where a role is asked for: an argument of a role taker, a side of a
    comparison with ``….role``, a member of a collection iterated as ``role`` or compared
    with ``….role``, a value of a module constant named …ROLE…/…FRAMES."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ROLE_TAKERS:
                yield from (a for a in node.args if isinstance(a, ast.Constant))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "role" for s in sides):
                for side in sides:
                    yield from _strings(side)
        elif isinstance(node, ast.comprehension | ast.For):
            if isinstance(node.target, ast.Name) and node.target.id == "role":
                yield from _strings(node.iter)
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if isinstance(node.value, ast.Dict):  # role → …, or frame → role
                if any("ROLE" in n for n in names):
                    yield from (k for k in node.value.keys if isinstance(k, ast.Constant))
                if any(n.endswith("FRAMES") for n in names):
                    for value in node.value.values:
                        yield from _strings(value)
            elif any("ROLE" in n for n in names):
                yield from _strings(node.value)


def test_no_role_name_is_a_string_where_a_role_is_asked_for() -> None:
    found = [f"{_where(path, node)} {node.value!r}" for path, tree in _modules()
             if path != DEFINITION for node in _role_strings(tree)]
    assert not found, found
    # the measure finds what it is meant to find
    planted = ast.parse('sheet.key_of("deadline")\nif c.role == "owner": pass\n'
                        'for role in ("title", "owner"): pass\n')
    assert sorted(n.value for n in _role_strings(planted)) == [
        "deadline", "owner", "owner", "title"]


def test_every_template_versions_roles_are_members() -> None:
    for template in load_templates().versions.values():
        for sheet in template.tables:
            assert sheet.role is None or sheet.role in SHEET_ROLES
            for column in sheet.columns:
                assert column.role is None or (isinstance(column.role, Role)
                                               and column.role in COLUMN_ROLES)
        assert all(f.role is None or f.role in FORM_ROLES for f in template.form.fields)


def test_an_unknown_role_stops_the_template_at_load() -> None:
    from smso_xl.template.definition import load_yaml, templates_dir

    raw = load_yaml(str(next((templates_dir() / "smso-handlingsplan").glob("*.yaml"))
                        .relative_to(templates_dir())))
    table = next(s for s in raw["sheets"] if s.get("type") == "table")
    table["columns"][0]["role"] = "dedline"
    with pytest.raises(TemplateError, match="dedline"):
        parse_template(raw)

"""The docs are checked: every command has help and is in the README; every finding code is
documented and every code the template names exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smso_xl.base.findings import CATALOGUE
from smso_xl.cli.commands import main
from smso_xl.cli.docs import DOC_PATH, findings_page
from smso_xl.template.definition import load_template

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help and len(main.commands[command].help) > 40
    assert f"smso-xl {command}" in result.output  # the examples in the help text


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"smso-xl {command}" in README


def test_readme_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith("$ ")]
    assert len(commands) == 2
    assert "smso-xl demo" in commands[0] and "pytest" in commands[1]


def test_findings_page_matches_the_catalogue() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == findings_page(), (
        "run: python -m smso_xl.cli.docs")
    for code in CATALOGUE:
        assert f"`{code}`" in DOC_PATH.read_text(encoding="utf-8")


def test_codes_named_by_the_template_are_in_the_catalogue() -> None:
    template = load_template()
    named = {c.missing for s in template.tables for c in s.columns if c.missing}
    named |= {f.missing for f in template.form.fields if f.missing}
    assert named and named <= set(CATALOGUE)


def test_every_catalogue_message_formats_with_its_fields() -> None:
    import string

    for entry in CATALOGUE.values():
        fields = {name for _, name, _, _ in string.Formatter().parse(entry.message) if name}
        assert entry.message.format(**dict.fromkeys(fields, "x"))
        assert entry.severity in ("error", "warning", "info")

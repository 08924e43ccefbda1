"""The docs are checked: every command has help and is in the README; every finding code is
documented and every code the template names exists; the repository cites its own reference,
docs/reference.md, and every section and anchor it cites is there."""

from __future__ import annotations

import re
import subprocess
import unicodedata
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


# --- the repository's own reference (issue 25.3) ----------------------------------------------
REFERENCE = ROOT / "docs" / "reference.md"
#: Where a citation of the reference may stand: every tracked file of these.
CITING = ("smso_xl", "docs", "tests", "templates", "README.md", "CHANGELOG.md")
#: A citation of the specification outside the repository, which a clone cannot follow. Built
#: from pieces so that this file does not match itself.
_OUTSIDE = "SP" "EC"
OUTSIDE_CITATION = re.compile(re.escape(_OUTSIDE) + r"\s*§|" + re.escape(_OUTSIDE + ".md"))


def _tracked() -> list[Path]:
    """The tracked files under ``CITING``; without git (an unpacked sdist), every file there."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *CITING], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode()
        files = [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [p for top in CITING for p in ((ROOT / top).rglob("*") if (ROOT / top).is_dir()
                                                else [ROOT / top])]
    return [p for p in files if p.is_file() and "__pycache__" not in p.parts]


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, markup and punctuation dropped (letters,
    æ, ø and å included, digits, ``-`` and ``_`` kept), each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    kept = "".join(ch for ch in text if ch in " -_"
                   or unicodedata.category(ch)[0] in ("L", "N", "M"))
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading anchor of a Markdown page (a repeated heading gets -1, -2 …)."""
    found: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#{1,6}\s+(.*)", line)):
            anchor = base = github_anchor(m.group(1))
            n = 0
            while anchor in found:
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return found


def sections(markdown: str) -> set[str]:
    """The numbers of the reference's sections: ``5`` for «## 5. …», ``5.7`` for «### 5.7 …»."""
    return {m.group(1) for m in re.finditer(r"^#{2,3}\s+(\d+(?:\.\d+)*)\.?\s", markdown,
                                            re.MULTILINE)}


def test_github_anchor_rules() -> None:
    assert github_anchor("5. Validation rules") == "5-validation-rules"
    assert github_anchor("5.7 One truth") == "57-one-truth"
    assert github_anchor("2.5 Forankring (planned, version 3)") == "25-forankring-planned-version-3"
    assert github_anchor("Møre og Romsdal: «Sist oppdatert»") == "møre-og-romsdal-sist-oppdatert"
    assert github_anchor("`generate --from PATH…`") == "generate---from-path"


def test_nothing_cites_the_specification_outside_the_repository() -> None:
    files = _tracked()
    assert REFERENCE in files and len(files) > 50
    cited = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in files for number, line in enumerate(_text(path).splitlines(), 1)
             if OUTSIDE_CITATION.search(line)]
    assert not cited, "cite docs/reference.md instead:\n" + "\n".join(cited)


def test_every_cited_section_and_anchor_of_the_reference_exists() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    numbers, own = sections(reference), anchors(reference)
    assert {"1", "2", "2.2", "4.3", "5", "5.7", "9"} <= numbers
    assert "5-validation-rules" in own
    missing = []
    for path in _tracked():
        text = _text(path)
        where = str(path.relative_to(ROOT))
        cited = set(re.findall(r"reference\.md#([\w.%-]+)", text))
        if path == REFERENCE:
            cited |= set(re.findall(r"\]\(#([\w.%-]+)\)", text))
            cited_numbers = set(re.findall(r"§(\d+(?:\.\d+)*)", text))
        else:
            cited_numbers = {n for group in re.findall(
                r"reference(?:\.md)? (§[\d.]+(?:(?:,| and) §[\d.]+)*)", text)
                for n in re.findall(r"§(\d+(?:\.\d+)*)", group)}
        missing += [f"{where}: #{a}" for a in sorted(cited - own)]
        missing += [f"{where}: §{n}" for n in sorted(cited_numbers - numbers)]
    assert not missing, "not in docs/reference.md:\n" + "\n".join(missing)


def test_every_link_between_the_docs_finds_its_anchor() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for page in pages:
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)#([^)\s]+)\)", _text(page)):
            linked = (page.parent / target).resolve()
            if not linked.is_file() or anchor not in anchors(_text(linked)):
                missing.append(f"{page.relative_to(ROOT)}: {target}#{anchor}")
    assert not missing, "\n".join(missing)


def test_the_reference_lists_every_column_of_every_template_version() -> None:
    """The column order the reference states is the newest template's, and no header of any
    published version is missing from it."""
    reference = REFERENCE.read_text(encoding="utf-8")
    versions = sorted(p.stem for p in (ROOT / "templates" / "smso-handlingsplan").glob("*.yaml"))
    newest = load_template()
    in_order = [(s.name, [c.header for c in s.columns]) for s in newest.tables]
    in_order.append((newest.form.name, [f.label for f in newest.form.fields]))
    for name, labels in in_order:
        order = " · ".join(f"`{label}`" for label in labels)
        assert any(row.startswith(f"**{name}**") and row.endswith(order)
                   for row in reference.splitlines()), f"{name}: {order}"
    for version in versions:
        template = load_template(version)
        for sheet in template.sheets:
            assert f"`{sheet.name}`" in reference
        for sheet in template.tables:
            for column in sheet.columns:
                assert f"`{column.header}`" in reference, (version, sheet.name, column.header)

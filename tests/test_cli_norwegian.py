"""click's own words are Norwegian: usage errors, help headings, defaults, the --help option.

click wraps its messages in gettext; ``smso_xl.cli.text`` ships the bokmål catalog. Each test
runs the command line as the user does (CliRunner) and reads what it prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smso_xl.cli import text as clitext
from smso_xl.cli.commands import main

ENGLISH = ("Usage:", "Options:", "Show this message", "[default:", "[required]", "Missing",
           "Invalid value", "is not a valid", "Error:", "No such", "Try '", "does not exist",
           "is not one of", "Did you mean", "Commands:", ", version ")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), prog_name="smso-xl")
    assert result.exit_code in (0, 2), result.output
    assert not any(word in result.output for word in ENGLISH), result.output
    assert "'" not in result.output.replace("«'»", ""), result.output  # one quote style: «…»
    return result.output


def test_help_headings_defaults_and_the_help_option() -> None:
    text = run("validate", "--help")
    assert text.startswith("Bruk: smso-xl validate [VALG] STI...")
    assert "\nValg:\n" in text and "[standard: text]" in text
    assert "-h, --help" in text and "Vis denne hjelpen og avslutt." in text
    assert "[må oppgis]" in run("consolidate", "--help")
    top = run("--help")
    assert "Bruk: smso-xl [VALG] KOMMANDO [ARGUMENTER]..." in top and "Kommandoer:" in top
    assert "Vis versjonen og avslutt." in top
    assert run("--version").startswith("smso-xl, versjon ")


@pytest.mark.parametrize(("args", "message"), [
    (["validate", "--year", "abc", "."],
     "Feil: Ugyldig verdi for «--year»: «abc» er ikke et gyldig årstall."),
    (["validate", "--year", "1999", "."], "Feil: Ugyldig verdi for «--year»: 1999 er ikke et "
     "planår; bruk et år fra 2000 til 2100."),
    (["consolidate", "."], "Feil: Mangler valget «--out»."),
    (["validate", "finnes-ikke/"], "Sti «finnes-ikke/» finnes ikke."),
    (["validate", "--format", "xml", "."], "«xml» er ikke en av «text», «json»."),
    (["validate", "--bogus", "."], "Feil: Ukjent valg «--bogus»."),
    (["frobnicate"], "Feil: Ukjent kommando «frobnicate»."),
    (["compare"], "Feil: Mangler argumentet «FORRIGE»."),
    (["generate", "--return-date", "01.01.2020"],
     "Feil: Ugyldig verdi for «--return-date»: 01.01.2020 er allerede passert"),
    (["validate", "--today"], "Feil: Valget «--today» må ha en verdi."),
    (["compare", ".", ".", "ekstra"], "Feil: Uventet ekstra argument (ekstra)"),
])
def test_usage_errors(args: list[str], message: str) -> None:
    text = run(*args)
    assert message in text
    if "--today" not in args:  # click shows no usage for an option's missing value
        assert "Bruk: smso-xl" in text and "for å få hjelp." in text


def test_norwegian_whatever_the_machine_speaks(tmp_path: Path) -> None:
    env = {**os.environ, "LANGUAGE": "en_US", "LANG": "en_US.UTF-8", "LC_ALL": "C"}
    result = subprocess.run([sys.executable, "-m", "smso_xl", "consolidate", str(tmp_path)],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 2
    assert "Feil: Mangler valget «--out»." in result.stderr


def test_the_shipped_catalog_is_the_compiled_dict() -> None:
    assert clitext.CATALOG_FILE.read_bytes() == clitext.compiled(), (
        "run: python -m smso_xl.cli.text")


def test_a_missing_library_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Run from a checkout that was never installed: the command says what to install."""
    script = ("import sys; sys.modules['xlsxwriter'] = None; "  # as if it were not installed
              "from smso_xl.cli.commands import main; main()")
    result = subprocess.run(
        [sys.executable, "-c", script, "generate", "--region", "42", "--year", "2027",
         "--out", str(tmp_path / "ut")],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "Feil: pakken «xlsxwriter» mangler. Installer smso-xl med «pip install ." in (
        result.stderr)
    assert "Traceback" not in result.stderr and not (tmp_path / "ut").exists()

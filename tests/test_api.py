"""The public API: names re-exported from the package, never shadowed by submodules."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import smso_xl


def test_public_functions_are_functions_even_after_the_cli_is_imported() -> None:
    # The commands import these modules; a module named like its function would shadow it.
    import smso_xl.mail
    import smso_xl.round.consolidation
    import smso_xl.round.generator
    import smso_xl.round.validation

    assert smso_xl.round.generator and smso_xl.round.validation
    assert smso_xl.round.consolidation and smso_xl.mail

    for name in ("generate", "read", "validate", "consolidate", "write_overview",
                 "write_feedback", "collect"):
        assert inspect.isfunction(getattr(smso_xl, name)), name


def test_every_name_in_all_resolves() -> None:
    for name in smso_xl.__all__:
        assert getattr(smso_xl, name) is not None


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = ("import sys, smso_xl.cli.commands; "
            "print(sorted(m for m in ('pandas', 'openpyxl', 'xlsxwriter', 'python_calamine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


#: What ``smso-xl --help`` may import beyond ``import click``: our command line, and what
#: click's help and gettext load for it (the terminal's width, text wrapping, the catalog).
HELP_MODULES = {"smso_xl", "smso_xl.cli", "smso_xl.cli.commands", "smso_xl.cli.text"}
CLICK_HELP_MODULES = {"click._textwrap", "textwrap", "shutil", "bz2", "_bz2", "lzma", "_lzma",
                      "zlib", "_compression", "locale", "_locale", "copy", "struct", "_struct",
                      "fnmatch", "posixpath", "errno", "pwd", "grp", "nt", "ntpath", "msvcrt",
                      "_winapi", "winreg",
                      # the options' path type (click.Path(path_type=Path)); an editable
                      # install's finder has imported these before, a regular install not
                      "pathlib", "urllib", "urllib.parse", "ipaddress"}


def test_help_imports_only_the_command_line() -> None:
    """Every ``--help`` (the group's and each command's) imports our four command-line
    modules and what click itself needs to show help, and nothing else: no library part,
    and of the standard library not even ``json`` or ``dataclasses`` (commands import what
    they need when they run)."""
    def loaded(code: str) -> set[str]:
        out = subprocess.run([sys.executable, "-c", code + "\nprint(' '.join(sys.modules))"],
                             capture_output=True, text=True, check=True)
        return set(out.stdout.split())

    base = loaded("import sys, click")
    for args in ([], ["generate"], ["collect"], ["validate"], ["consolidate"], ["compare"],
                 ["demo"]):
        extra = loaded("import sys, contextlib, io\nfrom smso_xl.cli import main\n"
                       "with contextlib.redirect_stdout(io.StringIO()), "
                       f"contextlib.suppress(SystemExit):\n    main({[*args, '--help']!r})") - base
        assert {m for m in extra if m.startswith("smso_xl")} == HELP_MODULES, args
        assert {m for m in extra if not m.startswith(("smso_xl", "encodings."))} \
            <= CLICK_HELP_MODULES, args


def test_validate_without_copies_imports_neither_writers_nor_mail_readers() -> None:
    """``validate`` without ``--feedback`` reads and checks (calamine): it never writes a
    workbook, and the manifest's lookup is all it needs of mail (issue 26, start-up)."""
    inbox = Path(__file__).parent.parent / "examples" / "innboks"
    code = ("import sys, contextlib, io\nfrom smso_xl.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main(['validate', {str(inbox)!r}, '--today', '01.06.2027'])\n"
            "print(' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = set(out.stdout.split())
    assert {"smso_xl.round.validation", "python_calamine", "smso_xl.mail.manifest"} <= loaded
    assert not loaded & {"openpyxl", "xlsxwriter", "pandas", "email.parser",
                         "smso_xl.mail.reading", "smso_xl.mail.inbox", "smso_xl.round.compare"}

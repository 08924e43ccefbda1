"""The public API: names re-exported from the package, never shadowed by submodules."""

from __future__ import annotations

import inspect
import subprocess
import sys

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

"""smso-xl: spreadsheet-native action plans for SMSØ (Samarbeid mot svart økonomi).

The public API: :func:`generate`, :func:`read`, :func:`validate`, :func:`consolidate`,
:func:`write_overview`, :func:`write_feedback` and :func:`collect`, re-exported here.
They return result objects and never print or exit; the command line (``smso_xl.cli``) is
a thin layer on top. The heavy libraries (pandas, openpyxl, xlsxwriter) are imported on
first use, so that ``smso-xl --help`` starts fast.

The folders are the layers, lowest first (:data:`LAYERS`); a module imports only from its
own folder or the ones before it, never from a later one, not even lazily inside a
function or for type checking alone (what a lower layer needs from above is handed in by
the caller), and no two modules import each other. ``tests/test_layers.py`` checks it:

1. ``base`` — findings, errors, cell addresses, file writing, the process pool
2. ``template`` — the template definition, values, kinds, configuration, the plan model
   and the rules
3. ``workbook`` — one workbook: writer, self-check, sniff, reader, fill
4. ``round`` — many workbooks: generate, validate, feedback, consolidate, overview,
   compare, rounds, the demo
5. ``mail`` — reading saved mail, the inbox, drafts
6. ``cli`` — the command line and its Norwegian texts

Each folder's ``__init__`` says what it offers.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: The subpackages, lowest layer first (see above).
LAYERS = ("base", "template", "workbook", "round", "mail", "cli")

_API = {
    "generate": "smso_xl.round.generator",
    "GenerateResult": "smso_xl.round.generator",
    "read": "smso_xl.workbook.reader",
    "validate": "smso_xl.round.validation",
    "ValidationReport": "smso_xl.round.validation",
    "consolidate": "smso_xl.round.consolidation",
    "Consolidation": "smso_xl.round.consolidation",
    "write_overview": "smso_xl.round.overview",
    "write_feedback": "smso_xl.round.feedback",
    "run_demo": "smso_xl.round.demo",
    "Finding": "smso_xl.base.findings",
    "CATALOGUE": "smso_xl.base.findings",
    "load_template": "smso_xl.template.definition",
    "collect": "smso_xl.mail",
    "CollectResult": "smso_xl.mail",
    "SmsoError": "smso_xl.base.errors",
    "ConfigError": "smso_xl.base.errors",
    "OutputError": "smso_xl.base.errors",
    "ReadError": "smso_xl.base.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'smso_xl' has no attribute {name!r}")

"""smso-xl: spreadsheet-native action plans for SMSØ (Samarbeid mot svart økonomi).

The public API: :func:`generate`, :func:`read`, :func:`validate`, :func:`consolidate`,
:func:`write_overview`, :func:`write_feedback` and :func:`collect`. (The modules behind them
are named ``generator``, ``validation``, ``consolidation`` and ``mail`` so that a submodule
never shadows the function of the same name.)
They return result objects and never print or exit; ``smso_xl.cli`` is a thin layer on top.
The heavy libraries (pandas, openpyxl, xlsxwriter) are imported on first use, so that
``smso-xl --help`` starts fast.

The modules form layers; a module imports only from its own layer or the ones below, never
from above, not even lazily inside a function or for type checking alone (what a lower layer
needs from above is handed in by the caller), and no two modules import each other.
``tests/test_layers.py`` holds the same list and checks it:

0. base — this package (``__version__``), ``template``, ``values``, ``cells``, ``findings``,
   ``model``, ``errors``, ``fileio``, ``formats``, ``provenance``, ``batch``, ``prefill``
1. one workbook — ``sniff``, ``reader``, ``kinds``, ``rules``, ``selfcheck``, ``config``,
   ``writer``, ``fill``
2. many workbooks — ``validation``, ``feedback``, ``consolidation``, ``frames``,
   ``overview``, ``generator``, ``compare``, ``rounds``
3. e-mail — the ``mail`` package (``reading``, ``inbox``, ``drafts``)
4. ``demo``
5. text — ``render``, ``docs``
6. the command line — ``cli``, ``clitext``, ``__main__``
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "generate": "smso_xl.generator",
    "GenerateResult": "smso_xl.generator",
    "read": "smso_xl.reader",
    "validate": "smso_xl.validation",
    "ValidationReport": "smso_xl.validation",
    "consolidate": "smso_xl.consolidation",
    "Consolidation": "smso_xl.consolidation",
    "write_overview": "smso_xl.overview",
    "write_feedback": "smso_xl.feedback",
    "run_demo": "smso_xl.demo",
    "Finding": "smso_xl.findings",
    "CATALOGUE": "smso_xl.findings",
    "load_template": "smso_xl.template",
    "collect": "smso_xl.mail",
    "CollectResult": "smso_xl.mail",
    "SmsoError": "smso_xl.errors",
    "ConfigError": "smso_xl.errors",
    "OutputError": "smso_xl.errors",
    "ReadError": "smso_xl.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'smso_xl' has no attribute {name!r}")

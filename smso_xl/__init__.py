"""smso-xl: spreadsheet-native action plans for SMSØ (Samarbeid mot svart økonomi).

The public API: :func:`generate`, :func:`read`, :func:`validate`, :func:`consolidate`,
:func:`write_overview` and :func:`write_feedback`. (The modules behind them are named
``generator``, ``validation`` and ``consolidation`` so that a submodule never shadows the
function of the same name.)
They return result objects and never print or exit; ``smso_xl.cli`` is a thin layer on top.
The heavy libraries (pandas, openpyxl, xlsxwriter) are imported on first use, so that
``smso-xl --help`` starts fast.
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
    "ConfigError": "smso_xl.config",
    "ReadError": "smso_xl.model",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'smso_xl' has no attribute {name!r}")

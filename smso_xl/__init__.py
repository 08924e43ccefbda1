"""smso-xl: spreadsheet-native action plans for SMSØ (Samarbeid mot svart økonomi).

The public API: :func:`generate`, :func:`read`, :func:`validate`, :func:`consolidate`.
They return result objects and never print or exit; ``smso_xl.cli`` is a thin layer on top.
The heavy libraries (pandas, openpyxl, xlsxwriter) are imported on first use, so that
``smso-xl --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "generate": "smso_xl.generate",
    "GenerateResult": "smso_xl.generate",
    "read": "smso_xl.reader",
    "validate": "smso_xl.validate",
    "ValidationReport": "smso_xl.validate",
    "consolidate": "smso_xl.consolidate",
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

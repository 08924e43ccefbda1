"""The library's exceptions: one base class, which carries the command line's exit code.

Problems in the *inputs* are findings, not exceptions (``findings.py``); an exception here
means the run itself cannot go on as asked — a configuration to correct, an output that
cannot be written. ``cli.py`` catches :class:`SmsoError` once, prints ``Feil: <message>`` and
exits with ``exit_code``. Each class stays importable from the module that raises it
(``config.ConfigError``, ``fileio.OutputError``, ``feedback.FeedbackError``,
``model.ReadError``).

``template.TemplateError`` (a broken template definition under ``templates/``) derives from it
too: the command line names it in one sentence rather than a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Finding


class SmsoError(Exception):
    """Something the user must correct; the message says what, in one Norwegian sentence."""

    #: docs/reference.md §4.3: every command exits with 2 on a usage or configuration error.
    exit_code = 2


class ConfigError(SmsoError):
    """A configuration file or option the coordinator must correct (exit code 2)."""


class OutputError(SmsoError):
    """An output file cannot be written; the message says why in one sentence."""


class FeedbackError(SmsoError):
    """The copy cannot be made; the message says why in one sentence."""


class NoWorkbooksError(SmsoError):
    """A folder given as input holds no workbook at all: a wrong folder is not a clean
    result (docs/reference.md §4.1)."""

    exit_code = 1


class ReadError(SmsoError):
    """The input cannot be read as a workbook at all; carries the file-level finding."""

    #: docs/reference.md §4.3: an unreadable input counts as an input with errors.
    exit_code = 1

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding

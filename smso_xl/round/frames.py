"""pandas DataFrames of a consolidation, for analysts (``Consolidation.frames()``).

pandas is slow to import, so only this module imports it, and only ``frames()`` imports this
module: the CLI never pays for pandas unless it is asked for frames.

Frames ``goals``, ``actions``, ``risks``, ``parties`` and ``assessments`` have one row per
filled row of the chosen submissions (the overview's rows, in the same order), with the
columns ``region``, ``region_name``, the template's column keys (``ansvarlig``, ``frist`` …),
``extra`` (columns the region added, "Header: value; …") and ``source_file``,
``source_sheet``, ``source_row``. ``findings`` has one row per finding of every file seen,
``submissions`` one row per file seen.

Date columns are ``datetime64[ns]`` and number columns numeric; a cell the rules could not
read is missing there (``NaT``/``NaN``: the ``findings`` frame says why). Text and choice
columns keep what the region typed when it is not a valid choice, so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from ..template.definition import Role, Sheet, Template
from ..template.kinds import kind_of

if TYPE_CHECKING:
    from ..base.findings import Finding
    from ..template.config import Region
    from ..template.model import Identity
    from ..template.rules import PlanRow
    from .validation import FileReport


# ``consolidation`` imports this module (in ``Consolidation.frames()``), so this module must
# not import it back: it names the shape of what it reads instead of the classes.
class Source(Protocol):
    """A file the consolidation saw (``consolidation.Submission``), as the frames read it."""

    @property
    def report(self) -> FileReport: ...
    @property
    def path(self) -> Path: ...
    @property
    def region(self) -> str | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def identity(self) -> Identity | None: ...
    @property
    def saved_at(self) -> dt.datetime | None: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def superseded_by(self) -> Path | None: ...
    @property
    def included(self) -> bool: ...
    @property
    def errors(self) -> int: ...
    @property
    def warnings(self) -> int: ...
    def reason(self) -> str: ...


class Expected(Protocol):
    """An expected region's line (``consolidation.RegionSummary``)."""

    @property
    def region(self) -> Region: ...


class Consolidated(Protocol):
    """A consolidation (``consolidation.Consolidation``), as the frames read it."""

    @property
    def template(self) -> Template: ...
    @property
    def regions(self) -> Sequence[Expected]: ...
    @property
    def submissions(self) -> Sequence[Source]: ...
    def rows(self, sheet: str) -> Sequence[tuple[Source, PlanRow]]: ...
    def all_findings(self) -> Sequence[tuple[Source | None, Finding]]: ...

#: Frame name → the role of its template sheet.
PLAN_FRAMES = {"goals": Role.GOALS, "actions": Role.ACTIONS, "risks": Role.RISKS,
               "parties": Role.PARTIES, "assessments": Role.ASSESSMENT}


def build_frames(result: Consolidated) -> dict[str, pd.DataFrame]:
    frames = {name: _plan_frame(result, result.template.sheet_by_role(role))
              for name, role in PLAN_FRAMES.items()}
    frames["findings"] = _findings_frame(result)
    frames["submissions"] = _submissions_frame(result)
    return frames


def _region_name(result: Consolidated, sub: Source | None) -> str | None:
    if sub is None:
        return None
    names = {s.region.code: s.region.name for s in result.regions}
    known = names.get(sub.region or "")
    return known or (sub.identity.region_name if sub.identity else None)


def _typed(dtype: str, values: list[object]) -> pd.Series:
    """A column of values with the dtype its kind calls for."""
    if dtype == "datetime64[ns]":
        # A date datetime64[ns] cannot hold (before 1677, after 2262) is missing, not a crash.
        low, high = pd.Timestamp.min.date(), pd.Timestamp.max.date()
        kept = [v if isinstance(v, dt.date) and low < v < high else None for v in values]
        return pd.Series(pd.to_datetime(pd.Series(kept, dtype=object)), dtype="datetime64[ns]")
    if dtype == "float64":
        return pd.to_numeric(pd.Series(values, dtype=object)).astype("float64")
    return pd.Series(values, dtype=dtype)


def _plan_frame(result: Consolidated, sheet: Sheet) -> pd.DataFrame:
    pairs = result.rows(sheet.name)
    data: dict[str, pd.Series] = {
        "region": pd.Series([sub.region for sub, _ in pairs], dtype=object),
        "region_name": pd.Series([_region_name(result, sub) for sub, _ in pairs], dtype=object),
    }
    for column in sheet.columns:
        dtype = kind_of(column).dtype(column)
        typed = dtype != "object"
        # Typed columns take the canonical value (missing when not understood); text and
        # choices take what is shown, so a value outside the list is kept as typed.
        values = [row.values.get(column.key) if typed else row.shown(column.key)
                  for _, row in pairs]
        data[column.key] = _typed(dtype, values)
    data["extra"] = pd.Series(
        ["; ".join(f"{h}: {v}" for h, v in row.extra.items() if v) or None for _, row in pairs],
        dtype=object)
    data["source_file"] = pd.Series([str(sub.path) for sub, _ in pairs], dtype=object)
    data["source_sheet"] = pd.Series([row.sheet for _, row in pairs], dtype=object)
    data["source_row"] = pd.Series([row.row for _, row in pairs], dtype="int64")
    return pd.DataFrame(data)


def _findings_frame(result: Consolidated) -> pd.DataFrame:
    pairs = result.all_findings()
    columns: dict[str, list[object]] = {
        "region": [sub.region if sub else None for sub, _ in pairs],
        "region_name": [_region_name(result, sub) for sub, _ in pairs],
        "file": [f.file or (str(sub.path) if sub else None) for sub, f in pairs],
        "severity": [f.severity for _, f in pairs],
        "code": [f.code for _, f in pairs],
        "sheet": [f.sheet for _, f in pairs],
        "cell": [f.cell for _, f in pairs],
        "row": [f.row for _, f in pairs],
        "column": [f.column for _, f in pairs],
        "value": [f.value for _, f in pairs],
        "message": [f.message for _, f in pairs],
        "submission_status": [sub.status if sub else None for sub, _ in pairs],
    }
    frame = pd.DataFrame({key: pd.Series(values, dtype=object) for key, values in columns.items()})
    frame["row"] = pd.Series(columns["row"], dtype="Int64")
    return frame


def _submissions_frame(result: Consolidated) -> pd.DataFrame:
    subs = result.submissions
    saved = [s.saved_at for s in subs]
    frame = pd.DataFrame({
        "region": pd.Series([s.region for s in subs], dtype=object),
        "region_name": pd.Series([_region_name(result, s) for s in subs], dtype=object),
        "year": pd.Series([s.year for s in subs], dtype="Int64"),
        "file": pd.Series([s.path.name for s in subs], dtype=object),
        "path": pd.Series([str(s.path) for s in subs], dtype=object),
        # Saved times are aware (UTC) in the model; kept so, not shifted to a local clock.
        "saved_at": pd.Series(pd.to_datetime(pd.Series(saved, dtype=object), utc=True),
                              dtype="datetime64[ns, UTC]"),
        "sha256": pd.Series([s.sha256 for s in subs], dtype=object),
        "template_version": pd.Series([s.report.template_version for s in subs], dtype=object),
        "status": pd.Series([s.status for s in subs], dtype=object),
        "superseded_by": pd.Series(
            [str(s.superseded_by) if s.superseded_by else None for s in subs], dtype=object),
        "errors": pd.Series([s.errors for s in subs], dtype="int64"),
        "warnings": pd.Series([s.warnings for s in subs], dtype="int64"),
        "reason": pd.Series([None if s.included or s.superseded_by else s.reason() or None
                             for s in subs], dtype=object),
    })
    return frame

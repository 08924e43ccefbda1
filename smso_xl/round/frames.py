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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..base.findings import Finding
from ..template.definition import Role, Sheet, Template
from ..template.kinds import kind_of
from ..template.rules import PlanRow
from .submission import Submission


@dataclass(frozen=True)
class FrameSource:
    """What the frames are made of, handed over by ``Consolidation.frames()`` (which
    imports this module only when asked, for pandas' sake; so this module cannot import
    the consolidation back)."""

    template: Template
    names: Mapping[str, str]     # region code → name in the region list
    submissions: Sequence[Submission]
    rows: Callable[[str], Sequence[tuple[Submission, PlanRow]]]  # a sheet's chosen rows
    findings: Sequence[tuple[Submission | None, Finding]]
    # Oversikt's lines and Totalt, as the consolidation computed them: per expected region
    # its code, name, status, received_at, file, errors, warnings and a value per figure
    # key (None where its plan is not counted); per figure key its national value.
    regions: Sequence[Mapping[str, object]] = ()
    totals: Mapping[str, float | None] = field(default_factory=dict)


#: Frame name → the role of its template sheet.
PLAN_FRAMES = {"goals": Role.GOALS, "actions": Role.ACTIONS, "risks": Role.RISKS,
               "parties": Role.PARTIES, "assessments": Role.ASSESSMENT}


def build_frames(result: FrameSource) -> dict[str, pd.DataFrame]:
    frames = {name: _plan_frame(result, result.template.sheet_by_role(role))
              for name, role in PLAN_FRAMES.items()}
    frames["regions"] = _regions_frame(result)
    frames["totals"] = pd.DataFrame({
        "figure": pd.Series([f.key for f in result.template.figures], dtype=object),
        "label": pd.Series([f.label for f in result.template.figures], dtype=object),
        "value": pd.Series([result.totals.get(f.key) for f in result.template.figures],
                           dtype="float64")})
    frames["findings"] = _findings_frame(result)
    frames["submissions"] = _submissions_frame(result)
    return frames


def _region_name(result: FrameSource, sub: Submission | None) -> str | None:
    if sub is None:
        return None
    known = result.names.get(sub.region or "")
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


def _plan_frame(result: FrameSource, sheet: Sheet) -> pd.DataFrame:
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


def _regions_frame(result: FrameSource) -> pd.DataFrame:
    """Oversikt's table: one row per expected region, its status and figures."""
    keys = [f.key for f in result.template.figures]

    def column(name: str) -> list[object]:
        return [line.get(name) for line in result.regions]

    data: dict[str, pd.Series] = {
        name: pd.Series(column(name), dtype=object)
        for name in ("region", "region_name", "status", "file")}
    data["received_at"] = pd.Series(pd.to_datetime(pd.Series(column("received_at"),
                                                              dtype=object), utc=True),
                                    dtype="datetime64[ns, UTC]")
    for key in keys:
        data[key] = pd.Series(column(key), dtype="float64")
    for name in ("errors", "warnings"):
        data[name] = pd.Series(column(name), dtype="Int64")
    return pd.DataFrame(data)


def _findings_frame(result: FrameSource) -> pd.DataFrame:
    pairs = result.findings
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


def _submissions_frame(result: FrameSource) -> pd.DataFrame:
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

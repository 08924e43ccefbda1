"""The coordinator's two workflows, whole: what ``smso-xl validate`` and ``smso-xl
consolidate`` run, so that the command line only parses options and renders.

- :func:`check_returns` — validate what came back, judge each region by its newest return
  (chosen as ``consolidate`` chooses: :func:`consolidation.choose`), and write the feedback
  copies of the files judged. Reply drafts are the caller's (``smso_xl.mail`` sits above).
- :func:`consolidate_round` — consolidate, and with earlier rounds consolidate those too and
  compute what changed since.

Neither prints, exits or writes anything but the files asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.fileio import resolve_each
from ..template.config import Region, default_regions
from .consolidation import DUPLICATE, SUPERSEDED, Consolidation, Submission, choose, consolidate
from .validation import ProvenanceLookup, ValidationReport, find_workbooks, validate

if TYPE_CHECKING:
    # Imported where used: the writers bring openpyxl and xlsxwriter, a third of a second's
    # start-up that a validate without --feedback does not need; so does comparing rounds.
    from .compare import Comparison
    from .feedback import FeedbackFile


@dataclass(frozen=True)
class Superseded:
    """A file not judged: its region sent a newer version (or the same bytes again)."""

    path: Path
    by: Path
    duplicate: bool = False  # byte-identical to ``by``

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "superseded_by": str(self.by),
                "duplicate": self.duplicate}


@dataclass
class ReturnCheck:
    """What ``validate`` found: the report on the files judged, the files left aside as
    superseded, and the feedback copies written (empty without a feedback folder)."""

    report: ValidationReport
    superseded: list[Superseded] = field(default_factory=list)
    feedback: list[FeedbackFile] = field(default_factory=list)

    @property
    def copies_written(self) -> list[Path]:
        return [item.path for item in self.feedback if item.path is not None]

    def to_json(self) -> dict[str, Any]:
        data = self.report.to_json()
        data["superseded"] = [item.to_json() for item in self.superseded]
        return data


def check_returns(
    paths: Sequence[Path],
    *,
    each_file: bool = False,
    feedback_dir: Path | None = None,
    today: dt.date | None = None,
    regions: Sequence[Region] | None = None,
    year: int | None = None,
    progress: Callable[[Path], None] | None = None,
    jobs: int | None = 1,
    provenance: ProvenanceLookup | None = None,
) -> ReturnCheck:
    """Validate the workbooks under ``paths`` and judge each region by its newest return.

    Files found in a folder are chosen among as ``consolidate`` chooses; the older versions
    and identical copies are listed in ``superseded`` and not judged. A file named on its
    own is always judged, and ``each_file=True`` judges every file (``validate --all``).
    With ``feedback_dir`` each judged, readable file gets its marked-up copy there."""
    copies = feedback_dir is not None
    # The feedback copy needs the plans and tables (a risk the region added gets its level
    # formulas at its cells); the choice of the newest only the reports' «Sist oppdatert».
    report = validate(list(paths), today=today, regions=regions, year=year,
                      progress=progress, jobs=jobs, keep_tables=copies, keep_plans=copies,
                      provenance=provenance)
    result = ReturnCheck(report=report)
    if not each_file:
        result.report, result.superseded = _newest_only(report, paths, regions, year)
    if feedback_dir is not None:
        from .feedback import write_all

        result.feedback = write_all(result.report, feedback_dir)
    return result


def _newest_only(report: ValidationReport, paths: Sequence[Path],
                 regions: Sequence[Region] | None,
                 year: int | None) -> tuple[ValidationReport, list[Superseded]]:
    named = set(resolve_each([path for path in paths if not path.is_dir()]))
    in_folders = set(resolve_each(find_workbooks([p for p in paths if p.is_dir()])))
    pooled = [Submission(report=r) for r, resolved in
              zip(report.files, resolve_each([r.path for r in report.files]), strict=True)
              if resolved in in_folders and resolved not in named]
    known = {r.code for r in (regions or default_regions())}
    choose(pooled, known, year)
    left_aside = {id(sub.report): sub for sub in pooled
                  if sub.status in (SUPERSEDED, DUPLICATE) and sub.superseded_by is not None}
    judged = ValidationReport(files=[r for r in report.files if id(r) not in left_aside])
    superseded = [Superseded(sub.path, sub.superseded_by, sub.status == DUPLICATE)
                  for sub in left_aside.values() if sub.superseded_by is not None]
    return judged, superseded


@dataclass
class RoundOverview:
    """``consolidate``'s work: this round, with earlier rounds what changed since, and the
    overview written (None: nothing could be consolidated, or none was asked for)."""

    result: Consolidation
    previous: Consolidation | None = None
    changes: Comparison | None = None
    written: Path | None = None


def consolidate_round(
    paths: Sequence[Path],
    *,
    out: Path | None = None,
    previous: Sequence[Path] = (),
    regions: Sequence[Region] | None = None,
    year: int | None = None,
    today: dt.date | None = None,
    exclude_invalid: bool = False,
    progress: Callable[[Path], None] | None = None,
    jobs: int | None = 1,
    provenance: ProvenanceLookup | None = None,
) -> RoundOverview:
    """Consolidate ``paths``; with ``previous`` (an earlier round's files) consolidate those
    as well, on the same «today», and compare the two; with ``out``, write the overview
    there when there is anything to show (with its sheet Endringer when compared)."""
    result = consolidate(list(paths), regions=regions, year=year, today=today,
                         exclude_invalid=exclude_invalid, progress=progress, jobs=jobs,
                         keep_tables=False, provenance=provenance)
    done = RoundOverview(result)
    if previous:
        done.previous = consolidate(list(previous), regions=regions, today=result.today,
                                    progress=progress, jobs=jobs, keep_tables=False,
                                    provenance=provenance)
        from .compare import changes_between

        done.changes = changes_between(done.previous, result)
    if out is not None and result.chosen:
        from .overview import write_overview

        done.written = write_overview(result, out, changes=done.changes,
                                      inputs=tuple(s.path for s in result.submissions))
    return done

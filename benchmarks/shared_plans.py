"""Shared-plan detection (``consolidation._shared_rows``) on synthetic plans, in memory.

    python benchmarks/shared_plans.py [PLANS ...]      # default: 200 2000

Each plan has 15 goals and 15 actions of its own; one plan is sent under a second region,
so exactly one pair is found. Only the detection is timed: no workbook is read. The
detection meets plans through an index from each row's fingerprint to the plans that hold
it (issue 26), so its time grows with the rows; it used to compare every plan with every
other one.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from smso_xl.round.consolidation import _shared_rows
from smso_xl.template.definition import Sheet, load_templates

ROWS = 15


class _Row:
    """What the detection reads of a row: its sheet and what it shows."""

    def __init__(self, sheet: str, shown: dict[str, str]) -> None:
        self.sheet, self._shown = sheet, shown

    def shown(self, key: str) -> str | None:
        return self._shown.get(key)


def _plan(number: int, sheets: list[Sheet]) -> SimpleNamespace:
    rows = {sheet.name: [_Row(sheet.name, {
        sheet.key_of("title") or "": f"{sheet.name} {number} {row}",
        sheet.key_of("owner") or "": f"Person {number}",
        sheet.key_of("deadline") or "": "01.01.2027"}) for row in range(ROWS)]
        for sheet in sheets}
    return SimpleNamespace(region=f"{number:04d}", path=Path(f"plan-{number}.xlsx"),
                           saved_at=dt.datetime(2027, 1, 1) + dt.timedelta(minutes=number),
                           last_updated=None, sent_at=None,
                           report=SimpleNamespace(plan=SimpleNamespace(rows=rows)))


def main(counts: list[int]) -> None:
    template = load_templates().newest
    sheets = [template.sheet_by_role(role) for role in ("goals", "actions")]
    for count in counts:
        plans = [_plan(number, sheets) for number in range(count)]
        copy = _plan(0, sheets)
        copy.region = "9999"  # the first plan, sent under another region too
        plans.append(copy)
        start = time.perf_counter()
        pairs = _shared_rows(plans, template)  # type: ignore[arg-type]
        print(f"{count:>5} plans: {time.perf_counter() - start:6.2f} s, "
              f"{len(pairs)} shared pair(s)")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [200, 2000])

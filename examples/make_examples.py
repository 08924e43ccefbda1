"""Rebuild the examples in this folder with the project's own code.

    python examples/make_examples.py            # rewrites examples/
    python examples/make_examples.py OUT_DIR    # writes elsewhere (the test compares)

Everything is fixed — the year, the generation time, the file ids, the saved times and
"today" — so the output is the same on every run; ``tests/test_examples.py`` rebuilds it
and compares, so the examples never go stale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import sys
from pathlib import Path

import click

from smso_xl.cli.render import render_text
from smso_xl.round.consolidation import consolidate
from smso_xl.round.demo import simulate_returns
from smso_xl.round.generator import generate
from smso_xl.round.overview import write_overview
from smso_xl.round.workflows import check_returns
from smso_xl.template.config import default_regions

YEAR = 2027
GENERATED_AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2027, 6, 15)
REGIONS = ("03", "42", "50")   # Oslo (clean), Agder (two versions), Trøndelag (mistakes)
HERE = Path(__file__).resolve().parent


def build(target: Path) -> list[Path]:
    """Write the examples into ``target``; returns the files written, relative to it."""
    target.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(target):
        ids = (f"eksempel-{n}" for n in itertools.count(1))
        generated = generate(regions=default_regions(), region_codes=REGIONS, year=YEAR,
                             out_dir=Path("utsendt"), force=True, now=GENERATED_AT,
                             new_file_id=lambda: next(ids))
        inbox = Path("innboks")
        inbox.mkdir(exist_ok=True)
        for old in inbox.glob("*.xlsx"):
            old.unlink()
        simulate_returns(generated, inbox, YEAR)
        # What `smso-xl validate innboks/ --all` prints: every file, Agder's first version
        # too, so that the example shows the typical mistakes (without --all, Agder would be
        # judged by its corrected copy alone).
        check = check_returns([inbox], today=AS_OF, year=YEAR, each_file=True)
        Path("rapport.txt").write_text(click.unstyle(render_text(check.report)) + "\n",
                                       encoding="utf-8")
        result = consolidate([inbox], year=YEAR, today=AS_OF)
        write_overview(result, Path(f"nasjonal-oversikt-{YEAR}.xlsx"),
                       inputs=tuple(s.path for s in result.submissions), created=GENERATED_AT)
    return sorted(p.relative_to(target) for p in target.rglob("*")
                  if p.is_file() and p.suffix in (".xlsx", ".txt"))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in build(out):
        print(path)

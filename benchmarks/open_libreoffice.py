"""What the workbook's own check costs LibreOffice: a plan with its checks against the same
plan without them (no Sjekk counts, no red marks), blank and filled.

Run with the project's Python; it writes the plans into a temporary folder and times them
in one headless LibreOffice through ``_uno_open.py``, run by the system Python that has
LibreOffice's ``uno`` module (Debian ``python3-uno``)::

    python benchmarks/open_libreoffice.py --runs 5

Per plan, the median of ``--runs`` (after one untimed warm-up) of: *open* — loading the file
as a region's LibreOffice does (it shows the cached results, it does not recalculate an
xlsx); *recalc* — a full recalculation (``calculateAll``), what LibreOffice does on opening
a file without cached results (one saved by openpyxl, as the demo's returns are) and Excel
on F9; *open+recalc* — the two together, the cost of opening such a file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from smso_xl.round.demo import answers
from smso_xl.round.generator import generate
from smso_xl.template.config import default_regions, load_settings
from smso_xl.workbook import selfcheck
from smso_xl.workbook.fill import fill_plan

HERE = Path(__file__).resolve().parent
YEAR = 2027


def make_plans(folder: Path) -> dict[str, Path]:
    """Blank and filled (the demo's Oslo), each with and without the checks."""
    region = next(r for r in default_regions() if r.code == "03")
    plans: dict[str, Path] = {}
    real = selfcheck.all_checks
    for variant in ("with checks", "without checks"):
        if variant == "without checks":
            selfcheck.all_checks = lambda *args, **kwargs: []  # type: ignore[assignment]
        try:
            made = generate(regions=[region], year=YEAR,
                            out_dir=folder / variant.replace(" ", "-"), settings=load_settings(),
                            now=dt.datetime(YEAR - 1, 11, 1, tzinfo=dt.UTC))
        finally:
            selfcheck.all_checks = real  # type: ignore[assignment]
        blank = made.files[0].path
        plans[f"blank, {variant}"] = blank
        plans[f"filled, {variant}"] = fill_plan(
            blank, blank.with_name("filled.xlsx"), **answers(region.code, YEAR, set()))
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="a Python with LibreOffice's uno module")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="smso-open-"))
    try:
        plans = make_plans(folder)
        out = subprocess.run([args.python, str(HERE / "_uno_open.py"), str(args.runs),
                              *(str(p) for p in plans.values())],
                             check=True, capture_output=True, text=True).stdout
        times = json.loads(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"median of {args.runs} runs, seconds\n")
    print("| plan | open | recalc | open+recalc |\n| --- | --- | --- | --- |")
    for label, path in plans.items():
        opened, recalc = times[str(path)]
        print(f"| {label} | {opened:.3f} | {recalc:.3f} | {opened + recalc:.3f} |")
    for kind in ("blank", "filled"):
        with_, without = (times[str(plans[f"{kind}, {v} checks"])] for v in ("with", "without"))
        print(f"\n{kind}: the checks cost {with_[0] - without[0]:+.3f} s to open, "
              f"{sum(with_) - sum(without):+.3f} s to open and recalculate", end="")
    print()


if __name__ == "__main__":
    sys.exit(main())

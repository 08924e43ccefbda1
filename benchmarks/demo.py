"""Time ``smso-xl demo`` and ``smso-xl --help`` as whole processes (issue 26).

Each run is the installed console script started with ``subprocess``: the wall clock and the
CPU time of the process and its children (user + system, from ``wait4``; the demo's helper
process is a child). ``--help`` runs side by side with ``python -c "import click"``,
round-robin, so that load from elsewhere hits both alike; the demo runs into a new temporary
folder each time. Medians, with min–max.

    python benchmarks/demo.py                 # demo 3 runs, --help 20 runs
    python benchmarks/demo.py --demo-runs 5 --help-runs 40
    python benchmarks/demo.py --one-core      # the demo pinned to one core (taskset)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import child_env  # a sibling script, not a package

SCRIPT = Path(sys.executable).with_name("smso-xl")


def run(command: Sequence[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall clock and CPU time (user + system, the process and its children) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=child_env())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} ended with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def summary(name: str, runs: list[tuple[float, float]], unit: float, label: str,
            digits: int = 0) -> str:
    walls, cpus = [w * unit for w, _ in runs], [c * unit for _, c in runs]
    return (f"| `{name}` | {statistics.median(walls):.{digits}f} {label} "
            f"({min(walls):.{digits}f}–{max(walls):.{digits}f}) | "
            f"{statistics.median(cpus):.{digits}f} {label} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--help-runs", type=int, default=20)
    parser.add_argument("--one-core", action="store_true",
                        help="run the demo with taskset -c 0 (no helper process)")
    args = parser.parse_args()
    if not SCRIPT.exists():
        raise SystemExit(f"{SCRIPT} is missing: pip install -e . in this environment")

    helps: dict[str, list[tuple[float, float]]] = {"import click": [], "smso-xl --help": []}
    for _ in range(args.help_runs):
        helps["import click"].append(run([sys.executable, "-c", "import click"]))
        helps["smso-xl --help"].append(run([str(SCRIPT), "--help"]))

    pin = ["taskset", "-c", "0"] if args.one_core and shutil.which("taskset") else []
    demos = []
    for _ in range(args.demo_runs):
        with tempfile.TemporaryDirectory() as tmp:
            demos.append(run([*pin, str(SCRIPT), "demo", "d"], cwd=Path(tmp)))

    print("| command | wall, median (min–max) | CPU (user + sys), median |")
    print("| --- | --- | --- |")
    for name, runs in helps.items():
        print(summary(name, runs, 1000, "ms"))
    print(summary("smso-xl demo" + (" (one core)" if pin else ""), demos, 1, "s", digits=1))
    ratio = (statistics.median(w for w, _ in helps["smso-xl --help"])
             / statistics.median(w for w, _ in helps["import click"]))
    print(f"\n--help / import click, medians of the wall clock: {ratio:.2f}×")


if __name__ == "__main__":
    main()

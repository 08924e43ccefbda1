"""The scale of issue 26: a round of 2 000 plans of 30 actions, and the curve from 200 up.

``validate`` and ``consolidate`` run as a user runs them (default ``--jobs``: one process per
core from 24 files on) over the first N plans of the ``scale`` corpus, with a regions list of
exactly those N regions, for N = 200, 500, 1 000 and 2 000. Every figure is a whole process
(start-up included), wall clock, median of ``--runs``; the peak memory is the whole process
tree's summed RSS, sampled every 100 ms during the timed runs (often enough for commands of
seconds, rarely enough not to cost a core's share on a two-core machine).

The script prints a markdown table, the cost per added plan from 200 to 1 000 and from 1 000
to 2 000 (equal when the time is linear), and writes the curve as ``scale.svg`` (or
``--svg``): seconds against plans, with the straight line through the first and last points
of each command for the eye.

    python benchmarks/make_inputs.py --corpus scale   # ~20 minutes once: 2 000 workbooks
    python benchmarks/scale.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_inputs  # noqa: E402  (sibling scripts, not a package)
from run import child_env, sampled_tree_rss, smso_xl  # noqa: E402

COUNTS = (200, 500, 1000, 2000)
COMMANDS = ("validate", "consolidate")
LIMIT_S, LIMIT_MIB = 60.0, 1024


def timed(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and the tree's peak RSS (KiB) of one whole process."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=child_env())
    with sampled_tree_rss(proc.pid, 0.1) as peak:
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: findings, as expected
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return elapsed, max(peak[0], usage.ru_maxrss)


def commands(cache: Path, work: Path, count: int) -> dict[str, list[str]]:
    files = make_inputs.corpus_files(cache, "scale")[:count]
    # The first regions of the corpus's own list (whose codes are as wide as its 2 000 need).
    everyone = make_inputs.large_regions(make_inputs.CORPORA["scale"]["files"])
    regions = make_inputs.write_regions_file(work / f"regions-{count}.yaml", everyone[:count])
    common = [*map(str, files), "--regions", str(regions), "--today", make_inputs.TODAY]
    return {"validate": [*smso_xl(), "validate", *common],
            "consolidate": [*smso_xl(), "consolidate", *common,
                            "--out", str(work / f"overview-{count}.xlsx")]}


def svg(results: dict[tuple[str, int], tuple[float, int]], counts: Sequence[int]) -> str:
    """Seconds against plans, one line per command, with its straight line dashed."""
    width, height, pad = 560, 320, 50
    top = max(LIMIT_S, max(t for t, _ in results.values())) * 1.05
    x = lambda n: pad + (width - 2 * pad) * n / counts[-1]  # noqa: E731
    y = lambda s: height - pad - (height - 2 * pad) * s / top  # noqa: E731
    colours = {"validate": "#1f6fb2", "consolidate": "#c2410c"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" stroke="black"/>',
             f'<line x1="{pad}" y1="{y(0)}" x2="{pad}" y2="{pad / 2}" stroke="black"/>',
             f'<line x1="{pad}" y1="{y(LIMIT_S):.1f}" x2="{width - pad}" y2="{y(LIMIT_S):.1f}" '
             f'stroke="grey" stroke-dasharray="2,3"/>',
             f'<text x="{width - pad}" y="{y(LIMIT_S) - 4:.1f}" text-anchor="end" '
             f'fill="grey">1 minutt</text>',
             f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">planer</text>',
             f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" '
             f'text-anchor="middle">sekunder</text>']
    for n in counts:
        parts.append(f'<text x="{x(n):.1f}" y="{y(0) + 16}" text-anchor="middle">{n}</text>')
    for step in range(0, int(top) + 1, 10):
        parts.append(f'<text x="{pad - 6}" y="{y(step) + 4:.1f}" text-anchor="end">{step}</text>')
    for row, command in enumerate(COMMANDS):
        points = [(x(n), y(results[command, n][0])) for n in counts]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        colour = colours[command]
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"/>')
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
                  for px, py in points]
        (x1, y1), (x2, y2) = points[0], points[-1]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{colour}" stroke-dasharray="4,4" opacity="0.6"/>')
        parts.append(f'<text x="{pad + 10}" y="{pad / 2 + 16 * (row + 1)}" fill="{colour}">'
                     f'{command}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SMSO_BENCH_CACHE", make_inputs.DEFAULT_CACHE)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)))
    parser.add_argument("--svg", type=Path, default=HERE / "scale.svg")
    args = parser.parse_args(argv)
    counts = sorted(int(n) for n in args.counts.split(","))
    make_inputs.build(args.cache, "scale", os.cpu_count() or 1)
    times: dict[tuple[str, int], list[float]] = {}
    peaks: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory(prefix="smso-scale-") as tmp:
        argvs = {n: commands(args.cache, Path(tmp), n) for n in counts}
        for command in COMMANDS:  # untimed: Python writes the package's bytecode once
            timed(argvs[counts[0]][command])
        for run in range(args.runs):  # round-robin: load from elsewhere hits all alike
            for n in counts:
                for command in COMMANDS:
                    elapsed, peak = timed(argvs[n][command])
                    times.setdefault((command, n), []).append(elapsed)
                    peaks[command, n] = max(peaks.get((command, n), 0), peak)
                    print(f"run {run + 1}: {command} {n}: {elapsed:.1f} s, "
                          f"{peak / 1024:.0f} MiB", file=sys.stderr)
    results = {key: (statistics.median(values), peaks[key]) for key, values in times.items()}
    print(f"Medians of {args.runs} runs, whole processes, default --jobs "
          f"({os.cpu_count()} cores).\n")
    print("| plans | " + " | ".join(f"`{c}` | per plan | peak (tree)" for c in COMMANDS) + " |")
    print("| --- |" + " --- | --- | --- |" * len(COMMANDS))
    for n in counts:
        cells = []
        for command in COMMANDS:
            seconds, peak = results[command, n]
            cells += [f"{seconds:.1f} s", f"{seconds / n * 1000:.1f} ms",
                      f"{peak / 1024:.0f} MiB"]
        print(f"| {n} | " + " | ".join(cells) + " |")
    if len(counts) >= 3:
        first, middle, last = counts[0], counts[len(counts) // 2], counts[-1]
        print()
        for command in COMMANDS:
            low = (results[command, middle][0] - results[command, first][0]) / (middle - first)
            high = (results[command, last][0] - results[command, middle][0]) / (last - middle)
            seconds, peak = results[command, last]
            print(f"- `{command}`: per added plan {low * 1000:.1f} ms ({first}→{middle}) and "
                  f"{high * 1000:.1f} ms ({middle}→{last}), {high / low:.2f}×; {last} plans in "
                  f"{seconds:.1f} s (goal < {LIMIT_S:.0f} s) and {peak / 1024:.0f} MiB "
                  f"(goal < {LIMIT_MIB} MiB)")
    args.svg.write_text(svg(results, counts), encoding="utf-8")
    print(f"\nThe curve: {args.svg.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

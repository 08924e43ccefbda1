"""Time whole commands against the baselines of issues 7 and 26; print a markdown table.

Every measurement is a whole process started with ``subprocess`` and timed by the wall clock
(start-up and imports included), on the same files in the same run as the baselines. The
benchmarks are run round-robin — run 1 of every benchmark, then run 2 of every benchmark … —
so that a burst of load from something else on the machine hits all of them alike, and the
table reports the median of the runs. Peak memory is the child's ``ru_maxrss`` (from
``wait4``: the largest single process of the command's tree); for commands that start worker
processes the summed RSS of the whole tree is sampled in one extra, untimed run.

    python benchmarks/make_inputs.py          # once: builds the corpora (a few minutes)
    python benchmarks/run.py                  # everything, 5 runs each
    python benchmarks/run.py --runs 3 --only validate-small,naive-small
    python benchmarks/run.py --list

The corpora are built on first use when missing (see ``make_inputs.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_inputs  # noqa: E402  (a sibling script, not a package)

PY = sys.executable
LINEARITY_COUNTS = (50, 100, 200)
GENERATE_COUNTS = (15, 50, 200)
GIB = 1024 ** 3


def smso_xl() -> list[str]:
    """The installed console script beside this interpreter (what a user runs), else
    ``python -m smso_xl``. Never a version-manager shim: its own start-up is not ours."""
    script = Path(PY).parent / "smso-xl"
    return [str(script)] if script.exists() else [PY, "-m", "smso_xl"]


@dataclass
class Bench:
    name: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    workbooks: int = 0            # for per-workbook figures
    prepare: Callable[[], None] | None = None  # run before each timed run, untimed
    env: dict[str, str] | None = None  # extra environment (``--before``: PYTHONPATH)
    jobs: str | None = None       # smso-xl's --jobs (None: not given, the default)
    times: list[float] = field(default_factory=list)
    maxrss: list[int] = field(default_factory=list)  # KiB
    tree_rss: int | None = None   # KiB, sampled

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _argv(bench: Bench) -> list[str]:
    return [*bench.argv, "--jobs", bench.jobs] if bench.jobs else bench.argv


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a timed command: as a user's, whose ``pip install`` compiled the
    package, so Python may write and use its bytecode (a development shell that sets
    ``PYTHONDONTWRITEBYTECODE`` would have every run compile every module again)."""
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _env(bench: Bench) -> dict[str, str]:
    return child_env(bench.env)


def run_once(bench: Bench) -> None:
    if bench.prepare:
        bench.prepare()
    began = time.perf_counter()
    proc = subprocess.Popen(_argv(bench), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=_env(bench))
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in bench.ok_codes:
        raise SystemExit(f"{bench.name} exited {proc.returncode}: {' '.join(_argv(bench))}\n"
                         f"{stderr.decode(errors='replace')[-2000:]}")
    bench.times.append(elapsed)
    bench.maxrss.append(usage.ru_maxrss)


def _tree_rss_kib(root: int) -> int:
    """Summed VmRSS of ``root`` and all its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += parents.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


@contextlib.contextmanager
def sampled_tree_rss(pid: int, every: float) -> Iterator[list[int]]:
    """While the block runs, the summed RSS (KiB) of ``pid``'s process tree sampled every
    ``every`` seconds; its peak is ``[0]`` of what this yields, once the block has ended."""
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(pid))
            stop.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def sample_tree_rss(bench: Bench) -> None:
    """One untimed run, sampling the whole process tree's RSS every 20 ms."""
    if bench.prepare:
        bench.prepare()
    proc = subprocess.Popen(_argv(bench), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env(bench))
    with sampled_tree_rss(proc.pid, 0.02) as peak:
        proc.wait()
    bench.tree_rss = peak[0]


# --- the benchmarks --------------------------------------------------------------------------


def benchmarks(cache: Path, work: Path, jobs: Sequence[int]) -> list[Bench]:
    """Every benchmark. smso-xl's ``validate`` and ``consolidate`` run in one process
    (``--jobs 1``, comparable with the single-process floor) and with ``--jobs N``."""
    small = cache / "small"
    large = cache / "large"
    large_files = make_inputs.corpus_files(cache, "large")
    regions200 = cache / f"regions-{make_inputs.LARGE_REGIONS}.yaml"
    today = ["--today", make_inputs.TODAY]
    cli = smso_xl()
    baseline = [PY, str(HERE / "baselines.py")]
    validate_large = [*cli, "validate", str(large), "--regions", str(regions200), *today]

    def consolidate_large(out: str) -> list[str]:
        return [*cli, "consolidate", str(large), "--regions", str(regions200), "--out",
                str(work / out), *today]

    benches = [
        Bench("import-click", [PY, "-c", "import click"]),
        Bench("help", [*cli, "--help"]),
        Bench("naive-small", [*baseline, "naive", str(small)], workbooks=15),
        Bench("floor-small", [*baseline, "floor", str(small)], workbooks=15),
        Bench("validate-small", [*cli, "validate", str(small), *today], (0, 1), 15),
        Bench("floor-large", [*baseline, "floor", str(large)], workbooks=200),
        Bench("validate-large", validate_large, (0, 1), 200, jobs="1"),
        Bench("consolidate-large", consolidate_large("overview-200.xlsx"), workbooks=200,
              jobs="1"),
    ]
    for n in jobs:
        benches += [
            Bench(f"validate-large-j{n}", validate_large, (0, 1), 200, jobs=str(n)),
            Bench(f"consolidate-large-j{n}", consolidate_large(f"overview-200-j{n}.xlsx"),
                  workbooks=200, jobs=str(n)),
        ]
    for count in LINEARITY_COUNTS:
        if count == 200:
            continue  # consolidate-large
        benches.append(Bench(
            f"consolidate-{count}", [*cli, "consolidate", *map(str, large_files[:count]),
                                     "--regions", str(regions200), "--out",
                                     str(work / f"overview-{count}.xlsx"), *today],
            workbooks=count, jobs="1"))
    demo_folder = work / "demo"
    benches.append(Bench("demo", [*cli, "demo", str(demo_folder)],
                         prepare=lambda: shutil.rmtree(demo_folder, ignore_errors=True)))
    for count in GENERATE_COUNTS:
        regions = make_inputs.write_regions_file(
            work / f"regions-{count}.yaml", make_inputs.large_regions(count))
        out = work / f"generated-{count}"

        def clear(out: Path = out) -> None:
            shutil.rmtree(out, ignore_errors=True)

        benches.append(Bench(f"generate-{count}", [
            *cli, "generate", "--year", str(make_inputs.YEAR), "--regions", str(regions),
            "--out", str(out), "--coordinator", "Kari Koordinator <kari@smso.example.no>"],
            workbooks=count, prepare=clear))
    return benches


# --- the report ------------------------------------------------------------------------------


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.995 else f"{seconds * 1000:.0f} ms"


def _mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def report(benches: dict[str, Bench], runs: int, jobs: Sequence[int]) -> str:
    med = {name: b.median for name, b in benches.items() if b.times}
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}. "
        f"Medians of {runs} runs, whole processes, wall clock.",
        "",
        "| benchmark | median | min–max | peak RSS (largest process) |",
        "| --- | --- | --- | --- |",
    ]
    for name, bench in benches.items():
        if not bench.times:
            continue
        per = f" ({_fmt_s(bench.median / bench.workbooks)}/workbook)" if bench.workbooks else ""
        tree = f", tree {_mib(bench.tree_rss)}" if bench.tree_rss else ""
        lines.append(f"| `{name}` | {_fmt_s(bench.median)}{per} | {_fmt_s(min(bench.times))}–"
                     f"{_fmt_s(max(bench.times))} | {_mib(max(bench.maxrss))}{tree} |")

    lines += ["", "| target (issue 26) | measured | met |", "| --- | --- | --- |"]

    def target(text: str, value: float | None, limit: float, unit: str = "×") -> None:
        if value is None:
            return
        shown = {"×": f"{value:.2f}×", "s": f"{value:.1f} s"}.get(unit, f"{value:.0f} {unit}")
        lines.append(f"| {text} | {shown} | {'yes' if value <= limit else '**no**'} |")

    def ratio(a: str, b: str) -> float | None:
        return med[a] / med[b] if a in med and b in med else None

    target("`validate` 15 plans ≤ 0.15× naive", ratio("validate-small", "naive-small"), 0.15)
    target("`validate` 200×300 ≤ 2.0× floor (1 process)", ratio("validate-large", "floor-large"),
           2.0)
    for n in jobs:
        target(f"`validate --jobs {n}` 200×300 ≤ 2.0× floor",
               ratio(f"validate-large-j{n}", "floor-large"), 2.0)
    target("`consolidate` 200×300 ≤ 4× floor (1 process)",
           ratio("consolidate-large", "floor-large"), 4.0)
    for n in jobs:
        target(f"`consolidate --jobs {n}` 200×300 ≤ 4× floor",
               ratio(f"consolidate-large-j{n}", "floor-large"), 4.0)
    for name in ("consolidate-large", *(f"consolidate-large-j{n}" for n in jobs)):
        if name in benches and benches[name].maxrss:
            peak = max(benches[name].maxrss) / 1024
            if benches[name].tree_rss:
                peak = max(peak, benches[name].tree_rss / 1024)
            target(f"`{name}` peak memory ≤ 300 MiB (whole tree)", peak, 300, "MiB")
    target("`smso-xl --help` ≤ 1.2× `import click`", ratio("help", "import-click"), 1.2)
    if "demo" in med:
        target("`smso-xl demo` ≤ 8 s", med["demo"], 8.0, "s")
    lin = [f"consolidate-{n}" if n != 200 else "consolidate-large" for n in LINEARITY_COUNTS]
    if all(name in med for name in lin):
        (n1, n2, n3), (t1, t2, t3) = LINEARITY_COUNTS, (med[name] for name in lin)
        first, second = (t2 - t1) / (n2 - n1), (t3 - t2) / (n3 - n2)
        lines.append(f"| `consolidate` linear: cost per added workbook {n1}→{n2} vs {n2}→{n3} "
                     f"| {_fmt_s(first)} vs {_fmt_s(second)} ({second / first:.2f}×) "
                     f"| {'yes' if second / first <= 1.2 else '**no**'} |")
    gen = [f"generate-{n}" for n in GENERATE_COUNTS]
    if all(name in med for name in gen):
        per = [med[name] / n for name, n in zip(gen, GENERATE_COUNTS, strict=True)]
        (n1, n2, n3), (t1, t2, t3) = GENERATE_COUNTS, (med[name] for name in gen)
        first, second = (t2 - t1) / (n2 - n1), (t3 - t2) / (n3 - n2)
        lines.append(f"| `generate` per workbook flat: {n1}/{n2}/{n3} regions | "
                     + " / ".join(_fmt_s(p) for p in per)
                     + f"; marginal {_fmt_s(first)} vs {_fmt_s(second)} ({second / first:.2f}×) "
                     f"| {'yes' if second / first <= 1.2 else '**no**'} |")
    return "\n".join(lines)


def _with_before(bench: Bench, before: Path) -> list[Bench]:
    """The benchmark, and the same command on the older package when it is smso-xl's."""
    if bench.argv[:len(smso_xl())] != smso_xl() or bench.jobs not in (None, "1"):
        return [bench]
    # The same --jobs as the benchmark: an older package that has --jobs would otherwise run
    # its default (auto: one process per core) against our one process.
    twin = Bench(f"{bench.name}@before", [*bench.argv], bench.ok_codes, bench.workbooks,
                 bench.prepare, {"PYTHONPATH": str(before.resolve())}, jobs=bench.jobs)
    for index, arg in enumerate(twin.argv):  # separate outputs: never write one file twice
        if arg.endswith(".xlsx") and twin.argv[index - 1] == "--out":
            twin.argv[index] = arg[:-5] + "-before.xlsx"
    return [twin, bench]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SMSO_BENCH_CACHE", make_inputs.DEFAULT_CACHE)))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--jobs", default="2", help="comma-separated --jobs values to time "
                        "besides the default (empty: none)")
    parser.add_argument("--no-memory", action="store_true", help="skip the sampled tree RSS")
    parser.add_argument("--before", type=Path, help="a copy of an older smso_xl package "
                        "(its parent folder, e.g. from `git archive`): every smso-xl benchmark "
                        "is also run with it first on PYTHONPATH, as NAME@before")
    parser.add_argument("--before-for", default="", help="comma-separated benchmark names "
                        "to twin with --before (default: every smso-xl benchmark)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    jobs = [int(n) for n in args.jobs.split(",") if n.strip()]
    for corpus in make_inputs.DEFAULT_CORPORA:
        make_inputs.build(args.cache, corpus, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="smso-bench-") as tmp:
        all_benches = benchmarks(args.cache, Path(tmp), jobs)
        if args.list:
            for bench in all_benches:
                print(bench.name)
            return 0
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        chosen = [b for b in all_benches if not wanted or b.name in wanted]
        if args.before:
            twins = {n.strip() for n in args.before_for.split(",") if n.strip()}
            chosen = [twin for bench in chosen
                      for twin in (_with_before(bench, args.before)
                                   if not twins or bench.name in twins else [bench])]
        print(f"warming up {len(chosen)} benchmarks …", file=sys.stderr)
        for bench in chosen:
            run_once(bench)
            bench.times.clear()
            bench.maxrss.clear()
        for index in range(args.runs):
            for bench in chosen:
                run_once(bench)
            print(f"run {index + 1}/{args.runs}: " + ", ".join(
                f"{b.name} {b.times[-1]:.2f}" for b in chosen), file=sys.stderr)
        if not args.no_memory:
            for bench in chosen:
                if "-j" in bench.name or bench.name.startswith("consolidate-large"):
                    sample_tree_rss(bench)
        print(report({b.name: b for b in chosen}, args.runs, jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

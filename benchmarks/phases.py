"""Where the time of one workbook goes: CPU time per phase, in one process (issue 7).

``run.py`` times whole commands; this script splits the work on the large corpus into its
phases, measured with ``time.process_time`` (CPU time of this process, so that other load on
the machine disturbs it less than the wall clock), best of ``--repeat`` passes over
``--files`` workbooks:

    floor      python-calamine parsing the six data sheets (the baseline of run.py)
    touch-floor   the floor plus one Python call per non-empty cell (its text)
    sniff      smso_xl.workbook.sniff: the checks before any parser runs (zip, sizes, sheet extents)
    read       smso_xl.read: sniff, calamine, cells and rows, identity and file facts
    rules      smso_xl.template.rules.check_workbook: every cell parsed by its kind, every rule
    validate   smso_xl.round.validation.validate_file: read + rules + sorting the findings
    transport  what --jobs adds: a report pickled in the worker and loaded in the parent, as
               validate sends it (findings only) and as consolidate does (with the plan)
    overview   smso_xl.write_overview for those workbooks, per workbook
    writer-floor  the same cells written with bare xlsxwriter (no formats, tables, charts)

    python benchmarks/phases.py --files 40
    python benchmarks/phases.py --profile rules     # pyinstrument profile of one phase
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_inputs  # noqa: E402  (a sibling script, not a package)
from baselines import DATA_SHEETS  # noqa: E402

TODAY = dt.date(2026, 6, 15)


def _best(run: Callable[[], object], repeat: int) -> float:
    from smso_xl.base.batch import paused_gc

    times = []
    for _ in range(repeat):
        # As the commands run (validate, consolidate and the workers pause the cyclic
        # collector): its passes over the corpora this script holds would be measured too.
        with paused_gc():
            began = time.process_time()
            run()
            times.append(time.process_time() - began)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SMSO_BENCH_CACHE", make_inputs.DEFAULT_CACHE)))
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=["read", "rules", "validate", "overview"],
                        help="print a pyinstrument profile of this phase instead")
    args = parser.parse_args(argv)

    import python_calamine

    from smso_xl.base.batch import dumps, loads
    from smso_xl.round.consolidation import consolidate
    from smso_xl.round.overview import write_overview
    from smso_xl.round.validation import validate_file
    from smso_xl.template.config import default_parties, load_regions
    from smso_xl.template.definition import load_templates
    from smso_xl.template.rules import check_workbook
    from smso_xl.template.values import cell_text
    from smso_xl.workbook.reader import read
    from smso_xl.workbook.sniff import sniff

    make_inputs.build(args.cache, "large", os.cpu_count() or 1)
    files = make_inputs.corpus_files(args.cache, "large")[:args.files]
    regions = load_regions(args.cache / f"regions-{make_inputs.LARGE_REGIONS}.yaml")
    templates = load_templates()
    template = templates.newest
    parties = tuple(p.name for p in default_parties())
    known = {r.code for r in regions}
    sheets = {sheet.name: sheet for sheet in template.sheets}  # travel by name, as in workers
    workbooks = [read(path, templates=templates) for path in files]
    # What the command line sends back from a worker: reports without the cells as read, and
    # for validate without the parsed plans.
    reports = [validate_file(path, templates=templates, today=TODAY, known_regions=known,
                             year=None, parties=parties, keep_tables=False) for path in files]
    lean = [validate_file(path, templates=templates, today=TODAY, known_regions=known,
                          year=None, parties=parties, keep_tables=False, keep_plans=False)
            for path in files]
    blobs = [dumps(report, sheets) for report in reports]
    lean_blobs = [dumps(report, sheets) for report in lean]
    result = consolidate(files, regions=regions, today=TODAY, keep_tables=False)
    out = Path(tempfile.mkdtemp(prefix="smso-phases-")) / "oversikt.xlsx"
    # The overview's own cell values, for the writer's floor below.
    write_overview(result, out)
    overview_book = python_calamine.CalamineWorkbook.from_path(str(out))
    overview_grids = {name: overview_book.get_sheet_by_name(name).to_python()
                      for name in overview_book.sheet_names}

    def floor() -> None:
        for path in files:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in DATA_SHEETS:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def touch_floor() -> None:
        """The floor, plus one Python call per non-empty cell (its text, as a validator must
        look at every cell at least once): what any per-cell check in Python starts from."""
        for path in files:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in DATA_SHEETS:
                for values in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
                    for value in values:
                        if value != "":
                            cell_text(value)

    def writer_floor() -> None:
        """The overview's cells written with xlsxwriter and nothing else: no formats, no
        tables, no charts; the least any xlsxwriter-made overview can cost."""
        import xlsxwriter

        book = xlsxwriter.Workbook(str(out.with_name("floor.xlsx")), {
            "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False})
        for name, grid in overview_grids.items():
            sheet = book.add_worksheet(name)
            for row, values in enumerate(grid):
                for col, value in enumerate(values):
                    if value != "":
                        sheet.write(row, col, value)
        book.close()

    def sniffing() -> None:
        for path in files:
            sniff(path)

    phases: dict[str, Callable[[], object]] = {
        "floor": floor,
        "touch-floor": touch_floor,
        "sniff": sniffing,
        "read": lambda: [read(path, templates=templates) for path in files],
        "rules": lambda: [check_workbook(wb, template=template, today=TODAY, parties=parties)
                          for wb in workbooks],
        "validate": lambda: [validate_file(path, templates=templates, today=TODAY,
                                           known_regions=known, year=None, parties=parties)
                             for path in files],
        "transport-validate": lambda: [loads(dumps(report, sheets), sheets)
                                       for report in lean],
        "transport-consolidate": lambda: [loads(dumps(report, sheets), sheets)
                                          for report in reports],
        "overview": lambda: write_overview(result, out),
        "writer-floor": writer_floor,
    }
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        phases[args.profile]()
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        return 0
    per_file = {name: _best(run, args.repeat) / len(files) * 1000
                for name, run in phases.items()}
    floor_ms = per_file["floor"]
    print(f"CPU time per workbook, {len(files)} workbooks of the large corpus, best of "
          f"{args.repeat} (pickled report: validate "
          f"{statistics.mean(map(len, lean_blobs)) / 1024:.0f} KB, consolidate "
          f"{statistics.mean(map(len, blobs)) / 1024:.0f} KB)\n")
    print("| phase | ms per workbook | × floor |")
    print("| --- | --- | --- |")
    for name, ms in per_file.items():
        print(f"| {name} | {ms:.1f} | {ms / floor_ms:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

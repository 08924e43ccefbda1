"""Worker processes (``jobs``): the same reports as one process, in the same order, and a
worker that dies costs one file, not the run (``smso_xl.base.batch``, which validation hands its
function)."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from smso_xl.base import batch
from smso_xl.base.batch import AUTO_MIN_FILES, map_in_workers, resolve_jobs, start_method
from smso_xl.cli.commands import main
from smso_xl.round.consolidation import consolidate
from smso_xl.round.validation import (
    CRASHED,
    FileReport,
    FileSettings,
    crashed_report,
    template_sheets,
    validate,
    validate_with,
)
from smso_xl.template.config import default_parties
from smso_xl.template.definition import Template, load_template, load_templates
from smso_xl.template.rules import Plan
from tests.builders import TODAY, YEAR, clean_plan
from tests.workbooks import make_plan


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five files: three plans (one with mistakes), one not a workbook, one truncated."""
    folder = tmp_path_factory.mktemp("inbox")
    clean_plan(folder, name="a-clean.xlsx")
    make_plan(folder, region="03", name="b-mistakes.xlsx",
              rows={"Tiltak": [{"Tiltak": "Skolebesøk", "Ansvarlig": "?", "Frist": "snart"}]})
    clean_plan(folder, name="c-clean.xlsx", form={"Leder": "Ola Hansen"})
    (folder / "d-not-a-workbook.xlsx").write_text("hei", encoding="utf-8")
    whole = (folder / "a-clean.xlsx").read_bytes()
    (folder / "e-truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    return folder


@pytest.mark.slow  # starts worker processes
def test_reports_are_the_same_in_workers_as_in_one_process(inbox: Path) -> None:
    alone = validate([inbox], today=TODAY, year=YEAR, jobs=1)
    workers = validate([inbox], today=TODAY, year=YEAR, jobs=2)
    assert [f.path.name for f in workers.files] == [f.path.name for f in alone.files]
    assert workers.to_json() == alone.to_json()
    for mine, theirs in zip(workers.files, alone.files, strict=True):
        assert mine.findings == theirs.findings
        assert mine.workbook == theirs.workbook
        assert mine.plan == theirs.plan
    # The tables refer to this process's own template, as in a run in one process.
    tables = workers.files[0].workbook.tables  # type: ignore[union-attr]
    version = workers.files[0].template_version  # the version the file names
    assert tables["Tiltak"].spec is load_template(version).sheet("Tiltak")


@pytest.mark.slow  # starts worker processes
def test_consolidation_is_the_same_in_workers(inbox: Path) -> None:
    alone = consolidate([inbox], today=TODAY, year=YEAR, jobs=1)
    workers = consolidate([inbox], today=TODAY, year=YEAR, jobs=2)
    assert [(s.path.name, s.status) for s in workers.submissions] == [
        (s.path.name, s.status) for s in alone.submissions]
    assert [(s.region.code, s.actions, s.overdue) for s in workers.regions] == [
        (s.region.code, s.actions, s.overdue) for s in alone.regions]
    assert workers.rows("Tiltak") == alone.rows("Tiltak")


@pytest.mark.slow  # starts worker processes
def test_progress_is_told_every_file_in_order(inbox: Path) -> None:
    seen: list[str] = []
    validate([inbox], today=TODAY, year=YEAR, jobs=2, progress=lambda p: seen.append(p.name))
    assert seen == sorted(p.name for p in inbox.iterdir())


def _dies_on_truncated(settings: FileSettings, path: Path) -> FileReport:
    """A worker for the test below: its process is killed, as a Rust abort would kill it."""
    if "truncated" in path.name:
        os.kill(os.getpid(), signal.SIGKILL)
    return validate_with(settings, path)


def _exits(settings: FileSettings, path: Path) -> FileReport:
    os._exit(3)  # a worker that cannot work at all (not killed by a signal)


def _in_workers(func: object, paths: list[Path]) -> list[FileReport]:
    settings = FileSettings(templates=load_templates(), today=TODAY, known_regions={"42", "03"},
                            year=YEAR, parties=tuple(p.name for p in default_parties()))
    return list(map_in_workers(func, paths, jobs=2, context=settings,  # type: ignore[arg-type]
                               crashed=crashed_report, shared=template_sheets))


@pytest.mark.slow  # starts worker processes
def test_a_worker_that_dies_costs_only_its_file(inbox: Path) -> None:
    paths = sorted(inbox.iterdir())
    reports = _in_workers(_dies_on_truncated, paths)
    alone = validate(paths, today=TODAY, year=YEAR, regions=None, jobs=1)
    assert [r.path for r in reports] == paths
    crashed = reports[paths.index(inbox / "e-truncated.xlsx")]
    assert [(f.code, f.cell) for f in crashed.findings] == [("file-unreadable", None)]
    assert CRASHED in crashed.findings[0].message
    others = [r for r in reports if r is not crashed]
    assert [r.to_json() for r in others] == [
        r.to_json() for r in alone.files if r.path.name != "e-truncated.xlsx"]


@pytest.mark.slow  # starts worker processes
def test_workers_that_cannot_run_are_an_error_not_a_finding(inbox: Path) -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        _in_workers(_exits, sorted(inbox.iterdir())[:2])


def _sheet_and_square(template: Template, item: tuple[str, int]) -> tuple[object, int]:
    name, number = item
    return template.sheet(name), number * number


@pytest.mark.slow  # starts worker processes
def test_the_pool_is_a_generic_ordered_map_that_shares_the_context_s_objects() -> None:
    """``map_in_workers`` knows nothing of validation: any function, context and items."""
    template = load_template()
    items = [("Tiltak", 3), ("Mål", 4), ("Risiko", 5)]
    results = list(map_in_workers(_sheet_and_square, items, jobs=2, context=template,
                                  crashed=lambda item: (None, -1),
                                  shared=template_sheets_of))
    assert [number for _, number in results] == [9, 16, 25]
    # Shared objects come back as this process's own, not as copies.
    assert [sheet is template.sheet(name) for (sheet, _), (name, _) in zip(
        results, items, strict=True)] == [True, True, True]
    copies = list(map_in_workers(_sheet_and_square, items[:1], jobs=1, context=template,
                                 crashed=lambda item: (None, -1)))
    assert copies[0][0] == template.sheet("Tiltak")
    assert copies[0][0] is not template.sheet("Tiltak")  # without ``shared``: by value


def template_sheets_of(template: Template) -> dict[str, object]:
    return {sheet.name: sheet for sheet in template.sheets}


def test_auto_uses_workers_only_for_many_files() -> None:
    assert resolve_jobs(None, 3) == 1
    assert resolve_jobs(None, AUTO_MIN_FILES) >= 1
    assert resolve_jobs(4, 2) == 2  # never more workers than files
    assert resolve_jobs(1, 500) == 1


@pytest.mark.slow  # starts worker processes
def test_cli_jobs_gives_the_same_report(inbox: Path) -> None:
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        result = runner.invoke(main, ["validate", str(inbox), "--format", "json", "--jobs",
                                      jobs, "--year", str(YEAR), "--today", TODAY.isoformat()])
        assert result.exit_code == 1, result.output  # the inbox has errors
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1]


@pytest.mark.slow  # starts processes
def test_a_command_forks_its_workers_and_reports_as_one_process(inbox: Path) -> None:
    """pytest-xdist runs threads in this process, so the pools above spawn their workers; a
    command as a user runs it has no other thread and forks them (start_method)."""
    code = "from smso_xl.base.batch import start_method; print(start_method())"
    method = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert method == ("fork" if sys.platform.startswith("linux") else "spawn")
    outputs = []
    for jobs in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "smso_xl", "validate", str(inbox), "--all", "--format", "json",
             "--jobs", jobs, "--year", str(YEAR), "--today", TODAY.isoformat()],
            capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 1, done.stderr[-800:]  # the inbox has errors
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]["files"]) == len(list(inbox.iterdir()))


def test_a_forked_worker_collects_garbage_between_items() -> None:
    """The pool is made while the parent's collector is paused, and a fork inherits that;
    a worker turns it on again, as a spawned one starts with it."""
    gc.disable()
    try:
        batch._init(lambda context, item: item, None, None)
        assert gc.isenabled()
    finally:
        gc.enable()
        batch._worker.clear()


def test_a_process_with_another_thread_spawns_its_workers() -> None:
    """A fork copies another thread's locks as they happen to be held."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method() == "spawn"
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("value", ["0", "-1", "mange"])
def test_cli_jobs_must_be_a_number_or_auto(inbox: Path, value: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(inbox), "--jobs", value])
    assert result.exit_code == 2
    assert "--jobs" in result.output


@pytest.mark.slow  # starts worker processes
def test_consolidate_takes_jobs(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "oversikt.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "--out", str(out), "--jobs",
                                       "2", "--today", dt.date(2026, 6, 1).isoformat()])
    assert result.exit_code == 0, result.output
    assert out.exists()


@pytest.mark.slow  # starts worker processes
def test_reports_without_tables_have_the_same_findings_and_plans(inbox: Path) -> None:
    """The same findings, and plans that show every value the same: without the tables,
    a plan row keeps only what ``PlanRow.shown`` gives (``Plan.drop_cell_facts``)."""
    full = validate([inbox], today=TODAY, year=YEAR)
    lean = validate([inbox], today=TODAY, year=YEAR, keep_tables=False, jobs=2)
    assert lean.to_json() == full.to_json()
    assert [_as_shown(f.plan) for f in lean.files] == [_as_shown(f.plan) for f in full.files]
    assert any(f.plan is not None for f in lean.files)
    kept = [f.workbook for f in lean.files if f.workbook is not None]
    assert kept and all(wb.tables == {} and wb.form is not None for wb in kept)


def _as_shown(plan: Plan | None) -> object:
    """A plan as the overview and the next round see it: the form, and each row's
    values and what it shows."""
    if plan is None:
        return None
    return plan.form, plan.form_texts, {
        sheet: [(row.row, row.values, row.extra,
                 {key: row.shown(key) for key in {*row.values, *row.texts}}) for row in rows]
        for sheet, rows in plan.rows.items()}


@pytest.mark.slow  # starts worker processes
def test_reports_without_plans_have_the_same_findings(inbox: Path) -> None:
    """What ``validate`` on the command line asks its workers for: the findings alone."""
    full = validate([inbox], today=TODAY, year=YEAR)
    findings_only = validate([inbox], today=TODAY, year=YEAR, keep_tables=False,
                             keep_plans=False, jobs=2)
    assert findings_only.to_json() == full.to_json()
    assert all(f.plan is None for f in findings_only.files)
    assert any(f.plan is not None for f in full.files)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux")
def test_a_process_keeps_the_memory_it_frees_for_the_next_file() -> None:
    """keep_freed_memory: the buffers of one file (parts unpacked, joined) are reused for
    the next, not given back to the system and faulted in again page by page."""
    code = """
import resource, sys, zlib
if sys.argv[1] == "keep":
    from smso_xl.base.batch import keep_freed_memory
    keep_freed_memory()
    keep_freed_memory()  # once per process: a second call changes nothing
part = zlib.compress(b'<c r="A1" s="3"><v>12</v></c>' * 40_000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):  # fifty files of five parts each, 1.2 MB a part
    parts = [zlib.decompress(part) for _ in range(5)]
    joined = b"".join(parts)
    del parts, joined
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
    faults = {how: int(subprocess.run([sys.executable, "-c", code, how], capture_output=True,
                                      text=True, check=True).stdout)
              for how in ("default", "keep")}
    assert faults["keep"] * 10 < faults["default"], faults

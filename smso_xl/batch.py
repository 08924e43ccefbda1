"""Many workbooks at once: worker processes (``jobs``) and the cyclic garbage collector.

Reading a workbook is CPU-bound (zip checks, calamine, the rules), so N cores read N files at
once. Each worker validates one file at a time with :func:`validation.validate_file` and sends
back its :class:`FileReport`; the caller gets the reports in the order of ``paths``, exactly as
a run in one process makes them.

A report is thousands of small objects. The command line asks only for what it uses:
``validate`` for the findings (``keep_tables=False, keep_plans=False``), ``consolidate`` for
the parsed plans too (``keep_tables=False``). A template sheet travels by its name, so that
the reports refer to the parent's own template objects, as in a run in one process.

The cyclic garbage collector is paused while a batch runs (:func:`paused_gc`). Reports are
long-lived and hold no reference cycles, so each of its full passes over the growing heap
found nothing, yet took a fifth of a run of 200 workbooks.

A worker also isolates the parser: should calamine abort on a file that no guard in ``sniff``
foresaw, the process dies, not the run. That file is read once more on its own; if its
process dies again, it gets a ``file-unreadable`` finding and the others go on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import io
import os
import pickle
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .findings import finding
from .template import Sheet, load_templates

if TYPE_CHECKING:  # imported where a pool is made: most runs need none, and they cost
    from concurrent.futures import Future, ProcessPoolExecutor

#: ``jobs=None`` ("auto") uses worker processes only from this many files on: below it,
#: starting the workers (~0.3 s each, in parallel) costs more than they save.
AUTO_MIN_FILES = 24
CRASHED = "lesingen stoppet uventet, og filen ble hoppet over"

_settings: dict[str, Any] = {}


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None, files: int) -> int:
    """How many worker processes to use; 1 means none (read in this process). ``None``:
    one per core when there are enough files to pay for starting them."""
    if jobs is None:
        jobs = usable_cores() if files >= AUTO_MIN_FILES else 1
    return max(1, min(jobs, files))


def validate_in_workers(paths: Sequence[Path], *, jobs: int, today: dt.date,
                        known_regions: set[str], year: int | None, parties: Sequence[str],
                        progress: Callable[[Path], None] | None = None,
                        keep_tables: bool = True, keep_plans: bool = True,
                        worker: Callable[[str], bytes] | None = None) -> Iterator[Any]:
    """``validate_file`` for each of ``paths`` in ``jobs`` processes; the reports in order.

    ``worker`` replaces the function run in the workers (tests make one die)."""
    from concurrent.futures.process import BrokenProcessPool

    settings = {"today": today, "known_regions": set(known_regions), "year": year,
                "parties": tuple(parties), "keep_tables": keep_tables,
                "keep_plans": keep_plans}
    run = worker or validate_one
    index = 0
    while index < len(paths):
        pool = _pool(jobs, settings)
        try:
            futures: list[Future[bytes]] = [pool.submit(run, str(p)) for p in paths[index:]]
            for future in futures:
                if progress:
                    progress(paths[index])
                yield _loads(future.result())
                index += 1
            return
        except BrokenProcessPool:
            pass
        finally:  # also when the caller stops early: queued files are not read
            pool.shutdown(wait=True, cancel_futures=True)
        # A worker died: the first file not done may be the cause. Read it alone; the pool
        # is then started again for the rest (a file that is not the cause is read again).
        yield _isolated(paths[index], settings, run)
        index += 1


def _pool(jobs: int, settings: dict[str, Any]) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn": a fresh interpreter per worker, the same on every system, and no fork of a
    # process that may have threads.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init, initargs=(settings,))


def _isolated(path: Path, settings: dict[str, Any], run: Callable[[str], bytes]) -> Any:
    """One file in a process of its own. Only a death by a signal (an abort, a segfault) is
    the file's doing; a worker that cannot start at all is an error, not a finding."""
    import multiprocessing

    from .validation import FileReport

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_run_alone, args=(run, str(path), settings, send))
    process.start()
    send.close()
    try:
        data = receive.recv_bytes()
    except EOFError:  # it died before sending
        data = None
    process.join()
    if data is not None:
        return _loads(data)
    if process.exitcode is not None and process.exitcode < 0:
        return FileReport(path=path, findings=[finding("file-unreadable", file=str(path),
                                                       reason=CRASHED)])
    raise RuntimeError(f"a worker process reading {path} stopped with exit code "
                       f"{process.exitcode}")


def _run_alone(run: Callable[[str], bytes], path: str, settings: dict[str, Any],
               send: Any) -> None:
    _init(settings)
    send.send_bytes(run(path))
    send.close()


def _init(settings: dict[str, Any]) -> None:
    _settings.update(settings)


def validate_one(path: str) -> bytes:
    """In a worker: one file's report, pickled for the trip back."""
    from .validation import validate_file

    with paused_gc():  # as in a run in one process (see the module's docstring)
        report = validate_file(Path(path), templates=load_templates(), **_settings)
        return dumps(report)


# --- the trip back --------------------------------------------------------------------------


def _sheet(sheet: Sheet) -> tuple[Any, ...]:
    version = next((v for v, t in load_templates().versions.items()
                    if any(s is sheet for s in t.sheets)), None)
    if version is None:  # not a shipped sheet: send it whole
        return Sheet, tuple(getattr(sheet, f.name) for f in dataclasses.fields(sheet))
    return template_sheet, (version, sheet.name)


def template_sheet(version: str, name: str) -> Sheet:
    return load_templates().versions[version].sheet(name)


_REDUCTIONS = {Sheet: _sheet}


def dumps(report: object) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCTIONS  # for this pickler only: nothing global changes
    pickler.dump(report)
    return buffer.getvalue()


def _loads(data: bytes) -> Any:
    # Unpickling makes thousands of objects at once, none in a reference cycle: without the
    # collector's passes over them it is three times faster.
    with paused_gc():
        return pickle.loads(data)  # our own workers' output: trusted


@contextlib.contextmanager
def paused_gc() -> Generator[None, None, None]:
    """The cyclic collector off for a block (as it was before, after). Only for blocks that
    make no cyclic garbage of their own, or whose garbage lives no longer than the block's
    result: memory is still freed by reference counting, and cycles at the next pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

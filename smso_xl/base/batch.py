"""Many items at once: a map over worker processes (``jobs``), and the cyclic garbage collector.

:func:`map_in_workers` calls ``func(context, item)`` for each item in ``jobs`` processes and
yields the results in the order of the items, exactly as ``[func(context, i) for i in items]``
in one process would make them. It knows nothing of what the items are: validation hands it
the function, the settings (``context``, sent once to each worker) and what to give back for
an item whose worker died. ``func`` and ``context`` must be picklable (``func`` a module-level
function); the workers are forked from this process where that is safe, else fresh
interpreters (:func:`start_method`).

A result can be thousands of small objects. Objects it shares with the context (a template's
sheets, say) need not make the trip back: ``shared(context)`` names them by key, the same on
both sides, and they travel as their key, so that the results refer to the parent's own
objects, as in a run in one process.

The cyclic garbage collector is paused while a batch runs (:func:`paused_gc`). Results that
are long-lived and hold no reference cycles gain nothing from its full passes over the
growing heap, which took a fifth of a run of 200 workbooks. And a process that reads one
file after another keeps the memory it frees for the next (:func:`keep_freed_memory`).

A worker also isolates what it runs: should a native parser abort on an item, the process
dies, not the run. That item is run once more on its own; if its process dies again, it gets
``crashed(item)`` in its place and the others go on.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import sys
from collections.abc import Callable, Generator, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported where a pool is made: most runs need none, and they cost
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

#: ``jobs=None`` ("auto") uses worker processes only from this many files on: below it,
#: starting the workers (~0.3 s each, in parallel, where they are spawned) costs more than
#: they save. (Forked, two workers made 15 plans 0.03 s faster: too little to count on.)
AUTO_MIN_FILES = 24

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")
Shared = Callable[[Any], Mapping[Hashable, object]]

# In a worker: what it runs, and the objects it shares with the parent.
_worker: dict[str, Any] = {}


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None, files: int) -> int:
    """How many worker processes to use; 1 means none (run in this process). ``None``:
    one per core when there are enough files to pay for starting them."""
    if jobs is None:
        jobs = usable_cores() if files >= AUTO_MIN_FILES else 1
    return max(1, min(jobs, files))


def map_in_workers(func: Callable[[C, T], R], items: Sequence[T], *, jobs: int, context: C,
                   crashed: Callable[[T], R], progress: Callable[[T], None] | None = None,
                   shared: Shared | None = None) -> Iterator[R]:
    """``func(context, item)`` for each of ``items`` in ``jobs`` processes; the results in
    order. ``progress(item)`` is told each item as its result arrives; ``crashed(item)``
    stands in for an item whose process died twice (see the module's docstring)."""
    from concurrent.futures.process import BrokenProcessPool

    setup = (func, context, shared)
    objects = shared(context) if shared else {}
    index = 0
    while index < len(items):
        pool = _pool(jobs, setup)
        try:
            futures: list[Future[bytes]] = [pool.submit(_run, item) for item in items[index:]]
            for future in futures:
                if progress:
                    progress(items[index])
                yield loads(future.result(), objects)
                index += 1
            return
        except BrokenProcessPool:
            pass
        finally:  # also when the caller stops early: queued items are not run
            pool.shutdown(wait=True, cancel_futures=True)
        # A worker died: the first item not done may be the cause. Run it alone; the pool
        # is then started again for the rest (an item that is not the cause is run again).
        yield _isolated(items[index], setup, objects, crashed)
        index += 1


def _pool(jobs: int, setup: tuple[Any, ...]) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = start_method()
    if method == "fork":  # a child would write out a copy of what waits in these buffers
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):  # none, closed
                stream.flush()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                               initializer=_init, initargs=setup)


def start_method() -> str:
    """How workers start. "fork" on Linux when this process runs no other thread: a worker
    then starts with the modules and the settings already in place, a tenth of a second
    sooner than a fresh interpreter that imports them ("spawn"), which is used everywhere
    else: a fork copies another thread's locks as they happen to be held, and macOS's own
    libraries do not survive one. (A ProcessPoolExecutor forks all its workers before it
    starts its own thread.)"""
    import threading

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _isolated(item: T, setup: tuple[Any, ...], objects: Mapping[Hashable, object],
              crashed: Callable[[T], R]) -> R:
    """One item in a process of its own. Only a death by a signal (an abort, a segfault) is
    the item's doing; a worker that cannot start at all is an error, not a result."""
    import multiprocessing

    context = multiprocessing.get_context(start_method())
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_run_alone, args=(setup, item, send))
    process.start()
    send.close()
    try:
        data = receive.recv_bytes()
    except EOFError:  # it died before sending
        data = None
    process.join()
    if data is not None:
        return loads(data, objects)  # type: ignore[no-any-return]
    if process.exitcode is not None and process.exitcode < 0:
        return crashed(item)
    raise RuntimeError(f"a worker process running {item} stopped with exit code "
                       f"{process.exitcode}")


def _run_alone(setup: tuple[Any, ...], item: object, send: Any) -> None:
    _init(*setup)
    send.send_bytes(_run(item))
    send.close()


def _init(func: Callable[[Any, Any], Any], context: object, shared: Shared | None) -> None:
    # A forked worker inherits the parent's paused collector (the pool is made inside
    # paused_gc); between items it runs, as in a spawned one.
    gc.enable()
    keep_freed_memory()
    _worker.update(func=func, context=context, objects=shared(context) if shared else {})


def _run(item: object) -> bytes:
    """In a worker: one item's result, pickled for the trip back."""
    with paused_gc():  # as in a run in one process (see the module's docstring)
        return dumps(_worker["func"](_worker["context"], item), _worker["objects"])


def split_with_helper(calls: Sequence[Callable[[], object]], helper: Executor | None) -> None:
    """Each of ``calls``: every second one in ``helper`` (another process, e.g. the demo's)
    meanwhile and the others here; all here without one. Returns when all are done; a
    helper's error is raised here."""
    theirs = [helper.submit(call) for call in calls[1::2]] if helper else []
    for call in calls[::2] if helper else calls:
        call()
    for future in theirs:
        future.result()


# --- the trip back --------------------------------------------------------------------------


def dumps(result: object, objects: Mapping[Hashable, object]) -> bytes:
    """``result`` pickled, with the ``objects`` it refers to as their keys (:func:`loads`)."""
    keys = {id(obj): key for key, obj in objects.items()}

    def by_key(obj: object) -> tuple[Any, ...]:
        key = keys.get(id(obj))
        if key is None:  # not one of the context's own: by value, as usual
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # type: ignore[return-value]
        return shared_object, (key,)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # For this pickler only, nothing global changes; a table looked up by type costs
    # nothing for the thousands of objects of other types.
    pickler.dispatch_table = {type(obj): by_key for obj in objects.values()}
    pickler.dump(result)
    return buffer.getvalue()


def shared_object(key: Hashable) -> object:
    """Stands in a pickle for an object shared with the context; only :func:`loads` can
    resolve it."""
    raise pickle.UnpicklingError(f"a shared object ({key!r}) outside a batch")


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, objects: Mapping[Hashable, object]) -> None:
        super().__init__(io.BytesIO(data))
        self._objects = objects

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == shared_object.__name__:
            return self._objects.__getitem__  # the parent's own object for each key
        return super().find_class(module, name)


def loads(data: bytes, objects: Mapping[Hashable, object]) -> Any:
    """What :func:`dumps` pickled, the keys replaced by this process's ``objects``."""
    # Unpickling makes thousands of objects at once, none in a reference cycle: without the
    # collector's passes over them it is three times faster.
    with paused_gc():
        return _Unpickler(data, objects).load()  # our own workers' output: trusted


#: glibc's ``mallopt`` parameters (malloc.h) and what this process keeps: freed memory
#: up to KEEP_FREED at the top of the heap, the heap grown by GROW_BY at a time, and blocks
#: up to ON_THE_HEAP (glibc's most) taken from the heap, not mapped and unmapped each time.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
KEEP_FREED, GROW_BY, ON_THE_HEAP = 256 * 1024 * 1024, 64 * 1024 * 1024, 32 * 1024 * 1024
_kept: list[bool] = []


def keep_freed_memory() -> None:
    """Let this process keep the memory it frees, for the next file (Linux with glibc; else
    nothing). glibc gives freed memory at the top of the heap back to the system at once,
    and the next file faults it in again page by page: 200 000 page faults in 200 plans, a
    tenth of reading them. As the variables MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ would
    at start-up; the peak of memory stays what it was. Once per process."""
    if _kept or not sys.platform.startswith("linux"):
        return
    _kept.append(True)
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this interpreter runs on
    except (OSError, AttributeError):  # no such function (not glibc): its defaults then
        return
    mallopt(_M_TRIM_THRESHOLD, KEEP_FREED)
    mallopt(_M_TOP_PAD, GROW_BY)
    # Setting those stops glibc from raising its mapping threshold as it goes: a file's
    # buffers of a megabyte would then be mapped afresh for every file.
    mallopt(_M_MMAP_THRESHOLD, ON_THE_HEAP)


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

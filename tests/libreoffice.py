"""Helpers for driving headless LibreOffice (``soffice``) from tests and scripts.

Public API
----------
``soffice_path()``
    Path of the ``soffice``/``libreoffice`` executable, or ``None``.
``require_soffice()``
    Call at the start of a test (or from a fixture) that needs LibreOffice.
    Returns the executable path.  If LibreOffice is missing the test
    *fails* when the ``CI`` environment variable is set (CI must never
    silently skip these tests) and is *skipped* otherwise (local runs).
``convert(src, out_dir, fmt, *, recalc=False, timeout=180)``
    Re-save ``src`` through LibreOffice as ``fmt`` ("xlsx", "ods", "pdf",
    ...) into ``out_dir`` and return the path of the written file.  With
    ``recalc=True`` LibreOffice is configured to recalculate every formula
    on load, so the cached values in the output are LibreOffice's own.
``sheet_csv_many(srcs, out_dir, sheet, position, *, recalc=False)``
    One sheet of each workbook as CSV, all in one ``soffice`` start.
``require_uno()`` / ``edit_in_libreoffice(jobs, work_dir)``
    Edit workbooks in LibreOffice as a region does, through UNO: ``tests/uno_driver.py``
    runs under the system Python that has LibreOffice's ``uno`` module (Debian
    ``python3-uno``; the project's venv has not), all jobs in one LibreOffice start.
    ``require_uno`` fails under CI and skips locally when that Python lacks ``uno``.
``render_png(src, out_dir, *, dpi=60)``
    Convert ``src`` to PDF and rasterise it with ``pdftoppm``; returns the
    PNG paths (one per page), for humans to look at.

Every LibreOffice gets its own throw-away user profile (and ``HOME``), so
conversions can run in parallel (e.g. pytest-xdist) without colliding on
LibreOffice's profile lock, and never read or modify the user's real
LibreOffice settings.  A start with a fresh profile costs about 2 s on a
2-core machine, more than most conversions.  So when the system Python has
``uno``, every conversion and edit of a test process goes to a LibreOffice
that stays up between them (``tests/uno_driver.py --serve``; two at most, for
callers converting side by side), started at the first and ended when the
process ends; without ``uno``, or with ``SMSO_LIBREOFFICE_SERVER=0``, each call
starts ``soffice --convert-to`` of its own.  A test that runs LibreOffice
must carry the ``libreoffice`` marker: ``check_marked`` fails it otherwise
(conftest.py tells this module which test runs); a fixture that runs it says
so with ``tests.tiers.runs_libreoffice``, and conftest.py marks its tests.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = ["check_marked", "convert", "convert_many", "edit_in_libreoffice", "render_png",
           "require_soffice", "require_uno", "run_jobs", "sheet_csv_many",
           "shutdown", "soffice_path"]

#: The Python with LibreOffice's ``uno`` module: the system one (Debian's python3-uno).
UNO_PYTHON = os.environ.get("SMSO_UNO_PYTHON", "/usr/bin/python3")
_DRIVER = Path(__file__).with_name("uno_driver.py")
#: LibreOffices kept up at once (tests/test_one_truth_libreoffice.py converts in two).
MAX_SERVERS = 2
#: The test being run, set by conftest.py (None outside pytest): see ``check_marked``.
current_test: Any = None

# Output filter per target format.  Formats not listed are passed through
# unchanged, letting LibreOffice pick its default export filter.  No quotes
# around the filter name: we pass argv directly (no shell), and soffice treats
# literal quotes as part of the name ("impl_store ... failed: 0x81a").
_FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
}

# Recalculation modes (officecfg Calc/Formula/Load): 0 = always recalculate,
# 1 = never recalculate (LibreOffice's default for OOXML), 2 = prompt.
# Observed with LibreOffice 7.4: OOXMLRecalcMode is what matters for .xlsx
# input (xlsxwriter files claim Application "Microsoft Excel", so LibreOffice
# trusts their cached values by default).  ODS input came out recalculated
# even with the default ODFRecalcMode; we set it anyway to be explicit.
_RECALC_XCU = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice_path() -> str | None:
    """Return the LibreOffice executable (``soffice`` or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """Return the soffice path, or fail (under CI) / skip (locally) the current test.

    Use it at the top of a test or inside a fixture::

        from tests.libreoffice import require_soffice

        def test_roundtrip(tmp_path):
            require_soffice()
            ...

    With the ``CI`` environment variable set to anything non-empty (other
    than "0"/"false"), a missing LibreOffice is a test *failure*, so CI can
    never go green by silently skipping the LibreOffice checks.
    """
    path = soffice_path()
    if path is not None:
        return path
    _missing("LibreOffice (soffice) not found on PATH; "
             "install it, e.g. `apt-get install libreoffice-calc-nogui`")
    raise AssertionError("unreachable")  # pragma: no cover  (pytest.skip raises)


def _missing(msg: str) -> None:
    """Fail under CI (it must never go green by skipping), skip locally."""
    import pytest

    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{msg} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(msg)


def require_uno() -> str:
    """The Python that can drive LibreOffice over UNO; else fail (CI) or skip (locally)."""
    require_soffice()
    if not _has_uno():
        _missing(f"{UNO_PYTHON} cannot `import uno`; install it, e.g. "
                 "`apt-get install python3-uno`")
    return UNO_PYTHON


@functools.cache
def _has_uno() -> bool:
    try:
        subprocess.run([UNO_PYTHON, "-c", "import uno"], check=True, capture_output=True,
                       timeout=60)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return False
    return True


def check_marked() -> None:
    """Fail the running test unless it is marked ``libreoffice``: the inner loop
    (``-m "not libreoffice and not slow"``) must leave out every test that runs it."""
    item = current_test
    if item is not None and item.get_closest_marker("libreoffice") is None:
        import pytest

        pytest.fail(f"{item.nodeid} runs LibreOffice but is not marked: add "
                    "@pytest.mark.libreoffice (or pytestmark = pytest.mark.libreoffice)",
                    pytrace=False)


def edit_in_libreoffice(jobs: list[dict[str, object]], work_dir: Path, *,
                        timeout: float = 300) -> list[dict[str, object]]:
    """Do every job of ``tests/uno_driver.py`` in this process's LibreOffice; their results.
    (``work_dir`` is kept for callers; the jobs need no file of their own.)"""
    check_marked()
    require_uno()
    work_dir.mkdir(parents=True, exist_ok=True)
    return run_jobs(jobs, timeout=timeout)


# --- the LibreOffice kept up between jobs ------------------------------------------------------


class _Server:
    """``tests/uno_driver.py --serve``: one job a line in, one result a line out."""

    def __init__(self) -> None:
        # What the driver says on stderr, for the error when it dies; lives as long as it.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [UNO_PYTHON, str(_DRIVER), "--serve"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._errors, text=True, encoding="utf-8",
            start_new_session=True)

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, job: dict[str, object], deadline: float) -> dict[str, object]:
        stdin, stdout = self._streams()
        stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = stdout.readline() if ready else ""
        if not line:
            timed_out = not ready
            self.kill()
            self._errors.seek(0)
            errors = self._errors.read().decode("utf-8", "replace")[-4000:]
            what = "timed out" if timed_out else "ended"
            raise RuntimeError(f"the UNO driver {what} on {job.get('src')}:\n{errors}")
        result: dict[str, object] = json.loads(line)
        return result

    def _streams(self) -> tuple[TextIO, TextIO]:
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def close(self) -> None:
        """Let it end its LibreOffice (stdin ends), or end both."""
        with contextlib.suppress(OSError):
            self._streams()[0].close()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
        self._streams()[1].close()
        self._errors.close()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        for stream in self._streams():
            with contextlib.suppress(OSError):
                stream.close()


_idle: list[_Server] = []
_started: list[_Server] = []
_pool = threading.BoundedSemaphore(MAX_SERVERS)
_pool_lock = threading.Lock()


@contextlib.contextmanager
def _server() -> Iterator[_Server]:
    """A LibreOffice of this process's own, for one caller at a time."""
    with _pool:
        with _pool_lock:
            server = None
            while _idle and server is None:
                candidate = _idle.pop()
                server = candidate if candidate.alive else None
            if server is None:
                server = _Server()
                _started.append(server)
        try:
            yield server
        except BaseException:
            server.kill()
            raise
        with _pool_lock:
            _idle.append(server)


def run_jobs(jobs: list[dict[str, object]], *, timeout: float = 300) -> list[dict[str, object]]:
    """Jobs of ``tests/uno_driver.py`` in a LibreOffice that stays up for the next ones."""
    deadline = time.monotonic() + timeout
    with _server() as server:
        return [server.run(job, deadline) for job in jobs]


@atexit.register
def shutdown() -> None:
    """End every LibreOffice this process started (conftest.py calls it when the run ends)."""
    with _pool_lock:
        servers, _started[:], _idle[:] = list(_started), [], []
    for server in servers:
        server.close()


def _served() -> bool:
    return os.environ.get("SMSO_LIBREOFFICE_SERVER", "1") != "0" and _has_uno()


def _run(
    cmd: list[str], *, env: dict[str, str] | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in its own process group; kill the whole group on timeout."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise RuntimeError(
            f"command timed out after {timeout:g}s: {' '.join(cmd)}\n"
            f"stdout:\n{stdout}\nstderr:\n{stderr}"
        ) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def convert_many(srcs: list[Path], out_dir: Path, fmt: str, *, recalc: bool = False,
                 timeout: float = 300) -> list[Path]:
    """:func:`convert` for many files in one LibreOffice start (a start is most of the
    cost); the outputs in the order of ``srcs``. Their stems must differ."""
    if len({Path(s).stem for s in srcs}) != len(srcs):
        raise ValueError("files with the same stem would overwrite each other's output")
    return _convert_all(srcs, out_dir, fmt, recalc=recalc, timeout=timeout)


def sheet_csv_many(srcs: list[Path], out_dir: Path, sheet: str, position: int, *,
                   recalc: bool = False, timeout: float = 300) -> list[Path]:
    """One sheet of each of ``srcs`` as CSV (UTF-8, comma-separated, the cells' values), in
    one LibreOffice start: half the cost of re-saving whole workbooks when a test reads one
    sheet. ``sheet`` is its name, ``position`` its 1-based place among the workbook's sheets
    (LibreOffice picks it by the place and names the output ``<stem>-<sheet>.csv``)."""
    if len({Path(s).stem for s in srcs}) != len(srcs):
        raise ValueError("files with the same stem would overwrite each other's output")
    fmt = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{position}"
    return _convert_all(srcs, out_dir, fmt, recalc=recalc, timeout=timeout,
                        name=lambda source: f"{source.stem}-{sheet}.csv")


def convert(
    src: Path,
    out_dir: Path,
    fmt: str,
    *,
    recalc: bool = False,
    timeout: float = 180,
) -> Path:
    """Convert ``src`` with headless LibreOffice to ``fmt``; return the output path.

    ``fmt`` is a target extension such as "xlsx", "ods" or "pdf" (an explicit
    "ext:Filter Name" string is accepted too).  The output is
    ``out_dir / f"{src.stem}.{ext}"``; ``out_dir`` must differ from
    ``src.parent`` when the extension is unchanged, since LibreOffice would
    overwrite the source.  Any stale output file is removed first.

    ``recalc=True`` makes LibreOffice recalculate all formulas on load (for
    both OOXML and ODF input) instead of trusting the cached values stored
    in the file.  Raises RuntimeError (including soffice's stdout/stderr) if
    soffice is missing, times out, or produces no output file.
    """
    return _convert_all([src], out_dir, fmt, recalc=recalc, timeout=timeout)[0]


def _convert_all(srcs: list[Path], out_dir: Path, fmt: str, *, recalc: bool,
                 timeout: float, name: Callable[[Path], str] | None = None) -> list[Path]:
    check_marked()
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) not found on PATH")
    sources = [Path(s).resolve() for s in srcs]
    out_dir = Path(out_dir).resolve()
    ext = fmt.split(":", 1)[0].lower()
    outs = [out_dir / (name(s) if name else f"{s.stem}.{ext}") for s in sources]
    for source, out in zip(sources, outs, strict=True):
        if not source.is_file():
            raise FileNotFoundError(source)
        if out == source:
            raise ValueError(f"converting {source} to {fmt} into its own directory would "
                             "overwrite it")
        out.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    if _served():
        _convert_served(sources, outs, fmt, recalc=recalc, timeout=timeout)
    else:
        _convert_started(exe, sources, out_dir, outs, fmt, recalc=recalc, timeout=timeout)
    return outs


def _convert_served(sources: list[Path], outs: list[Path], fmt: str, *, recalc: bool,
                    timeout: float) -> None:
    ext, _, rest = fmt.partition(":")
    chosen, _, options = rest.partition(":")
    jobs: list[dict[str, object]] = []
    for source, out in zip(sources, outs, strict=True):
        job: dict[str, object] = {"src": str(source), "out": str(out), "recalc": recalc}
        job.update({"filter": chosen, "options": options} if chosen else {"format": ext})
        jobs.append(job)
    for out, result in zip(outs, run_jobs(jobs, timeout=timeout), strict=True):
        if not out.is_file():
            raise RuntimeError(f"LibreOffice did not produce {out} (as {fmt}): "
                               f"{result.get('error')}")


def _convert_started(exe: str, sources: list[Path], out_dir: Path, outs: list[Path], fmt: str,
                     *, recalc: bool, timeout: float) -> None:
    """The conversion in a ``soffice --convert-to`` of its own."""
    profile = Path(tempfile.mkdtemp(prefix="smso-lo-profile-"))
    try:
        if recalc:
            xcu = profile / "user" / "registrymodifications.xcu"
            xcu.parent.mkdir()
            xcu.write_text(_RECALC_XCU, encoding="utf-8")
        env = dict(os.environ)
        env["HOME"] = str(profile)
        env.pop("DISPLAY", None)  # never try to talk to an X server
        env.pop("WAYLAND_DISPLAY", None)
        cmd = [
            exe,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            _FILTERS.get(fmt, fmt),
            "--outdir",
            str(out_dir),
            *(str(s) for s in sources),
        ]
        result = _run(cmd, env=env, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    for out in outs:
        if not out.is_file():
            raise RuntimeError(
                f"LibreOffice did not produce {out} (exit code {result.returncode})\n"
                f"command: {' '.join(cmd)}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )


def render_png(src: Path, out_dir: Path, *, dpi: int = 60) -> list[Path]:
    """Render ``src`` to PNG images (one per page) in ``out_dir`` via PDF + pdftoppm."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("pdftoppm not found on PATH; install poppler-utils")
    out_dir = Path(out_dir)
    pdf = convert(src, out_dir, "pdf")
    prefix = out_dir / pdf.stem
    pattern = f"{glob.escape(pdf.stem)}-*.png"
    for old in out_dir.glob(pattern):
        old.unlink()
    result = _run(
        [pdftoppm, "-png", "-r", str(dpi), str(pdf), str(prefix)],
        env=None,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pdftoppm failed (exit code {result.returncode}):\n{result.stderr}")
    pngs = sorted(out_dir.glob(pattern))
    if not pngs:
        raise RuntimeError(f"pdftoppm produced no PNG for {pdf}:\n{result.stderr}")
    return pngs

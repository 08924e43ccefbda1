"""Writing output files safely: atomically, never onto an input, with a clear message when
Excel or LibreOffice holds the target open (their lock files ``~$NAME`` and ``.~lock.NAME#``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

#: Temporary outputs are hidden files with this prefix, beside their target.
TEMP_PREFIX = ".~smso-"
#: A temporary output this old was left by a process that was killed (SIGKILL, power loss:
#: no ``finally`` runs); the next write into the same folder removes it.
STALE_TEMP_SECONDS = 3600


def excel_lock_file(path: Path) -> Path:
    """Excel marks an open workbook with '~$name' beside it (the first two letters replaced
    for long names, which we also check)."""
    return path.with_name("~$" + path.name)


def libreoffice_lock_file(path: Path) -> Path:
    """LibreOffice marks an open document with '.~lock.name#' beside it."""
    return path.with_name(f".~lock.{path.name}#")


def open_by(path: Path) -> str | None:
    """The application whose lock file says ``path`` is open ("Excel", "LibreOffice"), or
    None. A lock file left by a crash says so too: the message tells the user to close the
    file, and a user who has none open can delete the lock file."""
    if len(path.name) > 2:
        for lock in (excel_lock_file(path), path.with_name("~$" + path.name[2:])):
            if lock.exists():
                return "Excel"
    if libreoffice_lock_file(path).exists():
        return "LibreOffice"
    return None


def check_writable(path: Path, *, inputs: tuple[Path, ...] = ()) -> None:
    """Raise OutputError when ``path`` is an input, a folder, or open in Excel or LibreOffice."""
    resolved = path.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise OutputError(f"Utfilen {path} er også en innfil. Velg et annet navn; "
                          "innfilene endres aldri.")
    application = open_by(path)
    if application is not None:
        raise OutputError(f"{path.name} er åpen i {application}. Lukk filen og prøv igjen.")
    if path.is_dir():
        raise OutputError(f"{path} er en mappe, ikke en fil.")


@contextlib.contextmanager
def atomic_output(path: Path, *, inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    An exception leaves ``path`` as it was and removes the temporary file, so a reader never
    sees half a workbook; an operating-system error while writing (a full disk) becomes an
    OutputError. A process killed outright leaves only its hidden temporary file, which a
    later write into the folder removes (``STALE_TEMP_SECONDS``)."""
    check_writable(path, inputs=inputs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path.parent)
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"Kan ikke skrive i mappen {path.parent}: {exc.strerror}.") from exc
    tmp = Path(name)
    # mkstemp makes the file private (0600); an output is an ordinary file (umask applies).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        try:
            yield tmp
        except OSError as exc:
            raise OutputError(f"Kan ikke skrive {path.name} ({exc.strerror or exc}); "
                              f"{path.name} er ikke endret.") from exc
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise OutputError(f"Kan ikke skrive {path.name}: filen er låst (åpen i Excel?). "
                              "Lukk den og prøv igjen.") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _remove_stale_temps(folder: Path) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    with contextlib.suppress(OSError):
        for leftover in folder.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(OSError):
                if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                    leftover.unlink()


def unique_paths(paths: list[Path]) -> list[Path]:
    """``paths`` without a file named twice (by its resolved path), in their order."""
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())

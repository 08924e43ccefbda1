"""Writing output files safely: atomically, never onto an input, with a clear message when
Excel or LibreOffice holds the target open (their lock files ``~$NAME`` and ``.~lock.NAME#``)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
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


_FULL = ("Frigjør plass på disken, eller skriv til en annen mappe, og kjør kommandoen "
         "igjen.")
_DENIED = "Velg en mappe du kan skrive i, eller be om skrivetilgang, og kjør kommandoen igjen."
#: What a failed write means and what to do about it, by ``errno``.
_WRITE_ERRORS = {
    errno.ENOSPC: ("disken er full", _FULL),
    errno.EDQUOT: ("lagringskvoten er brukt opp", _FULL),
    errno.EFBIG: ("filen er for stor for disken", _FULL),
    errno.EACCES: ("du har ikke tilgang til å skrive der", _DENIED),
    errno.EPERM: ("du har ikke tilgang til å skrive der", _DENIED),
    errno.EROFS: ("disken er skrivebeskyttet", _DENIED),
    errno.EBUSY: ("filen er i bruk av et annet program", "Lukk den og prøv igjen."),
    errno.ETXTBSY: ("filen er i bruk av et annet program", "Lukk den og prøv igjen."),
}


def os_error_in(exc: BaseException) -> OSError | None:
    """The operating-system error behind ``exc`` — itself, or one it was raised from or
    while handling (xlsxwriter wraps a full disk in its own FileCreateError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _meaning(error: OSError) -> tuple[str, str]:
    return _WRITE_ERRORS.get(error.errno or 0, (
        (error.strerror or str(error)).rstrip("."), "Prøv igjen, eller velg en annen mappe."))


def folder_error_text(error: OSError, folder: Path) -> str:
    """One Norwegian sentence: which folder could not be made or written in, why, what to
    do."""
    what, todo = _meaning(error)
    return f"Kan ikke skrive i mappen {folder}: {what}. Ingenting er skrevet. {todo}"


def write_error_text(error: OSError, path: Path, *, existed: bool = False) -> str:
    """One Norwegian sentence: which file could not be written, why, what to do."""
    what, todo = _meaning(error)
    kept = f" {path.name} som fantes fra før, er ikke endret." if existed else \
        " Ingenting er skrevet halvveis."
    return f"Kan ikke skrive {path.name} i {path.parent}: {what}.{kept} {todo}"


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
        raise OutputError(write_error_text(exc, path, existed=path.exists())) from exc
    tmp = Path(name)
    # mkstemp makes the file private (0600); an output is an ordinary file (umask applies).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        try:
            yield tmp
        except OutputError:
            raise  # (another output's, already told)
        except Exception as exc:
            if (error := os_error_in(exc)) is None:
                raise
            raise OutputError(write_error_text(error, path, existed=path.exists())) from exc
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise OutputError(f"Kan ikke skrive {path.name} i {path.parent}: filen er låst av "
                              "et annet program (åpen i Excel?). Lukk den og prøv igjen."
                              ) from exc
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
    for path, resolved in zip(paths, resolve_each(paths), strict=True):
        unique.setdefault(resolved, path)
    return list(unique.values())


def resolve_each(paths: Iterable[Path]) -> list[Path]:
    """``path.resolve()`` of each of ``paths``, each folder resolved once: a round's files
    share a folder or two, and resolving a path looks up every folder on its way (a tenth
    of a second for a thousand paths)."""
    if os.name != "posix":  # Windows' resolve() also gives each name its case on disk
        return [path.resolve() for path in paths]
    folders: dict[Path, Path] = {}
    resolved = []
    for path in paths:
        if path.name in ("", ".", ".."):
            resolved.append(path.resolve())
            continue
        folder = folders.get(path.parent)
        if folder is None:
            folder = folders[path.parent] = path.parent.resolve()
        candidate = folder / path.name
        try:
            linked = candidate.is_symlink()
        except OSError:  # a folder that may not be searched: resolve() says what it can
            linked = True
        resolved.append(candidate.resolve() if linked else candidate)
    return resolved

"""A full disk, a folder that cannot be written, a file locked by another program (issue
28.7): every command that writes ends in one Norwegian line naming the file and what to do,
exit 2 (1 for ``validate``), and leaves nothing half-written — no traceback.

The faults are made where the operating system would make them: xlsxwriter's own write
(which wraps the OSError in its FileCreateError), openpyxl's save, the temporary file's
creation, and the final rename (Windows refuses it for a file another program holds open).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import xlsxwriter.workbook
from click.testing import CliRunner, Result

from smso_xl.base import fileio
from smso_xl.cli.commands import main
from tests.season import COORDINATOR, agder_inbox, saved_mail
from tests.test_rules import TODAY, clean_plan

TODAY_ARG = TODAY.isoformat()


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args],
                                env={"SMSO_TODAY": None})  # type: ignore[dict-item]
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    return result


def everything(folder: Path) -> list[str]:
    """Every file under ``folder`` (hidden ones too: a temporary file left would show)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) \
        if folder.exists() else []


def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """xlsxwriter cannot store the workbook: «No space left on device» half-way through."""
    def store(book: xlsxwriter.workbook.Workbook) -> None:
        Path(book.filename).write_bytes(b"PK\x03\x04" + bytes(2000))  # half a file
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(book.filename))

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", store)


def locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every final rename refused, as Windows refuses it for a file open in Excel."""
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Access is denied", str(dst))

    monkeypatch.setattr(fileio.os, "replace", refuse)


def read_only_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file can be made in the output folder (as root, chmod would not stop us)."""
    def deny(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(kwargs.get("dir")))

    monkeypatch.setattr(fileio.tempfile, "mkstemp", deny)


def one_line(result: Result, *words: str) -> str:
    """The one error line on stderr, which must hold ``words``."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Feil:")]
    assert len(lines) == 1, result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


def test_generate_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "utsendt"
    disk_full(monkeypatch)
    result = run("generate", *COORDINATOR, "--year", "2027", "--region", "42", "--region",
                 "03", "--out", out)
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive SMSO-handlingsplan-2027-", f"i {out}", "disken er full",
             "Frigjør plass")
    assert everything(out) == []


def test_generate_from_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "innboks"
    inbox.mkdir()
    clean_plan(inbox, name="Agder.xlsx")
    disk_full(monkeypatch)
    out = tmp_path / "runde-2"
    result = run("generate", *COORDINATOR, "--from", inbox, "--region", "42", "--out", out)
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive SMSO-handlingsplan-2026-42-Agder.xlsx", "disken er full")
    assert everything(out) == []


def test_demo_on_a_full_disk_leaves_no_half_demo(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    disk_full(monkeypatch)
    result = run("demo", tmp_path / "demo", "--year", "2027")
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive", "disken er full")
    assert not (tmp_path / "demo").exists()


def test_consolidate_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = agder_inbox(tmp_path)
    disk_full(monkeypatch)
    out = tmp_path / "ut" / "oversikt.xlsx"
    result = run("consolidate", inbox, "--out", out, "--today", TODAY_ARG)
    assert result.exit_code == 2
    one_line(result, f"Kan ikke skrive oversikt.xlsx i {out.parent}", "disken er full",
             "Ingenting er skrevet halvveis")
    assert everything(out.parent) == []


def test_consolidate_into_a_folder_it_cannot_write(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = agder_inbox(tmp_path)
    read_only_folder(monkeypatch)
    out = tmp_path / "ut" / "oversikt.xlsx"
    result = run("consolidate", inbox, "--out", out, "--today", TODAY_ARG)
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive oversikt.xlsx", "du har ikke tilgang til å skrive der",
             "be om skrivetilgang")


def test_generate_over_a_locked_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "utsendt"
    locked(monkeypatch)
    result = run("generate", *COORDINATOR, "--year", "2027", "--region", "42", "--out", out)
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive SMSO-handlingsplan-2027-42-Agder.xlsx", "låst",
             "Lukk den")
    assert everything(out) == []


def test_validate_feedback_and_drafts_on_a_locked_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = agder_inbox(tmp_path, Ansvarlig=None)
    locked(monkeypatch)
    out = tmp_path / "retur"
    result = run("validate", inbox, "--feedback", out, "--drafts", *COORDINATOR,
                 "--today", TODAY_ARG)
    assert result.exit_code == 1
    assert "Ingen tilbakemelding for Agder.xlsx: Kan ikke skrive Agder-tilbakemelding.xlsx" in (
        result.stderr)
    one_line(result, "Kan ikke skrive Agder-tilbakemelding.eml", "låst")
    assert "Tilbakemeldinger: 0 filer skrevet" in result.stdout
    assert everything(out) == []


def test_collect_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mails = tmp_path / "epost"
    saved_mail(mails / "1.eml", clean_plan(tmp_path, name="Agder.xlsx"))
    real = Path.write_bytes

    def full(path: Path, data: bytes) -> int:
        if path.name.startswith(fileio.TEMP_PREFIX):
            real(path, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    into = tmp_path / "innboks"
    result = run("collect", mails, "--into", into)
    assert result.exit_code == 2
    one_line(result, "Kan ikke skrive Agder.xlsx", "disken er full")
    assert everything(into) == []


def test_collect_on_sources_without_mail_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "epost"
    empty.mkdir()
    (empty / "notat.txt").write_text("ingen e-post her", encoding="utf-8")
    result = run("collect", empty, "--into", tmp_path / "innboks")
    assert result.exit_code == 1
    assert "Fant ingen e-postfiler" in result.stdout


def test_write_error_text_names_file_folder_and_what_to_do(tmp_path: Path) -> None:
    text = fileio.write_error_text(OSError(errno.EROFS, "Read-only file system"),
                                   tmp_path / "a.xlsx")
    assert text == (f"Kan ikke skrive a.xlsx i {tmp_path}: disken er skrivebeskyttet. "
                    "Ingenting er skrevet halvveis. Velg en mappe du kan skrive i, eller be "
                    "om skrivetilgang, og kjør kommandoen igjen.")

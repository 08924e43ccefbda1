"""Nothing lost, nothing changed (issue 6, docs/reference.md §4.1 and §7): every command
leaves every input byte for byte as it was, with its modification time; an output is written
whole or not at all, even when the write fails or the process is killed in the middle of it.

The inbox holds what a coordinator really gets: clean and faulty plans, a macro workbook, an
.ods, and every hostile attachment of ``tests/hostile.py``, with an Excel lock file, a hidden
file and a text file beside them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smso_xl.base import fileio
from smso_xl.base.fileio import TEMP_PREFIX, atomic_output
from smso_xl.cli.commands import main
from smso_xl.round import demo
from smso_xl.round.validation import find_workbooks
from smso_xl.template.config import default_regions
from tests.builders import TODAY, clean_plan
from tests.hostile import CASES, ods_cell, ods_file
from tests.workbooks import add_zip_entries, template_copy

#: `generate` needs the coordinator's address (the demo alone has its own).
COORDINATOR = ("--coordinator", "Kari Koordinator <kari@example.no>")

ROOT = Path(__file__).resolve().parent.parent
TODAY_ARG = f"{TODAY:%d.%m.%Y}"
#: Commands this module runs over an inbox; a new command must be added here.
COVERED = {"generate", "validate", "consolidate", "demo", "collect", "compare"}

Snapshot = dict[str, tuple[str, int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every file under ``root``: sha256, size and modification time (ns)."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def unchanged(before: Snapshot, root: Path) -> Snapshot:
    """Assert every file of ``before`` is still there as it was; return the new ones."""
    after = snapshot(root)
    assert {name: after.get(name) for name in before} == before
    return {name: value for name, value in after.items() if name not in before}


def temp_files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob(TEMP_PREFIX + "*")]


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env={"SMSO_TODAY": None})
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture(scope="module")
def inbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inbox = tmp_path_factory.mktemp("innboks")
    clean_plan(inbox, name="Agder.xlsx")
    template_copy(inbox, name="Kopi av Agder (2).xlsx")  # returned blank: errors
    macros = template_copy(inbox, name="Agder-makro.xlsx")
    add_zip_entries(macros, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(508)},
                    target=inbox / "Agder.xlsm")
    macros.unlink()
    ods_file(inbox, "Vestland.ods", f"<table:table-row>{ods_cell('Tiltak')}</table:table-row>")
    for name, case in CASES.items():
        if name == "zip-bomb-lying-header":  # the same bomb again, for test_hostile alone
            continue
        folder = inbox / "vedlegg" / name
        folder.mkdir(parents=True)
        case.build(folder)
    (inbox / "~$Agder.xlsx").write_bytes(b"\x0bKari Nordmann" + bytes(150))  # Excel's lock
    (inbox / ".skjult.xlsx").write_bytes(b"hidden")
    (inbox / "notat.txt").write_text("Husk Agder\n", encoding="utf-8")
    return inbox


@pytest.fixture
def inbox(inbox_template: Path, tmp_path: Path) -> Path:
    """A fresh copy for each test, modification times included."""
    return Path(shutil.copytree(inbox_template, tmp_path / "innboks"))


COMMANDS = {
    "validate": (["validate", "{inbox}", "--today", TODAY_ARG], 1, set()),
    "validate-json": (["validate", "{inbox}", "--format", "json", "--today", TODAY_ARG], 1,
                      set()),
    "validate-feedback-into-inbox": (["validate", "{inbox}", "--feedback", "{inbox}",
                                      "--today", TODAY_ARG], 1, {"-tilbakemelding"}),
    "consolidate": (["consolidate", "{inbox}", "--out", "{out}/oversikt.xlsx", "--today",
                     TODAY_ARG], 0, set()),
    # Into the inbox, twice: the second time the overview is an input, and is refused.
    "consolidate-into-inbox": (["consolidate", "{inbox}", "--out", "{inbox}/oversikt.xlsx",
                                "--today", TODAY_ARG], 0, {"oversikt.xlsx"}),
    "generate-into-inbox": (["generate", *COORDINATOR, "--year", "2026", "--region", "42",
                             "--out", "{inbox}"], 0, {"SMSO-handlingsplan-2026-42-Agder.xlsx"}),
    # Rounds read the same hostile inbox as last round's returns.
    "generate-from": (["generate", *COORDINATOR, "--from", "{inbox}", "--out", "{out}/runde-2"],
                      0, set()),
    "compare": (["compare", "{inbox}", "{inbox}"], 0, set()),
    "consolidate-previous": (["consolidate", "{inbox}", "--out", "{out}/oversikt.xlsx",
                              "--previous", "{inbox}", "--today", TODAY_ARG], 0, set()),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_leaves_every_input_unchanged(inbox: Path, tmp_path: Path,
                                              command: str) -> None:
    args, exit_code, new_in_inbox = COMMANDS[command]
    out = tmp_path / "ut"
    argv = [a.format(inbox=inbox, out=out) for a in args]
    before = snapshot(inbox)
    assert run(*argv).exit_code == exit_code
    created = unchanged(before, inbox)
    assert all(any(part in name for part in new_in_inbox) for name in created), created
    assert bool(created) == bool(new_in_inbox)
    if command == "consolidate-into-inbox":  # again: the overview is an input now
        again = snapshot(inbox)
        second = run(*argv)
        assert second.exit_code == 2 and "også en innfil" in second.output
        unchanged(again, inbox)
    assert temp_files(inbox, out) == []


@pytest.mark.slow
def test_feedback_never_writes_over_last_rounds_copy(inbox: Path) -> None:
    """The second round's inbox holds the first round's copy: a new copy gets a new name."""
    agder = inbox / "Agder.xlsx"
    assert run("validate", agder, "--feedback", inbox, "--today", TODAY_ARG).exit_code == 0
    first = inbox / "Agder-tilbakemelding.xlsx"
    before = snapshot(inbox)
    assert run("validate", agder, first, "--feedback", inbox, "--today",
               TODAY_ARG).exit_code == 0
    # Both want Agder-tilbakemelding.xlsx (a copy's copy is named once), which is taken.
    assert sorted(unchanged(before, inbox)) == ["Agder-tilbakemelding-2.xlsx",
                                               "Agder-tilbakemelding-3.xlsx"]


@pytest.mark.slow
def test_generate_never_writes_over_a_file_in_its_folder(inbox: Path) -> None:
    taken = inbox / "SMSO-handlingsplan-2026-42-Agder.xlsx"
    shutil.copy2(inbox / "Agder.xlsx", taken)
    before = snapshot(inbox)
    result = run("generate", *COORDINATOR, "--year", "2026", "--region", "42", "--region", "03",
                 "--out", inbox)
    assert result.exit_code == 0 and "finnes fra før, beholdt" in result.output
    assert list(unchanged(before, inbox)) == ["SMSO-handlingsplan-2026-03-Oslo.xlsx"]


@pytest.mark.slow
def test_demo_leaves_its_inbox_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's own round, cut to two regions so that it runs in seconds (one answers
    twice, one sends a cut-off file): the inbox is recorded when checking starts and
    compared when the overview has been written."""
    regions = [r for r in default_regions() if r.code in (demo.BROKEN_REGION,
                                                         demo.CORRECTED_REGION)]
    monkeypatch.setattr(demo, "default_regions", lambda: regions)
    monkeypatch.setattr(demo, "SCENARIOS", {demo.CORRECTED_REGION: ("missing_responsible",)})
    recorded: dict[str, Snapshot] = {}
    folder = tmp_path / "demo"

    def progress(message: str) -> None:
        if message.startswith("Kontrollerer"):
            recorded["inbox"] = snapshot(folder / "2-innboks")

    result = demo.run_demo(folder, year=2026, progress=progress)
    assert len(recorded["inbox"]) == 3
    assert unchanged(recorded["inbox"], result.inbox) == {}
    assert result.overview.exists() and temp_files(folder) == []


def test_collect_leaves_the_saved_mails_unchanged(inbox: Path, tmp_path: Path) -> None:
    mails = tmp_path / "epost"
    mails.mkdir()
    for path in [inbox / "Agder.xlsx", *sorted((inbox / "vedlegg").rglob("*.xls*"))]:
        message = EmailMessage()
        message["From"], message["To"] = "agder@example.no", "koordinator@example.no"
        message["Subject"] = f"Handlingsplan {path.name}"
        message.set_content("Vedlagt.")
        message.add_attachment(path.read_bytes(), maintype="application",
                               subtype="octet-stream", filename=path.name)
        (mails / f"{path.stem}.eml").write_bytes(bytes(message))
    before = snapshot(mails)
    result = run("collect", mails, "--into", tmp_path / "samlet")
    assert result.exit_code in (0, 1)
    assert unchanged(before, mails) == {}
    assert temp_files(mails, tmp_path / "samlet") == []


def test_every_command_is_covered() -> None:
    assert set(main.commands) <= COVERED, "run the new command over the inbox in this module"


# --- a write that fails or is killed half-way --------------------------------------------------


def half_then_disk_full(target: str | os.PathLike[str]) -> None:
    Path(target).write_bytes(b"PK\x03\x04" + bytes(5000))
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.slow
def test_failed_overview_write_keeps_the_old_overview(inbox: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter.workbook

    out = tmp_path / "ut" / "oversikt.xlsx"
    assert run("consolidate", inbox, "--out", out, "--today", TODAY_ARG).exit_code == 0
    old = out.read_bytes()
    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "close",
                        lambda book: half_then_disk_full(book.filename))
    result = run("consolidate", inbox, "--out", out, "--today", TODAY_ARG)
    assert result.exit_code == 2
    assert "Kan ikke skrive oversikt.xlsx" in result.output and "ikke endret" in result.output
    assert out.read_bytes() == old
    assert sorted(p.name for p in out.parent.iterdir()) == ["oversikt.xlsx"]


def test_failed_feedback_write_leaves_no_copy(inbox: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.workbook.workbook

    monkeypatch.setattr(openpyxl.workbook.workbook.Workbook, "save",
                        lambda book, target: half_then_disk_full(target))
    out = tmp_path / "retur"
    result = run("validate", inbox / "Agder.xlsx", "--feedback", out, "--today", TODAY_ARG)
    assert result.exit_code == 1  # a clean plan, but its copy could not be written
    assert "Kan ikke skrive Agder-tilbakemelding.xlsx" in result.stderr
    assert "Tilbakemeldinger: 0 filer skrevet" in result.stdout and "1 ikke skrevet" in (
        result.stdout)
    assert not out.exists() or list(out.iterdir()) == []


def test_failed_generate_leaves_only_whole_workbooks(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from smso_xl.round import generator

    real = generator.write_plan
    calls: list[Path] = []

    def second_fails(path: Path, ctx: object) -> None:
        calls.append(path)
        if len(calls) == 2:
            half_then_disk_full(path)
        real(path, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(generator, "write_plan", second_fails)
    out = tmp_path / "utsendt"
    result = run("generate", *COORDINATOR, "--year", "2026", "--region", "03", "--region", "42",
                 "--region", "46", "--out", out)
    assert result.exit_code == 2 and "Ingenting er skrevet halvveis" in result.output
    assert sorted(p.name for p in out.iterdir()) == []  # all or nothing: none is put in place


KILLED_WRITER = """
import sys, time
from pathlib import Path
from smso_xl.base.fileio import atomic_output
with atomic_output(Path(sys.argv[1])) as tmp, tmp.open("wb") as out:
    for block in range(100_000):
        out.write(b"PK" * 512 * 1024)
        out.flush()
        if block == 3:
            print("writing", flush=True)
        time.sleep(0.005)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_mid_write_leaves_the_target_whole(tmp_path: Path) -> None:
    """SIGKILL runs no cleanup: the target is untouched, the half-written temporary file is
    hidden (never taken for an input) and the next write into the folder removes it."""
    target = tmp_path / "oversikt.xlsx"
    target.write_bytes(b"the previous overview")
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    with child.stdout:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert target.read_bytes() == b"the previous overview"
    (leftover,) = temp_files(tmp_path)
    assert leftover.stat().st_size > 1024 * 1024
    assert find_workbooks([tmp_path]) == [target]
    stale = time.time() - fileio.STALE_TEMP_SECONDS - 60
    os.utime(leftover, (stale, stale))
    with atomic_output(tmp_path / "neste.xlsx") as tmp:
        tmp.write_bytes(b"ok")
    assert temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neste.xlsx", "oversikt.xlsx"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_generate_leaves_only_whole_workbooks(tmp_path: Path) -> None:
    out = tmp_path / "utsendt"
    child = subprocess.Popen([sys.executable, "-m", "smso_xl", "generate", *COORDINATOR,
                              "--year", "2026", "--out", str(out)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not find_workbooks([out] if out.exists() else []):
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    visible = find_workbooks([out])  # what a later validate would take: no hidden files
    assert 1 <= len(visible) <= 15  # all are put in place at the end, within microseconds
    assert all(p.name.startswith(TEMP_PREFIX) for p in out.iterdir() if p not in visible)
    for path in visible:
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None


def test_each_path_resolves_as_path_resolve_does(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file named twice (through a link, a linked folder, a relative path, "..") is one
    file to validate, however it is written: each folder is resolved once for speed."""
    real = tmp_path / "ekte"
    real.mkdir()
    plan = real / "plan.xlsx"
    plan.write_bytes(b"x")
    (tmp_path / "lenke.xlsx").symlink_to(plan)
    (tmp_path / "mappe").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    paths = [plan, tmp_path / "lenke.xlsx", tmp_path / "mappe" / "plan.xlsx",
             Path("ekte/plan.xlsx"), Path("mappe/../ekte/plan.xlsx"), Path("ekte/.."),
             tmp_path / "mangler.xlsx"]
    assert fileio.resolve_each(paths) == [path.resolve() for path in paths]
    assert fileio.unique_paths(paths) == [plan, Path("ekte/.."), tmp_path / "mangler.xlsx"]

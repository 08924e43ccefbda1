"""Shared fixtures: the template definition, generated workbooks with a fixed identity and the
real Outlook ``.msg`` beside the checkout; and the hooks that keep the markers true (README,
Contributing).

- A test that runs LibreOffice must be marked ``libreoffice``: tests/libreoffice.py fails
  it otherwise (this file tells it which test runs), so the inner loop
  ``-m "not libreoffice and not slow"`` can never start LibreOffice by surprise. A test
  gets the markers of the fixtures it uses (``tests.tiers``: ``@runs_libreoffice``,
  ``@takes_seconds``).
- A test that takes seconds should be marked ``slow``: the run ends with a list of those
  that took more than ``SLOW_SECONDS`` unmarked (a list to read, not a failure: timings on
  a shared machine vary).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from smso_xl.round.generator import generate
from smso_xl.template.config import Region, Settings, default_regions
from smso_xl.template.definition import Template, load_template
from tests import libreoffice
from tests.tiers import MARKS_ATTRIBUTE, runs_libreoffice

#: An unmarked test that takes longer than this (setup and call) is listed at the end.
SLOW_SECONDS = 2.0

#: The generation time and file id of every workbook the fixtures make, so tests can
#: assert the identity values exactly.
FIXED_NOW = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
FIXED_FILE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PLAN_YEAR = 2026
#: A real Outlook mail (two .tif attachments, no workbook) in ``shared/`` beside the checkout.
OUTLOOK_MSG = (Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mail"
               / "outlook-two-tif-attachments.msg")


@dataclass(frozen=True)
class Fixed:
    now: dt.datetime = FIXED_NOW
    file_id: str = FIXED_FILE_ID
    year: int = PLAN_YEAR


@pytest.fixture(scope="session")
def fixed() -> Fixed:
    """The plan year, generation time and file id the fixtures' workbooks carry."""
    return Fixed()


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template()


@pytest.fixture
def generate_plan(tmp_path: Path) -> Callable[..., Path]:
    """Generate one region's workbook (plan year 2026, fixed time and id) into ``tmp_path``."""

    def make(code: str = "42", *, regions: Sequence[Region] | None = None,
             out_dir: Path | None = None, file_id: str = FIXED_FILE_ID,
             settings: Settings | None = None, force: bool = False) -> Path:
        result = generate(
            regions=regions or default_regions(), region_codes=[code], year=PLAN_YEAR,
            out_dir=out_dir or tmp_path / "plans", force=force, settings=settings,
            now=FIXED_NOW, new_file_id=lambda: file_id,
        )
        (generated,) = result.files
        return generated.path

    return make


@pytest.fixture(scope="session")
def agder_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Agder's blank 2026 workbook, generated once. Read it; never modify it."""
    result = generate(
        regions=default_regions(), region_codes=["42"], year=PLAN_YEAR,
        out_dir=tmp_path_factory.mktemp("agder"), now=FIXED_NOW,
        new_file_id=lambda: FIXED_FILE_ID,
    )
    return result.files[0].path


@pytest.fixture(scope="session")
def agder_book(agder_plan: Path) -> OpenpyxlWorkbook:
    """``agder_plan`` opened once with openpyxl (loading takes a moment). Read only."""
    return openpyxl.load_workbook(agder_plan)


@pytest.fixture(scope="module")
def outlook_msg() -> Path:
    """The real Outlook file beside the checkout; missing is a failure under CI."""
    if not OUTLOOK_MSG.is_file():
        message = f"{OUTLOOK_MSG} is missing (shared/ must lie beside the checkout)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{message}; CI is set, so this is a failure, not a skip",
                        pytrace=False)
        pytest.skip(message)
    return OUTLOOK_MSG


@pytest.fixture(scope="session")
@runs_libreoffice
def libreoffice_edits(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The ``UNO_SCENARIOS`` of every collected test module, done in real LibreOffice in ONE
    start (a start costs more than all the edits): scenario name → the driver's result, with
    ``"out"`` the saved file. A scenario is ``(make_base(folder) -> Path, edits, format)``."""
    from tests.libreoffice import edit_in_libreoffice, require_uno

    require_uno()
    folder = tmp_path_factory.mktemp("libreoffice-edits")
    modules = {item.module for item in request.session.items
               if hasattr(item.module, "UNO_SCENARIOS")}
    jobs, names = [], []
    for module in sorted(modules, key=lambda m: m.__name__):
        for name, (make_base, edits, fmt) in module.UNO_SCENARIOS.items():
            base = folder / "base" / name
            base.mkdir(parents=True)
            jobs.append({"src": str(make_base(base)), "out": str(folder / f"{name}.{fmt}"),
                         "format": fmt, "edits": edits})
            names.append(name)
    results = edit_in_libreoffice(jobs, folder / "work")
    return {name: {**result, "out": Path(str(result["out"]))}
            for name, result in zip(names, results, strict=True)}


# --- the markers ------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each test the markers of the fixtures it uses (tests/tiers.py)."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info is not None else ()
        names = {name for defs in definitions for d in defs
                 for name in getattr(d.func, MARKS_ATTRIBUTE, ())}
        for name in sorted(names):
            item.add_marker(getattr(pytest.mark, name))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    # From setup (where module and session fixtures start LibreOffice) to teardown.
    libreoffice.current_test = item
    try:
        yield
    finally:
        libreoffice.current_test = None


_unmarked_slow: list[tuple[float, str]] = []
_setup_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "slow" in report.keywords or "libreoffice" in report.keywords:
        return
    if report.when == "setup":
        _setup_seconds[report.nodeid] = report.duration
    elif report.when == "call":
        took = report.duration + _setup_seconds.pop(report.nodeid, 0.0)
        if took > SLOW_SECONDS:
            _unmarked_slow.append((took, report.nodeid))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unmarked_slow:
        terminalreporter.section("slow tests without the slow marker")
        for took, nodeid in sorted(_unmarked_slow, reverse=True):
            terminalreporter.write_line(f"{took:6.1f}s {nodeid}")


def pytest_sessionfinish() -> None:
    libreoffice.shutdown()  # the LibreOffices the tests kept up

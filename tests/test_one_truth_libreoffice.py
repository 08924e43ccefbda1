"""One truth (issue 12, docs/reference.md §5.7): the workbook's Sjekk and ``validate`` agree.

Over 200 returned plans — the tool's own workbook, one per template version, filled and
broken by ``tests/planting.py`` with a fixed seed: every fault kind alone and in
combinations — are recalculated in headless LibreOffice. For each plan:

- every Sjekk count equals the number of the validator's findings that its check counts
  (``Check.codes`` on ``Check.sheet``, in ``Check.columns`` or any column when empty);
- «Klar til innsending» says Ja exactly when the validator finds no error.

The validator reads the planted file, which is what the region's spreadsheet saved: the
cells as typed, with stale cached results, as Excel leaves them for a viewer that never
recalculates. LibreOffice computes Sjekk from those same cells. (Whether a LibreOffice
re-save reads back the same is tests/test_roundtrip_libreoffice.py's question.) The plans
are written in two LibreOffice starts of one sheet each, as CSV, while the validator runs:
re-saving 200 whole workbooks costs twice as long.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from smso_xl.base.findings import ERROR, Finding
from smso_xl.round.generator import generate
from smso_xl.round.validation import validate
from smso_xl.template.config import default_regions
from smso_xl.template.definition import Template, load_template
from smso_xl.workbook import selfcheck
from tests.libreoffice import require_soffice, sheet_csv_many
from tests.planting import FAULTS, Base, PlantedPlan, planted_plans
from tests.tiers import runs_libreoffice

SEED = 20261201
PLANS = 200
YEAR = 2026
TODAY = dt.date(YEAR, 1, 2)
NOW = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
VERSIONS = ("1", "2", "3")
FIRST_CHECK_ROW = 5  # Sjekk: verdict, explanation, legend, header, then one check per row
BATCHES = 2          # LibreOffice starts, run side by side


@dataclass
class Sjekk:
    rows: list[tuple[str, str, str]]  # (sheet, label, count as LibreOffice shows it)
    ready: str


@dataclass
class Planted:
    plans: list[PlantedPlan]
    paths: list[Path]
    templates: dict[str, Template]
    bases: dict[str, Base]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """The plans, written: one generated workbook per template version, planted into."""
    root = tmp_path_factory.mktemp("one-truth")
    templates = {version: load_template(version) for version in VERSIONS}
    bases = {}
    for version, template in templates.items():
        result = generate(regions=default_regions(), region_codes=["42"], year=YEAR,
                          out_dir=root / f"v{version}", now=NOW,
                          new_file_id=lambda: "one-truth", template=template)
        bases[version] = Base.of(result.files[0].path, template)
    plans = planted_plans([templates[v] for v in VERSIONS], PLANS, SEED)
    (root / "plans").mkdir()
    paths = [bases[p.version].write(p.edits, root / "plans" / f"{p.name}.xlsx") for p in plans]
    return Planted(plans, paths, templates, bases)


@pytest.fixture(scope="module")
def findings(planted: Planted) -> list[list[Finding]]:
    """The validator's findings, plan by plan."""
    report = validate(planted.paths, today=TODAY, jobs=1, keep_tables=False, keep_plans=False)
    assert [f.path for f in report.files] == planted.paths
    return [f.findings for f in report.files]


@pytest.fixture(scope="module")
@runs_libreoffice
def sjekk(planted: Planted, request: pytest.FixtureRequest) -> list[Sjekk]:
    """Each plan's Sjekk as LibreOffice recalculates it (the validator runs meanwhile)."""
    require_soffice()
    template = planted.templates[VERSIONS[-1]]
    check_sheet = next(s for s in template.sheets if s.type == "check")
    position = [s.name for s in template.sheets].index(check_sheet.name) + 1
    assert all(t.sheets[position - 1].name == check_sheet.name
               for t in planted.templates.values())
    out = planted.paths[0].parent.parent / "lo"
    batches = [planted.paths[i::BATCHES] for i in range(BATCHES)]
    with ThreadPoolExecutor(BATCHES) as pool:
        futures = [pool.submit(sheet_csv_many, batch, out, check_sheet.name, position,
                               recalc=True, timeout=600) for batch in batches]
        request.getfixturevalue("findings")
        csvs = {path: csv_ for batch, future in zip(batches, futures, strict=True)
                for path, csv_ in zip(batch, future.result(), strict=True)}
    return [_read_sjekk(csvs[path]) for path in planted.paths]


def _read_sjekk(path: Path) -> Sjekk:
    """The check rows (from row 5 to the first without a sheet), and «Klar til innsending»:
    the verdict in the top row, first and large."""
    with path.open(encoding="utf-8", newline="") as handle:
        every = [[*line, "", "", ""][:3] for line in csv.reader(handle)]
    lines = every[FIRST_CHECK_ROW - 1:]
    rows: list[tuple[str, str, str]] = []
    while lines and lines[0][0]:
        sheet, label, count = lines.pop(0)
        rows.append((sheet, label, count))
    label, _, ready = every[0]
    assert label == "Klar til innsending:", every[0]
    return Sjekk(rows, ready)


def _checks(planted: Planted, version: str) -> list[selfcheck.Check]:
    template, base = planted.templates[version], planted.bases[version]
    checks = selfcheck.all_checks(template, base.table_rows, template.period(YEAR))
    for check in checks:
        for attribute in ("codes", "columns"):
            if not hasattr(check, attribute):
                pytest.fail(f"selfcheck.Check has no `{attribute}` (issue 12, point 1): the "
                            f"invariant needs to know which findings «{check.sheet}: "
                            f"{check.label}» counts", pytrace=False)
    return checks


def _counted(check: selfcheck.Check, findings: Sequence[Finding]) -> list[Finding]:
    """The validator's findings that ``check`` counts."""
    codes, columns = check.codes, check.columns  # type: ignore[attr-defined]
    return [f for f in findings if f.code in codes and f.sheet == check.sheet
            and (not columns or f.column in columns)]


def _shown(found: Sequence[Finding]) -> str:
    return ", ".join(f"{f.code}@{f.cell}={f.value!r}" for f in found[:6]) or "none"


# --- the invariant ---------------------------------------------------------------------------


def test_every_sjekk_count_equals_the_findings_it_counts(
        planted: Planted, findings: list[list[Finding]], sjekk: list[Sjekk]) -> None:
    checks = {version: _checks(planted, version) for version in VERSIONS}
    disagreements: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for plan, found, shown in zip(planted.plans, findings, sjekk, strict=True):
        expected = checks[plan.version]
        assert [(s, label) for s, label, _ in shown.rows] == [
            (c.sheet, c.label) for c in expected], (
            f"{plan}: the Sjekk rows are not selfcheck.all_checks in order")
        for check, (_, _, count) in zip(expected, shown.rows, strict=True):
            counted = _counted(check, found)
            # a grouped finding (a blank Parter sheet) stands for each of its cells
            number = sum(len(f.every_cell) or 1 for f in counted)
            if count != str(number):
                disagreements[(plan.version, check.sheet, check.label)].append(
                    f"{plan}: Sjekk {count}, validate {number} ({_shown(counted)})")
    assert not disagreements, f"seed {SEED}:\n" + "\n".join(
        f"v{version} «{sheet}: {label}» disagrees in {len(cases)} of {len(planted.plans)} "
        f"plans, e.g.\n    " + "\n    ".join(cases[:3])
        for (version, sheet, label), cases in sorted(disagreements.items()))


def test_ready_to_send_exactly_when_the_validator_finds_no_error(
        planted: Planted, findings: list[list[Finding]], sjekk: list[Sjekk]) -> None:
    yes, no = planted.templates[VERSIONS[-1]].yes_no
    wrong = []
    for plan, found, shown in zip(planted.plans, findings, sjekk, strict=True):
        errors = [f for f in found if f.severity == ERROR]
        if shown.ready != (no if errors else yes):
            wrong.append(f"{plan}: Klar til innsending {shown.ready!r}, validate "
                         f"{len(errors)} errors ({_shown(errors)})")
    ready = sum(1 for s in sjekk if s.ready == yes)
    assert not wrong, (f"seed {SEED}: {len(wrong)} of {len(sjekk)} plans disagree:\n"
                       + "\n".join(wrong[:12]))
    assert 0 < ready < len(sjekk), "the plans must include some that are ready and some not"


def test_every_check_counts_something_in_some_plan_and_nothing_in_another(
        planted: Planted, sjekk: list[Sjekk]) -> None:
    """No check is left untried: the faults reach every rule Sjekk counts (in a plan of
    either version; most checks are the same in both)."""
    seen: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for shown in sjekk:
        for sheet, label, count in shown.rows:
            seen[(sheet, label)].add(count not in ("0", ""))
    untried = [key for key, hit in sorted(seen.items()) if hit != {True, False}]
    assert not untried, f"checks that never count (or always count) something: {untried}"


# --- the plans themselves --------------------------------------------------------------------


@pytest.mark.slow  # the 200 plans are planted once for the module
def test_the_planted_faults_are_found_by_the_validator(
        planted: Planted, findings: list[list[Finding]]) -> None:
    """So the invariant cannot hold by counting nothing on both sides."""
    missed, clean = [], 0
    for plan, found in zip(planted.plans, findings, strict=True):
        if not plan.faults:
            clean += 1
            assert not [f for f in found if f.severity != "info"], (
                f"{plan}: a clean plan has findings: {_shown(found)}")
        for fault in plan.faults:
            codes = {f.code for f in found if f.sheet == fault.sheet and f.cell == fault.cell}
            if fault.codes and not codes & fault.codes:
                missed.append(f"{plan}: {fault} expected {sorted(fault.codes)}, found "
                              f"{sorted(codes) or 'nothing'}")
    assert not missed, "\n".join(missed[:20])
    assert clean >= 2
    assert sum(1 for found in findings if any(f.severity == ERROR for f in found)) > PLANS // 2


@pytest.mark.slow  # the 200 plans are planted once for the module
def test_every_fault_kind_is_planted_alone_and_in_combinations(planted: Planted) -> None:
    assert len(planted.plans) >= 200
    alone = Counter(p.faults[0].kind for p in planted.plans if len(p.faults) == 1)
    combined = Counter(f.kind for p in planted.plans if len(p.faults) > 1 for f in p.faults)
    for kind in FAULTS:
        assert alone[kind] >= 2, f"{kind} alone in {alone[kind]} plans"
        assert combined[kind] >= 2, f"{kind} with other faults in {combined[kind]} plans"
    assert {len(p.faults) for p in planted.plans} == {0, 1, 2, 3, 4}
    assert {p.version for p in planted.plans} == set(VERSIONS)


@pytest.mark.slow  # the 200 plans are planted once for the module
def test_a_planted_plan_changes_only_the_sheets_it_edits(planted: Planted) -> None:
    """What LibreOffice and the validator read is the generated workbook plus the typed
    cells: every other part byte for byte, and each edited sheet well-formed XML."""
    plan = max(planted.plans, key=lambda p: len(p.faults))
    base = planted.bases[plan.version]
    with zipfile.ZipFile(planted.paths[planted.plans.index(plan)]) as written:
        parts = {info.filename: written.read(info) for info in written.infolist()}
    assert list(parts) == [info.filename for info, _ in base.parts]
    edited = {base.sheet_parts[name] for name in plan.edits}
    for info, raw in base.parts:
        if info.filename in edited:
            ElementTree.fromstring(parts[info.filename])  # raises on malformed XML
            assert parts[info.filename] != raw
        else:
            assert parts[info.filename] == raw, info.filename

"""Tests for the headless-LibreOffice helper in tests/libreoffice.py."""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

try:
    from tests import libreoffice as lo
except ImportError:  # tests/ itself on sys.path (pytest rootdir-less import)
    import libreoffice as lo  # type: ignore[no-redef]


def _stale_formula_workbook(path: Path) -> Path:
    """xlsx whose formula cells carry xlsxwriter's default cached value 0."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_formula("A1", "=1+1")  # cached <v>0</v>
    ws.write_number("A2", 5)
    ws.write_formula("A3", "=A2*3")  # cached <v>0</v>
    wb.close()
    return path


def _cached_values(path: Path) -> list[object]:
    ws = openpyxl.load_workbook(path, data_only=True)["Sheet1"]
    return [ws["A1"].value, ws["A2"].value, ws["A3"].value]


#: Both ways the helper runs LibreOffice: the one kept up for the test run (``uno`` there),
#: and a ``soffice --convert-to`` of its own per call.
WAYS = [pytest.param("1", id="served"), pytest.param("0", id="started")]


@pytest.fixture(params=WAYS)
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SMSO_LIBREOFFICE_SERVER", request.param)
    if request.param == "1":
        lo.require_uno()
    return str(request.param)


@pytest.mark.libreoffice
def test_recalc_true_makes_libreoffice_recalculate(tmp_path: Path, way: str) -> None:
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "stale.xlsx")
    assert _cached_values(src) == [0, 5, 0]

    out = lo.convert(src, tmp_path / "out", "xlsx", recalc=True)

    assert out == (tmp_path / "out" / "stale.xlsx").resolve()
    assert _cached_values(out) == [2, 5, 15]
    # formulas survive the round trip
    ws = openpyxl.load_workbook(out)["Sheet1"]
    assert ws["A1"].value == "=1+1"
    assert ws["A3"].value == "=A2*3"


@pytest.mark.libreoffice
def test_recalc_false_keeps_cached_values(tmp_path: Path, way: str) -> None:
    # LibreOffice's default OOXMLRecalcMode is "never": it trusts the cached
    # values, so without recalc=True stale values pass through unchanged.
    # This is what makes the recalc=True test above meaningful.
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "stale.xlsx")

    out = lo.convert(src, tmp_path / "out", "xlsx")

    assert _cached_values(out) == [0, 5, 0]


@pytest.mark.libreoffice
def test_convert_to_ods_and_pdf(tmp_path: Path, way: str) -> None:
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "book.xlsx")

    ods = lo.convert(src, tmp_path / "ods", "ods", recalc=True)
    pdf = lo.convert(src, tmp_path / "pdf", "pdf")

    assert ods.name == "book.ods"
    with zipfile.ZipFile(ods) as zf:
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert b'table:formula="of:=1+1"' in zf.read("content.xml")
    assert pdf.name == "book.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.libreoffice
def test_render_png(tmp_path: Path) -> None:
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "book.xlsx")

    pngs = lo.render_png(src, tmp_path / "png", dpi=30)

    assert pngs
    for png in pngs:
        assert png.suffix == ".png"
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.libreoffice
def test_parallel_conversions_do_not_collide(tmp_path: Path, way: str) -> None:
    lo.require_soffice()
    srcs = [_stale_formula_workbook(tmp_path / f"book{i}.xlsx") for i in range(3)]

    with ThreadPoolExecutor(max_workers=len(srcs)) as pool:
        outs = list(pool.map(lambda s: lo.convert(s, tmp_path / "out", "xlsx", recalc=True), srcs))

    assert [o.name for o in outs] == ["book0.xlsx", "book1.xlsx", "book2.xlsx"]
    for out in outs:
        assert _cached_values(out) == [2, 5, 15]


@pytest.mark.libreoffice
def test_convert_failure_raises_runtime_error(tmp_path: Path, way: str) -> None:
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "book.xlsx")

    with pytest.raises(RuntimeError, match="did not produce"):
        lo.convert(src, tmp_path / "out", "nosuchformat")


@pytest.mark.libreoffice
def test_convert_refuses_to_overwrite_source(tmp_path: Path) -> None:
    lo.require_soffice()
    src = _stale_formula_workbook(tmp_path / "book.xlsx")

    with pytest.raises(ValueError, match="overwrite"):
        lo.convert(src, tmp_path, "xlsx")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_require_soffice_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setattr(lo, "soffice_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="soffice"):
        lo.require_soffice()


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_require_soffice_skips_locally(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    monkeypatch.setattr(lo, "soffice_path", lambda: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="soffice"):
        lo.require_soffice()


def test_require_soffice_returns_path_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lo, "soffice_path", lambda: "/usr/bin/soffice")
    monkeypatch.setenv("CI", "true")
    assert lo.require_soffice() == "/usr/bin/soffice"


@pytest.mark.libreoffice
def test_one_libreoffice_serves_every_conversion(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSO_LIBREOFFICE_SERVER", "1")
    lo.require_uno()
    src = _stale_formula_workbook(tmp_path / "book.xlsx")
    lo.convert(src, tmp_path / "first", "xlsx")
    started = list(lo._started)
    assert started  # the premise: the conversion went to a LibreOffice kept up
    csv_ = lo.sheet_csv_many([src], tmp_path / "csv", "Sheet1", 1, recalc=True)
    ods = lo.convert(src, tmp_path / "ods", "ods")
    assert lo._started == started  # no LibreOffice more for the next conversions
    assert csv_[0].read_text(encoding="utf-8").splitlines() == ["2", "5", "15"]
    assert ods.is_file()


def test_a_test_that_runs_libreoffice_unmarked_fails(tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    # This test has no libreoffice marker: the helper stops it before LibreOffice starts.
    assert request.node.get_closest_marker("libreoffice") is None
    assert lo.current_test is request.node
    src = _stale_formula_workbook(tmp_path / "book.xlsx")
    with pytest.raises(pytest.fail.Exception, match="not marked"):
        lo.convert(src, tmp_path / "out", "xlsx")
    with pytest.raises(pytest.fail.Exception, match="not marked"):
        lo.edit_in_libreoffice([], tmp_path / "work")
    assert not (tmp_path / "out").exists()

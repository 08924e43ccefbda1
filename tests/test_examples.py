"""The examples are made by the project's own code and never go stale: rebuild and compare."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _builder():  # examples/ is not a package: load the script as a module
    spec = importlib.util.spec_from_file_location("make_examples",
                                                  EXAMPLES / "make_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _values(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's cell values (hidden sheets too): what a reader of the file sees."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names}


@pytest.mark.slow
def test_examples_are_up_to_date(tmp_path: Path) -> None:
    written = _builder().build(tmp_path)
    committed = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*")
                       if p.is_file() and p.suffix in (".xlsx", ".txt"))
    assert written == committed, "run: python examples/make_examples.py"
    for relative in written:
        fresh, stored = tmp_path / relative, EXAMPLES / relative
        if relative.suffix == ".txt":
            assert fresh.read_text(encoding="utf-8") == stored.read_text(encoding="utf-8")
        else:
            assert _values(fresh) == _values(stored), f"{relative} changed: rebuild examples"


def test_the_example_inbox_shows_the_typical_mistakes() -> None:
    report = (EXAMPLES / "rapport.txt").read_text(encoding="utf-8")
    # The console leads with the message (the codes are for --verbose and JSON).
    for words in ("er ikke en dato", "mangler ansvarlig", "er ikke en person",
                  "mangler risikoreduserende tiltak"):
        assert words in report

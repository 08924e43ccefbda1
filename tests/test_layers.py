"""Layers point one way: no import cycle, and no folder of the package imports a later one.

Every import in ``smso_xl/`` counts, wherever it stands: at the top, inside a function (a
lazy import is still a dependency), and under ``if TYPE_CHECKING:`` (a type named from above
means the lower module knows the higher one; give it a Protocol or move the type down
instead). The order is ``smso_xl.LAYERS``, written out in the docstring of
``smso_xl/__init__.py``; a module outside the folders fails the test, and so does a folder
not placed in the order, so a new one is placed on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import smso_xl

PACKAGE = "smso_xl"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: Lowest first: the package itself ("" — it holds ``__version__`` and imports nothing), then
#: its folders in the order ``smso_xl.LAYERS`` gives, then ``__main__``. A name stands for
#: ``smso_xl.<name>`` and every module in it.
LAYERS: tuple[tuple[str, ...], ...] = (("",), *((name,) for name in smso_xl.LAYERS),
                                       ("__main__",))

Graph = Mapping[str, set[str]]


# --- reading the imports ----------------------------------------------------------------------


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, *, is_package: bool, known: Iterable[str]) -> set[str]:
    """The modules of the package that ``source`` imports, anywhere in it."""
    known = set(known)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {_nearest(alias.name, known) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                # ``from . import reader`` imports a module; ``from . import __version__`` a name.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else _nearest(base, known))
    return {name for name in found if name and name != module}


def _nearest(name: str, known: set[str]) -> str:
    """The module itself, or the package of the package that holds it; "" when outside."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    return {name: imports_of(path.read_text(encoding="utf-8"), name,
                             is_package=path.name == "__init__.py", known=files)
            for name, path in files.items()}


# --- checking them ----------------------------------------------------------------------------


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as the modules along it (first = last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    relative = module.removeprefix(PACKAGE).removeprefix(".")
    for index, names in enumerate(layers):
        for name in names:
            if relative == name or (name and relative.startswith(name + ".")):
                return index
    return None


def upward_imports(graph: Graph,
                   layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[tuple[str, str]]:
    """Imports of a module from a higher layer than its own."""
    return sorted((source, target) for source, targets in graph.items() for target in targets
                  if (layer_of(target, layers) or 0) > (layer_of(source, layers) or 0))


# --- the package -------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    graph = package_graph()
    assert len(graph) > 30  # the premise: the walk found the package
    assert [name for name in graph if layer_of(name) is None] == []


def test_the_package_has_no_import_cycle() -> None:
    assert find_cycle(package_graph()) is None


def test_no_module_imports_from_a_higher_layer() -> None:
    assert upward_imports(package_graph()) == []


def test_the_process_pool_knows_nothing_of_what_it_runs() -> None:
    assert package_graph()[f"{PACKAGE}.base.batch"] == set()


def test_the_folders_are_the_layers_and_are_written_down() -> None:
    folders = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert folders == set(smso_xl.LAYERS)
    assert sorted(path.name for path in ROOT.glob("*.py")) == ["__init__.py", "__main__.py"]
    docstring = ast.get_docstring(ast.parse((ROOT / "__init__.py").read_text("utf-8"))) or ""
    for number, name in enumerate(smso_xl.LAYERS, start=1):
        assert f"{number}. ``{name}``" in docstring, name
    for folder in smso_xl.LAYERS:  # each folder says what it offers: every module named
        init = ast.get_docstring(ast.parse((ROOT / folder / "__init__.py").read_text("utf-8")))
        for module in sorted((ROOT / folder).glob("*.py")):
            if module.name != "__init__.py":
                assert f"``{module.stem}``" in (init or ""), (folder, module.stem)


# --- the checker can fail -------------------------------------------------------------------------


def test_a_planted_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_a_planted_upward_import_is_found() -> None:
    layers = (("low",), ("high", "pkg"))
    graph = {f"{PACKAGE}.low": {f"{PACKAGE}.pkg.inner"}, f"{PACKAGE}.high": {f"{PACKAGE}.low"},
             f"{PACKAGE}.pkg.inner": set()}
    assert upward_imports(graph, layers) == [(f"{PACKAGE}.low", f"{PACKAGE}.pkg.inner")]


def test_imports_in_functions_and_for_type_checking_count(tmp_path: Path) -> None:
    source = '''
from typing import TYPE_CHECKING
from . import cells, __version__
from .mail.drafts import plan_draft
if TYPE_CHECKING:
    from .validation import FileReport
def later():
    from .frames import build_frames
    import smso_xl.overview
'''
    known = {PACKAGE, f"{PACKAGE}.cells", f"{PACKAGE}.mail", f"{PACKAGE}.mail.drafts",
             f"{PACKAGE}.validation", f"{PACKAGE}.frames", f"{PACKAGE}.overview",
             f"{PACKAGE}.reader"}
    found = imports_of(source, f"{PACKAGE}.reader", is_package=False, known=known)
    assert found == {PACKAGE, f"{PACKAGE}.cells", f"{PACKAGE}.mail.drafts",
                     f"{PACKAGE}.validation", f"{PACKAGE}.frames", f"{PACKAGE}.overview"}
    inner = imports_of("from ..fileio import x\nfrom . import drafts\n", f"{PACKAGE}.mail",
                       is_package=True, known={f"{PACKAGE}.fileio", f"{PACKAGE}.mail.drafts"})
    assert inner == {f"{PACKAGE}.fileio", f"{PACKAGE}.mail.drafts"}

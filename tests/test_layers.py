"""Layers point one way (STYLE §5b): no import cycle, and no layer imports one above it.

Every import in ``smso_xl/`` counts, wherever it stands: at the top, inside a function (a
lazy import is still a dependency), and under ``if TYPE_CHECKING:`` (a type named from above
means the lower module knows the higher one; give it a Protocol or move the type down
instead). The order is the one in the docstring of ``smso_xl/__init__.py``; a module not
placed in it fails the test, so a new module is placed on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "smso_xl"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: Lowest first. A name stands for ``smso_xl.<name>`` and, for a subpackage, every module in
#: it; "" is the package itself (it holds ``__version__`` and imports nothing).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("", "template", "values", "cells", "findings", "model", "errors", "fileio", "formats",
     "provenance", "batch", "prefill"),                                    # 0 base
    ("sniff", "reader", "kinds", "rules", "selfcheck", "config", "writer", "fill"),  # 1
    ("validation", "feedback", "consolidation", "frames", "overview", "generator",
     "compare", "rounds"),                                                 # 2
    ("mail",),                                                             # 3 e-mail
    ("demo",),                                                             # 4
    ("render", "docs"),                                                    # 5 text
    ("cli", "clitext", "__main__"),                                                   # 6
)

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


def test_validation_and_the_generator_do_not_know_the_mail_package() -> None:
    graph = package_graph()
    for module in ("validation", "consolidation", "feedback", "generator", "batch"):
        assert not {t for t in graph[f"{PACKAGE}.{module}"] if t.startswith(f"{PACKAGE}.mail")}
    assert graph[f"{PACKAGE}.batch"] == set()  # the pool knows nothing of what it runs


def test_the_layers_are_written_down_in_the_package_docstring() -> None:
    docstring = ast.get_docstring(ast.parse((ROOT / "__init__.py").read_text("utf-8"))) or ""
    for index, names in enumerate(LAYERS):
        line = next(line for line in docstring.splitlines() if line.startswith(f"{index}. "))
        block = docstring[docstring.index(line):].split(f"\n{index + 1}. ")[0]
        for name in names:
            assert f"``{name or '__version__'}``" in block, (index, name)


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

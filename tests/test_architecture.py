"""The package's import graph: no cycles, and the layering of ARCHITECTURE.md.

Imports are read with ``ast`` from the source (module level and function level alike: a lazy import
inside a function still ties the two modules together), so the test needs nothing imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lawfit"

# Layers that stay free of I/O and presentation (ARCHITECTURE.md, "Rules that keep the layers clean").
PURE_LAYERS = ("lawfit.schedules", "lawfit.laws", "lawfit.fitting")
FORBIDDEN_IN_PURE = ("lawfit.io", "lawfit.datasets", "lawfit.cli", "lawfit.plot", "pandas", "plotly",
                     "streamlit")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imported_names(module: str, path: Path) -> set[str]:
    """Absolute dotted names of everything ``module`` imports, at any nesting level."""
    names = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # ``from pkg import submodule`` imports the submodule
                full = f"{source}.{alias.name}"
                names.add(full if _to_module(full) == full else source)
    return names


def _to_module(name: str) -> str | None:
    """The lawfit module a dotted name lives in (None outside lawfit)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        targets = {_to_module(n) for n in _imported_names(module, path)}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_cycle_finder_finds_a_known_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_sees_lazy_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from lawfit.io import read\n    import pandas\n")
    assert {"lawfit.io", "pandas"} <= _imported_names("lawfit.m", src)


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles in lawfit/ (break each one):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


@pytest.mark.parametrize("layer", PURE_LAYERS)
def test_pure_layers_import_no_io_or_presentation(layer):
    offenders = []
    for module, path in MODULES.items():
        if not _is_within(module, layer):
            continue
        for name in sorted(_imported_names(module, path)):
            if any(_is_within(name, bad) for bad in FORBIDDEN_IN_PURE):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)

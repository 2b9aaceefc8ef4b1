"""The house: every module's imports point down the layers, never up, and no two modules import each other
in a cycle. Also: the public calls are importable from the package, and every package folder ships."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest
from kd_testutil import REPO

import kotaku_decide

PKG = REPO / "kotaku_decide"
#: lower number = earlier in the flow; a module may import its own layer and the ones below
LAYERS = {"_version": 0, "embedded": 0, "notebooks": 0, "data": 0, "score": 1, "rank": 2, "allocate": 3,
          "progress": 3.5, "national": 3.7, "evidence": 4, "hearing": 5, "cli": 6, "__main__": 6}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute kotaku_decide module names imported anywhere in a file (function-level imports included)."""
    mod = _module_name(path)
    is_pkg = path.name == "__init__.py"
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[: len(base) - (node.level - 1)]
                target = ".".join(root + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("kotaku_decide"):
                out.add(target)
                for a in node.names:  # 'from . import figures' imports a module
                    cand = f"{target}.{a.name}"
                    if (PKG.parent / cand.replace(".", "/")).with_suffix(".py").exists() or \
                            (PKG.parent / cand.replace(".", "/") / "__init__.py").exists():
                        out.add(cand)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("kotaku_decide")}
    return out


def _graph() -> dict[str, set[str]]:
    g = {}
    for p in sorted(PKG.rglob("*.py")):
        g[_module_name(p)] = _imports(p)
    for p in sorted((REPO / "data").glob("*.py")) + sorted((REPO / "notebooks").glob("*.py")):
        pass  # data files and their generator: not part of the layered code
    return g


def _layer(mod: str) -> int | None:
    parts = mod.split(".")
    if len(parts) == 1:
        return None  # the package facade (kotaku_decide/__init__.py) re-exports, lazily
    return LAYERS[parts[1]]


def test_every_subpackage_has_a_layer():
    tops = {p.name for p in PKG.iterdir() if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    tops = {t.removesuffix(".py") for t in tops} - {"__init__"}
    assert tops <= set(LAYERS), f"give these a layer in tests/test_layers.py: {sorted(tops - set(LAYERS))}"


def test_imports_point_down_the_layers():
    bad = []
    for mod, targets in _graph().items():
        lm = _layer(mod)
        if lm is None:
            continue
        for t in targets:
            lt = _layer(t)
            if lt is None:
                bad.append(f"{mod} imports the package facade {t} (import the defining module instead)")
            elif lt > lm:
                bad.append(f"{mod} (layer {mod.split('.')[1]}) imports {t} (layer {t.split('.')[1]})")
    assert not bad, "backward arrows:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    g = _graph()
    # edges between modules only (a package's __init__ importing its own modules is not a cycle partner)
    edges = {m: {t for t in ts if t in g and t != m} for m, ts in g.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if m.startswith(t + ".") or t.startswith(m + "."):
                continue  # a module and its own package
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("name", [n for n in kotaku_decide.__all__ if n != "__version__"])
def test_public_calls_are_importable_from_the_package(name):
    assert callable(getattr(kotaku_decide, name))


def test_every_package_folder_is_listed_for_the_wheel():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {_module_name(p) for p in PKG.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    for pkg in listed:
        importlib.import_module(pkg)

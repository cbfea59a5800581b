"""The package layout is its architecture: wings by concern, each importing only those below it.

Read from the sources with :mod:`ast` (nothing is imported), so lazy imports inside functions and
``TYPE_CHECKING`` imports count too, and so does a module named in a string (the package root's
table of lazy names, ``importlib.import_module``): a circle that only works because an import is
deferred is still a circle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import otel_product_events

PACKAGE = "otel_product_events"
ROOT = Path(otel_product_events.__file__).parent

#: Each wing with its floor: a module may import its own wing and any wing on a lower floor.
FLOORS: dict[str, int] = {
    "ground": 0,      # version, errors, semconv, attributes, config, guard, ids, env variables
    "privacy": 1,
    "catalog": 2,
    "pipeline": 3,
    "instrument": 4,
    "auto": 5,
    "report": 5,
    "testing": 6,
    "roof": 7,        # __init__ (re-exports only) and cli (the command dispatcher)
}
ROOF = {PACKAGE, f"{PACKAGE}.cli"}


def module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing_of(module: str) -> str:
    if module in ROOF:
        return "roof"
    parts = module.split(".")
    if len(parts) > 2 or (ROOT / parts[1]).is_dir():
        return parts[1]
    return "ground"


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's own modules that ``module`` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import name": name may be a submodule or an attribute of pkg.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        elif isinstance(node, ast.Constant) and node.value in known and node.value != PACKAGE:
            names = [node.value]  # imported by name, later (the bare root name is a logger's)
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith(PACKAGE) and name != module:
                yield name


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    known = set(modules)
    return {module: set(imports_of(module, path, known)) for module, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a wing on the same floor or above (a wing's own modules are always fine)."""
    return [f"{module} ({wing_of(module)}) imports {target} ({wing_of(target)})"
            for module, targets in sorted(graph.items()) for target in sorted(targets)
            if wing_of(target) != wing_of(module)
            and FLOORS[wing_of(target)] >= FLOORS[wing_of(module)]]


def test_the_package_has_no_import_circle() -> None:
    assert circles(import_graph()) == []


def test_no_wing_imports_a_wing_above_it_or_beside_it() -> None:
    assert upward_imports(import_graph()) == []


def test_the_package_root_holds_at_most_a_dozen_modules() -> None:
    assert len(list(ROOT.glob("*.py"))) <= 12


def test_every_wing_says_what_it_is_for_and_what_it_may_import() -> None:
    for wing in FLOORS:
        init = ROOT / wing / "__init__.py"
        if wing in ("ground", "roof"):
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(docstring.splitlines()) >= 3, wing
        assert "import" in docstring.lower(), f"{wing}/__init__.py does not say what it may import"


#: The package root's only functions: PEP 562's, and the emit a signal handler gets while the
#: public names are being imported.
ROOT_FUNCTIONS = ("__getattr__", "__dir__", "_emit_later")


def test_the_package_root_only_re_exports() -> None:
    """Imports, the table of lazy names, ``__all__``, and the lazy import's functions."""
    tree = ast.parse((ROOT / "__init__.py").read_text())
    for node in tree.body:
        inner = node.body if isinstance(node, ast.If) else [node]
        for statement in inner:
            assert isinstance(statement, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign
                              | ast.Expr) or (isinstance(statement, ast.FunctionDef)
                                              and statement.name in ROOT_FUNCTIONS), (
                f"line {statement.lineno}: {type(statement).__name__} in __init__.py")


def test_the_package_roots_lazy_names_are_the_ones_type_checkers_see() -> None:
    """Each name of the root is imported on first use (PEP 562): the table doing it names
    exactly the modules of the ``TYPE_CHECKING`` imports that mypy and editors read."""
    tree = ast.parse((ROOT / "__init__.py").read_text())
    checked = {alias.name: node.module for block in tree.body if isinstance(block, ast.If)
               for node in block.body if isinstance(node, ast.ImportFrom)
               for alias in node.names}
    assert checked == otel_product_events._LAZY
    assert sorted(otel_product_events.__all__) == sorted([*checked, "__version__"])


def test_importing_the_package_imports_nothing_else_until_a_name_is_used() -> None:
    done = subprocess.run([sys.executable, "-c", """
import sys
import otel_product_events as pe
before = sorted(m for m in sys.modules if m.startswith("otel_product_events"))
same = all(getattr(pe, name) is getattr(sys.modules[module], name)
           for name, module in pe._LAZY.items())
print(before, same)
"""], capture_output=True, text=True, check=True)
    assert done.stdout.split() == \
        ["['otel_product_events',", "'otel_product_events.version']", "True"]


def test_a_module_named_in_a_string_counts_as_imported(tmp_path: Path) -> None:
    source = tmp_path / "lazy.py"
    source.write_text('import importlib\nimportlib.import_module("otel_product_events.report")\n')
    known = set(package_modules())
    assert list(imports_of(f"{PACKAGE}.privacy.lazy", source, known)) == [f"{PACKAGE}.report"]


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
])
def test_the_circle_finder_finds_circles(graph: dict[str, set[str]],
                                         expected: list[list[str]]) -> None:
    assert circles(graph) == expected


def test_the_floor_check_flags_an_upward_import() -> None:
    graph = {f"{PACKAGE}.privacy.consent": {f"{PACKAGE}.instrument.api"},
             f"{PACKAGE}.auto.hooks": {f"{PACKAGE}.report.store"},
             f"{PACKAGE}.instrument.api": {f"{PACKAGE}.privacy.consent", f"{PACKAGE}.guard"}}
    assert upward_imports(graph) == [
        f"{PACKAGE}.auto.hooks (auto) imports {PACKAGE}.report.store (report)",
        f"{PACKAGE}.privacy.consent (privacy) imports {PACKAGE}.instrument.api (instrument)",
    ]

"""Reading a host application's sources for ``catalog check``, without importing any of them.

* :func:`find_files` lists the Python and ``*.env`` files under the given paths, skipping
  virtualenvs, ``site-packages`` and hidden directories.
* :func:`uses_in` finds, with :mod:`ast`, the calls of ``track``, ``track_lifecycle`` and
  ``emit`` of this library (``pe.track``, ``otel_product_events.emit``, an imported ``track``),
  with their event name and attribute keys when those are literals. A module-level dict
  constant (``INCIDENT = {...}``, spread with ``**INCIDENT``) counts as literal.
* :func:`env_targets` finds ``OTEL_PRODUCT_EVENTS_TRACK=`` lines in ``.env`` files.
* :class:`ModuleIndex` maps dotted module names to the scanned files, to check targets.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from otel_product_events import environment_variables as ev

PACKAGE: Final = "otel_product_events"
#: What each API function is called with: (event-name keyword, attributes position).
API: Final = {"track": ("event_name", None), "emit": ("event_name", 1),
              "track_lifecycle": ("name", None)}
#: Never scanned, besides hidden directories and virtualenvs (any directory with pyvenv.cfg).
SKIPPED_DIRS: Final = frozenset({"site-packages", "node_modules", "__pycache__"})


@dataclass(frozen=True, slots=True)
class Use:
    """One call that sends an event. ``event`` is None when the name is not a literal;
    ``keys`` holds the literal attribute keys (None: no ``attributes`` given) and
    ``dynamic`` describes attributes that are not literal ("" when all are)."""

    file: str
    line: int
    function: str
    event: str | None
    event_source: str
    keys: tuple[str, ...] | None
    dynamic: str


def find_files(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """(Python files, env files) under ``paths``, sorted; raises FileNotFoundError."""
    python: list[str] = []
    env: list[str] = []
    for path in paths:
        if os.path.isfile(path):
            (env if path.endswith(".env") else python).append(os.path.normpath(path))
            continue
        if not os.path.isdir(path):
            raise FileNotFoundError(f"{path}: no such file or directory")
        for directory, subdirs, files in os.walk(path):
            subdirs[:] = sorted(d for d in subdirs if not _skipped(os.path.join(directory, d)))
            for name in sorted(files):
                file = os.path.normpath(os.path.join(directory, name))
                if name.endswith(".py"):
                    python.append(file)
                elif name.endswith(".env"):
                    env.append(file)
    return sorted(set(python)), sorted(set(env))


def _skipped(directory: str) -> bool:
    name = os.path.basename(directory)
    return (name.startswith(".") or name in SKIPPED_DIRS
            or os.path.isfile(os.path.join(directory, "pyvenv.cfg")))


class ModuleIndex:
    """Dotted module names of the scanned files: by their packages (directories holding an
    ``__init__.py``) and relative to each scanned directory (src layouts, namespace
    packages)."""

    def __init__(self, roots: Sequence[str], files: Sequence[str]) -> None:
        self.files: dict[str, str] = {}
        self.packages: set[str] = set()
        for file in files:
            for name in _module_names(file, roots):
                self.files.setdefault(name, file)
                parts = name.split(".")
                self.packages.update(".".join(parts[:i]) for i in range(1, len(parts)))


def _module_names(file: str, roots: Sequence[str]) -> set[str]:
    path = Path(file).resolve()
    parts = [] if path.name == "__init__.py" else [path.stem]
    parent = path.parent
    while (parent / "__init__.py").is_file() and parent != parent.parent:
        parts.insert(0, parent.name)
        parent = parent.parent
    names = {".".join(parts)} if parts else set()
    for root in roots:
        try:
            relative = path.relative_to(Path(root).resolve())
        except ValueError:
            continue
        pieces = [*relative.parent.parts, *([] if path.name == "__init__.py" else [path.stem])]
        if pieces:
            names.add(".".join(pieces))
    return {name for name in names if all(p.isidentifier() for p in name.split("."))}


def defines(tree: ast.Module, qualname: str) -> bool:
    """Whether ``qualname`` (``f``, ``Class.method``) is bound in the module; a name bound by
    anything other than a class (an import, an assignment) is taken as defining the rest."""
    scope: list[ast.stmt] = tree.body
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        node = _binding(scope, part)
        if node is None:
            return False
        if index == len(parts) - 1 or not isinstance(node, ast.ClassDef):
            return True
        scope = node.body
    return True


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a module or class body, including those inside if/try/with blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.Try, ast.With)):
            handlers = getattr(statement, "handlers", [])
            for block in (statement.body, getattr(statement, "orelse", []),
                          getattr(statement, "finalbody", []), *(h.body for h in handlers)):
                yield from _statements(block)


def _binding(body: list[ast.stmt], name: str) -> ast.stmt | None:
    for node in _statements(body):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == name:
                return node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    return node
    return None


class _Imports:
    """Which local names mean this library, or one of its API functions."""

    def __init__(self, tree: ast.Module) -> None:
        self.modules: set[str] = set()
        self.functions: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                        self.modules.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                    node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
                for alias in node.names:
                    if alias.name in API:
                        self.functions[alias.asname or alias.name] = alias.name

    def resolve(self, function: ast.expr) -> str | None:
        """``"track"``, ``"emit"`` or ``"track_lifecycle"`` when ``function`` is ours."""
        if isinstance(function, ast.Name):
            return self.functions.get(function.id)
        if isinstance(function, ast.Attribute) and function.attr in API:
            root = function.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self.modules:
                return function.attr
        return None


def _constants(tree: ast.Module) -> dict[str, ast.Dict]:
    """Module-level names bound exactly once, to a dict literal, and never changed in place
    at module level (``NAME[key] = ...``, ``NAME |= ...``)."""
    found: dict[str, ast.Dict | None] = {}
    for node in _statements(tree.body):
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
            value = node.value if isinstance(node, ast.AnnAssign) else None
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Subscript):
                target = target.value
            if isinstance(target, ast.Name):
                first = target.id not in found and isinstance(value, ast.Dict)
                found[target.id] = value if first and isinstance(value, ast.Dict) else None
    return {name: value for name, value in found.items() if value is not None}


def _keys(node: ast.expr, constants: dict[str, ast.Dict], depth: int = 0
          ) -> tuple[list[str], list[str]]:
    """(literal keys, descriptions of what is not literal) of an attributes expression."""
    if isinstance(node, ast.Name) and node.id in constants and depth < 8:
        return _keys(constants[node.id], constants, depth + 1)
    if isinstance(node, ast.Constant) and node.value is None:
        return [], []
    if not isinstance(node, ast.Dict):
        return [], [ast.unparse(node)]
    keys: list[str] = []
    dynamic: list[str] = []
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            more, unknown = _keys(value, constants, depth + 1)
            keys += more
            dynamic += [f"**{text}" for text in unknown]
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.append(key.value)
        else:
            dynamic.append(ast.unparse(key))
    return keys, dynamic


def uses_in(file: str, tree: ast.Module) -> list[Use]:
    """Every call of this library's ``track``, ``track_lifecycle`` and ``emit`` in ``tree``."""
    imports = _Imports(tree)
    if not imports.modules and not imports.functions:
        return []
    constants = _constants(tree)
    uses = [_use(file, node, function, constants) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and (function := imports.resolve(node.func))]
    return sorted(uses, key=lambda use: use.line)


def _use(file: str, call: ast.Call, function: str, constants: dict[str, ast.Dict]) -> Use:
    name_keyword, attributes_position = API[function]
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    name = call.args[0] if call.args else keywords.get(name_keyword)
    attributes = keywords.get("attributes")
    if attributes is None and attributes_position is not None \
            and len(call.args) > attributes_position:
        attributes = call.args[attributes_position]
    event = (name.value if isinstance(name, ast.Constant) and isinstance(name.value, str)
             else None)
    keys, dynamic = _keys(attributes, constants) if attributes is not None else ([], [])
    return Use(file, call.lineno, function, event, "" if name is None else ast.unparse(name),
               None if attributes is None else tuple(keys), ", ".join(dynamic))


_TRACK_ASSIGNMENT: Final = re.compile(
    rf"^[ \t]*(?:export[ \t]+)?{ev.OTEL_PRODUCT_EVENTS_TRACK}[ \t]*=[ \t]*", re.MULTILINE)


def env_targets(text: str) -> Iterator[tuple[int, str]]:
    """(line, ``module:qualname=event``) of each entry of ``OTEL_PRODUCT_EVENTS_TRACK``
    assignments in a ``.env`` file; values may be quoted and span lines."""
    for match in _TRACK_ASSIGNMENT.finditer(text):
        start = match.end()
        quote = text[start:start + 1]
        if quote in ("'", '"'):
            start += 1
            end = text.find(quote, start)
            value = text[start:end if end >= 0 else len(text)]
        else:
            end = text.find("\n", start)
            value = re.split(r"\s#", text[start:end if end >= 0 else len(text)])[0]
        offset = start
        for entry in value.split(","):
            if entry.strip():
                lead = len(entry) - len(entry.lstrip())
                yield text.count("\n", 0, offset + lead) + 1, entry.strip()
            offset += len(entry) + 1

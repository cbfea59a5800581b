"""``catalog check``: does the code send only what the event catalog declares? For the host
application's CI.

The sources are read, never imported (:mod:`.catalog_sources`). Each finding names a file and
line. Errors: an event used but not declared, a literal attribute key not declared for its
event, a zero-code target that is malformed or names a function that does not exist in the
scanned sources, a source file that cannot be parsed (unless ``--allow-unparsable``: then a
warning). Warnings: names and keys that are not literals, so cannot be checked.
Notes: declared events nothing uses, targets outside the scanned paths.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from otel_product_events.catalog import sources
from otel_product_events.catalog.model import Catalog
from otel_product_events.catalog.targets import parse_track_variable
from otel_product_events.names import split_function

SEVERITIES: Final = ("error", "warning", "note")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to report, at ``file:line`` (line 0: the file as a whole)."""

    severity: str
    kind: str
    file: str
    line: int
    message: str
    event: str | None = None
    attribute: str | None = None

    def sort_key(self) -> tuple[int, str, int, str]:
        return SEVERITIES.index(self.severity), self.file, self.line, self.message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class Report:
    """Everything ``catalog check`` found, sorted: errors first, then by file and line."""

    catalog: str
    python_files: int = 0
    env_files: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def exit_status(self) -> int:
        """1 when anything is missing from the catalog (or a target is wrong), else 0."""
        return 1 if self.count("error") else 0

    def summary(self) -> str:
        counts = ", ".join(_plural(self.count(s), s) for s in SEVERITIES)
        return (f"catalog check: {counts} ({_plural(self.python_files, 'Python file')}, "
                f"{_plural(self.env_files, 'env file')} checked against {self.catalog})")

    def text(self) -> str:
        return "\n".join([*(str(finding) for finding in self.findings), self.summary()])

    def as_json(self) -> dict[str, Any]:
        return {"catalog": self.catalog, "python_files": self.python_files,
                "env_files": self.env_files,
                **{f"{s}s": self.count(s) for s in SEVERITIES},
                "findings": [asdict(finding) for finding in self.findings]}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Checker:
    """Collects findings while the sources are read; remembers which events are used."""

    def __init__(self, catalog: Catalog, roots: Sequence[str], *,
                 allow_unparsable: bool = False) -> None:
        self.catalog = catalog
        #: A file that cannot be parsed may send anything: an error, unless accepted.
        self.unparsable = "warning" if allow_unparsable else "error"
        self.roots = roots
        self.findings: list[Finding] = []
        self.used: set[str] = set()
        self.trees: dict[str, ast.Module] = {}
        self.index = sources.ModuleIndex((), ())

    def add(self, severity: str, kind: str, file: str, line: int, message: str,
            event: str | None = None, attribute: str | None = None) -> None:
        self.findings.append(Finding(severity, kind, file, line, message, event, attribute))

    def parse(self, files: Sequence[str]) -> None:
        for file in files:
            try:
                self.trees[file] = ast.parse(_read_source(file), filename=file)
            except Exception as error:  # SyntaxError, RecursionError (deep nesting), OSError...
                line = getattr(error, "lineno", None) or 0
                self.add(self.unparsable, "unreadable", file, line,
                         f"cannot be parsed ({error.__class__.__name__}); not checked, so "
                         "what it sends is unknown (--allow-unparsable accepts that)")
        self.index = sources.ModuleIndex(self.roots, list(self.trees))

    def use(self, use: sources.Use) -> None:
        if use.event is None:
            self.add("warning", "dynamic-event", use.file, use.line,
                     f"{use.function}() with the event name {use.event_source or '(none)'}, "
                     "not a string literal: it cannot be checked")
            return
        names = ([f"{use.event}.started", f"{use.event}.completed"]
                 if use.function == "track_lifecycle" else [use.event])
        for name in names:
            self.event(name, use.file, use.line, f"{use.function}({use.event!r})", use.keys)
        if use.dynamic:
            self.add("warning", "dynamic-attributes", use.file, use.line,
                     f"{use.function}({use.event!r}) attributes {use.dynamic} are not literal "
                     "keys: they cannot be checked", event=use.event)

    def event(self, name: str, file: str, line: int, what: str,
              keys: tuple[str, ...] | None = None) -> None:
        self.used.add(name)
        spec = self.catalog.event(name)
        if spec is None:
            self.add("error", "undeclared-event", file, line,
                     f"{what} sends event {name!r}, which the catalog does not declare",
                     event=name)
            return
        for key in sorted(set(keys or ()) - set(spec.attributes)):
            self.add("error", "undeclared-attribute", file, line,
                     f"{what} sends attribute {key!r}, which the catalog does not declare "
                     f"for event {name!r}", event=name, attribute=key)

    def target(self, function: str, event: str, file: str, line: int) -> None:
        """Checks that ``module:qualname`` exists when its module is under the paths."""
        module, qualname = split_function(function)
        what = f"target {function!r} (event {event!r})"
        path = self.index.files.get(module)
        if path is not None and path in self.trees:
            if not sources.defines(self.trees[path], qualname):
                self.add("error", "missing-function", file, line,
                         f"{what}: {path} defines no {qualname}", event=event)
        elif module.rpartition(".")[0] in self.index.packages:
            self.add("error", "missing-function", file, line,
                     f"{what}: no module {module} in the scanned paths", event=event)
        else:
            self.add("note", "unchecked-target", file, line,
                     f"{what}: module {module} is not under the scanned paths; not checked",
                     event=event)

    def env_file(self, file: str) -> None:
        try:
            text = _read_source(file).decode("utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            self.add(self.unparsable, "unreadable", file, 0,
                     f"cannot be read ({type(error).__name__}); not checked, so its targets "
                     "are unknown (--allow-unparsable accepts that)")
            return
        for line, entry in sources.env_targets(text):
            parsed = parse_track_variable(entry)
            for problem in parsed.problems:
                self.add("error", "bad-target", file, line, problem)
            for target in parsed.targets:
                self.event(target.event_name, file, line, f"target {target.function!r}")
                self.target(target.function, target.event_name, file, line)

    def catalog_targets(self) -> None:
        lines = _catalog_lines(self.catalog.path)
        for name, spec in sorted(self.catalog.events.items()):
            for function in spec.functions:
                self.used.add(name)
                line = _line_of(lines, re.compile(re.escape(function)))
                self.target(function, name, self.catalog.path, line)
        for name in sorted(set(self.catalog.events) - self.used):
            key = re.compile(rf"^\s*['\"]?{re.escape(name)}['\"]?\s*:")
            self.add("note", "unused-event", self.catalog.path, _line_of(lines, key),
                     f"event {name!r} is declared, but nothing in the scanned paths sends it",
                     event=name)


#: Larger sources are not checked (generated code): an error, like a file that cannot parse.
MAX_SOURCE_BYTES: Final = 64 * 1024 * 1024


def _read_source(file: str) -> bytes:
    """The bytes of a regular file, read without blocking (a FIFO named ``app.py`` must not
    hang the CI job); raises ValueError for anything else."""
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise ValueError(f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB")
    return data


def _catalog_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(lines: list[str], pattern: re.Pattern[str]) -> int:
    """The first line of the catalog file matching ``pattern`` (0 when none does)."""
    return next((number for number, text in enumerate(lines, 1) if pattern.search(text)), 0)


def check(catalog: Catalog, paths: Sequence[str], *, allow_unparsable: bool = False) -> Report:
    """Checks the Python and ``.env`` files under ``paths`` against ``catalog``; raises
    FileNotFoundError for a path that does not exist. A file that cannot be parsed is an
    error (the check would pass without knowing what it sends) unless ``allow_unparsable``."""
    python, env = sources.find_files(paths)
    # Module names relative to each scanned directory and to the working directory (where
    # `python -m` and `otel-product-events run` find the application's modules).
    checker = _Checker(catalog, [*(p for p in paths if Path(p).is_dir()), "."],
                       allow_unparsable=allow_unparsable)
    checker.parse(python)
    for file, tree in checker.trees.items():
        for use in sources.uses_in(file, tree):
            checker.use(use)
    for file in env:
        checker.env_file(file)
    checker.catalog_targets()
    findings = sorted(checker.findings, key=Finding.sort_key)
    return Report(catalog.path, len(python), len(env), findings)

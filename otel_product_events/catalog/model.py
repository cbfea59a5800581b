"""The event catalog: one YAML file declaring every product event, what it means, which
attributes it carries and, optionally, which function emits it (a zero-code target)::

    events:
      incident.created:
        description: An incident was started.
        function: myapp.incidents:create_incident     # optional zero-code target (or a list)
        triggers: [the /incident start command]         # optional, for the "what we collect" page
        attributes:
          team.id:
            from: team_id          # the source syntax of track(attributes=...)
            type: string
            description: Team that owns the incident.
          checklist.count:
            from: return.checklists
            count: true            # send len(value), not the value
            type: int
            description: Checklists the incident started with.

:func:`load_catalog` validates the whole file and raises one :class:`CatalogError` listing every
problem, each naming the file, the event, the attribute and the field, and how to fix it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from otel_product_events import semconv
from otel_product_events.attributes import AttributeSource, count_of, hashed
from otel_product_events.names import _IDENTIFIER, name_problem, quote, shown, split_function

#: Attribute types, spelled as in the OpenTelemetry semantic conventions (plus bytes and map,
#: which log records may carry).
TYPES: Final = ("string", "int", "double", "boolean", "bytes", "string[]", "int[]", "double[]",
                "boolean[]", "map")

_TOP_KEYS: Final = ("events",)
_EVENT_KEYS: Final = ("description", "function", "triggers", "attributes")
_ATTRIBUTE_KEYS: Final = ("from", "type", "description", "count", "hash")
#: A parameter (or ``return``), then attribute names or mapping keys without spaces.
_SOURCE = re.compile(rf"{_IDENTIFIER}(?:\.[^.\s]+)*\Z")

#: A catalog is a few hundred lines; a bigger file is a mistake or an attack.
MAX_CATALOG_BYTES: Final = 4 * 1024 * 1024
#: Values in the document once aliases are expanded: aliases save typing, never explode.
MAX_EXPANDED_NODES: Final = 100_000
#: Nesting a catalog needs: events > event > attributes > attribute > field > list item.
MAX_NESTING: Final = 32


class CatalogError(ValueError):
    """The catalog file is missing, not YAML, or does not follow the catalog format."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid event catalog {path} ({count}):\n"
                         + "\n".join(f"  - {problem}" for problem in problems))


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One declared attribute of an event."""

    name: str
    type: str
    description: str
    #: Where the value comes from (``from:``), in the syntax of ``track(attributes=...)``;
    #: None when the code provides it (``product_context``, ``emit``).
    source: str | None = None
    #: Send the number of items of the value rather than the value.
    count: bool = False
    #: Send a one-way hash of the value (``hash: true``).
    hash: bool = False


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One declared event."""

    name: str
    description: str
    attributes: Mapping[str, AttributeSpec] = field(
        default_factory=lambda: MappingProxyType({}))
    #: Zero-code targets, ``module:qualname`` each.
    functions: tuple[str, ...] = ()
    #: What users do that sends it, in words.
    triggers: tuple[str, ...] = ()

    def sources(self, report: Callable[[str], None], where: str) -> dict[str, AttributeSource]:
        """The ``track(attributes=...)`` mapping these declarations describe."""
        sources: dict[str, AttributeSource] = {}
        for spec in self.attributes.values():
            if spec.source is None:
                continue
            source: AttributeSource = count_of(spec.source) if spec.count else spec.source
            sources[spec.name] = hashed(source) if spec.hash else source
        return sources


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every declared event, by name."""

    path: str
    events: Mapping[str, EventSpec]

    def event(self, name: str) -> EventSpec | None:
        return self.events.get(name)

    def attributes_for(
        self,
        event_name: str,
        attributes: Mapping[str, AttributeSource] | None,
        *,
        where: str,
        report: Callable[[str], None],
    ) -> Mapping[str, AttributeSource] | None:
        """Checks a ``track`` declaration against the catalog and returns the attributes to
        send: ``attributes`` as given, or the catalog's sources when none are given."""
        spec = self.events.get(event_name)
        if spec is None:
            report(f"{where}: event {quote(event_name)} is not declared in the event catalog "
                   f"{self.path}; declare it there (description and attributes) or fix the name")
            return attributes
        if attributes is None:
            return spec.sources(report, where)
        undeclared = sorted(key for key in attributes if key not in spec.attributes)
        if undeclared:
            report(f"{where}: event {quote(event_name)} sends {', '.join(map(quote, undeclared))}, "
                   f"not declared for it in the event catalog {self.path}; declare "
                   f"{'them' if len(undeclared) > 1 else 'it'} there, or do not send "
                   f"{'them' if len(undeclared) > 1 else 'it'}")
        # An attribute the catalog declares hashed is hashed, even if the code forgot to.
        return {key: hashed(source) if key in spec.attributes and spec.attributes[key].hash
                else source for key, source in attributes.items()}


def load_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Reads and validates the catalog at ``path``; raises :class:`CatalogError`, and only
    that, whatever the file holds."""
    name = os.fspath(path)
    try:
        text = _read_text(Path(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise CatalogError(name, [f"{name}: cannot be read ({reason}); check "
                                  "the path (relative paths start at the working directory)"]
                           ) from None
    return parse_catalog(text, path=name)


def _read_text(path: Path) -> str:
    # Non-blocking: a FIFO in place of the catalog must not hang the first emit.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not _is_regular(handle.fileno()):
            raise ValueError("not a regular file")
        data = handle.read(MAX_CATALOG_BYTES + 1)
    if len(data) > MAX_CATALOG_BYTES:
        raise ValueError(f"larger than {MAX_CATALOG_BYTES // (1024 * 1024)} MiB")
    return data.decode("utf-8")


def _is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


def parse_catalog(text: str, *, path: str = "<catalog>") -> Catalog:
    """Validates catalog YAML ``text``; ``path`` names it in messages. Any failure, however
    odd the input (deep nesting included), is a :class:`CatalogError`."""
    try:
        if len(text) > MAX_CATALOG_BYTES:
            raise CatalogError(path, [f"{path}: larger than {MAX_CATALOG_BYTES} characters; "
                                      "a catalog is a few hundred lines"])
        document = _parse_yaml(text, path)
        problems: list[str] = []
        events = _Validator(path, problems).catalog(document)
    except CatalogError:
        raise
    except Exception as error:  # RecursionError, MemoryError...: still a broken catalog
        raise CatalogError(path, [f"{path}: cannot be loaded ({type(error).__name__})"]
                           ) from None
    if problems:
        raise CatalogError(path, problems)
    return Catalog(path, MappingProxyType(events))


def _parse_yaml(text: str, path: str) -> object:
    import yaml  # type: ignore[import-untyped]  # (no stubs installed; imported on first use)

    class UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]
        """Refuses duplicate keys, which PyYAML would silently overwrite, and nesting deeper
        than :data:`MAX_NESTING` while composing (before any recursion can overflow)."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.depth >= MAX_NESTING:
                raise yaml.MarkedYAMLError(None, None, f"nested deeper than {MAX_NESTING} "
                                           "levels", self.peek_event().start_mark)
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    def mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: {...}" may override keys on purpose
            key = loader.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key {quote(key)}",
                                           key_node.start_mark)
            if isinstance(key, str):
                seen.add(key)
        return loader.construct_mapping(node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    loader = UniqueKeyLoader(text)  # a SafeLoader: builds no objects
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, yaml)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        reason = getattr(error, "problem", None) or quote(str(error))
        raise CatalogError(path, [f"{where}: not valid YAML ({reason})"]) from None
    finally:
        loader.dispose()


def _check_expansion(root: Any, yaml: Any) -> None:
    """Refuses a document whose aliases expand beyond :data:`MAX_EXPANDED_NODES` nodes or
    :data:`MAX_NESTING` levels ("billion laughs"), or refer to themselves: every reader of
    the catalog (validation, docs, overlays) walks the expanded tree."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, height)
    on_path: set[int] = set()

    def refuse(node: Any, problem: str) -> None:
        raise yaml.MarkedYAMLError(None, None, problem, node.start_mark)

    def measure(node: Any, depth: int) -> tuple[int, int]:
        known = sizes.get(id(node))
        if known is None:
            if id(node) in on_path:
                refuse(node, "an alias refers to the value that contains it")
            if depth > MAX_NESTING:
                refuse(node, f"nested deeper than {MAX_NESTING} levels (aliases expanded)")
            on_path.add(id(node))
            children = node.value if isinstance(node.value, list) else []
            total, height = 1, 0
            for child in children:
                for item in child if isinstance(child, tuple) else (child,):
                    size, child_height = measure(item, depth + 1)
                    total, height = total + size, max(height, child_height + 1)
                    if total > MAX_EXPANDED_NODES:
                        refuse(node, f"expands to more than {MAX_EXPANDED_NODES} values "
                               "(aliases repeated inside aliases)")
            on_path.discard(id(node))
            known = sizes[id(node)] = (total, height)
        if depth + known[1] > MAX_NESTING:
            refuse(node, f"nested deeper than {MAX_NESTING} levels (aliases expanded)")
        return known

    measure(root, 0)


class _Validator:
    """Walks the parsed YAML, collecting every problem rather than stopping at the first."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems

    def problem(self, message: str, *, event: str | None = None, attribute: str | None = None,
                key: str | None = None) -> None:
        where = [self.path]
        if event is not None:
            where.append(f"event {quote(event)}")
        if attribute is not None:
            where.append(f"attribute {quote(attribute)}")
        if key is not None:
            where.append(f"field {quote(key)}")
        self.problems.append(", ".join(where) + ": " + message)

    def unknown_keys(self, mapping: Mapping[Any, Any], allowed: tuple[str, ...], **where: Any
                     ) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(f"unknown field {quote(key)}; the fields here are "
                             f"{', '.join(allowed)}", **where)

    def catalog(self, document: object) -> dict[str, EventSpec]:
        if not isinstance(document, Mapping) or "events" not in document:
            self.problem("the file must be a mapping with an 'events:' key holding one entry "
                         "per event name")
            return {}
        self.unknown_keys(document, _TOP_KEYS)
        events = document["events"]
        if not isinstance(events, Mapping) or not events:
            self.problem("'events' must map each event name to its declaration (description, "
                         "attributes, ...)", key="events")
            return {}
        specs: dict[str, EventSpec] = {}
        for name, body in events.items():
            if not isinstance(name, str) or not name.strip() or name != name.strip():
                self.problem(f"event names must be non-empty strings without surrounding "
                             f"spaces, got {quote(name)}")
                continue
            if (problem := name_problem(name)) is not None:
                self.problem(f"event name {shown(name)} cannot be sent: {problem}")
                continue
            spec = self.event(name, body)
            if spec is not None:
                specs[name] = spec
        return specs

    def event(self, name: str, body: object) -> EventSpec | None:
        if not isinstance(body, Mapping):
            self.problem("must be a mapping with at least a 'description'", event=name)
            return None
        self.unknown_keys(body, _EVENT_KEYS, event=name)
        description = self.text(body.get("description"), event=name, key="description")
        functions = self.functions(body.get("function"), name)
        triggers = self.triggers(body.get("triggers"), name)
        attributes = self.attributes(body.get("attributes"), name)
        if description is None:
            return None
        return EventSpec(name, description, MappingProxyType(attributes), functions, triggers)

    def text(self, value: object, **where: Any) -> str | None:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is None:
            self.problem("is missing; say in a sentence what it means", **where)
        else:
            self.problem(f"must be a non-empty string, got {quote(value)}", **where)
        return None

    def functions(self, value: object, event: str) -> tuple[str, ...]:
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.problem("must be module:qualname, or a list of them", event=event,
                         key="function")
            return ()
        functions: list[str] = []
        for item in items:
            if not isinstance(item, str):
                self.problem(f"must be module:qualname strings, got {quote(item)}", event=event,
                             key="function")
                continue
            try:
                module, qualname = split_function(item)
            except ValueError as error:
                self.problem(str(error), event=event, key="function")
                continue
            functions.append(f"{module}:{qualname}")
        return tuple(functions)

    def triggers(self, value: object, event: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(t, str) and t.strip()
                                                  for t in value):
            self.problem("must be a list of sentences (what users do that sends the event)",
                         event=event, key="triggers")
            return ()
        return tuple(t.strip() for t in value)

    def attributes(self, value: object, event: str) -> dict[str, AttributeSpec]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem("must map each attribute name to its declaration (type, description, "
                         "from)", event=event, key="attributes")
            return {}
        specs: dict[str, AttributeSpec] = {}
        for name, body in value.items():
            if not isinstance(name, str) or not name.strip():
                self.problem(f"attribute names must be non-empty strings, got {quote(name)}",
                             event=event, key="attributes")
                continue
            if (problem := name_problem(name)) is not None:
                self.problem(f"attribute name {shown(name)} cannot be sent: {problem}",
                             event=event, key="attributes")
                continue
            spec = self.attribute(event, name, body)
            if spec is not None:
                specs[name] = spec
        return specs

    def attribute(self, event: str, name: str, body: object) -> AttributeSpec | None:
        where: dict[str, Any] = {"event": event, "attribute": name}
        if name in semconv.RESERVED_KEYS:
            self.problem("is set by the library itself on every event; remove it or choose "
                         "another name", **where)
            return None
        if not isinstance(body, Mapping):
            self.problem("must be a mapping with 'type' and 'description' (and 'from')",
                         **where)
            return None
        self.unknown_keys(body, _ATTRIBUTE_KEYS, **where)
        kind = body.get("type")
        if kind not in TYPES:
            shown = "missing" if kind is None else f"{quote(kind)} is not a type"
            self.problem(f"{shown}; use one of {', '.join(TYPES)}", **where, key="type")
        description = self.text(body.get("description"), **where, key="description")
        source = self.source(body.get("from"), where)
        count = self.flag(body, "count", where)
        hashed = self.flag(body, "hash", where)
        if count and source is None:
            self.problem("needs 'from' (count: true sends the number of items of that value)",
                         **where, key="count")
        if count and kind not in (None, "int"):
            self.problem(f"count: true sends an int; declare 'type: int', not {quote(kind)}",
                         **where, key="count")
        if hashed and count:
            self.problem("hash: true and count: true contradict each other (a count is not "
                         "an identifier); keep one", **where, key="hash")
        elif hashed and kind not in (None, "string"):
            self.problem(f"hash: true sends a hex digest, a string; declare 'type: string', "
                         f"not {quote(kind)}", **where, key="hash")
        if kind not in TYPES or description is None:
            return None
        return AttributeSpec(name, str(kind), description, source, count, hashed)

    def source(self, value: object, where: dict[str, Any]) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and _SOURCE.match(value):
            return value
        self.problem(f"{quote(value)} is not a source; write a parameter name with an optional "
                     "dotted path (team_id, self.team_id, options.region) or return.<path> "
                     "(return.id)", **where, key="from")
        return None

    def flag(self, body: Mapping[str, Any], key: str, where: dict[str, Any]) -> bool:
        value = body.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"must be true or false, got {quote(value)}", **where, key=key)
            return False
        return value


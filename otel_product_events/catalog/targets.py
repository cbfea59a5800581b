"""Zero-code targets: which function emits which event, with which attributes.

They come from ``OTEL_PRODUCT_EVENTS_TRACK`` (``module:qualname=event.name``, comma-separated)
and from the ``function:`` of events in the catalog named by ``OTEL_PRODUCT_EVENTS_CATALOG``. An
environment target whose event the catalog declares reads the catalog's attributes. Mistakes
are returned as messages, never raised: a bad target must not stop the application.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from otel_product_events import environment_variables as ev
from otel_product_events.names import split_function

if TYPE_CHECKING:  # (the catalog's model is imported only when a catalog is named)
    from otel_product_events.attributes import AttributeSource
    from otel_product_events.catalog.model import Catalog

#: What Python calls the script it runs (``python app.py``, ``python -m app``).
MAIN_MODULE = "__main__"


@dataclass(frozen=True, slots=True)
class Target:
    """One function to track: ``module:qualname`` emits ``event_name``."""

    module: str
    qualname: str
    event_name: str
    attributes: Mapping[str, AttributeSource] = field(
        default_factory=lambda: MappingProxyType({}))
    #: Where it was declared, for messages: the variable, or the catalog file and event.
    origin: str = ev.OTEL_PRODUCT_EVENTS_TRACK

    @property
    def function(self) -> str:
        return f"{self.module}:{self.qualname}"

    def describe(self) -> str:
        """``'shop.orders:place_order' (event 'order.placed', from OTEL_PRODUCT_EVENTS_TRACK)``"""
        return f"{self.function!r} (event {self.event_name!r}, from {self.origin})"


@dataclass(frozen=True, slots=True)
class Targets:
    """The targets to instrument, and what was wrong with the ones that were left out."""

    targets: tuple[Target, ...] = ()
    problems: tuple[str, ...] = ()


def parse_track_variable(value: str) -> Targets:
    """Parses ``OTEL_PRODUCT_EVENTS_TRACK``; blank entries are ignored, bad ones reported."""
    targets: list[Target] = []
    problems: list[str] = []
    for entry in value.split(","):
        if not entry.strip():
            continue
        function, equals, event_name = entry.strip().partition("=")
        try:
            if not equals or not event_name.strip():
                raise ValueError(f"{entry.strip()!r} needs an event name: "
                                 "module:qualname=event.name")
            module, qualname = split_function(function)
        except ValueError as error:
            problems.append(f"{ev.OTEL_PRODUCT_EVENTS_TRACK}: {error}; this target is ignored")
            continue
        targets.append(Target(module, qualname, event_name.strip()))
    return Targets(tuple(targets), tuple(problems))


def catalog_targets(catalog: Catalog) -> Targets:
    """One target per ``function:`` of each catalog event, reading its declared attributes."""
    targets: list[Target] = []
    problems: list[str] = []
    for spec in catalog.events.values():
        origin = f"{catalog.path}, event {spec.name!r}"
        for function in spec.functions:
            module, qualname = split_function(function)
            sources = spec.sources(problems.append, origin)
            targets.append(Target(module, qualname, spec.name, MappingProxyType(sources), origin))
    return Targets(tuple(targets), tuple(problems))


def with_catalog_attributes(target: Target, catalog: Catalog) -> Target | str:
    """An environment target reading the attributes the catalog declares for its event, or a
    message when the catalog does not declare that event."""
    spec = catalog.event(target.event_name)
    if spec is None:
        return (f"{target.describe()}: the event catalog {catalog.path} does not declare this "
                "event, so it is sent without attributes; declare it there")
    origin = f"{target.origin} + {catalog.path}"
    problems: list[str] = []
    sources = spec.sources(problems.append, origin)
    return Target(target.module, target.qualname, target.event_name, MappingProxyType(sources),
                  origin)


def combine(environment: Targets, catalog: Catalog | None) -> Targets:
    """Environment targets first (the operator's word wins), then the catalog's; one event per
    function; targets in ``__main__`` are dropped with the reason."""
    problems = list(environment.problems)
    candidates: list[Target] = []
    for target in environment.targets:
        if catalog is not None:
            enriched = with_catalog_attributes(target, catalog)
            if isinstance(enriched, str):
                problems.append(enriched)
            else:
                target = enriched
        candidates.append(target)
    if catalog is not None:
        from_catalog = catalog_targets(catalog)
        problems += from_catalog.problems
        candidates += from_catalog.targets
    chosen: dict[str, Target] = {}
    for target in candidates:
        if target.module == MAIN_MODULE:
            problems.append(main_module_problem(target))
            continue
        first = chosen.get(target.function)
        if first is None:
            chosen[target.function] = target
        elif first.event_name != target.event_name:
            problems.append(f"{target.describe()}: this function already emits "
                            f"{first.event_name!r} (from {first.origin}); one event per "
                            "function, so this target is ignored")
    return Targets(tuple(chosen.values()), tuple(problems))


def main_module_problem(target: Target) -> str:
    return (f"{target.describe()}: functions of the script Python runs as __main__ cannot be "
            "patched from outside (the script only runs after instrumentation has started, as "
            "a module of its own); move the function into a module the script imports and "
            "target that module, or decorate it with @track. This target is ignored")


def targets_from_environment(environ: Mapping[str, str] | None = None) -> Targets:
    """The targets of ``OTEL_PRODUCT_EVENTS_TRACK`` and ``OTEL_PRODUCT_EVENTS_CATALOG``."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    catalog: Catalog | None = None
    catalog_path = env.get(ev.OTEL_PRODUCT_EVENTS_CATALOG, "").strip()
    if catalog_path:
        from otel_product_events.catalog.model import CatalogError, load_catalog

        try:
            catalog = load_catalog(catalog_path)
        except CatalogError as error:
            problems.append(f"{ev.OTEL_PRODUCT_EVENTS_CATALOG}: {error}\n"
                            "No product event is sent until it is fixed (the catalog fails closed)")
    combined = combine(parse_track_variable(env.get(ev.OTEL_PRODUCT_EVENTS_TRACK, "")), catalog)
    return Targets(combined.targets, tuple(problems) + combined.problems)

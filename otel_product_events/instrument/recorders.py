"""The recorder of a tracked function, built once: its name, its valid attribute sources
compiled against its signature, its span. ``@track`` drives it from a wrapper
(:mod:`.wrappers`), zero-code on Python 3.12+ from ``sys.monitoring`` events
(:mod:`otel_product_events.auto.monitoring`); this module imports no wrapper machinery, so
code-object tracking never loads wrapt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from otel_product_events import guard
from otel_product_events.attributes import AttributeSource
from otel_product_events.instrument.extract import (
    _warn_at_caller,
    compile_attributes,
    signature_of,
)
from otel_product_events.instrument.tracking import TrackRecorder
from otel_product_events.names import name_problem, shown


def valid_sources(event_name: str, attributes: Mapping[str, AttributeSource] | None,
                  report: Callable[[str], None]) -> Mapping[str, AttributeSource] | None:
    """``attributes`` without the names that cannot be sent; each one is reported."""
    if not attributes:
        return attributes
    kept = {}
    for key, source in attributes.items():
        problem = name_problem(key)
        if problem is None:
            kept[key] = source
        else:
            guard.count("attributes_dropped")
            report(f"event {event_name!r} drops attribute {shown(key)}: its name cannot be sent "
                   f"({problem})")
    return kept


def function_name(function: object) -> str:
    """``module.Qualified.name`` of a function (through classmethod and staticmethod)."""
    target = getattr(function, "__func__", function)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", repr(target))
    return f"{module}.{qualname}" if module else str(qualname)


def track_recorder(
    function: object,
    event_name: str,
    attributes: Mapping[str, AttributeSource] | None,
    *,
    span: bool = True,
    span_name: str | None = None,
    report: Callable[[str], None] | None = None,
) -> TrackRecorder:
    """The recorder behind :func:`~.api.track_wrapper`; zero-code on Python 3.12+ drives it
    from ``sys.monitoring`` events instead (:mod:`otel_product_events.auto.monitoring`)."""
    target: Any = getattr(function, "__func__", function)
    name = function_name(function)
    attributes = valid_sources(event_name, attributes, report or _warn_at_caller)
    plan = compile_attributes(event_name, attributes, signature_of(target), name, report)
    return TrackRecorder(
        event_name, name, plan,
        span_name=span_name or str(getattr(target, "__qualname__", name)),
        with_span=span,
    )

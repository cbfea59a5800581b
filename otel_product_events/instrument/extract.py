"""Compiles declared attribute sources into small getters, once, at decoration time.

A source says where an attribute's value comes from:

* ``"team_id"``, ``"self.team_id"``, ``"incident.owner.id"``: a parameter, then a dotted path
  of attributes or mapping keys;
* ``"return"``, ``"return.id"``: the return value, or a path into it;
* a callable taking a :class:`Call` (``call.arguments``, ``call.result``) and returning the value.

Parameter positions are resolved from the signature here, so a call only indexes ``args``.
Nothing but the declared sources is ever read from a call.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final

from otel_product_events import guard, semconv
from otel_product_events.attributes import (
    AttributeValue,
    Call,
    DerivedSource,
    Hashed,
    bind_arguments,
)
from otel_product_events.errors import ProductEventsWarning
from otel_product_events.instrument.values import (
    IS_NONE,
    Unsupported,
    to_attribute_value,
)
from otel_product_events.privacy.hashing import hash_unless_none

#: ``getter(instance, args, kwargs, result)`` -> the raw value; raises when it is missing.
Getter = Callable[[Any, tuple[Any, ...], dict[str, Any], Any], object]

RETURN: Final = "return"
_MISSING: Final = inspect.Parameter.empty


class Source:
    """A compiled source: its getter, and how it depends on the return value.

    ``needs_return``: a ``return...`` path, skipped when the call raised. ``may_need_return``:
    a callable, run even then, but its failure is then expected (``call.result`` is None).
    """

    __slots__ = ("getter", "may_need_return", "needs_return", "text")

    def __init__(self, text: str, getter: Getter, *, needs_return: bool = False,
                 may_need_return: bool = False) -> None:
        self.text = text
        self.getter = getter
        self.needs_return = needs_return
        self.may_need_return = may_need_return


def _walk(value: object, path: tuple[str, ...]) -> object:
    for part in path:
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


def _return_getter(path: tuple[str, ...]) -> Getter:
    if not path:
        return lambda instance, args, kwargs, result: result
    return lambda instance, args, kwargs, result: _walk(result, path)


def _parameter_getter(parameter: inspect.Parameter, position: int | None,
                      path: tuple[str, ...]) -> Getter:
    name = parameter.name
    default = parameter.default

    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> object:
        # wrapt passes a bound method's self (or a classmethod's cls) as ``instance``, not in args.
        index = position if instance is None or position is None else position - 1
        if index == -1:
            value = instance
        elif index is not None and index < len(args):
            value = args[index]
        elif name in kwargs:
            value = kwargs[name]
        elif default is not _MISSING:
            value = default
        else:
            raise LookupError(f"no argument for parameter {name!r}")
        return _walk(value, path) if path else value

    return get


def _keyword_getter(name: str, path: tuple[str, ...]) -> Getter:
    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> object:
        value = kwargs[name]
        return _walk(value, path) if path else value

    return get


def _call_getter(function: Callable[[Call], object], signature: inspect.Signature | None) -> Getter:
    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> object:
        return function(Call(signature, instance, args, kwargs, result))

    return get


def _var_getter(signature: inspect.Signature, name: str, path: tuple[str, ...]) -> Getter:
    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> object:
        value = bind_arguments(signature, instance, args, kwargs)[name]
        return _walk(value, path) if path else value

    return get


def _derived(source: DerivedSource, signature: inspect.Signature | None, where: str, key: str,
             report: Callable[[str], None] | None) -> Source | None:
    inner = compile_source(source.path, signature, where=where, key=key, report=report)
    if inner is None:
        return None
    read, derive = inner.getter, source.derive

    def get(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> object:
        return derive(read(instance, args, kwargs, result))

    return Source(f"{source.label}({inner.text})", get, needs_return=inner.needs_return)


def compile_source(
    source: object, signature: inspect.Signature | None, *, where: str, key: str,
    report: Callable[[str], None] | None = None,
) -> Source | None:
    """Compiles one source; a mistake warns (at the decorated line) and returns None.

    Mistakes in the developer's mapping never raise: a decorator that raises at import time
    would break the application it is meant to observe. ``report`` replaces the warning (the
    zero-code hooks log it, naming the target instead of a decorated line).
    """
    _warn = report or _warn_at_caller
    if isinstance(source, Hashed):
        source = DerivedSource(source.inner, hash_unless_none, "hashed")
    if isinstance(source, DerivedSource):
        return _derived(source, signature, where, key, report)
    if callable(source):
        name = getattr(source, "__qualname__", type(source).__name__)
        return Source(name, _call_getter(source, signature), may_need_return=True)
    if not isinstance(source, str) or not source or any(not p for p in source.split(".")):
        _warn(f"{where}: attribute {key!r} has an invalid source {source!r}; use a parameter "
              "name with an optional dotted path (\"user.id\"), \"return.<path>\", or a callable")
        return None
    head, *rest = source.split(".")
    path = tuple(rest)
    if head == RETURN:
        return Source(source, _return_getter(path), needs_return=True)
    if signature is None:
        return Source(source, _keyword_getter(head, path))
    parameters = list(signature.parameters.values())
    for position, parameter in enumerate(parameters):
        if parameter.name != head:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            return Source(source, _var_getter(signature, head, path))
        index = position if parameter.kind != parameter.KEYWORD_ONLY else None
        return Source(source, _parameter_getter(parameter, index, path))
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return Source(source, _keyword_getter(head, path))
    names = ", ".join(p.name for p in parameters) or "none"
    _warn(f"{where}: attribute {key!r} reads {head!r}, which is not a parameter "
          f"(parameters: {names}); the attribute is never sent. Fix the name, or read the "
          "return value with \"return.<path>\"")
    return None


# The package root (this module sits one wing below it).
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _warn_at_caller(message: str) -> None:
    """Warns at the first frame outside this package: the user's decorated line."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, ProductEventsWarning, stacklevel=level)


class AttributePlan:
    """The compiled attribute mapping of one tracked function."""

    __slots__ = ("event_name", "sources")

    def __init__(self, event_name: str, sources: tuple[tuple[str, Source], ...]) -> None:
        self.event_name = event_name
        self.sources = sources

    def at_start(self) -> AttributePlan:
        """The sources readable before the call returns (all but ``return...`` paths)."""
        return AttributePlan(self.event_name,
                             tuple(item for item in self.sources if not item[1].needs_return))

    def at_end(self) -> AttributePlan:
        """The sources that may need the result: ``return...`` paths and callables."""
        return AttributePlan(self.event_name, tuple(
            item for item in self.sources if item[1].needs_return or item[1].may_need_return))

    def extract(
        self,
        into: dict[str, AttributeValue],
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: object,
        returned: bool,
    ) -> None:
        """Adds each declared attribute to ``into``; one that fails is dropped and reported."""
        for key, source in self.sources:
            if source.needs_return and not returned:
                continue  # the call raised: there is no return value to read
            try:
                value = to_attribute_value(source.getter(instance, args, kwargs, result))
            except Exception as error:
                if source.may_need_return and not returned:
                    continue  # most likely it read call.result, which a failed call lacks
                guard.dropped_attribute(
                    f"{self.event_name}:{key}",
                    "otel_product_events: event %r drops attribute %r: reading %r raised %s.",
                    self.event_name, key, source.text, type(error).__name__,
                )
                continue
            if isinstance(value, Unsupported):
                if value is not IS_NONE:
                    guard.dropped_attribute(
                        f"{self.event_name}:{key}",
                        "otel_product_events: event %r drops attribute %r: %s.",
                        self.event_name, key, value.reason,
                    )
                continue
            into[key] = value


def compile_attributes(
    event_name: str, attributes: Mapping[str, object] | None,
    signature: inspect.Signature | None, where: str,
    report: Callable[[str], None] | None = None,
) -> AttributePlan:
    """Compiles a ``track(attributes=...)`` mapping for one function; ``report`` receives the
    mistakes (default: a :class:`ProductEventsWarning` at the decorated line)."""
    _warn = report or _warn_at_caller
    sources: list[tuple[str, Source]] = []
    for key, source in (attributes or {}).items():
        if not isinstance(key, str) or not key:
            _warn(f"{where}: attribute names must be non-empty strings, got {key!r}")
            continue
        if key in semconv.RESERVED_KEYS:
            _warn(f"{where}: attribute {key!r} is set by the library itself; choose another name")
            continue
        compiled = compile_source(source, signature, where=where, key=key, report=report)
        if compiled is not None:
            sources.append((key, compiled))
    return AttributePlan(event_name, tuple(sources))


def signature_of(function: Callable[..., Any]) -> inspect.Signature | None:
    """The signature used to resolve parameters, or None for callables without one."""
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None

"""The public entry points :func:`track` and :func:`emit`, kept thin.

``track`` decides everything it can at decoration time: the callable's kind, its qualified
name, and the compiled attribute sources, then wraps it with wrapt so that name, docstring,
signature and ``inspect`` answers stay those of the original.
"""

from __future__ import annotations

import copy
import importlib
import pickle
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import wrapt

from otel_product_events import guard, semconv
from otel_product_events.attributes import AttributeSource
from otel_product_events.instrument import reentry
from otel_product_events.instrument.events import emit_event_unguarded, new_attributes
from otel_product_events.instrument.extract import _warn_at_caller
from otel_product_events.instrument.recorders import function_name, track_recorder
from otel_product_events.instrument.values import (
    IS_NONE,
    MAX_STRING_LENGTH,
    Unsupported,
    plain_key,
    to_attribute_value,
)
from otel_product_events.instrument.wrappers import Wrapper, build_wrapper, kind_of
from otel_product_events.names import name_problem, shown
from otel_product_events.privacy.consent import SWITCH

if TYPE_CHECKING:
    from otel_product_events.catalog.model import Catalog

_F = TypeVar("_F")

#: Where an attribute's value comes from: ``"param.path"``, ``"return.path"``, a callable, or a
#: path whose value is derived (a catalog's ``count: true``).


def _resolve(module: str, qualname: str) -> Any:
    """Unpickles a tracked callable: whatever ``module.qualname`` names in this process."""
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


class TrackedBoundFunction(wrapt.BoundFunctionWrapper[..., Any]):
    """A :class:`TrackedFunction` read through a class or an instance (a method, classmethod or
    staticmethod): copies and pickles as the bound method or function it stands for."""

    def _holder(self) -> Any:
        # A method bound to an instance belongs to it; anything else is found on the class.
        if self._self_binding == "function" and self._self_instance is not None:
            return self._self_instance
        return self._self_owner

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        return getattr, (self._holder(), self.__name__)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        holder = self._holder()
        if holder is self._self_instance:  # as for a bound method: a copy of its instance
            return getattr(copy.deepcopy(holder, memo), self.__name__)
        return self


class TrackedFunction(wrapt.FunctionWrapper[..., Any]):
    """A function wrapped by :func:`track`; it behaves as the function itself: copies are the
    function itself, and it pickles by reference (multiprocessing, process pools)."""

    __bound_function_wrapper__ = TrackedBoundFunction

    def __reduce_ex__(self, protocol: object) -> str | tuple[Any, ...]:
        module, qualname = str(self.__module__), str(self.__qualname__)
        if "<locals>" in qualname:
            raise pickle.PicklingError(f"Can't pickle local object {qualname!r}")
        try:
            if _resolve(module, qualname) is self:
                return qualname  # exactly what pickle writes for the plain function
        except Exception:
            pass
        # Registered elsewhere than its name (a framework's table): the name decides.
        return _resolve, (module, qualname)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self


def _check_event_name(event_name: object, caller: str, suffix: str = "") -> str:
    if callable(event_name) and not isinstance(event_name, str):
        raise TypeError(
            f"{caller}() needs an event name first: write @{caller}(\"thing.happened\"), "
            f"not @{caller}"
        )
    if not isinstance(event_name, str) or not event_name.strip():
        raise TypeError(f"{caller}() event name must be a non-empty string, got {event_name!r}")
    problem = name_problem(event_name + suffix)
    if problem is not None:
        guard.count("events_dropped_invalid_name")
        raise ValueError(f"{caller}() event name {shown(event_name + suffix)} cannot be sent: "
                         f"{problem}")
    return event_name


def track(
    event_name: str,
    *,
    attributes: Mapping[str, AttributeSource] | None = None,
    span: bool = True,
    span_name: str | None = None,
    catalog: Catalog | None = None,
) -> Callable[[_F], _F]:
    """Decorator: each call runs in a span and, when it ends, emits the product event
    ``event_name`` carrying only the declared ``attributes``.

    ``attributes`` maps an attribute name to its source: a parameter and optional dotted path
    (``"team_id"``, ``"self.team_id"``, ``"incident.owner.id"``), the return value or a path
    into it (``"return"``, ``"return.id"``), or a callable receiving a :class:`Call`. Nothing
    else about the call is captured.

    Works on functions, methods, classmethods, staticmethods, async functions, generators and
    async generators. ``span=False`` skips the span (the event then correlates with the caller's
    span); ``span_name`` defaults to the function's qualified name.

    ``catalog`` (from :func:`load_catalog`): the event must be declared there and the attributes
    too (a mistake is a :class:`ProductEventsWarning`); without ``attributes``, the catalog's
    ``from:`` sources are used.
    """
    name = _check_event_name(event_name, "track")

    def decorate(function: _F) -> _F:
        if not callable(function) and not hasattr(function, "__func__"):
            raise TypeError(f"@track({name!r}) decorates functions, not {type(function).__name__}")
        declared = attributes if catalog is None else catalog.attributes_for(
            name, attributes, where=function_name(function), report=_warn_at_caller)
        wrapper = track_wrapper(function, name, declared, span=span, span_name=span_name)
        return TrackedFunction(function, wrapper)  # type: ignore[arg-type, return-value]

    return decorate


def track_wrapper(
    function: object,
    event_name: str,
    attributes: Mapping[str, AttributeSource] | None,
    *,
    span: bool = True,
    span_name: str | None = None,
    report: Callable[[str], None] | None = None,
) -> Wrapper:
    """The wrapt wrapper that :func:`track` applies to ``function``.

    Zero-code instrumentation installs the very same wrapper (in a :class:`TrackedFunction`, with
    ``wrapt.wrap_object``), so decorated and auto-instrumented functions emit identical events.
    ``report`` receives mistakes in ``attributes`` instead of a warning at the decorated line.
    """
    recorder = track_recorder(function, event_name, attributes, span=span, span_name=span_name,
                              report=report)
    return build_wrapper(kind_of(function), recorder)


def emit(event_name: str, attributes: Mapping[str, object] | None = None) -> None:
    """Emits the product event ``event_name`` now, with ``attributes``, in the current span.

    Never raises into the caller: an invalid name or value is reported and dropped. Safe in
    a signal handler: called while this thread is inside an emit, it is deferred until that
    one returns (:mod:`.reentry`), never waiting for a lock the interrupted code holds.
    """
    if not SWITCH.on:
        return
    if not reentry.enter():
        reentry.defer(emit, event_name, attributes)
        return
    try:
        if type(event_name) is not str or not event_name or event_name.isspace():
            guard.count("events_dropped")
            guard.warn("emit-name", "otel_product_events: emit() needs a non-empty string "
                       "event name, got a %s; the event is dropped.", type(event_name).__name__)
            return
        record = new_attributes()
        if attributes is not None:  # (not `if attributes`: a hostile __len__ may raise)
            add_values(event_name, attributes, record)
        emit_event_unguarded(event_name, record)  # adds the metadata, applies the catalog
    except Exception as error:
        guard.internal_error("emit", error)
    finally:
        reentry.leave()


_RESERVED: Final = semconv.RESERVED_KEYS
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Keys already checked (a program uses a few hundred distinct ones); bounded all the same.
_GOOD_KEYS: set[str] = set()
_MAX_GOOD_KEYS: Final = 4096


def add_values(event_name: str, values: Mapping[str, Any], into: dict[str, Any]) -> None:
    """Adds literal attribute values to ``into``; invalid ones are reported and skipped.
    Never raises, whatever ``values`` is (a mapping whose methods raise included)."""
    try:
        _add_values(event_name, values, into)
    except Exception as error:
        guard.dropped_attribute(f"{event_name}:values", "otel_product_events: event %r drops "
                                "attributes: reading them raised %s.", event_name,
                                type(error).__name__)


def _add_values(event_name: str, values: Mapping[str, Any], into: dict[str, Any]) -> None:
    # Fast path: plain keys whose values need no conversion (short ASCII strings, 64-bit
    # ints, bools, floats) are copied in one go; emit() should cost little more than the record.
    # Only for a plain dict: a subclass's update() may not give what its items() did.
    if type(values) is dict and _RESERVED.isdisjoint(values):
        for key, value in values.items():
            kind = type(value)
            if type(key) is not str or key not in _GOOD_KEYS or not (
                    (kind is str and value.isascii() and len(value) <= MAX_STRING_LENGTH)
                    or (kind is int and _INT64_MIN <= value <= _INT64_MAX)
                    or kind is bool or kind is float):
                break
        else:
            into.update(values)
            return
    for raw_key, value in list(values.items()):
        key = plain_key(raw_key)
        problem = ("it is not a non-empty string" if key is None
                   else "the library sets it itself" if key in _RESERVED else name_problem(key))
        if key is None or problem is not None:
            guard.dropped_attribute(
                f"{event_name}:key", "otel_product_events: event %r drops attribute %s: its "
                "name cannot be sent (%s).", event_name, shown(key), problem)
            continue
        converted = to_attribute_value(value)
        if isinstance(converted, Unsupported):
            if converted is not IS_NONE:
                guard.dropped_attribute(
                    f"{event_name}:{key}", "otel_product_events: event %r drops attribute %r: %s.",
                    event_name, key, converted.reason)
            continue
        into[key] = converted
        if len(_GOOD_KEYS) < _MAX_GOOD_KEYS:
            _GOOD_KEYS.add(key)  # checked above: the next call may take the fast path

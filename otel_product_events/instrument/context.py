"""Product context: attributes added to every event emitted inside a ``with`` block.

It lives in a :class:`contextvars.ContextVar`, so it follows asyncio tasks and threads started
with a copied context, and each block restores exactly what it found.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from types import MappingProxyType, TracebackType

from otel_product_events import guard
from otel_product_events.attributes import AttributeValue
from otel_product_events.instrument.values import (
    Unsupported,
    plain_key,
    to_attribute_value,
)
from otel_product_events.names import name_problem, shown

_EMPTY: Mapping[str, AttributeValue] = MappingProxyType({})
_current: ContextVar[Mapping[str, AttributeValue]] = ContextVar(
    "otel_product_events.product_context", default=_EMPTY
)


def current() -> Mapping[str, AttributeValue]:
    """The product context attributes in effect here (read-only)."""
    return _current.get()


class product_context:
    """Adds ``attributes`` to every product event emitted inside the block.

    >>> with product_context({"team.id": team.id}):
    ...     create_incident(...)

    Inner blocks add to (and may override) outer ones. Values are checked once, on entry; one
    that cannot be sent (or a key that is not a non-empty string) is dropped with a warning,
    never raised. Works with ``with`` and ``async with``.
    """

    __slots__ = ("_attributes", "_token")

    def __init__(self, attributes: Mapping[str, object]) -> None:
        if not isinstance(attributes, Mapping):
            raise TypeError(
                f"product_context() takes a mapping of attributes, not {type(attributes).__name__}"
            )
        self._attributes = _clean(attributes)
        self._token: Token[Mapping[str, AttributeValue]] | None = None

    def __enter__(self) -> product_context:
        if self._token is not None:
            raise RuntimeError("this product_context is already entered; create a new one")
        merged = {**_current.get(), **self._attributes}
        self._token = _current.set(MappingProxyType(merged))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None

    async def __aenter__(self) -> product_context:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)


def _clean(attributes: Mapping[str, object]) -> dict[str, AttributeValue]:
    """The sendable attributes; whatever the mapping holds (or raises), never raises."""
    cleaned: dict[str, AttributeValue] = {}
    try:
        items = list(attributes.items())
    except Exception as error:  # a mapping whose items() raises: nothing can be read
        guard.dropped_attribute("context", "otel_product_events: product_context drops its "
                                "attributes: reading them raised %s.", type(error).__name__)
        return cleaned
    for raw_key, value in items:
        key = plain_key(raw_key)
        problem = "it is not a non-empty string" if key is None else name_problem(key)
        if key is None or problem is not None:
            guard.dropped_attribute("context-key", "otel_product_events: product_context drops "
                                    "%s: its name cannot be sent (%s).", shown(key), problem)
            continue
        converted = to_attribute_value(value)
        if isinstance(converted, Unsupported):
            guard.dropped_attribute(
                "context", "otel_product_events: product_context drops %r: %s.", key[:64],
                converted.reason)
            continue
        cleaned[key] = converted
    return cleaned

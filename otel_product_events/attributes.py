"""The vocabulary every wing shares: where a declared attribute's value comes from, and what
may be sent.

* a source (:data:`AttributeSource`): a parameter path (``"user.id"``), a path into the return
  value (``"return.id"``), a callable receiving a :class:`Call`, :func:`count_of` or
  :func:`hashed` of another source;
* a value (:data:`AttributeValue`): what the OTLP encoder accepts once a value is made safe.

Only descriptions live here, no behaviour: compiling sources is ``instrument.extract``, hashing
is ``privacy.hashing``. It sits on the ground floor so the catalog, privacy and the call path
can all name these types without importing each other.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias, Union

#: A value the OTLP encoder accepts (a subset of ``opentelemetry.util.types.AnyValue``).
# Union, not "|": the recursive forward reference cannot use the operator on Python 3.10.
AttributeValue: TypeAlias = Union[  # noqa: UP007
    str, bool, int, float, bytes, tuple["AttributeValue", ...], dict[str, "AttributeValue"]
]


class Call:
    """One call of a tracked function, as a callable attribute source sees it."""

    __slots__ = ("_arguments", "_signature", "args", "instance", "kwargs", "result")

    def __init__(
        self,
        signature: inspect.Signature | None,
        instance: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: object,
    ) -> None:
        self._signature = signature
        self._arguments: Mapping[str, Any] | None = None
        #: The object a method was called on (the class for a classmethod), else None.
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        #: The return value (None while the call has not returned, or when it raised).
        self.result = result

    @property
    def arguments(self) -> Mapping[str, Any]:
        """The call's arguments by parameter name, defaults applied (``self`` included)."""
        if self._arguments is None:
            self._arguments = bind_arguments(self._signature, self.instance, self.args, self.kwargs)
        return self._arguments


def bind_arguments(
    signature: inspect.Signature | None,
    instance: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Mapping[str, Any]:
    if signature is None:
        return dict(kwargs)
    full_args = args if instance is None else (instance, *args)
    bound = signature.bind(*full_args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


class DerivedSource:
    """A path source whose value goes through ``derive`` before it is sent, e.g. the number of
    items of a list (``count_of("return.checklists")``, a catalog's ``count: true``)."""

    __slots__ = ("derive", "label", "path")

    def __init__(self, path: object, derive: Callable[[Any], object], label: str) -> None:
        self.path = path
        self.derive = derive
        self.label = label

    def __repr__(self) -> str:
        return f"{self.label}({self.path!r})"


def count_of(path: str) -> DerivedSource:
    """The number of items (``len``) of the value at ``path``, instead of the value itself."""
    return DerivedSource(path, len, "count_of")


class Hashed:
    """A source or value to be sent hashed; created by :func:`hashed`."""

    __slots__ = ("inner",)

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return "hashed(...)"  # never show the raw value, not even in a debugger's log


def hashed(source_or_value: object) -> Hashed:
    """Marks an attribute to be sent as a one-way hash of its value.

    ``track(attributes={"user.id": hashed("user_id")})``, ``emit("x", {"user.id":
    hashed(user.id)})``.
    """
    if isinstance(source_or_value, Hashed):
        return source_or_value
    return Hashed(source_or_value)


#: What ``track(attributes={...})`` accepts for each attribute.
AttributeSource: TypeAlias = Union[  # noqa: UP007
    str, Callable[[Call], object], DerivedSource, Hashed
]

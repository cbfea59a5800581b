"""Turns a declared attribute's Python value into a valid, bounded OpenTelemetry value.

The SDK would call ``str()`` on unknown objects (which may raise, or spill a whole object's
contents) and its encoder rejects integers beyond 64 bits and strings that are not valid UTF-8,
losing the whole batch. So every value is made safe here, once, before it reaches the SDK, and
this module never raises.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Final

from otel_product_events.attributes import AttributeValue, Hashed
from otel_product_events.privacy.hashing import HashedText, hash_value

MAX_STRING_LENGTH: Final = 4096
MAX_SEQUENCE_LENGTH: Final = 128
MAX_DEPTH: Final = 4
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
#: About 1200 decimal digits: below Python's default int-to-text limit (4300 digits).
_MAX_INT_BITS: Final = 4000


class Unsupported:
    """Why a value could not be sent; the attribute is dropped with this reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unsupported({self.reason!r})"


#: Returned for ``None``: the attribute is simply absent, which is not worth a warning.
IS_NONE: Final = Unsupported("the value is None")


def _clean_str(text: str) -> str:
    if type(text) is not str:  # a subclass may override len(), slicing, isascii()...
        text = str.__str__(text)
    if len(text) > MAX_STRING_LENGTH:
        text = text[:MAX_STRING_LENGTH]
    if text.isascii():
        return text
    # Lone surrogates (from undecodable bytes) cannot be encoded as UTF-8 by protobuf.
    return text.encode("utf-8", "replace").decode("utf-8")


def to_attribute_value(value: object, depth: int = 0) -> AttributeValue | Unsupported:
    """Returns ``value`` as a safe attribute value, or :class:`Unsupported` saying why not."""
    kind = type(value)
    if kind is str:
        return _clean_str(value)  # type: ignore[arg-type]
    if kind is HashedText:
        return value  # type: ignore[return-value]
    if kind is bool or kind is float:
        return value  # type: ignore[return-value]
    if kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:  # type: ignore[operator]
            return value  # type: ignore[return-value]
        return _big_int(value)  # type: ignore[arg-type]
    try:
        return _convert_other(value, depth)
    except Exception as error:  # e.g. a __str__ or __iter__ that raises
        return Unsupported(f"converting it raised {type(error).__name__}")


def _big_int(value: int) -> str | Unsupported:
    """Beyond 64 bits, the decimal text; Python refuses to write ints past a few thousand
    digits (``sys.set_int_max_str_digits``), and such a value is no attribute anyway."""
    if value.bit_length() > _MAX_INT_BITS:
        return Unsupported(f"an int of {value.bit_length()} bits is too large to send")
    try:
        return _clean_str(str(value))
    except ValueError:  # a lower int-to-text limit than ours
        return Unsupported("the int is too large to write as text")


def plain_key(key: object) -> str | None:
    """``key`` as a plain, non-empty ``str`` (never a subclass with methods of its own), or
    None when it is not a usable attribute name. Never raises."""
    if type(key) is str:
        return key or None
    if not isinstance(key, str):
        return None
    try:
        return str.__str__(key) or None
    except Exception:
        return None


def _convert_other(value: object, depth: int) -> AttributeValue | Unsupported:
    if value is None:
        return IS_NONE
    if isinstance(value, Hashed):
        return IS_NONE if value.inner is None else hash_value(value.inner)
    if isinstance(value, enum.Enum):
        return to_attribute_value(value.value, depth)
    if isinstance(value, int):  # int subclasses, such as IntFlag members
        return to_attribute_value(int(value), depth)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return _clean_str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        # Through the buffer protocol: a subclass's own slicing or __bytes__ is never called.
        with memoryview(value) as view:
            return view.cast("B")[:MAX_STRING_LENGTH].tobytes()
    if isinstance(value, (uuid.UUID, Decimal, PurePath)):
        return _clean_str(str(value))
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if depth >= MAX_DEPTH:
        return Unsupported(f"it is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return _convert_mapping(value, depth + 1)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = []
        for item in list(value)[:MAX_SEQUENCE_LENGTH]:
            converted = to_attribute_value(item, depth + 1)
            if not isinstance(converted, Unsupported):
                items.append(converted)
        return tuple(items)
    return Unsupported(
        f"{type(value).__name__} is not a str, number, bool, bytes, sequence or mapping; "
        "map the attribute to a plain field of it instead"
    )


def _convert_mapping(value: Mapping[object, object], depth: int) -> AttributeValue:
    result: dict[str, AttributeValue] = {}
    for key, item in list(value.items())[:MAX_SEQUENCE_LENGTH]:
        name = plain_key(key)
        if name is None:
            continue
        converted = to_attribute_value(item, depth)
        if not isinstance(converted, Unsupported):
            result[_clean_str(name)] = converted
    return result

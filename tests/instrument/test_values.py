"""Attribute values are made safe before they reach the SDK, and conversion never raises."""

from __future__ import annotations

import datetime
import enum
import math
import uuid
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import pytest

from otel_product_events.instrument.values import (
    IS_NONE,
    MAX_DEPTH,
    MAX_SEQUENCE_LENGTH,
    MAX_STRING_LENGTH,
    Unsupported,
    to_attribute_value,
)


class Color(enum.Enum):
    RED = "red"


class RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (True, True),
        (3, 3),
        (2.5, 2.5),
        (b"\x00\xff", b"\x00\xff"),
        (Color.RED, "red"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Decimal("1.10"), "1.10"),
        (PurePosixPath("/a/b"), "/a/b"),
        (datetime.date(2026, 1, 2), "2026-01-02"),
        ([1, "a", None], (1, "a")),
        ({"a": {"b": 1}, 5: "non-string key dropped"}, {"a": {"b": 1}}),
        (2**70, str(2**70)),
        ("bad \udcff surrogate", "bad ? surrogate"),
    ],
)
def test_supported_values_convert(value: Any, expected: Any) -> None:
    """Common Python values become the OTLP value a warehouse expects."""
    assert to_attribute_value(value) == expected


def test_nan_stays_a_float() -> None:
    converted = to_attribute_value(math.nan)
    assert isinstance(converted, float)
    assert math.isnan(converted)


def test_long_strings_and_lists_are_bounded() -> None:
    """A huge string or list is cut to the documented bounds."""
    assert to_attribute_value("x" * 10**6) == "x" * MAX_STRING_LENGTH
    converted = to_attribute_value(list(range(10**5)))
    assert isinstance(converted, tuple)
    assert len(converted) == MAX_SEQUENCE_LENGTH


def test_deep_and_cyclic_nesting_stops() -> None:
    """Nesting deeper than the bound is cut, so a cycle cannot recurse forever."""
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    depth = 0
    value: Any = to_attribute_value(cyclic)
    while value:
        value, depth = value[0], depth + 1
    assert depth <= MAX_DEPTH


def test_none_is_absent_and_unknown_objects_are_refused() -> None:
    """None means no attribute; an arbitrary object is refused (its str() might leak data)."""
    assert to_attribute_value(None) is IS_NONE
    refused = to_attribute_value(object())
    assert isinstance(refused, Unsupported)
    assert "map the attribute to a plain field" in refused.reason


def test_conversion_errors_are_reported_not_raised() -> None:
    """An object whose conversion raises is refused with the error's type."""

    class RaisingMapping(dict[str, int]):
        def items(self) -> Any:
            raise RuntimeError("no")

    refused = to_attribute_value(RaisingMapping())
    assert isinstance(refused, Unsupported)
    assert "RuntimeError" in refused.reason

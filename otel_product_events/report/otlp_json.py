"""Decodes attribute values from OTLP/JSON, the format the collector's file exporter writes."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any


def any_value(value: Mapping[str, Any] | None) -> Any:
    """One OTLP JSON ``AnyValue`` as a plain Python value (64-bit ints arrive as strings)."""
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "bytesValue" in value:
        return base64.b64decode(value["bytesValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    return None


def attributes(items: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    """An OTLP JSON attribute list (``[{"key": ..., "value": {...}}]``) as a dict."""
    return {item["key"]: any_value(item.get("value")) for item in items or []}

"""How many bytes a record takes in an OTLP request, estimated from its content without
encoding it, and the limits that keep every request within what a receiver accepts.

The estimate counts every string and bytes value exactly (UTF-8) and adds a generous bound for
protobuf framing, so it stays at or above the encoded size for the records we make; batches are
cut by it (:mod:`.batching`) and oversized events refused at emit time (``instrument.events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan

from otel_product_events.config import SETTINGS

#: One export request, at most: a safe margin under the 4 MiB an OTLP/gRPC receiver accepts by
#: default (the resource, scope and framing of a request take well under 64 KiB).
MAX_REQUEST_BYTES: Final = 3 * 1024 * 1024

# Protobuf framing, upper bounds: a KeyValue is tag+length around key (tag+length) and AnyValue
# (tag+length, then the value's tag+length); array items and scalars need less.
_PER_ATTRIBUTE: Final = 16
_PER_ITEM: Final = 8
_SCALAR: Final = 11
# Per log record: timestamps, trace and span ids, flags, severity, framing; per span likewise,
# with kind and status.
_PER_RECORD: Final = 96
_PER_SPAN: Final = 128


class _Limits:
    __slots__ = ("max_event_bytes",)

    def __init__(self) -> None:
        self.max_event_bytes = SETTINGS.max_event_bytes


#: The limits in force: ``configure(max_event_size=...)``, ``OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE``.
LIMITS: Final = _Limits()


def text_size(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def value_size(value: object) -> int:
    """Encoded bytes of one attribute value (an AnyValue), framing included."""
    if isinstance(value, str):
        return text_size(value) + _PER_ITEM
    if isinstance(value, (bool, int, float)) or value is None:
        return _SCALAR
    if isinstance(value, (bytes, bytearray)):
        return len(value) + _PER_ITEM
    if isinstance(value, (tuple, list)):
        return _PER_ITEM + sum(value_size(item) + _PER_ITEM for item in value)
    if isinstance(value, Mapping):
        return _PER_ITEM + attributes_size(value)
    return text_size(str(value)) + _PER_ITEM  # the SDK would send its str()


def _flat_size(attributes: dict[object, object]) -> int | None:
    """:func:`attributes_size` of string keys and flat values, or None for anything else."""
    texts = []
    for value in attributes.values():
        kind = type(value)
        if kind is str:
            texts.append(value)
        elif kind is not int and kind is not float and kind is not bool:
            return None
    try:
        text = "".join(attributes) + "".join(texts)  # type: ignore[arg-type]
    except TypeError:  # a key that is not a string
        return None
    count = len(attributes)
    return (text_size(text) + count * _PER_ATTRIBUTE + len(texts) * _PER_ITEM
            + (count - len(texts)) * _SCALAR)


def attributes_size(attributes: Mapping[str, object] | None) -> int:
    """Encoded bytes of a set of attributes (KeyValues)."""
    if not attributes:
        return 0
    # Every record of every batch is measured on the export thread: the common case (string
    # keys, flat values) is summed over one joined string rather than value by value. A dict,
    # the SDK's BoundedAttributes and a span's mappingproxy of one copy to a plain dict cheaply.
    copy = getattr(attributes, "copy", None)
    plain = copy() if copy is not None else None
    if type(plain) is dict:
        size = _flat_size(plain)
        if size is not None:
            return size
    return sum(text_size(key) + value_size(value) + _PER_ATTRIBUTE
               for key, value in attributes.items())


def event_size(event_name: str, attributes: Mapping[str, object]) -> int:
    """What the per-event limit measures: the name and the encoded attributes."""
    return text_size(event_name) + attributes_size(attributes)


def log_record_size(record: ReadableLogRecord) -> int:
    """Bytes one log record adds to an export request (an upper estimate)."""
    log = record.log_record
    size = _PER_RECORD + attributes_size(log.attributes)
    if log.event_name:
        size += text_size(log.event_name)
    if log.body is not None:
        size += value_size(log.body)
    return size


def _maybe_some(span: ReadableSpan, name: str) -> bool:
    items = getattr(span, name, None)
    try:
        return items is None or len(items) > 0
    except TypeError:
        return True


def span_size(span: ReadableSpan) -> int:
    """Bytes one span adds to an export request (an upper estimate)."""
    size = _PER_SPAN + text_size(span.name) + attributes_size(span.attributes)
    # The public events and links copy the SDK's lists on every read; most spans have neither,
    # which their private lists tell for free (when a future SDK renames them, we just copy).
    if _maybe_some(span, "_events"):
        for event in span.events:
            size += _PER_SPAN + text_size(event.name) + attributes_size(event.attributes)
    if _maybe_some(span, "_links"):
        for link in span.links:
            size += _PER_SPAN + attributes_size(link.attributes)
    if span.status.description:
        size += text_size(span.status.description)
    return size

"""OTLP protobuf wire bytes for log records and spans, exactly those of the SDK's encoders.

The SDK's encoder builds a protobuf object for every record, attribute and value before
serialising them. Here each record is written straight to wire bytes: strings and fixed-width
fields are copied, a key is encoded once per process, a resource or scope once per object.
Fields go in field-number order, and only those the SDK sets, so the bytes are the same
(:mod:`.otlp_encoding` checks it before using them; the tests check it on random records).
Anything else (a value type the SDK would convert or refuse, an int beyond 64 bits, text that
is not UTF-8) raises :class:`Unsupported`, for the SDK's encoder to handle.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind


class Unsupported(Exception):
    """A value this encoder leaves to the SDK's (which may convert, drop or refuse it)."""


_fixed64: Final = struct.Struct("<Q").pack
_fixed32: Final = struct.Struct("<I").pack
_double: Final = struct.Struct("<d").pack
# Lengths below 128 are one byte: nearly every key, value and attribute.
_SHORT: Final = [bytes((n,)) for n in range(128)]
_UINT64: Final = 0xFFFF_FFFF_FFFF_FFFF
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _varint(n: int) -> bytes:
    if n < 128:
        return _SHORT[n]
    out = bytearray()
    while n > 127:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    n = len(payload)
    return tag + (_SHORT[n] if n < 128 else _varint(n)) + payload


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: the SDK's encoder decides
        raise Unsupported from None


# -- values ------------------------------------------------------------------------------------

# A KeyValue's key, tag and length included, per key (a process uses a few hundred keys).
_KEYS: dict[str, bytes] = {}
_MAX_KEYS: Final = 4096


def _key(key: str) -> bytes:
    encoded = _KEYS.get(key)
    if encoded is None:
        if type(key) is not str:
            raise Unsupported
        encoded = _field(b"\x0a", _utf8(key)) if key else b""  # proto3: "" is not written
        if len(_KEYS) < _MAX_KEYS:
            _KEYS[key] = encoded
    return encoded


def _any_value(value: Any) -> bytes:
    """An AnyValue message (without its own tag and length), as the SDK's ``_encode_value``."""
    kind = type(value)
    if kind is str:
        return _field(b"\x0a", _utf8(value))
    if kind is int:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise Unsupported
        return b"\x18" + _varint(value & _UINT64)
    if kind is bool:
        return b"\x10\x01" if value else b"\x10\x00"
    if kind is float:
        return b"\x21" + _double(value)
    if value is None:
        return b""
    if kind is bytes:
        return _field(b"\x3a", value)
    if kind is tuple or kind is list:
        return _field(b"\x2a", b"".join(_field(b"\x0a", _any_value(item))
                                        for item in value))
    if kind is dict:
        return _field(b"\x32", b"".join(
            _field(b"\x0a", _key(str(k)) + _field(b"\x12", _any_value(v)))
            for k, v in value.items()))
    raise Unsupported


def _plain(attributes: Any) -> dict[str, Any]:
    # The SDK's BoundedAttributes and a span's mappingproxy iterate in Python; a copy is a dict.
    if type(attributes) is dict:
        return attributes
    copy = getattr(attributes, "copy", None)
    plain = copy() if copy is not None else None
    return plain if type(plain) is dict else dict(attributes.items())


# Per field tag and key, the last short string value written and its whole field: most values
# repeat from record to record (an outcome, a function name, a team), and are then copied.
_LAST: dict[bytes, dict[str, tuple[str, bytes]]] = {}


def _attributes(tag: bytes, attributes: Any) -> bytes:
    """The repeated KeyValue field ``tag``, one per attribute."""
    if not attributes:
        return b""
    last = _LAST.get(tag)
    if last is None:
        last = _LAST.setdefault(tag, {})
    parts = []
    for key, value in _plain(attributes).items():
        if type(value) is str:  # the common case, inline
            seen = last.get(key)
            if seen is not None and seen[0] == value:
                parts.append(seen[1])
                continue
            text = _utf8(value)
            n = len(text)
            if n < 126:
                entry = _key(key) + b"\x12" + _SHORT[n + 2] + b"\x0a" + _SHORT[n] + text
                n = len(entry)
                field = tag + (_SHORT[n] if n < 128 else _varint(n)) + entry
                if seen is not None or len(last) < _MAX_KEYS:
                    last[key] = (value, field)
                parts.append(field)
                continue
            entry = _key(key) + _field(b"\x12", _field(b"\x0a", text))
        else:
            entry = _key(key) + _field(b"\x12", _any_value(value))
        n = len(entry)
        parts.append(tag + (_SHORT[n] if n < 128 else _varint(n)) + entry)
    return b"".join(parts)


# -- resources, scopes and the request ---------------------------------------------------------

_ENCODED_ONCE: dict[int, tuple[object, tuple[bytes, bytes]]] = {}  # id -> (object kept, bytes)


def _once(thing: Any, encode: Callable[[Any], tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """The encoding of a resource or scope: immutable, and the same object for every record."""
    cached = _ENCODED_ONCE.get(id(thing))
    if cached is not None and cached[0] is thing:
        return cached[1]
    encoded = encode(thing)
    if len(_ENCODED_ONCE) >= 64:
        _ENCODED_ONCE.clear()
    _ENCODED_ONCE[id(thing)] = (thing, encoded)
    return encoded


def _resource(resource: Any) -> tuple[bytes, bytes]:
    """A Resource*s message's ``resource`` field (always there) and its ``schema_url`` field,
    which come before and after its scopes."""
    schema = resource.schema_url
    return (_field(b"\x0a", _attributes(b"\x0a", resource.attributes)),
            _field(b"\x1a", _utf8(schema)) if schema else b"")


def _scope(scope: Any) -> tuple[bytes, bytes]:
    """A Scope*s message's ``scope`` field (always there, empty for no scope) and its
    ``schema_url`` field, which come before and after its records."""
    if scope is None:
        return b"\x0a\x00", b""
    body = ((_field(b"\x0a", _utf8(scope.name)) if scope.name else b"")
            + (_field(b"\x12", _utf8(scope.version)) if scope.version else b"")
            + _attributes(b"\x1a", scope.attributes))
    schema = scope.schema_url
    return _field(b"\x0a", body), _field(b"\x1a", _utf8(schema)) if schema else b""


class _Group:
    __slots__ = ("key", "parts")

    def __init__(self, key: object) -> None:
        self.key = key
        self.parts: list[Any] = []


def _group_of(groups: list[_Group], key: object) -> _Group:
    # As the SDK's dict keyed by resource, then by scope: equal ones share a group, which the
    # first one seen stands for. A batch has one or two of each, so a list beats hashing (a
    # Resource hashes by dumping its attributes to JSON).
    for group in groups:
        if group.key is key:
            return group
    for group in groups:
        if group.key == key:
            return group
    group = _Group(key)
    groups.append(group)
    return group


def _request(batch: Sequence[Any], encode: Callable[[Any], bytes]) -> bytes:
    """The bytes of an Export*ServiceRequest: field 1, the resource_*s, each holding its
    resource (1), scope_*s (2) and schema_url (3); each scope_*s its scope (1), records (2)
    and schema_url (3)."""
    resources: list[_Group] = []
    last_resource: Any = _Group
    last_scope: Any = _Group
    records: list[bytes] = []
    for item in batch:
        resource = item.resource
        scope = item.instrumentation_scope or None
        if resource is not last_resource or scope is not last_scope:
            records = _group_of(_group_of(resources, resource).parts, scope).parts
            last_resource, last_scope = resource, scope
        records.append(_field(b"\x12", encode(item)))
    request = []
    for resource_group in resources:
        scope_messages = []
        for scope_group in resource_group.parts:
            head, tail = _once(scope_group.key, _scope) if scope_group.key is not None else (
                b"\x0a\x00", b"")
            scope_messages.append(_field(b"\x12", head + b"".join(scope_group.parts) + tail))
        head, tail = _once(resource_group.key, _resource)
        request.append(_field(b"\x0a", head + b"".join(scope_messages) + tail))
    return b"".join(request)


# -- log records -------------------------------------------------------------------------------


def _log_record(readable: ReadableLogRecord) -> bytes:
    """A LogRecord message, fields in number order, as the SDK's ``_encode_log``."""
    log = readable.log_record
    parts = []
    if log.timestamp:
        parts.append(b"\x09" + _fixed64(log.timestamp))  # 1 time_unix_nano
    severity = getattr(log.severity_number, "value", None)
    if severity:
        parts.append(b"\x10" + _varint(severity))  # 2 severity_number
    if log.severity_text:
        parts.append(_field(b"\x1a", _utf8(log.severity_text)))  # 3 severity_text
    parts.append(_field(b"\x2a", _any_value(log.body)))  # 5 body, always there
    parts.append(_attributes(b"\x32", log.attributes))  # 6 attributes
    dropped = readable.dropped_attributes
    if dropped:
        parts.append(b"\x38" + _varint(dropped))  # 7 dropped_attributes_count
    flags = int(log.trace_flags)
    if flags:
        parts.append(b"\x45" + _fixed32(flags))  # 8 flags
    if log.trace_id:
        parts.append(b"\x4a\x10" + log.trace_id.to_bytes(16, "big"))  # 9 trace_id
    if log.span_id:
        parts.append(b"\x52\x08" + log.span_id.to_bytes(8, "big"))  # 10 span_id
    if log.observed_timestamp:
        parts.append(b"\x59" + _fixed64(log.observed_timestamp))  # 11 observed_time_unix_nano
    if log.event_name:
        parts.append(_field(b"\x62", _utf8(log.event_name)))  # 12 event_name
    return b"".join(parts)


def logs_request_bytes(batch: Sequence[ReadableLogRecord]) -> bytes:
    """``encode_logs(batch).SerializeToString()`` of the SDK; raises :class:`Unsupported`."""
    return _request(batch, _log_record)


# -- spans -------------------------------------------------------------------------------------

# The OTLP SpanKind is the API's plus one (0 is SPAN_KIND_UNSPECIFIED).
_KINDS: Final = {kind: _varint(kind.value + 1) for kind in SpanKind}
_HAS_IS_REMOTE: Final = 0x100
_IS_REMOTE: Final = 0x200


def _flags(context: Any) -> bytes:
    return _fixed32(_HAS_IS_REMOTE | _IS_REMOTE if context and context.is_remote
                    else _HAS_IS_REMOTE)


def _maybe_some(span: ReadableSpan, name: str) -> bool:
    # The public events and links copy the SDK's lists on every read; most spans have neither,
    # which the private lists tell for free (if a future SDK renames them, we just copy).
    items = getattr(span, name, None)
    try:
        return items is None or len(items) > 0
    except TypeError:
        return True


def _span(span: ReadableSpan) -> bytes:
    """A Span message, fields in number order, as the SDK's ``_encode_span``."""
    context = span.context
    if context is None:
        raise Unsupported  # not a span the SDK could encode either
    parts = [b"\x0a\x10" + context.trace_id.to_bytes(16, "big"),  # 1 trace_id
             b"\x12\x08" + context.span_id.to_bytes(8, "big")]  # 2 span_id
    trace_state = context.trace_state
    if trace_state:
        text = ",".join([f"{key}={value}" for key, value in trace_state.items()])
        if text:
            parts.append(_field(b"\x1a", _utf8(text)))  # 3 trace_state
    parent = span.parent
    if parent:
        parts.append(b"\x22\x08" + parent.span_id.to_bytes(8, "big"))  # 4 parent_span_id
    if span.name:
        parts.append(_field(b"\x2a", _utf8(span.name)))  # 5 name
    parts.append(b"\x30" + _KINDS[span.kind])  # 6 kind (never 0)
    if span.start_time:
        parts.append(b"\x39" + _fixed64(span.start_time))  # 7 start_time_unix_nano
    if span.end_time:
        parts.append(b"\x41" + _fixed64(span.end_time))  # 8 end_time_unix_nano
    parts.append(_attributes(b"\x4a", span.attributes))  # 9 attributes
    if span.dropped_attributes:
        parts.append(b"\x50" + _varint(span.dropped_attributes))  # 10
    if _maybe_some(span, "_events"):
        for event in span.events:  # 11 events
            body = [b"\x09" + _fixed64(event.timestamp)] if event.timestamp else []
            if event.name:
                body.append(_field(b"\x12", _utf8(event.name)))
            body.append(_attributes(b"\x1a", event.attributes))
            if event.dropped_attributes:
                body.append(b"\x20" + _varint(event.dropped_attributes))
            parts.append(_field(b"\x5a", b"".join(body)))
    if span.dropped_events:
        parts.append(b"\x60" + _varint(span.dropped_events))  # 12
    if _maybe_some(span, "_links"):
        for link in span.links:  # 13 links
            body = [b"\x0a\x10" + link.context.trace_id.to_bytes(16, "big"),
                    b"\x12\x08" + link.context.span_id.to_bytes(8, "big"),
                    _attributes(b"\x22", link.attributes)]
            if link.dropped_attributes:
                body.append(b"\x28" + _varint(link.dropped_attributes))
            body.append(b"\x35" + _flags(link.context))
            parts.append(_field(b"\x6a", b"".join(body)))
    if span.dropped_links:
        parts.append(b"\x70" + _varint(span.dropped_links))  # 14
    status = span.status
    if status is not None:  # 15 status: message (2), code (3)
        code = status.status_code.value
        parts.append(_field(b"\x7a", (_field(b"\x12", _utf8(status.description))
                                      if status.description else b"")
                            + (b"\x18" + _varint(code) if code else b"")))
    parts.append(b"\x85\x01" + _flags(parent))  # 16 flags
    return b"".join(parts)


def spans_request_bytes(batch: Sequence[ReadableSpan]) -> bytes:
    """``encode_spans(batch).SerializeToString()`` of the SDK; raises :class:`Unsupported`."""
    return _request(batch, _span)

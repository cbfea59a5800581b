"""The OTLP exporters' request encoding, at a fraction of its CPU.

For a product event the SDK's encoder is over half of everything the application pays, on the
export thread, under the GIL. :mod:`.otlp_wire` writes the same bytes directly; here they are
parsed back into the very request message the SDK's ``encode_logs`` / ``encode_spans`` return
(parsing is C, about 1 us a record), so the OTLP exporters, HTTP and gRPC, send what they sent
before. :func:`install` puts these functions in place of the SDK's in the exporter modules
(their module attribute is the only seam they offer, as for their jitter in
:mod:`.exporters`), once sample records with every field have come out byte for byte the same.
They serve only the exports of our own exporters (:data:`.lazy_exporter.our_export`): the
application's OTLP exporters in the same process call the SDK's encoder, as before. A batch our
encoder does not take goes to the SDK's encoder, whole and unchanged.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan

from otel_product_events import guard
from otel_product_events.pipeline.lazy_exporter import our_export
from otel_product_events.pipeline.otlp_wire import (
    Unsupported,
    logs_request_bytes,
    spans_request_bytes,
)


def encode_logs(batch: Sequence[ReadableLogRecord]) -> ExportLogsServiceRequest:
    """The SDK's ``encode_logs``: the same request message, built from our bytes for our own
    exports (the application's exporters get the SDK's encoder itself)."""
    request: ExportLogsServiceRequest = _encoded(
        batch, logs_request_bytes, ExportLogsServiceRequest, sdk_encode_logs)
    return request


def encode_spans(batch: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    """The SDK's ``encode_spans``: the same request message, built from our bytes for our own
    exports (the application's exporters get the SDK's encoder itself)."""
    request: ExportTraceServiceRequest = _encoded(
        batch, spans_request_bytes, ExportTraceServiceRequest, sdk_encode_spans)
    return request


def _encoded(batch: Sequence[Any], to_bytes: Callable[[Any], bytes], message: Any,
             sdk_encode: Callable[[Any], Any]) -> Any:
    if not getattr(our_export, "active", False):
        return sdk_encode(batch)
    try:
        return message.FromString(to_bytes(batch))
    except Unsupported:
        pass
    except Exception as error:
        guard.internal_error("otlp_encoding", error)
    return sdk_encode(batch)


# -- installing --------------------------------------------------------------------------------

_SEAMS: Final = (
    ("opentelemetry.exporter.otlp.proto.http._log_exporter", "encode_logs"),
    ("opentelemetry.exporter.otlp.proto.grpc._log_exporter", "encode_logs"),
    ("opentelemetry.exporter.otlp.proto.http.trace_exporter", "encode_spans"),
    ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "encode_spans"),
)
_OURS: Final = {"encode_logs": (sdk_encode_logs, encode_logs),
                "encode_spans": (sdk_encode_spans, encode_spans)}


class _Verdict:
    checked = False
    agrees = False
    # The span and log exporters are built on their own threads, often at once: the second
    # must wait for the first one's check, not read "checked" before "agrees" is known.
    lock = threading.Lock()


def install() -> bool:
    """Puts our encoders in the OTLP exporter modules imported so far, if they give the SDK's
    bytes for a sample of every kind of field (checked once). False: the SDK's encoders stay."""
    with _Verdict.lock:
        if not _Verdict.checked:
            try:
                _Verdict.agrees = agrees_with_sdk(*samples())
            except Exception as error:  # an SDK whose records we cannot build: keep its own
                _Verdict.agrees = False
                guard.internal_error("otlp_encoding_check", error)
            _Verdict.checked = True
            if not _Verdict.agrees:
                guard.count("otlp_encoding_fallback")
    if not _Verdict.agrees:
        return False
    for module_name, attribute in _SEAMS:
        module = sys.modules.get(module_name)
        sdk, ours = _OURS[attribute]
        if module is not None and getattr(module, attribute, None) is sdk:
            setattr(module, attribute, ours)
    return True


def agrees_with_sdk(logs: Sequence[ReadableLogRecord], spans: Sequence[ReadableSpan]) -> bool:
    """Whether our bytes are the SDK's for these records (the same request, field for field)."""
    sdk_logs: bytes = sdk_encode_logs(logs).SerializeToString()
    sdk_spans: bytes = sdk_encode_spans(spans).SerializeToString()
    return logs_request_bytes(logs) == sdk_logs and spans_request_bytes(spans) == sdk_spans


def samples() -> tuple[list[ReadableLogRecord], list[ReadableSpan]]:
    """Log records and spans with every field the encoders write, built directly from the SDK's
    public types: no provider, so no id drawn, no limit or sampler read from the environment,
    no internal metric, nothing logged."""
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Event
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import (
        Link,
        NonRecordingSpan,
        SpanContext,
        SpanKind,
        Status,
        StatusCode,
        TraceFlags,
        TraceState,
        set_span_in_context,
    )

    values: dict[str, Any] = {
        "s": "text", "long": "é" * 300, "empty": "", "i": -7, "big": 2**62, "f": 1.5,
        "t": True, "no": False, "b": b"\x00\x01", "list": ["a", "b"], "ints": (1, 2),
        "none": [None, 1.0], "map": {"k": {"deep": [True]}}, "nothing": {},
    }
    resource = Resource({"service.name": "check", "n": 1}, "https://schema/r")
    scope = InstrumentationScope("scope", "1.0", "https://schema/s", {"a": "b"})
    remote = SpanContext(0x1F, 0x2E, is_remote=True, trace_flags=TraceFlags(1),
                         trace_state=TraceState([("k", "v"), ("o", "w")]))
    local = SpanContext(0x1F, 0x3D, is_remote=False, trace_flags=TraceFlags(1),
                        trace_state=TraceState([("k", "v")]))
    in_span = set_span_in_context(NonRecordingSpan(remote))
    logs = [
        ReadableLogRecord(LogRecord(
            event_name="checked", attributes=values, timestamp=1, observed_timestamp=2,
            context=in_span, severity_number=SeverityNumber.WARN, severity_text="WARN",
            body="body"), resource, scope),
        ReadableLogRecord(LogRecord(body={"nested": values["map"], "": b""},
                                    observed_timestamp=3), resource, None),
        ReadableLogRecord(LogRecord(attributes={"x": 1}, observed_timestamp=4),
                          Resource({}), InstrumentationScope("other")),
    ]
    spans = [
        ReadableSpan("parent", local, None, resource, values,
                     events=[Event("happened", {"k": "v"}, timestamp=5)],
                     links=[Link(remote, {"l": 1})], kind=SpanKind.SERVER,
                     status=Status(StatusCode.ERROR, "why"), start_time=6, end_time=7,
                     instrumentation_scope=scope),
        ReadableSpan("child", SpanContext(0x1F, 0x4C, is_remote=False), remote, resource,
                     status=Status(StatusCode.OK), start_time=8, end_time=9),
    ]
    return logs, spans

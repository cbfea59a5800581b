"""In-memory capture of product events and spans, installed on the global SDK providers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import _logs, trace
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.context import Context
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from otel_product_events import semconv
from otel_product_events.ids import PrivateIdGenerator


@dataclass(frozen=True)
class CapturedEvent:
    """One product event as the exporter would see it."""

    name: str
    attributes: Mapping[str, Any]
    timestamp: int | None
    observed_timestamp: int | None
    trace_id: int
    span_id: int
    resource: Mapping[str, Any]
    scope_name: str
    scope_version: str | None


@dataclass
class CapturedEvents:
    """Everything captured inside one :func:`capture_events` block."""

    events: list[CapturedEvent] = field(default_factory=list)
    spans: list[ReadableSpan] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, index: int) -> CapturedEvent:
        return self.events[index]

    def __iter__(self) -> Iterator[CapturedEvent]:
        return iter(self.events)

    def names(self) -> list[str]:
        """The event names, in emission order."""
        return [event.name for event in self.events]

    def named(self, name: str) -> list[CapturedEvent]:
        """The events called ``name``."""
        return [event for event in self.events if event.name == name]


class _Tap(LogRecordProcessor, SpanProcessor):
    """Forwards records of our scope to every open capture."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.captures: list[CapturedEvents] = []

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        scope = log_record.instrumentation_scope
        record = log_record.log_record
        if scope is None or scope.name != semconv.SCOPE_NAME or not record.event_name:
            return
        event = CapturedEvent(
            name=record.event_name,
            attributes=dict(record.attributes or {}),
            timestamp=record.timestamp,
            observed_timestamp=record.observed_timestamp,
            trace_id=record.trace_id or 0,
            span_id=record.span_id or 0,
            resource=dict(log_record.resource.attributes) if log_record.resource else {},
            scope_name=scope.name,
            scope_version=scope.version,
        )
        with self.lock:
            for capture in self.captures:
                capture.events.append(event)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        with self.lock:
            for capture in self.captures:
                capture.spans.append(span)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_tap = _Tap()
_installed_on: list[object] = []
_install_lock = threading.Lock()


def _install() -> None:
    with _install_lock:
        tracer_provider = trace.get_tracer_provider()
        if isinstance(tracer_provider, trace.ProxyTracerProvider):
            # Ids from our private generator, as configure() does: a test that seeds the global
            # random (jinja2's test_random) must draw the same values with capture on.
            tracer_provider = TracerProvider(id_generator=PrivateIdGenerator())
            trace.set_tracer_provider(tracer_provider)
        logger_provider = _logs.get_logger_provider()
        if isinstance(logger_provider, ProxyLoggerProvider):
            logger_provider = LoggerProvider()
            _logs.set_logger_provider(logger_provider)
        if not isinstance(tracer_provider, TracerProvider) or not isinstance(
            logger_provider, LoggerProvider
        ):
            raise RuntimeError(
                "capture_events() needs the OpenTelemetry SDK providers (or none at all), "
                f"found {type(tracer_provider).__name__} and {type(logger_provider).__name__}"
            )
        if tracer_provider not in _installed_on:
            tracer_provider.add_span_processor(_tap)
            _installed_on.append(tracer_provider)
        if logger_provider not in _installed_on:
            logger_provider.add_log_record_processor(_tap)
            _installed_on.append(logger_provider)


@contextmanager
def capture_events() -> Iterator[CapturedEvents]:
    """Captures the product events and spans emitted inside the block (from every thread).

    Installs SDK providers without exporters when none are set, otherwise taps the installed
    SDK providers; processing is synchronous, so nothing needs flushing.
    """
    _install()
    captured = CapturedEvents()
    with _tap.lock:
        _tap.captures.append(captured)
    try:
        yield captured
    finally:
        with _tap.lock:
            _tap.captures.remove(captured)

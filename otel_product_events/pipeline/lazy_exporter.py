"""OTLP exporters built when the first batch goes out, not when :func:`configure` runs.

Importing an OTLP exporter (``requests`` or ``grpcio``, protobuf and the encoders) costs more CPU
than the rest of start-up together, and many processes never send anything: a CLI's ``--help``,
a worker that found no work, every child process of an instrumented application. So
:func:`configure` hands the batch processors a stand-in that knows how to build the exporter,
and builds it on its first export (or when the spool is resent), on that thread: the batch
processor's, the flush worker's or the spool sender's, never the application's.

The exporter reads its ``OTEL_EXPORTER_OTLP_*`` variables when it is built, as the SDK's does
when it is constructed. If it cannot be built (a setting it refuses, ``grpcio`` missing), that
is counted once (``exporters_not_built``) and logged once, naming the signal; the batch fails
like any failed export (spooled for a later run, or counted as failed), and so does every later
one: the build is not tried again in this process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_product_events import guard

_log = logging.getLogger("otel_product_events")

#: ``active`` while one of our exporters exports on this thread. The faster encoder installed in
#: the OTLP exporter modules (:mod:`.otlp_encoding`) serves only these exports: an application's
#: own OTLP exporters in the same process keep the SDK's encoder.
our_export = threading.local()


class LazyExporter:
    """Builds the exporter named by ``class_path`` (``module:Class``) once, on first use."""

    def __init__(self, signal: str, class_path: str, build: Callable[[], Any]) -> None:
        self.signal = signal
        #: ``module:Class`` of the exporter it builds (the spool reads the protocol from it).
        self.class_path = class_path
        self._build = build
        self._lock = threading.Lock()
        self._exporter: Any = None
        self._given_up = False  # the build failed, or shutdown came first

    def built(self) -> Any:
        """The exporter, built now if it was not; None if it cannot be (or was shut down)."""
        exporter = self._exporter
        if exporter is not None or self._given_up:
            return exporter
        with self._lock:
            if self._exporter is None and not self._given_up:
                try:
                    self._exporter = self._build()
                except Exception as error:
                    self._given_up = True
                    _not_built(self.signal, error)
            return self._exporter

    def _export(self, batch: Sequence[Any], failure: Any) -> Any:
        exporter = self.built()
        if exporter is None:
            return failure
        our_export.active = True
        try:
            return exporter.export(batch)
        finally:
            our_export.active = False

    def _shutdown(self) -> None:
        with self._lock:
            exporter, self._given_up = self._exporter, True
        if exporter is not None:
            exporter.shutdown()

    def _force_flush(self, timeout_millis: int) -> bool:
        exporter = self._exporter
        return True if exporter is None else bool(exporter.force_flush(timeout_millis))


def _not_built(signal: str, error: Exception) -> None:
    # A configuration problem, not our bug: counted and logged once, never raised (strict mode
    # included: this runs on an export thread, where raising would only lose the batch quietly).
    guard.count("exporters_not_built")
    # Only the type at WARNING: the message may quote a header value (a token).
    guard.warn(f"exporter-not-built:{signal}", "otel_product_events: the OTLP exporter for %s "
               "cannot be built (%s), so they are not sent in this process (kept in the spool "
               "for a later run where it can be, else counted as failed). Check the "
               "OTEL_EXPORTER_OTLP_* variables; DEBUG logging of 'otel_product_events' shows "
               "the traceback.", signal.replace("_", " "), type(error).__name__)
    _log.debug("cannot build the OTLP exporter for %s", signal, exc_info=error)


class LazySpanExporter(LazyExporter, SpanExporter):
    """A span exporter built on its first export."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result: SpanExportResult = self._export(spans, SpanExportResult.FAILURE)
        return result

    def shutdown(self) -> None:
        self._shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._force_flush(timeout_millis)


class LazyLogExporter(LazyExporter, LogRecordExporter):
    """A log record exporter built on its first export."""

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result: LogRecordExportResult = self._export(batch, LogRecordExportResult.FAILURE)
        return result

    def shutdown(self) -> None:
        self._shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._force_flush(timeout_millis)

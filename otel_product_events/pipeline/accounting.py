"""Counts what happens to telemetry after we hand it to the SDK, for :func:`pe.stats`.

The OTel SDK drops the oldest record when a batch queue is full (logging about it once in a
while), and forgets a batch whose export failed after its retries. Product analytics needs
numbers instead. For the pipelines :func:`configure` builds, a :class:`Ledger` per signal counts
records accepted by the processor, exported, failed, dropped as too large for any request, and
in flight; records dropped because the queue was full are what is left: ``accepted - exported -
failed - too large - queued - in flight``, exact whenever no record is being added at that very
moment.

The exporter wrappers here also cut each batch into requests that fit (:mod:`.batching`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_product_events.pipeline.batching import Outcome, send_in_requests
from otel_product_events.pipeline.sizing import MAX_REQUEST_BYTES, log_record_size, span_size


class Ledger:
    """The counts of one signal's pipeline (``log_records`` or ``spans``)."""

    def __init__(self, signal: str) -> None:
        self.signal = signal
        # Re-entrant: a signal handler that emits may interrupt this thread in snapshot().
        self.lock = threading.RLock()
        self.accepted = 0
        self.exported = 0
        self.failed = 0
        self.too_large = 0
        self.in_flight = 0
        #: Records written to the spool instead (see spooling_exporter.py).
        self.spooled = 0
        #: Called before a record enters the queue, to spool the oldest of a full queue.
        self.spill: Callable[[], None] | None = None
        self._queue_length: Callable[[], int] = lambda: 0

    def watch_queue(self, processor: object) -> None:
        # SDK internals (1.4x): the batch processor's bounded deque. If a future SDK moves it,
        # queued records simply count as dropped until they are exported.
        queue = getattr(getattr(processor, "_batch_processor", None), "_queue", None)
        if queue is not None:
            self._queue_length = queue.__len__

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            queued = self._queue_length()
            dropped = (self.accepted - self.exported - self.failed - self.too_large
                       - self.spooled - queued - self.in_flight)
            counts = {"exported": self.exported, "export_failed": self.failed,
                      "dropped_too_large": self.too_large, "spooled": self.spooled,
                      "dropped_queue_full": max(0, dropped), "queued": queued + self.in_flight}
        return {f"{self.signal}_{name}": value for name, value in counts.items() if value}


LOGS: Final = Ledger("log_records")
SPANS: Final = Ledger("spans")


def snapshot() -> dict[str, int]:
    """The export counters of both signals (absent when zero)."""
    return {**LOGS.snapshot(), **SPANS.snapshot()}


def left() -> dict[str, int]:
    """Records accepted but not yet exported (queued or in flight), by signal; zeros absent."""
    counts = {ledger.signal: ledger.snapshot().get(f"{ledger.signal}_queued", 0)
              for ledger in (LOGS, SPANS)}
    return {signal: count for signal, count in counts.items() if count}


class CountingBatchLogRecordProcessor(BatchLogRecordProcessor):
    """A batch processor that counts every record it accepts."""

    def __init__(self, exporter: LogRecordExporter, **kwargs: int | None) -> None:
        super().__init__(exporter, **kwargs)  # type: ignore[arg-type]
        LOGS.watch_queue(self)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        with LOGS.lock:
            LOGS.accepted += 1
        if LOGS.spill is not None:
            LOGS.spill()
        super().on_emit(log_record)


class CountingBatchSpanProcessor(BatchSpanProcessor):
    """A batch processor that counts every sampled span it accepts."""

    def __init__(self, exporter: SpanExporter, **kwargs: int | None) -> None:
        super().__init__(exporter, **kwargs)  # type: ignore[arg-type]
        SPANS.watch_queue(self)

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            with SPANS.lock:
                SPANS.accepted += 1
            if SPANS.spill is not None:
                SPANS.spill()
        super().on_end(span)


def _settle(ledger: Ledger, count: int, outcome: Outcome) -> None:
    with ledger.lock:
        ledger.in_flight -= count
        ledger.exported += outcome.exported
        ledger.too_large += outcome.too_large
        ledger.failed += count - outcome.exported - outcome.too_large  # an exception: all failed


class CountingLogExporter(LogRecordExporter):
    """Sends each batch as requests that fit; counts log records exported, failed and too
    large for any request."""

    def __init__(self, exporter: LogRecordExporter,
                 max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.exporter = exporter
        self.max_request_bytes = max_request_bytes
        self._last = threading.local()

    def last_outcome(self) -> Outcome | None:
        """What became of each record of the last batch this thread exported (the spool keeps
        only the records that failed: some requests of a batch may have been delivered)."""
        outcome: Outcome | None = getattr(self._last, "outcome", None)
        return outcome

    def _send(self, part: Sequence[ReadableLogRecord]) -> bool:
        return self.exporter.export(part) is LogRecordExportResult.SUCCESS

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        with LOGS.lock:
            LOGS.in_flight += len(batch)
        outcome = self._last.outcome = Outcome()
        try:
            send_in_requests(batch, log_record_size, self.max_request_bytes, self._send, outcome)
        finally:
            _settle(LOGS, len(batch), outcome)
        if outcome.exported == len(batch):
            return LogRecordExportResult.SUCCESS
        return LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        self.exporter.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


class CountingSpanExporter(SpanExporter):
    """Sends each batch as requests that fit; counts spans exported, failed and too large for
    any request."""

    def __init__(self, exporter: SpanExporter, max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.exporter = exporter
        self.max_request_bytes = max_request_bytes
        self._last = threading.local()

    def last_outcome(self) -> Outcome | None:
        """What became of each record of the last batch this thread exported (the spool keeps
        only the records that failed: some requests of a batch may have been delivered)."""
        outcome: Outcome | None = getattr(self._last, "outcome", None)
        return outcome

    def _send(self, part: Sequence[ReadableSpan]) -> bool:
        return self.exporter.export(part) is SpanExportResult.SUCCESS

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with SPANS.lock:
            SPANS.in_flight += len(spans)
        outcome = self._last.outcome = Outcome()
        try:
            send_in_requests(spans, span_size, self.max_request_bytes, self._send, outcome)
        finally:
            _settle(SPANS, len(spans), outcome)
        if outcome.exported == len(spans):
            return SpanExportResult.SUCCESS
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)

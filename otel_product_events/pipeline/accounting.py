"""Counts what happens to telemetry after we hand it to the SDK, for :func:`pe.stats`.

The OTel SDK drops the oldest record when a batch queue is full (logging about it once in a
while), and forgets a batch whose export failed after its retries. Product analytics needs
numbers instead. For the pipelines :func:`configure` builds, a :class:`Ledger` per signal counts
records accepted by the processor, exported, failed and in flight; records dropped because the
queue was full are what is left: ``accepted - exported - failed - queued - in flight``, exact
whenever no record is being added at that very moment.
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


class Ledger:
    """The counts of one signal's pipeline (``log_records`` or ``spans``)."""

    def __init__(self, signal: str) -> None:
        self.signal = signal
        self.lock = threading.Lock()
        self.accepted = 0
        self.exported = 0
        self.failed = 0
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
            dropped = (self.accepted - self.exported - self.failed - self.spooled - queued
                       - self.in_flight)
            counts = {"exported": self.exported, "export_failed": self.failed,
                      "spooled": self.spooled,
                      "dropped_queue_full": max(0, dropped), "queued": queued + self.in_flight}
        return {f"{self.signal}_{name}": value for name, value in counts.items() if value}


LOGS: Final = Ledger("log_records")
SPANS: Final = Ledger("spans")


def snapshot() -> dict[str, int]:
    """The export counters of both signals (absent when zero)."""
    return {**LOGS.snapshot(), **SPANS.snapshot()}


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


def _settle(ledger: Ledger, count: int, succeeded: bool) -> None:
    with ledger.lock:
        ledger.in_flight -= count
        if succeeded:
            ledger.exported += count
        else:
            ledger.failed += count


class CountingLogExporter(LogRecordExporter):
    """Counts log records exported, and those whose export failed."""

    def __init__(self, exporter: LogRecordExporter) -> None:
        self.exporter = exporter

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        with LOGS.lock:
            LOGS.in_flight += len(batch)
        succeeded = False
        try:
            result = self.exporter.export(batch)
            succeeded = result is LogRecordExportResult.SUCCESS
            return result
        finally:
            _settle(LOGS, len(batch), succeeded)

    def shutdown(self) -> None:
        self.exporter.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


class CountingSpanExporter(SpanExporter):
    """Counts spans exported, and those whose export failed."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with SPANS.lock:
            SPANS.in_flight += len(spans)
        succeeded = False
        try:
            result = self.exporter.export(spans)
            succeeded = result is SpanExportResult.SUCCESS
            return result
        finally:
            _settle(SPANS, len(spans), succeeded)

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)

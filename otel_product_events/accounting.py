"""Counts what happens to telemetry after we hand it to the SDK, for :func:`pe.stats`.

The OTel SDK drops the oldest record when a batch queue is full and logs about it once in a
while; an export that fails after its retries is logged and forgotten. Product analytics needs
numbers instead: these wrappers count records exported, records whose export failed, and records
dropped because the queue was full, per signal.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk._logs import ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from . import guard


def _queue_is_full(processor: object) -> bool:
    # SDK internals (1.4x): BatchProcessor keeps a bounded deque. If a future SDK moves them,
    # queue-full drops are simply not counted; nothing breaks.
    batch = getattr(processor, "_batch_processor", None)
    queue = getattr(batch, "_queue", None)
    limit = getattr(batch, "_max_queue_size", None)
    return queue is not None and limit is not None and len(queue) >= limit


class CountingBatchLogRecordProcessor(BatchLogRecordProcessor):
    """A batch processor that counts the records it drops because its queue is full."""

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if _queue_is_full(self):
            guard.count("log_records_dropped_queue_full")
        super().on_emit(log_record)


class CountingBatchSpanProcessor(BatchSpanProcessor):
    """A batch processor that counts the spans it drops because its queue is full."""

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled and _queue_is_full(self):
            guard.count("spans_dropped_queue_full")
        super().on_end(span)


class CountingLogExporter(LogRecordExporter):
    """Counts log records exported, and those whose export failed."""

    def __init__(self, exporter: LogRecordExporter) -> None:
        self.exporter = exporter

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        try:
            result = self.exporter.export(batch)
        except Exception:
            guard.count("log_records_export_failed", len(batch))
            raise
        succeeded = result is LogRecordExportResult.SUCCESS
        guard.count("log_records_exported" if succeeded else "log_records_export_failed",
                    len(batch))
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


class CountingSpanExporter(SpanExporter):
    """Counts spans exported, and those whose export failed."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.exporter.export(spans)
        except Exception:
            guard.count("spans_export_failed", len(spans))
            raise
        succeeded = result is SpanExportResult.SUCCESS
        guard.count("spans_exported" if succeeded else "spans_export_failed", len(spans))
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)

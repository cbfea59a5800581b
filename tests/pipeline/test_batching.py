"""Requests are cut by bytes; a record too large for any request is dropped alone, counted."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace.export import SpanExporter

import otel_product_events as pe
from otel_product_events.pipeline import accounting
from otel_product_events.pipeline.accounting import CountingLogExporter
from otel_product_events.pipeline.sizing import log_record_size
from tests.helpers import exported_records


@pytest.fixture(autouse=True)
def own_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporters below count into a ledger of their own, not the process's pe.stats()."""
    monkeypatch.setattr(accounting, "LOGS", accounting.Ledger("log_records"))


def records_of(log_exporter: InMemoryLogRecordExporter, texts: Sequence[str]) -> list[
        ReadableLogRecord]:
    for i, text in enumerate(texts):
        pe.emit("sized", {"i": i, "text": text, "tags": ("é" * 10, "b"), "n": 1.5})
    return exported_records(log_exporter)


class Recording(LogRecordExporter):
    def __init__(self) -> None:
        self.requests: list[int] = []

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        self.requests.append(len(batch))
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def test_the_size_estimate_is_never_below_the_encoded_size(
    log_exporter: InMemoryLogRecordExporter,
) -> None:
    first, *records = records_of(log_exporter, ["", "", "x" * 4096, "\U0001f600" * 1000, "ü"])
    alone = encode_logs([first]).ByteSize()  # the resource and scope, sent once per request
    for record in records:
        assert log_record_size(record) >= encode_logs([first, record]).ByteSize() - alone


def test_a_batch_is_sent_as_requests_under_the_byte_limit(
    log_exporter: InMemoryLogRecordExporter,
) -> None:
    records = records_of(log_exporter, ["x" * 4000] * 10)
    inner = Recording()
    CountingLogExporter(inner, max_request_bytes=9000).export(records)
    assert inner.requests == [2, 2, 2, 2, 2]
    assert accounting.LOGS.exported == 10


def test_a_record_larger_than_any_request_is_dropped_alone_and_counted(
    log_exporter: InMemoryLogRecordExporter,
) -> None:
    records = records_of(log_exporter, ["small", "x" * 4096, "small"])
    inner = Recording()
    result = CountingLogExporter(inner, max_request_bytes=2000).export(records)
    assert result is LogRecordExportResult.FAILURE
    assert inner.requests == [2]
    assert (accounting.LOGS.too_large, accounting.LOGS.exported) == (1, 2)


def test_the_wrappers_are_plain_sdk_exporters() -> None:
    assert issubclass(accounting.CountingLogExporter, LogRecordExporter)
    assert issubclass(accounting.CountingSpanExporter, SpanExporter)

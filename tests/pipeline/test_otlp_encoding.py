"""Our OTLP encoding writes the SDK's request bytes, field for field, for any record; what it
does not write itself (and its own failures) the SDK's encoder handles, as before."""

from __future__ import annotations

import importlib
import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.sdk._logs import LoggerProvider, LogRecordLimits, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
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

from otel_product_events import guard
from otel_product_events.errors import ProductEventsError
from otel_product_events.pipeline import otlp_encoding, otlp_wire
from otel_product_events.pipeline.lazy_exporter import our_export
from otel_product_events.pipeline.otlp_encoding import (
    agrees_with_sdk,
    encode_logs,
    encode_spans,
    samples,
)
from otel_product_events.pipeline.otlp_wire import logs_request_bytes, spans_request_bytes
from tests.helpers import last_json_line, run_python

# The limits below drop attributes on purpose, for the dropped counts.
pytestmark = pytest.mark.filterwarnings("ignore:Log record attributes were dropped")


@pytest.fixture(autouse=True)
def inside_our_export() -> Iterator[None]:
    """Our encoders serve only our exporters' exports; these tests call them as those do."""
    our_export.active = True
    yield
    our_export.active = False


def test_outside_our_exports_the_sdks_encoders_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The application's own OTLP exporters in the process keep the SDK's encoder."""
    our_export.active = False
    answered: list[str] = []
    monkeypatch.setattr(otlp_encoding, "sdk_encode_logs", lambda batch: answered.append("logs"))
    monkeypatch.setattr(otlp_encoding, "sdk_encode_spans", lambda batch: answered.append("spans"))
    logs, spans = samples()
    encode_logs(logs)
    encode_spans(spans)
    assert answered == ["logs", "spans"]
    our_export.active = True
    assert encode_logs(logs).SerializeToString() == logs_request_bytes(logs)
    assert answered == ["logs", "spans"]

scalars = st.one_of(st.text(max_size=300), st.integers(-(2**63), 2**63 - 1), st.floats(),
                    st.booleans(), st.binary(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner,
                                                 max_size=3)), max_leaves=6)
attribute_sets = st.dictionaries(st.text(min_size=1, max_size=20), values, max_size=6)
ids = st.integers(1, 2**64 - 1)
contexts = st.none() | st.builds(
    lambda trace, span, flags, remote: set_span_in_context(NonRecordingSpan(SpanContext(
        trace, span, is_remote=remote, trace_flags=TraceFlags(flags)))),
    ids, ids, st.integers(0, 255), st.booleans())

RESOURCES = [Resource({"service.name": "a", "n": 1}), Resource({"service.name": "b"}, "s://r"),
             Resource({"service.name": "a", "n": 1})]  # equal to the first: the same group


def loggers() -> tuple[list[Any], InMemoryLogRecordExporter]:
    exporter = InMemoryLogRecordExporter()
    found = []
    for resource in RESOURCES:
        # Few attributes kept, so that some records count dropped ones.
        provider = LoggerProvider(resource=resource, shutdown_on_exit=False,
                                  log_record_limits=LogRecordLimits(max_attributes=4))
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        found += [provider.get_logger("otel_product_events", "0.1.0"),
                  provider.get_logger("other", None, "s://scope", {"scope.attr": 1})]
    return found, exporter


log_calls = st.lists(st.fixed_dictionaries({
    "logger": st.integers(0, 5), "attributes": attribute_sets, "body": st.none() | values,
    "event_name": st.none() | st.text(max_size=30), "context": contexts,
    "severity_number": st.none() | st.sampled_from(SeverityNumber),
    "severity_text": st.none() | st.text(max_size=5),
    "timestamp": st.none() | st.integers(0, 2**64 - 1),
}), min_size=1, max_size=6)


def log_records(calls: list[dict[str, Any]]) -> list[ReadableLogRecord]:
    found, exporter = loggers()
    for call in calls:
        found[call.pop("logger")].emit(**call)
    return list(exporter.get_finished_logs())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_calls)
def test_any_batch_of_log_records_encodes_to_the_sdks_bytes(calls: list[dict[str, Any]]) -> None:
    batch = log_records(calls)
    assert logs_request_bytes(batch) == sdk_encode_logs(batch).SerializeToString()
    assert encode_logs(batch) == sdk_encode_logs(batch)


span_calls = st.lists(st.fixed_dictionaries({
    "resource": st.integers(0, 2), "name": st.text(max_size=30), "attributes": attribute_sets,
    "kind": st.sampled_from(SpanKind), "parent": contexts,
    "events": st.lists(st.tuples(st.text(max_size=10), attribute_sets), max_size=2),
    "links": st.lists(st.tuples(ids, ids, st.booleans(), attribute_sets), max_size=2),
    "status": st.sampled_from([None, Status(StatusCode.OK), Status(StatusCode.ERROR),
                               Status(StatusCode.ERROR, "why é")]),
    "trace_state": st.booleans(),
}), min_size=1, max_size=5)


def spans(calls: list[dict[str, Any]]) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    tracers = []
    for resource in RESOURCES:
        provider = TracerProvider(resource=resource, shutdown_on_exit=False, span_limits=SpanLimits(
            max_span_attributes=4, max_events=1, max_links=1, max_event_attributes=3,
            max_link_attributes=3))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracers.append(provider.get_tracer("otel_product_events", "0.1.0"))
    for call in calls:
        state = TraceState([("k", "v")]) if call["trace_state"] else None
        links = [Link(SpanContext(trace, span, is_remote=remote, trace_state=state), attributes)
                 for trace, span, remote, attributes in call["links"]]
        span = tracers[call["resource"]].start_span(
            call["name"], context=call["parent"], kind=call["kind"],
            attributes=call["attributes"], links=links)
        for name, attributes in call["events"]:
            span.add_event(name, attributes)
        if call["status"] is not None:
            span.set_status(call["status"])
        span.end()
    return list(exporter.get_finished_spans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(span_calls)
def test_any_batch_of_spans_encodes_to_the_sdks_bytes(calls: list[dict[str, Any]]) -> None:
    batch = spans(calls)
    assert spans_request_bytes(batch) == sdk_encode_spans(batch).SerializeToString()
    assert encode_spans(batch) == sdk_encode_spans(batch)


@pytest.mark.parametrize("length", [0, 1, 124, 125, 126, 127, 128, 16383, 16384])
def test_strings_and_fields_at_every_length_boundary(length: int) -> None:
    found, exporter = loggers()
    found[0].emit(event_name="e" * length, body="b" * length,
                  attributes={"k" * max(length, 1): "v" * length, "é": "é" * length})
    batch = list(exporter.get_finished_logs())
    assert logs_request_bytes(batch) == sdk_encode_logs(batch).SerializeToString()


def test_values_repeated_across_records_fields_and_scopes_encode_as_the_sdks() -> None:
    """The last value of each key is reused: in another field (resource, scope, span) or
    after a different value, it must still come out right."""
    found, exporter = loggers()
    for value in ["a", "a", "b", "a", "é" * 200, "é" * 200, "a"]:
        found[0].emit(event_name="e", attributes={"service.name": value, "n": value})
        found[1].emit(event_name="e", attributes={"scope.attr": value, "service.name": "a"})
    batch = list(exporter.get_finished_logs())
    for part in (batch, batch[3:], batch[::-1]):
        assert logs_request_bytes(part) == sdk_encode_logs(part).SerializeToString()
    calls = [{"resource": 0, "name": "s", "attributes": {"service.name": value}, "kind":
              SpanKind.SERVER, "parent": None, "events": [("e", {"service.name": value})],
              "links": [], "status": None, "trace_state": False} for value in "aaba"]
    span_batch = spans(calls)
    assert spans_request_bytes(span_batch) == sdk_encode_spans(span_batch).SerializeToString()


def test_the_samples_checked_before_installing_agree_with_the_sdk() -> None:
    assert agrees_with_sdk(*samples())


def test_the_check_draws_no_random_number_and_logs_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    random.seed(7)
    expected = random.random()
    random.seed(7)
    with caplog.at_level(logging.DEBUG):
        assert agrees_with_sdk(*samples())
    assert random.random() == expected
    assert caplog.records == []


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, "lone \ud800 surrogate"],
                         ids=["beyond int64", "below int64", "not UTF-8"])
def test_what_we_do_not_write_ourselves_the_sdk_encodes(value: object) -> None:
    found, exporter = loggers()
    found[0].emit(event_name="odd", attributes={"ok": 1, "odd": value})
    batch: Sequence[ReadableLogRecord] = list(exporter.get_finished_logs())
    with pytest.raises(otlp_wire.Unsupported):
        logs_request_bytes(batch)
    assert encode_logs(batch) == sdk_encode_logs(batch)


@pytest.fixture
def broken_log_encoding(monkeypatch: pytest.MonkeyPatch) -> Sequence[ReadableLogRecord]:
    def broken(record: object) -> bytes:
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(otlp_wire, "_log_record", broken)
    found, exporter = loggers()
    found[0].emit(event_name="e", attributes={"k": "v"})
    return list(exporter.get_finished_logs())


def test_our_own_failure_is_raised_in_strict_mode(
    broken_log_encoding: Sequence[ReadableLogRecord],
) -> None:
    with pytest.raises(ProductEventsError):
        encode_logs(broken_log_encoding)


def test_our_own_failure_falls_back_to_the_sdks_encoder_and_is_counted(
    broken_log_encoding: Sequence[ReadableLogRecord],
) -> None:
    guard.set_strict(False)
    assert encode_logs(broken_log_encoding) == sdk_encode_logs(broken_log_encoding)
    assert guard.snapshot()["internal_errors"] == 1


EXPORTER_MODULES = ["opentelemetry.exporter.otlp.proto.http._log_exporter",
                    "opentelemetry.exporter.otlp.proto.grpc._log_exporter",
                    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
                    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"]


@pytest.fixture
def exporter_modules(monkeypatch: pytest.MonkeyPatch) -> list[ModuleType]:
    """The OTLP exporter modules with the SDK's encoders, as before anything installed ours;
    restored afterwards. The verdict of the check is forgotten, then restored too."""
    modules = [importlib.import_module(name) for name in EXPORTER_MODULES]
    for module in modules:
        attribute = "encode_logs" if "log" in module.__name__ else "encode_spans"
        monkeypatch.setattr(module, attribute, sdk_encode_logs if attribute == "encode_logs"
                            else sdk_encode_spans)
    monkeypatch.setattr(otlp_encoding._Verdict, "checked", False)
    monkeypatch.setattr(otlp_encoding._Verdict, "agrees", False)
    return modules


def test_installing_puts_our_encoders_in_every_otlp_exporter_module(
    exporter_modules: list[ModuleType],
) -> None:
    assert otlp_encoding.install()
    for module in exporter_modules:
        if "log" in module.__name__:
            assert module.encode_logs is encode_logs
        else:
            assert module.encode_spans is encode_spans


def test_two_exporters_built_at_once_both_get_ours(
    exporter_modules: list[ModuleType], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The span and log exporters are built on their own threads, often together: the second
    waits for the first one's check instead of reading a verdict not yet known."""
    check = otlp_encoding.agrees_with_sdk

    def slow_check(logs: Any, spans: Any) -> bool:
        time.sleep(0.2)
        return check(logs, spans)

    monkeypatch.setattr(otlp_encoding, "agrees_with_sdk", slow_check)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(otlp_encoding.install()))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True, True]
    assert guard.snapshot().get("otlp_encoding_fallback", 0) == 0


def test_an_encoder_someone_else_put_there_is_left_alone(
    exporter_modules: list[ModuleType], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def theirs(batch: object) -> object:
        raise AssertionError("not called")

    monkeypatch.setattr(exporter_modules[0], "encode_logs", theirs)
    otlp_encoding.install()
    assert exporter_modules[0].encode_logs is theirs


def test_when_the_check_disagrees_the_sdks_encoders_stay_and_it_is_counted(
    exporter_modules: list[ModuleType], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(otlp_encoding, "agrees_with_sdk", lambda logs, spans: False)
    assert not otlp_encoding.install()
    assert exporter_modules[0].encode_logs is sdk_encode_logs
    assert exporter_modules[2].encode_spans is sdk_encode_spans
    assert guard.snapshot()["otlp_encoding_fallback"] == 1


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_configure_sends_with_our_encoders(protocol: str, tmp_path: Path) -> None:
    """Installed when the exporter is built, at the first export (not at configure)."""
    process = run_python(f"""
        import json, sys
        import otel_product_events as pe
        from otel_product_events.pipeline import otlp_encoding
        pe.configure(endpoint="http://127.0.0.1:9", protocol={protocol!r})
        kind = "grpc" if {protocol!r} == "grpc" else "http"
        before = f"opentelemetry.exporter.otlp.proto.{{kind}}._log_exporter" in sys.modules
        pe.track("checked.encoding")(lambda: None)()  # a span and an event
        pe.flush(5)
        logs = __import__(f"opentelemetry.exporter.otlp.proto.{{kind}}._log_exporter",
                          fromlist=["x"])
        spans = __import__(f"opentelemetry.exporter.otlp.proto.{{kind}}.trace_exporter",
                           fromlist=["x"])
        print(json.dumps([before, logs.encode_logs is otlp_encoding.encode_logs,
                          spans.encode_spans is otlp_encoding.encode_spans]))
        pe.shutdown(0.1)
    """, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path), "OTEL_PRODUCT_EVENTS_SPOOL": "false"})
    assert last_json_line(process) == [False, True, True]

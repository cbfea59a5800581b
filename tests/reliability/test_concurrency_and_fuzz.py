"""Sixteen threads lose nothing; hostile attribute values never raise and always encode."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

import otel_product_events as pe
from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.helpers import last_json_line, otlp_bytes, run_python

THREADS_APP = """
import json, sys, threading
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1], protocol=sys.argv[2])

@pe.track("thread.work", attributes={"thread": "thread", "n": "n"})
def work(thread, n):
    return n

def run(thread):
    for n in range(1000):
        work(thread, n)

threads = [threading.Thread(target=run, args=(t,)) for t in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"flushed": pe.flush(60), "stats": pe.stats()}))
"""


def test_sixteen_threads_emitting_at_once_lose_nothing(collector: RunningCollector,
                                                       tmp_path: Path) -> None:
    report = last_json_line(run_python(
        THREADS_APP, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
        args=[collector.grpc_endpoint, "grpc"], timeout=180))
    assert report["flushed"] is True
    collector.stop()
    stored = read_product_events(collector.data_dir)
    assert sorted((e["attributes"]["thread"], e["attributes"]["n"]) for e in stored) == [
        (t, n) for t in range(16) for n in range(1000)]
    assert report["stats"]["log_records_exported"] == 16_000
    assert "log_records_dropped_queue_full" not in report["stats"]


class Hostile:
    """An object whose every conversion raises."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __iter__(self) -> Any:
        raise RuntimeError("no iter")


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"next": [value]}
    return value


hostile_values = st.recursive(
    st.one_of(
        st.text(), st.binary(), st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
        st.just("\udcff\udc80 lone surrogates"), st.just(b"\xff\xfe not utf-8"),
        st.just("x" * 1_000_000), st.builds(Hostile), st.integers(0, 60).map(deep),
        st.just(math.nan),
    ),
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.text(max_size=5), children, max_size=5),
                               st.tuples(children), st.frozensets(st.text(max_size=3))),
    max_leaves=20,
)


@pe.track("fuzzed.call", attributes={"value": "value", "nested": "value.nested",
                                     "returned": "return"})
def fuzzed(value: Any) -> Any:
    return value


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=hostile_values)
def test_hostile_values_never_raise_and_always_encode(
    log_exporter: InMemoryLogRecordExporter, value: Any
) -> None:
    """Huge strings, deep nesting, bytes, NaN, non-UTF-8, objects whose __str__ raises: the
    call returns its value, nothing raises (strict mode is on), and the OTLP request encodes."""
    log_exporter.clear()
    assert fuzzed(value) is value
    pe.emit("fuzzed.emit", {"value": value, "other": [value, value]})
    with pe.product_context({"ctx": value}):
        pe.emit("fuzzed.context")
    records = log_exporter.get_finished_logs()
    assert len(records) == 3
    assert otlp_bytes(records)

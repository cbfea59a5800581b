"""The size estimate that cuts batches into requests: its quick path for the common records
(string keys, flat values) gives exactly what measuring value by value gives."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link

from otel_product_events.pipeline.sizing import attributes_size, span_size, text_size, value_size

_PER_ATTRIBUTE = 16


def measured_one_by_one(attributes: Mapping[str, object]) -> int:
    return sum(text_size(key) + value_size(value) + _PER_ATTRIBUTE
               for key, value in attributes.items())


flat_values = st.one_of(st.text(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans())


@given(st.dictionaries(st.text(min_size=1), flat_values, max_size=12))
def test_flat_attributes_measure_as_the_sum_of_their_parts(attributes: dict[str, object]) -> None:
    expected = measured_one_by_one(attributes)
    assert attributes_size(attributes) == expected
    assert attributes_size(BoundedAttributes(attributes=attributes)) == expected  # type: ignore[arg-type]
    assert attributes_size(MappingProxyType(attributes)) == expected


def test_nested_values_and_surrogates_are_measured_one_by_one() -> None:
    attributes = {"list": ("é" * 10, "b"), "map": {"k": "\U0001f600"}, "lone": "\ud800x",
                  "bytes": b"\x00\x01"}
    assert attributes_size(attributes) == measured_one_by_one(attributes)


def test_a_mapping_that_cannot_copy_itself_is_measured_too() -> None:
    class Plain(Mapping[str, object]):
        def __init__(self, items: dict[str, object]) -> None:
            self.items_ = items

        def __getitem__(self, key: str) -> object:
            return self.items_[key]

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(self.items_)

        def __len__(self) -> int:
            return len(self.items_)

    attributes = {"a": "x" * 10, "n": 3}
    assert attributes_size(Plain(attributes)) == measured_one_by_one(attributes)


def test_a_spans_events_and_links_count_in_its_size() -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("sizing")
    tracer.start_span("plain", attributes={"code.function.name": "m.f"}).end()
    linked = tracer.start_span("linked", links=[Link(
        provider.get_tracer("x").start_span("other").get_span_context(), {"why": "x" * 500})])
    linked.add_event("happened", {"detail": "y" * 1000})
    linked.end()
    plain, full = exporter.get_finished_spans()
    assert span_size(full) >= span_size(plain) + 1500
    alone = encode_spans([plain]).ByteSize()
    assert span_size(full) >= encode_spans([plain, full]).ByteSize() - alone

"""Property: whatever bytes or lines a data file holds, the report either answers or names
the file as unreadable (UnreadableFile), within a memory bound; never another exception."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_product_events.report import queries, store
from otel_product_events.report.files import Skipped, UnreadableFile

#: Peak Python memory allowed per example (the inputs are at most a few kilobytes).
MEMORY_BOUND_BYTES = 32 * 1024 * 1024

PROPERTY = settings(derandomize=True, max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=12)
_values = st.one_of(_json, st.fixed_dictionaries({}, optional={
    "stringValue": _json, "intValue": _json, "doubleValue": _json, "boolValue": _json,
    "bytesValue": _json, "arrayValue": _json, "kvlistValue": _json}))
_records = st.fixed_dictionaries({}, optional={
    "eventName": st.sampled_from(["a.b", ""]) | _json,
    "timeUnixNano": st.sampled_from(["1790000000000000000", str(2**70), "-1", "x"]) | _json,
    "attributes": st.lists(st.fixed_dictionaries({"key": st.text(max_size=5) | _json,
                                                  "value": _values}), max_size=3) | _json})
_requests = st.fixed_dictionaries({"resourceLogs": st.lists(st.fixed_dictionaries({}, optional={
    "resource": _json,
    "scopeLogs": st.lists(st.fixed_dictionaries({
        "scope": st.just({"name": "otel_product_events"}) | _json,
        "logRecords": st.lists(_records, max_size=3) | _json}), max_size=2) | _json}),
    max_size=2) | _json})
lines = st.lists(st.one_of(_requests.map(json.dumps), _json.map(json.dumps),
                           st.text(max_size=30)), max_size=6).map("\n".join)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="report-property-"))
    yield path
    shutil.rmtree(path)


def answers_or_names_the_file(data_dir: Path, content: bytes, name: str) -> None:
    for old in data_dir.iterdir():
        old.unlink()
    (data_dir / name).write_bytes(content)
    tracemalloc.start()
    try:
        try:
            connection = store.load(data_dir, Skipped())
        except UnreadableFile as error:
            result: Any = error
        else:
            result = queries.run_counts(connection, ["day"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND_BYTES
    if isinstance(result, UnreadableFile):
        assert str(data_dir / name) in str(result)
    else:
        assert isinstance(result, list)


@PROPERTY
@given(st.binary(max_size=3000), st.booleans())
def test_random_bytes_are_answered_or_the_file_is_named(data_dir: Path, content: bytes,
                                                         compress: bool) -> None:
    if compress:
        content = gzip.compress(content)
    answers_or_names_the_file(data_dir, content, "product-events.jsonl")


@PROPERTY
@given(lines)
def test_random_lines_are_answered_or_the_file_is_named(data_dir: Path, text: str) -> None:
    answers_or_names_the_file(data_dir, text.encode("utf-8", "surrogatepass"),
                              "product-events.jsonl")

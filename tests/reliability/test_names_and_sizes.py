"""One bad event (a name that cannot be encoded, or too big) is refused alone, counted, and
never takes the good events of its batch with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import otel_product_events as pe
from otel_product_events import guard
from otel_product_events.testing import CapturedEvents
from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.helpers import REPO, last_json_line

BATCH_APP = """
import json, sys
import otel_product_events as pe
pe.configure(service_name="batch", endpoint=sys.argv[1], protocol=sys.argv[2])
bad = sys.argv[3]
for i in range(200):
    pe.emit("good.event", {"i": i})
    if i == 100:
        exec(bad)
pe.flush(10)
print(json.dumps(pe.stats()))
"""

BAD_CALLS = {
    "lone surrogate name": ('pe.emit("bad.\\udcff.name", {"i": -1})',
                            {"events_dropped_invalid_name": 1}),
    "NUL in the name": ('pe.emit("bad\\x00name")', {"events_dropped_invalid_name": 1}),
    "30 MB name": ('pe.emit("n" * 30_000_000)', {"events_dropped_invalid_name": 1}),
    "lone surrogate context key": (
        'with pe.product_context({"team.\\udcff": 1}):\n        pe.emit("good.event", {"i": -1})',
        {"attributes_dropped": 1, "log_records_exported": 1}),
    "lone surrogate attribute key": ('pe.emit("good.event", {"i": -1, "k\\udcff": 1})',
                                     {"attributes_dropped": 1, "log_records_exported": 1}),
    "event over 256 KiB": (
        'pe.emit("huge.event", {f"list.{n}": ["x" * 4096] * 128 for n in range(64)})',
        {"events_dropped_too_large": 1}),
}


def run_batch_app(collector: RunningCollector, protocol: str, bad: str,
                  state_dir: Path) -> dict[str, int]:
    endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env["OTEL_PRODUCT_EVENTS_STATE_DIR"] = str(state_dir)
    process = subprocess.run([sys.executable, "-c", BATCH_APP, endpoint, protocol, bad],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                             check=False)
    stats: dict[str, int] = last_json_line(process)
    return stats


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_one_bad_event_among_200_good_ones_loses_only_itself(
    collector: RunningCollector, tmp_path: Path, case: str, protocol: str
) -> None:
    bad, counted = BAD_CALLS[case]
    stats = run_batch_app(collector, protocol, bad, tmp_path)
    exported = 200 + counted.get("log_records_exported", 0)
    assert stats == {**counted, "log_records_exported": exported}
    collector.stop()
    stored = [e["attributes"]["i"] for e in read_product_events(collector.data_dir)]
    assert sorted(i for i in stored if i >= 0) == list(range(200))
    assert len(stored) == exported


@pytest.mark.parametrize("name", ["a\udcffb", "a\x00b", "x" * 257, ""])
def test_emit_refuses_a_name_that_cannot_be_sent_and_counts_it(
    captured: CapturedEvents, name: str
) -> None:
    guard.set_strict(False)
    pe.emit(name)
    pe.emit("fine")
    assert captured.names() == ["fine"]
    assert sum(v for k, v in pe.stats().items() if k.startswith("events_dropped")) == 1


def test_a_name_of_256_characters_is_sent(captured: CapturedEvents) -> None:
    pe.emit("x" * 256)
    assert captured.names() == ["x" * 256]


def test_track_refuses_a_name_that_cannot_be_sent_at_decoration() -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        pe.track("bad.\udcff")


def test_track_lifecycle_keeps_room_for_its_completed_suffix() -> None:
    with pytest.raises(ValueError, match="longer than 256"):
        pe.track_lifecycle("x" * 250)


def test_product_context_drops_a_key_that_cannot_be_sent_and_keeps_the_rest(
    captured: CapturedEvents,
) -> None:
    guard.set_strict(False)
    with pe.product_context({"bad\x00key": 1, "team.id": 2}):
        pe.emit("in.context")
    assert dict(captured[0].attributes)["team.id"] == 2
    assert "bad\x00key" not in captured[0].attributes
    assert pe.stats()["attributes_dropped"] == 1


def test_an_oversized_event_is_dropped_with_a_warning_naming_it(
    captured: CapturedEvents, caplog: pytest.LogCaptureFixture
) -> None:
    guard.set_strict(False)
    pe.emit("big.export", {"rows": tuple("x" * 4096 for _ in range(128))})  # ~512 KiB
    pe.emit("small.export", {"rows": ("x",)})
    assert captured.names() == ["small.export"]
    assert pe.stats()["events_dropped_too_large"] == 1
    assert "'big.export' is dropped" in caplog.text
    assert "over the limit of 262144" in caplog.text


def test_the_event_size_limit_follows_the_environment_variable() -> None:
    report = last_json_line(subprocess.run([sys.executable, "-c", """
import json
import otel_product_events as pe
from otel_product_events.testing import capture_events
with capture_events() as events:
    pe.emit("ok", {"text": "x" * 3000})
    pe.emit("too.big", {"text": "x" * 4096})
print(json.dumps({"names": events.names(), "stats": pe.stats()}))
"""], cwd=REPO, env={**os.environ, "OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE": "4096",
                     "OTEL_PRODUCT_EVENTS_STRICT": "false"},
        capture_output=True, text=True, timeout=60, check=False))
    assert report == {"names": ["ok"], "stats": {"events_dropped_too_large": 1}}


def test_configure_sets_the_event_size_limit() -> None:
    report = last_json_line(subprocess.run([sys.executable, "-c", """
import json
import otel_product_events as pe
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
logs = InMemoryLogRecordExporter()
pe.configure(log_exporter=logs, max_event_size=4096)
pe.emit("ok", {"text": "x" * 3000})
pe.emit("too.big", {"text": "x" * 4096})
pe.flush(5)
print(json.dumps([r.log_record.event_name for r in logs.get_finished_logs()]))
"""], cwd=REPO, env={**os.environ, "OTEL_PRODUCT_EVENTS_STRICT": "false"},
        capture_output=True, text=True, timeout=60, check=False))
    assert report == ["ok"]


@pytest.mark.parametrize(("name", "problem"), [("x" * 257, "longer than 256"),
                                               ("a\x00b", "NUL")])
def test_a_catalog_declaring_a_name_that_cannot_be_sent_is_refused_at_load(
    tmp_path: Path, name: str, problem: str
) -> None:
    catalog = tmp_path / "events.yaml"
    catalog.write_text(json.dumps({"events": {
        "fine.event": {"description": "d", "attributes": {name: {"type": "string",
                                                                 "description": "d"}}},
        name: {"description": "d"},
    }}))
    with pytest.raises(pe.CatalogError) as error:
        pe.load_catalog(catalog)
    assert str(error.value).count(problem) == 2

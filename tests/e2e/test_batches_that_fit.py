"""Every request fits what the receiver accepts: batches are cut by bytes as well as by count,
and a request refused as too large is split and sent again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_product_events.testing.collector import (
    RunningCollector,
    read_product_events,
    run_collector,
)
from tests.e2e.conftest import BASE_CONFIG
from tests.helpers import REPO, last_json_line

LONG_STRINGS_APP = """
import json, sys
import otel_product_events as pe
pe.configure(service_name="long", endpoint=sys.argv[1], protocol=sys.argv[2])
for i in range(int(sys.argv[3])):
    pe.emit("document.saved", {"i": i, "text": "x" * 2500})
pe.flush(60)
print(json.dumps(pe.stats()))
"""


def run_long_strings(collector: RunningCollector, protocol: str, count: int,
                     state_dir: Path) -> dict[str, int]:
    endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env.update(OTEL_PRODUCT_EVENTS_STATE_DIR=str(state_dir), OTEL_TRACES_EXPORTER="none",
               OTEL_EXPORTER_OTLP_TIMEOUT="3")
    process = subprocess.run([sys.executable, "-c", LONG_STRINGS_APP, endpoint, protocol,
                              str(count)], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=180, check=False)
    stats: dict[str, int] = last_json_line(process)
    return stats


def stored_indexes(collector: RunningCollector) -> list[int]:
    collector.stop()
    return sorted(e["attributes"]["i"] for e in read_product_events(collector.data_dir))


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_5000_events_with_2500_character_strings_all_arrive(
    collector: RunningCollector, tmp_path: Path, protocol: str
) -> None:
    """Batches of 2,048 such events are about 5.5 MB: over gRPC's default 4 MiB if uncut."""
    stats = run_long_strings(collector, protocol, 5000, tmp_path)
    assert stats == {"log_records_exported": 5000}
    assert stored_indexes(collector) == list(range(5000))


SMALL_RECEIVER = """
receivers:
  otlp:
    protocols:
      grpc:
        max_recv_msg_size_mib: 1
      http:
        max_request_body_size: 1048576
"""


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_requests_a_receiver_refuses_as_too_large_are_split_and_sent_again(
    collector_binary: Path, tmp_path: Path, protocol: str
) -> None:
    """A receiver limited to 1 MiB refuses our 3 MiB requests; halves of them get through."""
    overlay = tmp_path / "small-receiver.yaml"
    overlay.write_text(SMALL_RECEIVER)
    with run_collector(collector_binary, [BASE_CONFIG, overlay],
                       data_dir=tmp_path / "data") as collector:
        stats = run_long_strings(collector, protocol, 2000, tmp_path)
        assert stats == {"log_records_exported": 2000}
        assert stored_indexes(collector) == list(range(2000))

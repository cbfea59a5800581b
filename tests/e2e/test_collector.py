"""The library talks OTLP to the real collector, which stores product events and only them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.testing.collector import (
    RunningCollector,
    read_product_events,
    run_collector,
)
from tests.e2e.conftest import BASE_CONFIG, CONFIG_DIR
from tests.helpers import REPO, last_json_line

PRIVATE_CONTENT = ("Outage #", "Renamed, with secrets", "Step 0: details", "Database outage")


def run_session(endpoint: str, protocol: str, tmp_path: Path,
                extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    env = {**os.environ, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state"),
           **(extra_env or {})}
    env.pop("OTEL_PRODUCT_EVENTS_STRICT", None)
    process = subprocess.run(
        [sys.executable, "-m", "tests.apps.incident_session", endpoint, protocol],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    report: dict[str, Any] = last_json_line(process)
    return report


def stored_files_text(data_dir: Path) -> str:
    return "".join(p.read_text() for p in data_dir.glob("*.jsonl*"))


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_every_product_event_arrives_once_whole_and_alone(
    collector: RunningCollector, tmp_path: Path, protocol: str
) -> None:
    """Over gRPC and HTTP: each event is stored exactly once, with its metadata, trace ids and
    resource; ordinary logs, other scopes' events and spans are not stored with them."""
    endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
    sent = run_session(endpoint, protocol, tmp_path)
    collector.stop()
    stored = read_product_events(collector.data_dir)

    assert len(sent["events"]) > 40
    assert sorted(r["attributes"]["log.record.uid"] for r in stored) == sorted(
        e["uid"] for e in sent["events"])
    by_uid = {r["attributes"]["log.record.uid"]: r for r in stored}
    for event in sent["events"]:
        record = by_uid[event["uid"]]
        assert record["event_name"] == event["name"]
        assert record["scope_name"] == "otel_product_events"
        assert record["attributes"] == json.loads(json.dumps(event["attributes"], default=list))
        assert record["span_id"] == event["span_id"]
        assert record["trace_id"] == sent["spans"][event["span_id"]]
        assert record["time_unix_nano"] > 0
        assert record["observed_time_unix_nano"] > 0
        assert record["resource"]["service.name"] == "incident-response"
        assert record["resource"]["service.version"] == "0.4.0"
    assert {r["event_name"] for r in stored} >= {
        "incident.created", "incident.finished", "checklist.item.moved", "playbook.deleted"}
    text = stored_files_text(collector.data_dir)
    for foreign in ("an ordinary log line", "other.event", "our scope, but no event name",
                    "ordinary-span", *PRIVATE_CONTENT):
        assert foreign not in text


def test_other_telemetry_goes_upstream_when_an_upstream_is_set(
    collector_binary: Path, tmp_path: Path
) -> None:
    """With upstream.yaml, logs that are not product events, spans and the per-event-name
    counts reach the upstream collector; product events stay in product storage."""
    with run_collector(collector_binary, [BASE_CONFIG], data_dir=tmp_path / "upstream",
                       env_extra={"PRODUCT_EVENTS_DEBUG_VERBOSITY": "detailed"}) as upstream:
        with run_collector(
            collector_binary, [BASE_CONFIG, CONFIG_DIR / "upstream.yaml"],
            data_dir=tmp_path / "edge",
            env_extra={"PRODUCT_EVENTS_UPSTREAM_OTLP_ENDPOINT": f"127.0.0.1:{upstream.grpc_port}",
                       "PRODUCT_EVENTS_UPSTREAM_INSECURE": "true"},
        ) as edge:
            sent = run_session(edge.http_endpoint, "http/protobuf", tmp_path)
            edge.stop()
        upstream.stop()
        upstream_log = upstream.log_tail(100_000)
    assert len(read_product_events(edge.data_dir)) == len(sent["events"])
    assert read_product_events(upstream.data_dir) == []
    for forwarded in ("an ordinary log line", "other.event", "ordinary-span", "product.events",
                      "incident.created"):
        assert forwarded in upstream_log, forwarded


CONFIG_SETS = [
    [BASE_CONFIG],
    [BASE_CONFIG, CONFIG_DIR / "upstream.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "clickhouse.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "kafka.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "kafka.yaml", CONFIG_DIR / "upstream.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "auth.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "edge.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "edge.yaml", CONFIG_DIR / "upstream.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "storage.yaml"],
    [BASE_CONFIG, CONFIG_DIR / "storage.yaml", CONFIG_DIR / "clickhouse.yaml"],
]


def test_every_config_file_is_covered_by_a_validated_set() -> None:
    """A new YAML in collector-config/ must be added to CONFIG_SETS (and so validated)."""
    covered = {path.name for configs in CONFIG_SETS for path in configs}
    on_disk = {path.name for path in CONFIG_DIR.glob("*.yaml")} - {"builder-config.yaml"}
    assert on_disk == covered


@pytest.mark.parametrize("configs", CONFIG_SETS, ids=lambda cs: "+".join(c.stem for c in cs))
def test_otelcol_validate_accepts_every_config(collector_binary: Path, configs: list[Path],
                                               tmp_path: Path) -> None:
    """`otelcol validate` accepts the base config alone and with each overlay."""
    command = [str(collector_binary), "validate"]
    for config in configs:
        command += ["--config", str(config)]
    env = {**os.environ, "PRODUCT_EVENTS_UPSTREAM_OTLP_ENDPOINT": "127.0.0.1:1",
           "PRODUCT_EVENTS_TOKEN_FILE": str(tmp_path / "token")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_a_receiver_with_a_bearer_token_rejects_senders_without_it(
    collector_binary: Path, tmp_path: Path
) -> None:
    """auth.yaml: only requests carrying the token are stored."""
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    with run_collector(collector_binary, [BASE_CONFIG, CONFIG_DIR / "auth.yaml"],
                       data_dir=tmp_path / "data",
                       env_extra={"PRODUCT_EVENTS_TOKEN_FILE": str(token_file)}) as running:
        run_session(running.http_endpoint, "http/protobuf", tmp_path / "anonymous")
        sent = run_session(
            running.http_endpoint, "http/protobuf", tmp_path / "authorized",
            {"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20s3cret-token"})
        running.stop()
    stored = read_product_events(running.data_dir)
    assert sorted(r["attributes"]["log.record.uid"] for r in stored) == sorted(
        e["uid"] for e in sent["events"])

"""Usage pings and lifecycle runs, through the real collector into storage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from otel_product_events.report import queries, store
from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.helpers import REPO, last_json_line, run_python


def usage_points(data_dir: Path) -> list[dict[str, Any]]:
    """Every data point of every metric in usage-metrics.jsonl, flattened."""
    found = []
    for path in data_dir.glob("usage-metrics*.jsonl"):
        for line in path.read_text().splitlines():
            for resource_metrics in json.loads(line)["resourceMetrics"]:
                for scope_metrics in resource_metrics["scopeMetrics"]:
                    for metric in scope_metrics["metrics"]:
                        data = metric.get("gauge") or metric.get("sum") or {}
                        for point in data.get("dataPoints", []):
                            attrs = {a["key"]: a["value"].get("stringValue")
                                     for a in point.get("attributes", [])}
                            value = point.get("asInt", point.get("asDouble"))
                            found.append({"metric": metric["name"], "value": int(value),
                                          "scope": scope_metrics["scope"]["name"], **attrs})
    return found


def test_usage_ping_values_arrive_in_storage(collector: RunningCollector, tmp_path: Path) -> None:
    """A ping's counts are exported periodically and stored by the collector's usage sink."""
    last_json_line(run_python("""
import json, sys, time
import otel_product_events as pe
pe.configure(service_name="incident-response", endpoint=sys.argv[1])
pe.usage_ping("incident_response.rows", lambda: {"incidents": 12, "playbooks": 3}, interval=0.1)
time.sleep(1.0)
print(json.dumps({"flushed": pe.flush(5)}))
""", {"OTEL_METRIC_EXPORT_INTERVAL": "200",
      "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state")},
        args=[collector.http_endpoint]))
    collector.stop()
    stored = usage_points(collector.data_dir)
    assert stored, collector.log_tail()
    values = {(p["metric"], p["product.usage.key"], p["value"]) for p in stored}
    assert values == {("incident_response.rows", "incidents", 12),
                      ("incident_response.rows", "playbooks", 3)}
    assert {p["scope"] for p in stored} == {"otel_product_events"}
    assert all(p["app.installation.id"] for p in stored)
    assert read_product_events(collector.data_dir) == []


KILLED_RUN = """
import sys, time
import otel_product_events as pe
pe.configure(service_name="etl", service_version="2.0.0", endpoint=sys.argv[1])

@pe.track_lifecycle("pipeline.run", attributes={"pipeline.id": "pipeline_id"})
def run(pipeline_id):
    print("running", flush=True)
    time.sleep(60)

run("pl-7")
"""


def test_a_run_killed_after_started_leaves_a_started_event_only(
    collector: RunningCollector, tmp_path: Path
) -> None:
    """kill -9 right after the run starts: the started event was already exported."""
    env = {**os.environ, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state")}
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, collector.http_endpoint],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "running"
    time.sleep(0.5)  # well under the batch processor's 1 s schedule delay
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    collector.stop()
    (started,) = read_product_events(collector.data_dir)
    assert started["event_name"] == "pipeline.run.started"
    assert started["attributes"]["pipeline.id"] == "pl-7"
    assert started["attributes"]["product.run.id"]
    assert started["resource"]["service.version"] == "2.0.0"
    orphans = queries.run_orphans(store.load(collector.data_dir))
    assert [(o["run_id"], o["event_name"], o["service_version"]) for o in orphans] == [
        (started["attributes"]["product.run.id"], "pipeline.run.started", "2.0.0")]

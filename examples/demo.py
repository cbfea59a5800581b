"""The demo: a real collector, the example app instrumented, what was stored, and answers.

    make demo        (or: .venv/bin/python examples/demo.py)

1. builds the collector from collector-config/ (cached after the first build);
2. starts it on free loopback ports, storing under demo-output/data;
3. runs the incident-response example against it over OTLP, configured only by the standard
   OTEL_* variables: version 0.4.0, then a buggier 0.5.0, then one export killed with SIGKILL;
4. stops the collector cleanly and prints what it stored: counts per event, one event, the
   usage ping;
5. answers questions with ``otel-product-events report``: counts, a funnel, orphaned runs,
   version health and trends (charts in demo-output/);
6. writes the dashboard page, demo-output/dashboard.html, and prints its path; then the same
   page over six weeks of simulated history (examples/history.py), dashboard-history.html.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "demo-output"
sys.path.insert(0, str(REPO))

from examples import history  # noqa: E402
from otel_product_events.testing.collector import (  # noqa: E402
    build_collector,
    read_product_events,
    run_collector,
)

JOBS = [sys.executable, "-m", "examples.incident_response.jobs"]


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run_killed_export(env: dict[str, str]) -> None:
    """Starts an export that would run for an hour, and kills the process mid-run."""
    process = subprocess.Popen([*JOBS, "--version", "0.5.0", "--hang"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    print(process.stdout.readline().strip(), "-> kill -9", process.pid, flush=True)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def print_counts(events: list[dict[str, Any]]) -> None:
    counts = Counter((e["event_name"], e["attributes"].get("product.outcome", "")) for e in events)
    width = max(len(name) for name, _ in counts)
    print(f"{'event':<{width}}  {'outcome':<9} {'count':>5}")
    for (name, outcome), count in sorted(counts.items()):
        print(f"{name:<{width}}  {outcome:<9} {count:>5}")
    print(f"{'total':<{width}}  {'':<9} {len(events):>5}")


def print_usage(data_dir: Path) -> None:
    latest: dict[str, int] = {}
    for path in sorted(data_dir.glob("usage-metrics*.jsonl")):
        for line in path.read_text().splitlines():
            for resource in json.loads(line)["resourceMetrics"]:
                version = next(a["value"]["stringValue"] for a in resource["resource"]["attributes"]
                               if a["key"] == "service.version")
                for scope in resource["scopeMetrics"]:
                    for metric in scope["metrics"]:
                        for point in metric["gauge"]["dataPoints"]:
                            key = next(a["value"]["stringValue"] for a in point["attributes"]
                                       if a["key"] == "product.usage.key")
                            latest[f"{metric['name']}{{{key}}} @ {version}"] = int(point["asInt"])
    for name, value in sorted(latest.items()):
        print(f"{name:<55} {value:>4}")


def report(*args: str, data: Path = OUTPUT / "data") -> None:
    command = ["otel-product-events", "report", *args, "--data", str(data)]
    print("$ " + " ".join(command[:-2]) + f" --data {data.relative_to(REPO)}", flush=True)
    subprocess.run([sys.executable, "-m", "otel_product_events.cli", *command[1:]], cwd=REPO,
                   check=True)


def main() -> None:
    step("Building the collector (collector-config/build.sh; cached after the first build)")
    binary = build_collector(REPO / "collector-config")
    print(binary)
    shutil.rmtree(OUTPUT, ignore_errors=True)
    data_dir = OUTPUT / "data"
    step("Starting the collector on free loopback ports")
    with run_collector(binary, [REPO / "collector-config" / "product-events.yaml"],
                       data_dir=data_dir) as collector:
        print(f"OTLP/HTTP {collector.http_endpoint}, OTLP/gRPC {collector.grpc_endpoint}, "
              f"storing under {data_dir.relative_to(REPO)}")
        env = {**os.environ,
               "OTEL_EXPORTER_OTLP_ENDPOINT": collector.http_endpoint,
               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
               "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=demo",
               "OTEL_METRIC_EXPORT_INTERVAL": "500",
               "OTEL_PRODUCT_EVENTS_STATE_DIR": str(OUTPUT / "state")}
        step("Running the example: version 0.4.0, then 0.5.0 with a flaky timeline export")
        subprocess.run([*JOBS, "--version", "0.4.0", "--fail-rate", "0.05"], cwd=REPO, env=env,
                       check=True, timeout=300)
        subprocess.run([*JOBS, "--version", "0.5.0", "--fail-rate", "0.6", "--seed", "8"],
                       cwd=REPO, env=env, check=True, timeout=300)
        step("Starting one more export and killing the process in the middle (kill -9)")
        run_killed_export(env)
        step("Stopping the collector (it flushes its files)")
        collector.stop()
    events = read_product_events(data_dir, pattern="product-events*.jsonl*")
    step(f"Stored product events: {len(events)} in demo-output/data/product-events.jsonl")
    print_counts(events)
    sample = next(e for e in events if e["event_name"] == "incident.created")
    step("One stored event (incident.created), as read back from the JSON lines")
    print(json.dumps(sample, indent=2, default=str))
    step("Usage ping (latest values), from demo-output/data/usage-metrics.jsonl")
    print_usage(data_dir)
    step("Answers")
    report("counts", "--by", "version")
    print()
    report("funnel", "incident.created", "checklist.item.created", "incident.finished",
           "--by", "incident.id", "--window", "1h", "--html", str(OUTPUT / "funnel.html"),
           "--png", str(OUTPUT / "funnel.png"))
    print()
    report("orphans")
    print()
    report("health", "--html", str(OUTPUT / "health.html"))
    print()
    report("trends", "--every", "hour")
    print("\nCharts: demo-output/funnel.png, demo-output/funnel.html, demo-output/health.html")
    step("Dashboard: trends, active installations, retention, the funnel, version health and "
         "orphans on one page (no network needed to open it)")
    report("dashboard", "-o", str(OUTPUT / "dashboard.html"), "--title",
           "Incident response (demo)", "--funnel", "incident.created",
           "checklist.item.created", "incident.finished", "--funnel-by", "incident.id",
           "--funnel-window", "1h")
    step("Six weeks of SIMULATED history (examples/history.py: 40 installations written "
         "straight to files), for trends, active installations and retention over time")
    print(history.write(OUTPUT / "history"), "simulated events in demo-output/history")
    report("dashboard", "-o", str(OUTPUT / "dashboard-history.html"), "--title",
           "Incident response (six weeks, simulated)", "--funnel", "incident.created",
           "checklist.item.created", "incident.finished", "--funnel-by", "incident.id",
           data=OUTPUT / "history")
    print(f"\nDashboards (open in a browser): {OUTPUT / 'dashboard.html'} (this run), "
          f"{OUTPUT / 'dashboard-history.html'} (simulated history)")


if __name__ == "__main__":
    main()

"""The demo: a real collector, the example app instrumented, and what was stored.

    make demo        (or: python examples/demo.py)

1. builds the collector from collector-config/ (cached after the first build);
2. starts it on free loopback ports with a temporary data directory;
3. runs the incident-response example against it over OTLP, configured only by the standard
   OTEL_* environment variables;
4. stops the collector cleanly and prints what it stored: counts per event, and one event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from otel_product_events.testing.collector import (  # noqa: E402
    build_collector,
    read_product_events,
    run_collector,
)


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run_example(module: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", module], cwd=REPO, env=env, check=True, timeout=300)


def print_counts(events: list[dict[str, Any]]) -> None:
    counts = Counter((e["event_name"], e["attributes"].get("product.outcome", "")) for e in events)
    width = max(len(name) for name, _ in counts)
    print(f"{'event':<{width}}  {'outcome':<9} {'count':>5}")
    for (name, outcome), count in sorted(counts.items()):
        print(f"{name:<{width}}  {outcome:<9} {count:>5}")
    print(f"{'total':<{width}}  {'':<9} {len(events):>5}")


def main() -> None:
    step("Building the collector (collector-config/build.sh; cached after the first build)")
    binary = build_collector(REPO / "collector-config")
    print(binary)
    with tempfile.TemporaryDirectory(prefix="product-events-demo-") as scratch:
        data_dir = Path(scratch) / "data"
        step("Starting the collector on free loopback ports")
        with run_collector(binary, [REPO / "collector-config" / "product-events.yaml"],
                           data_dir=data_dir) as collector:
            print(f"OTLP/HTTP {collector.http_endpoint}, OTLP/gRPC {collector.grpc_endpoint}, "
                  f"storing under {data_dir}")
            env = {
                **os.environ,
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.http_endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=demo",
                "OTEL_PRODUCT_EVENTS_STATE_DIR": str(Path(scratch) / "state"),
            }
            step("Running the incident-response example (python -m "
                 "examples.incident_response.session)")
            run_example("examples.incident_response.session", env)
            step("Stopping the collector (it flushes its files)")
            collector.stop()
        events = read_product_events(data_dir)
        files = sorted(p.name for p in data_dir.glob("*.jsonl*"))
        step(f"Stored product events: {len(events)} in {', '.join(files)}")
        print_counts(events)
        sample = next(e for e in events if e["event_name"] == "incident.created")
        step("One stored event (incident.created), as read back from the JSON lines")
        print(json.dumps(sample, indent=2, default=str))


if __name__ == "__main__":
    main()

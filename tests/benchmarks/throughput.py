"""Throughput into the real collector's storage: bursts and steady rates, with loss counted.

    .venv/bin/python tests/benchmarks/throughput.py [--burst 200000] [--json F]

For each configuration (our defaults, and the plain SDK defaults: queue 2048, batch 512) and
protocol, a fresh process emits a burst as fast as it can and then flushes; the collector's
files are read back to count what arrived. Then steady rates are held for 10 s each, to find
the first sustained rate at which events are lost. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from otel_product_events.testing.collector import (  # noqa: E402
    build_collector,
    read_product_events,
    run_collector,
)

APP = """
import json, sys, time
import otel_product_events as pe
pe.configure(service_name="throughput", endpoint=sys.argv[1], protocol=sys.argv[2])
mode, amount, seconds = sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
attributes = {"team.id": "team-7", "incident.id": "inc-42", "user.id": "user-3",
              "checklist.count": 3, "severity": "high"}
start = time.monotonic()
emitted = 0
if mode == "burst":
    for emitted in range(1, int(amount) + 1):
        pe.emit("bench.event", attributes)
else:
    while (now := time.monotonic()) - start < seconds:
        if emitted < (now - start) * amount:
            pe.emit("bench.event", attributes)
            emitted += 1
        else:
            time.sleep(0.0005)
emit_s = time.monotonic() - start
flushed = pe.flush(300)
print(json.dumps({"emitted": emitted, "emit_s": emit_s, "total_s": time.monotonic() - start,
                  "flushed": flushed, "stats": pe.stats()}))
"""

SDK_DEFAULTS = {"OTEL_BLRP_MAX_QUEUE_SIZE": "2048", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "512"}


def run_once(binary: Path, protocol: str, mode: str, amount: float, seconds: float,
             env_extra: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch, run_collector(
            binary, [REPO / "collector-config" / "product-events.yaml"],
            data_dir=Path(scratch) / "data",
            env_extra={"PRODUCT_EVENTS_MEMORY_LIMIT_MIB": "2048",
                       "PRODUCT_EVENTS_MEMORY_SPIKE_MIB": "512"}) as collector:
        endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
        env = {**os.environ, **env_extra, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(Path(scratch))}
        process = subprocess.run([sys.executable, "-c", APP, endpoint, protocol, mode,
                                  str(amount), str(seconds)], env=env, capture_output=True,
                                 text=True, timeout=900, check=True)
        result: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
        collector.stop(timeout=60)
        stored = {e["attributes"]["log.record.uid"]
                  for e in read_product_events(collector.data_dir)}
    result["stored"] = len(stored)
    result["lost"] = result["emitted"] - len(stored)
    result["delivered_per_s"] = round(len(stored) / result["total_s"])
    result["emitted_per_s"] = round(result["emitted"] / result["emit_s"])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=200_000)
    parser.add_argument("--rates", default="5000,10000,20000,40000")
    parser.add_argument("--json", type=Path, default=REPO / "bench-results" / "throughput.json")
    args = parser.parse_args()
    binary = build_collector(REPO / "collector-config")
    results: list[dict[str, Any]] = []
    for label, env in (("ours", {}), ("sdk-defaults", SDK_DEFAULTS)):
        for protocol in ("http/protobuf", "grpc"):
            row = {"config": label, "protocol": protocol, "mode": f"burst {args.burst}",
                   **run_once(binary, protocol, "burst", args.burst, 0, env)}
            results.append(row)
            counted = row["stats"]
            print(f"{label:<13} {protocol:<14} burst {args.burst}: emitted "
                  f"{row['emitted_per_s']:>6}/s, delivered {row['delivered_per_s']:>6}/s end to "
                  f"end, lost {row['lost']} (counted "
                  f"{counted.get('log_records_dropped_queue_full', 0)} dropped, "
                  f"{counted.get('log_records_export_failed', 0)} failed)", flush=True)
    for rate in (int(r) for r in args.rates.split(",")):
        row = {"config": "ours", "protocol": "http/protobuf", "mode": f"steady {rate}/s for 10 s",
               **run_once(binary, "http/protobuf", "steady", rate, 10, {})}
        results.append(row)
        print(f"ours          http/protobuf  steady {rate}/s: achieved {row['emitted_per_s']}/s, "
              f"lost {row['lost']}", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

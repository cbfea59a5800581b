"""Throughput of the Kafka tier (issue #15): edges -> Kafka -> storage collectors -> files.

    .venv/bin/python tests/benchmarks/tier_throughput.py [--events 200000] [--json F]

1. ingest: pre-encoded OTLP/JSON batches (2,000 events each) are posted as fast as possible by
   4 threads to 2 edge collectors (product-events.yaml + edge.yaml), with no storage collector
   running: events/s acknowledged by the edges (persistent queue included), then the time
   until the edges' queues are empty (everything in Kafka);
2. drain: ONE storage collector (product-events.yaml + storage.yaml) starts and reads the
   topic: events/s it stores, i.e. what one storage collector sustains;
3. the CPU seconds each process used per phase name the bottleneck.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.e2e.acked_sender import _request  # noqa: E402
from tests.scale.tier import GROUP, TOPIC, Tier, run_tier  # noqa: E402

BATCH = 2_000
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def processes(tier: Tier) -> dict[str, int]:
    found = {"broker (JVM)": tier.broker.process.pid}
    found.update({f"edge-{i + 1}": e.process.pid for i, e in enumerate(tier.edges)})
    found.update(dict(sorted((name, c.process.pid) for name, c in tier.storages.items())))
    return found


def post_all(urls: list[str], bodies: list[bytes], threads: int = 4) -> float:
    """Post every body (round robin over urls), retrying until acknowledged; seconds taken."""
    pending = list(enumerate(bodies))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                i, body = pending.pop()
            request = urllib.request.Request(urls[i % len(urls)], data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.1)

    start = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.monotonic() - start


def topic_lag_zero_at_edges(tier: Tier, events: int) -> None:
    """Wait until the edges' queues are empty: their queue files stop changing size."""
    queue = tier.work / "queues"
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 3:
        size = sum(p.stat().st_size for p in queue.rglob("*") if p.is_file())
        if size != last:
            last, stable_since = size, time.monotonic()
        time.sleep(0.5)


def stored_lines(tier: Tier) -> int:
    return sum(p.read_bytes().count(b"\n") for p in tier.data_dir.glob("product-events*"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    # 24 installations, so that the keys spread over the 6 partitions
    bodies = [_request([f"b{n}-{i}" for i in range(BATCH)], time.time_ns(), f"i-{n % 24}")
              for n in range(args.events // BATCH)]
    events = len(bodies) * BATCH
    result: dict[str, Any] = {"events": events, "event_json_bytes": len(bodies[0]) // BATCH}
    with tempfile.TemporaryDirectory() as tmp, run_tier(Path(tmp), storages=0) as tier:
        pids = processes(tier)
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        sender0 = time.process_time()
        seconds = post_all([f"{e.http_endpoint}/v1/logs" for e in tier.edges], bodies)
        result["ingest_events_per_s"] = round(events / seconds)
        topic_lag_zero_at_edges(tier, events)
        cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        result["ingest_cpu_s"] = {n: round(cpu1[n] - cpu0[n], 1) for n in pids}
        result["ingest_cpu_s"]["sender (this Python process)"] = round(
            time.process_time() - sender0, 1)

        start = time.monotonic()
        storage = tier.start_storage("storage-1")
        started = time.monotonic()
        # One line per Kafka message = one posted body; counting newlines is cheap, parsing
        # every record while waiting would make this script the bottleneck.
        while stored_lines(tier) < len(bodies) and time.monotonic() - start < 600:
            time.sleep(0.05)
        drain = time.monotonic() - started
        stored = tier.wait_stored(events, timeout=60)
        result["one_storage_collector_events_per_s"] = round(stored / drain)
        result["drain_seconds_after_ready"] = round(drain, 2)
        cpu2 = {name: cpu_seconds(pid) for name, pid in processes(tier).items()}
        result["drain_cpu_s"] = {n: round(cpu2[n] - cpu1.get(n, 0.0), 1)
                                 for n in processes(tier)}
        result["stored"] = stored
        result["group"] = tier.broker.describe_group(GROUP).strip().splitlines()[1:]
        del storage
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(f"topic {TOPIC}: see README 'Beyond one machine' for the numbers recorded")


if __name__ == "__main__":
    main()

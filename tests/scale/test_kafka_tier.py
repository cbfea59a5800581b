"""The Kafka tier run for real (issue #15): apps -> 2 edge collectors -> Kafka (6 partitions)
-> 2 storage collectors in one consumer group -> files -> the report."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.e2e.acked_sender import AckedSender
from tests.e2e.test_collector_durability import LOAD_SECONDS, kill_moments
from tests.scale.tier import REPO, Tier, run_apps, run_tier

PER_APP = 20_000
RATE = 2_000  # events/s per app process


def report_count(data_dir: Path) -> int:
    """`otel-product-events report counts` on the stored files (it deduplicates by uid)."""
    out = subprocess.run(
        [sys.executable, "-m", "otel_product_events.cli", "report", "counts", "--data",
         str(data_dir), "--json"], cwd=REPO, capture_output=True, text=True, check=True,
        timeout=120).stdout
    rows: list[dict[str, Any]] = json.loads(out)
    return sum(int(row["count"]) for row in rows if row["event_name"] == "scale.tick")


def assert_nothing_dropped_by_the_apps(reports: list[dict[str, Any]]) -> None:
    for report in reports:
        stats = report["stats"]
        assert stats.get("log_records_exported") == report["emitted"], stats


def out_of_order(tier: Tier) -> list[tuple[str, str, int, int]]:
    """(file, installation, previous seq, seq) wherever an installation's events, first
    occurrences only, go backwards within one storage collector's file."""
    seen: set[str] = set()
    last: dict[tuple[str, str], int] = defaultdict(lambda: -1)
    bad = []
    for row in tier.stored():
        if row["uid"] in seen:
            continue
        seen.add(row["uid"])
        key = (row["file"], row["installation"])
        if row["seq"] < last[key]:
            bad.append((*key, last[key], row["seq"]))
        last[key] = row["seq"]
    return bad


def test_three_apps_through_the_tier_are_stored_exactly_once_after_dedup_in_order(
    tmp_path: Path
) -> None:
    """3 app processes x 20,000 events via 2 edges and Kafka: the report counts exactly what
    was emitted, and each installation's events keep their order."""
    with run_tier(tmp_path / "tier") as tier:
        endpoints = [tier.edges[i % 2].http_endpoint for i in range(3)]
        reports = run_apps(endpoints, PER_APP, RATE, tmp_path / "apps")
        stored = tier.wait_stored(3 * PER_APP, timeout=120)
        order = out_of_order(tier)
        installations = {row["installation"] for row in tier.stored()}
    assert_nothing_dropped_by_the_apps(reports)
    assert stored == 3 * PER_APP
    assert report_count(tier.data_dir) == 3 * PER_APP
    assert installations == {r["installation"] for r in reports}
    assert order == []


def test_a_storage_collector_killed_mid_stream_and_restarted_loses_nothing(
    tmp_path: Path
) -> None:
    """kill -9 of one storage collector under load, then a restart: every event is stored
    (from the committed offsets on); re-read duplicates vanish in the report's dedup."""
    per_app = PER_APP // 2
    with run_tier(tmp_path / "tier") as tier:
        def kill_and_restart() -> None:
            time.sleep(per_app / RATE / 2)
            killed.append(tier.kill("storage-1"))
            time.sleep(1)
            tier.start_storage("storage-1")

        killed: list[int] = []
        killer = threading.Thread(target=kill_and_restart)
        killer.start()
        endpoints = [tier.edges[i % 2].http_endpoint for i in range(3)]
        reports = run_apps(endpoints, per_app, RATE, tmp_path / "apps")
        killer.join()
        stored = tier.wait_stored(3 * per_app, timeout=120)
        rows = len(tier.stored())
    print(f"stored rows {rows} for {3 * per_app} events ({rows - 3 * per_app} duplicates)")
    assert killed == [-9]
    assert_nothing_dropped_by_the_apps(reports)
    assert stored == 3 * per_app
    assert report_count(tier.data_dir) == 3 * per_app


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_a_broker_outage_is_queued_at_the_edge_and_delivered_after(tmp_path: Path) -> None:
    """The broker stops for 10 s under load: the edges keep accepting (persistent queue),
    deliver everything once it is back, and stay under their memory limiter's limit."""
    limit_mib = 256
    edge_env = {"PRODUCT_EVENTS_MEMORY_LIMIT_MIB": str(limit_mib),
                "PRODUCT_EVENTS_MEMORY_SPIKE_MIB": "64"}
    peak: dict[int, float] = defaultdict(float)
    with run_tier(tmp_path / "tier", edge_env=edge_env) as tier:
        done = threading.Event()

        def watch_memory() -> None:
            while not done.wait(0.2):
                for edge in tier.edges:
                    peak[edge.process.pid] = max(peak[edge.process.pid],
                                                 rss_mib(edge.process.pid))

        def outage() -> None:
            time.sleep(2)
            tier.stop_broker()
            time.sleep(10)
            tier.restart_broker()

        threads = [threading.Thread(target=watch_memory), threading.Thread(target=outage)]
        for thread in threads:
            thread.start()
        endpoints = [tier.edges[i % 2].http_endpoint for i in range(3)]
        reports = run_apps(endpoints, PER_APP, RATE, tmp_path / "apps")
        threads[1].join()
        stored = tier.wait_stored(3 * PER_APP, timeout=180)
        done.set()
        threads[0].join()
    print(f"edge peak RSS (MiB): {dict(peak)}")
    assert_nothing_dropped_by_the_apps(reports)
    assert stored == 3 * PER_APP
    assert report_count(tier.data_dir) == 3 * PER_APP
    assert max(peak.values()) < limit_mib


def edge_kill_moments(seed: int) -> list[float]:
    """3 moments in (2 s, 18 s), 2 s apart, at least one inside the broker outage (4-12 s)."""
    for attempt in range(1000):
        moments = kill_moments(seed + attempt)
        if any(4 < m < 12 for m in moments):
            return moments
    raise AssertionError("no kill moments inside the outage")


def test_every_event_acknowledged_by_a_sigkilled_edge_collector_reaches_storage(
    tmp_path: Path
) -> None:
    """Kafka sink (issue #14): 2,000 events/s for 20 s into one edge, SIGKILLed at 3 random
    moments (one at least while the broker is away, 3-13 s, so that the edge holds queued
    data) and restarted; every event the sender saw acknowledged is stored."""
    seed = random.SystemRandom().randrange(1 << 30)
    moments = edge_kill_moments(seed)
    print(f"kill moments: {moments}")
    with run_tier(tmp_path / "tier", edges=1, storages=1) as tier:
        sender = AckedSender(f"{tier.edges[0].http_endpoint}/v1/logs", rate=2000)
        start = time.monotonic()

        def outage() -> None:
            time.sleep(3)
            tier.stop_broker()
            time.sleep(max(0.0, start + 13 - time.monotonic()))
            tier.restart_broker()

        broker_thread = threading.Thread(target=outage)
        sender.start()
        broker_thread.start()
        killed = []
        for moment in moments:
            time.sleep(max(0.0, start + moment - time.monotonic()))
            killed.append(tier.kill("edge-1"))
            tier.start_edge("edge-1")
        time.sleep(max(0.0, start + LOAD_SECONDS - time.monotonic()))
        sender.stop()
        broker_thread.join()
        stored = tier.wait_stored(len(set(sender.acked)), timeout=120)
        missing = set(sender.acked) - {row["uid"] for row in tier.stored()}
    assert killed == [-9] * 3
    assert len(sender.acked) >= 2000 * LOAD_SECONDS / 2  # the load ran (loose: busy machine)
    assert not missing, f"{len(missing)} of {stored} acknowledged events lost ({moments})"

"""A generated data set of product events, written as the collector's file exporter writes
them (OTLP JSON lines; rotated, gzip and zstd files), with its expected answers computed
independently, by brute force, in plain Python."""

from __future__ import annotations

import gzip
import json
import random
import struct
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import zstandard

DAY_MS = 86_400_000
START_MS = 1_790_000_000_000  # 2026-09-21
FUNNEL = ["incident.created", "checklist.item.created", "incident.finished"]


@dataclass
class Event:
    name: str
    ts_ms: int
    installation: str
    version: str
    attributes: dict[str, Any] = field(default_factory=dict)
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource: dict[str, str] = field(default_factory=dict)


def generate(seed: int = 11) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    for n in range(40):
        installation = f"inst-{n:02d}"
        version = "1.0.0" if n < 25 else "1.1.0"
        base = START_MS + (0 if version == "1.0.0" else 3 * DAY_MS) + rng.randint(0, DAY_MS)
        user = f"user-{rng.randint(0, 7)}"  # several installations share users
        t = base
        for step in FUNNEL:
            if rng.random() < 0.25:
                break
            t += rng.randint(1, 3) * 3_600_000 * (3 if rng.random() < 0.2 else 1)
            events.append(Event(step, t, installation, version,
                                {"user.id": user, "product.outcome": "success"}))
        if rng.random() < 0.3:  # a step seen before the funnel started: must not count
            events.append(Event(FUNNEL[1], base - 1000, installation, version,
                                {"user.id": user, "product.outcome": "success"}))
        for _ in range(rng.randint(1, 4)):
            run_id = str(uuid.uuid4())
            started = base + rng.randint(0, DAY_MS)
            events.append(Event("pipeline.run.started", started, installation, version,
                                {"product.run.id": run_id}))
            fate = rng.random()
            orphan_chance = 0.05 if version == "1.0.0" else 0.4
            if fate < orphan_chance:
                continue
            failed = rng.random() < (0.1 if version == "1.0.0" else 0.5)
            events.append(Event("pipeline.run.completed", started + rng.randint(1000, 60_000),
                                installation, version,
                                {"product.run.id": run_id,
                                 "product.outcome": "failure" if failed else "success"}))
    return installation_on_resource(sorted(events, key=lambda e: e.ts_ms))


INSTALLATION = "app.installation.id"


def installation_on_resource(events: list[Event]) -> list[Event]:
    """Every other event as configure() sends it now, with the installation on its resource;
    the others as earlier versions (and providers built by someone else) send it, on the
    record. The answers are the same."""
    for event in events[1::2]:
        event.resource = {**event.resource, INSTALLATION: event.installation}
    return events


def record_attributes(event: Event) -> dict[str, Any]:
    """The event's attributes with the metadata its record carries."""
    metadata = {"log.record.uid": event.uid}
    if INSTALLATION not in event.resource:
        metadata[INSTALLATION] = event.installation
    return {**event.attributes, **metadata}


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": str(value)}


def _request(events: list[Event]) -> dict[str, Any]:
    by_resource: dict[tuple[str, ...], list[Event]] = defaultdict(list)
    for event in events:
        by_resource[(event.version, *sorted(event.resource.items()))].append(event)  # type: ignore[arg-type]
    return {"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "shop"}},
            {"key": "service.version", "value": {"stringValue": version}},
            *({"key": k, "value": {"stringValue": v}} for k, v in group[0].resource.items())]},
        "scopeLogs": [
            {"scope": {"name": "otel_product_events", "version": "0.1.0"}, "logRecords": [{
                "timeUnixNano": str(event.ts_ms * 1_000_000),
                "observedTimeUnixNano": str(event.ts_ms * 1_000_000 + 5),
                "eventName": event.name,
                "attributes": [{"key": k, "value": _value(v)}
                               for k, v in record_attributes(event).items()],
            } for event in group]},
            # Not product events: another library's event, and our scope without a name.
            {"scope": {"name": "other.library"}, "logRecords": [
                {"timeUnixNano": "1", "eventName": "incident.created", "attributes": []}]},
        ]} for (version, *_), group in by_resource.items()]}


def write(events: list[Event], data_dir: Path) -> None:
    """Spreads the events over five files in the formats the file exporter produces, and
    writes one batch twice (a retried export)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    chunks = [events[i::5] for i in range(5)]
    lines = [[json.dumps(_request(chunk[j:j + 7])) for j in range(0, len(chunk), 7)]
             for chunk in chunks]
    lines[0].append(lines[0][0])  # duplicate delivery
    (data_dir / "product-events-2026-09-21T10-00-00.000.jsonl").write_text(
        "\n".join(lines[0]) + "\n")
    (data_dir / "product-events-2026-09-22T10-00-00.000.jsonl.gz").write_bytes(
        gzip.compress(("\n".join(lines[1]) + "\n").encode()))
    compressor = zstandard.ZstdCompressor()
    (data_dir / "product-events-2026-09-23T10-00-00.000.jsonl.zst").write_bytes(
        compressor.compress(("\n".join(lines[2]) + "\n").encode()))
    framed = b"".join(struct.pack(">I", len(blob)) + blob for blob in
                      (compressor.compress(line.encode()) for line in lines[3]))
    (data_dir / "product-events-2026-09-24T10-00-00.000.jsonl").write_bytes(framed)
    (data_dir / "product-events.jsonl").write_text("\n".join(lines[4]) + "\n" + '{"resourceLo')


# --- Expected answers, by brute force ------------------------------------------------------


def expected_counts(events: list[Event]) -> dict[str, tuple[int, int]]:
    counts = Counter(e.name for e in events)
    installs: dict[str, set[str]] = defaultdict(set)
    for e in events:
        installs[e.name].add(e.installation)
    return {name: (counts[name], len(installs[name])) for name in counts}


def expected_daily(events: list[Event]) -> Counter[tuple[str, str]]:
    return Counter((e.name, datetime.fromtimestamp(e.ts_ms / 1000, timezone.utc).date().isoformat())
                   for e in events)


def expected_funnel(events: list[Event], steps: list[str], by: str, window_ms: int) -> list[int]:
    per_entity: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        key = e.installation if by == "app.installation.id" else e.attributes.get(by)
        if key and e.name in steps:
            per_entity[str(key)].append(e)
    reached = [0] * len(steps)
    for entity_events in per_entity.values():
        best = 0
        for first in (e for e in entity_events if e.name == steps[0]):
            level, last = 1, first.ts_ms
            for step in steps[1:]:
                candidates = [e.ts_ms for e in entity_events if e.name == step
                              and last < e.ts_ms <= first.ts_ms + window_ms]
                if not candidates:
                    break
                level, last = level + 1, min(candidates)
            best = max(best, level)
        for k in range(best):
            reached[k] += 1
    return reached


def expected_orphans(events: list[Event]) -> set[str]:
    completed = {e.attributes["product.run.id"] for e in events
                 if e.name == "pipeline.run.completed"}
    return {e.attributes["product.run.id"] for e in events
            if e.name == "pipeline.run.started"} - completed


def expected_health(events: list[Event]) -> dict[str, dict[str, int]]:
    orphans = expected_orphans(events)
    result: dict[str, dict[str, int]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]
    for e in events:
        row = result[e.version]
        if "product.outcome" in e.attributes:
            row["outcomes"] += 1
            row["failures"] += e.attributes["product.outcome"] == "failure"
        if e.name.endswith(".started"):
            row["started"] += 1
            row["orphaned"] += e.attributes["product.run.id"] in orphans
    return {version: dict(row) for version, row in result.items()}

"""Six weeks of SIMULATED incident-response history, for the demo's time-based answers.

The demo's real run lasts seconds, so trends, active installations and retention have one
point. This writes what 40 installations of the example would have stored over six weeks,
as the collector's file exporter writes it (OTLP JSON lines), straight into a data directory:
no collector, no library, clearly not measured. Installations arrive over the weeks, come back
less and less, upgrade from 0.4.0 to a worse 0.5.0 in the last two weeks, and drop off along
the incident funnel.

    python examples/history.py DIR
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DAY_MS = 86_400_000
WEEKS = 6


def _value(value: object) -> dict[str, str]:
    return {"stringValue": str(value)}


def _record(name: str, ts_ms: int, installation: str, **attributes: object) -> dict[str, Any]:
    attributes = {"log.record.uid": str(uuid.UUID(int=random.getrandbits(128))),
                  "app.installation.id": installation, **attributes}
    return {"timeUnixNano": str(ts_ms * 1_000_000), "eventName": name,
            "attributes": [{"key": k, "value": _value(v)} for k, v in attributes.items()]}


def _day(rng: random.Random, start_ms: int, installation: str, version: str
         ) -> list[dict[str, Any]]:
    """One installation's use on one day: incidents through the funnel, timeline exports."""
    records = []
    t = start_ms + rng.randint(7, 10) * 3_600_000 + rng.randint(0, 3_600_000)
    for _ in range(rng.randint(1, 4)):
        incident = f"inc-{rng.getrandbits(32):08x}"
        records.append(_record("incident.created", t, installation, **{"incident.id": incident}))
        for step, keep in (("checklist.item.created", 0.8), ("checklist.item.checked", 0.7),
                           ("incident.finished", 0.85)):
            if rng.random() > keep:
                break
            t += rng.randint(60_000, 1_800_000)
            records.append(_record(step, t, installation, **{"incident.id": incident}))
        if rng.random() < 0.6:
            run = str(uuid.UUID(int=rng.getrandbits(128)))
            t += rng.randint(1000, 60_000)
            records.append(_record("timeline.export.started", t, installation,
                                   **{"product.run.id": run, "incident.id": incident}))
            bad = version == "0.5.0"
            if rng.random() < (0.08 if bad else 0.01):
                continue  # the process died mid-export: an orphan
            outcome = "failure" if rng.random() < (0.25 if bad else 0.04) else "success"
            records.append(_record("timeline.export.completed", t + rng.randint(500, 20_000),
                                   installation, **{"product.run.id": run,
                                                    "product.outcome": outcome}))
        t += rng.randint(600_000, 7_200_000)
    return records


def write(data_dir: Path, end: datetime | None = None, seed: int = 3) -> int:
    """Writes the history ending at ``end``'s UTC day; returns the number of events."""
    rng = random.Random(seed)
    random.seed(seed)
    end = (end or datetime.now(timezone.utc)).replace(hour=0, minute=0, second=0,
                                                      microsecond=0)
    first = end - timedelta(weeks=WEEKS)
    release = int((end - timedelta(weeks=2)).timestamp() * 1000)
    data_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    with (data_dir / "product-events.jsonl").open("w", encoding="utf-8") as out:
        for n in range(40):
            installation = str(uuid.UUID(int=rng.getrandbits(128)))
            arrival = rng.randint(0, WEEKS * 7 - 3)
            loyalty = rng.choice([0.15, 0.35, 0.6, 0.85])
            for day in range(arrival, WEEKS * 7):
                weeks_in = (day - arrival) // 7
                if day != arrival and rng.random() > loyalty * 0.85 ** weeks_in:
                    continue
                start = int((first + timedelta(days=day)).timestamp() * 1000)
                version = "0.5.0" if start >= release and n % 3 else "0.4.0"
                records = _day(rng, start, installation, version)
                count += len(records)
                out.write(json.dumps({"resourceLogs": [{
                    "resource": {"attributes": [
                        {"key": "service.name", "value": _value("incident-response")},
                        {"key": "service.version", "value": _value(version)},
                        {"key": "deployment.environment.name", "value": _value("simulated")}]},
                    "scopeLogs": [{"scope": {"name": "otel_product_events"},
                                   "logRecords": records}]}]}) + "\n")
    return count


if __name__ == "__main__":
    print(write(Path(sys.argv[1])), "events written to", sys.argv[1])

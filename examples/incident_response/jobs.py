"""Long-running work and the usage ping of the incident-response service.

Exporting an incident's timeline is slow, so it is tracked as a lifecycle: a
``timeline.export.started`` event at once, and ``timeline.export.completed`` with the outcome
and duration when it ends. A process killed in between leaves only the started event, which the
report lists as an orphan. The usage ping reports how many incidents and playbooks exist.

    python -m examples.incident_response.jobs --version 0.5.0 --fail-rate 0.5
    python -m examples.incident_response.jobs --hang     # starts an export that never ends
"""

from __future__ import annotations

import argparse
import random
import time

import otel_product_events as pe

from .models import Incident, IncidentError
from .service import IncidentService
from .session import TEAMS, USERS, run_session


@pe.track_lifecycle("timeline.export", attributes={"incident.id": "incident.id",
                                                    "export.format": "export_format",
                                                    "export.items": "return"})
def export_timeline(incident: Incident, export_format: str = "pdf", *, fail: bool = False,
                    seconds: float = 0.02) -> int:
    """Renders the incident's timeline; returns the number of items exported."""
    time.sleep(seconds)
    if fail:
        raise IncidentError("renderer crashed")
    return incident.total_items + 1


def register_usage_ping(service: IncidentService) -> pe.UsagePing:
    return pe.usage_ping(
        "incident_response.objects",
        lambda: {"incidents": len(service.incidents), "playbooks": len(service.playbooks),
                 "incidents.active": sum(i.is_active for i in service.incidents.values())},
        interval=60, description="Incidents and playbooks stored (GitLab-style usage ping)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default="0.4.0", help="service.version to report")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fail-rate", type=float, default=0.05,
                        help="share of timeline exports that crash")
    parser.add_argument("--hang", action="store_true",
                        help="start one export that never finishes (to be killed)")
    args = parser.parse_args()
    pe.configure(service_name="incident-response", service_version=args.version)
    service = IncidentService()
    register_usage_ping(service)
    if args.hang:
        incident = service.create_incident("Stuck export", "user-ann", "team-red")
        print("export started", flush=True)
        export_timeline(incident, seconds=3600)
        return
    rng = random.Random(args.seed)
    refused = run_session(service, seed=args.seed, incidents=6)
    for n in range(12):  # quick incidents: not all get a checklist item, or are ended
        incident = service.create_incident(f"Page #{n}", rng.choice(USERS), rng.choice(TEAMS))
        if rng.random() < 0.7:
            service.add_checklist_item(incident.id, rng.choice(USERS), "Look at the graphs")
            if rng.random() < 0.6:
                service.finish_incident(incident.id, rng.choice(USERS))
    failed = 0
    for incident in service.incidents.values():
        for export_format in ("pdf", "csv"):
            try:
                export_timeline(incident, export_format, fail=rng.random() < args.fail_rate)
            except IncidentError:
                failed += 1
    print(f"version {args.version}: session done ({refused} refused operations, "
          f"{failed} failed exports)", flush=True)
    pe.shutdown()


if __name__ == "__main__":
    main()

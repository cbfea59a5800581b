"""Drives the plain service through the working session of ``examples.incident_response``.

It configures nothing: run it under a launcher, which sets up the SDK and the targets::

    OTEL_PRODUCT_EVENTS_CATALOG=examples/incident_response_plain/catalog.yaml \\
      otel-product-events run -- python -m examples.incident_response_plain.session
"""

from __future__ import annotations

import random

from examples.incident_response.models import IncidentError

from .service import IncidentService

TEAMS = ("team-red", "team-blue")
USERS = ("user-ann", "user-bob", "user-cho", "user-dee")


def run_session(service: IncidentService, seed: int = 7, incidents: int = 4) -> int:
    """Plays one session; returns how many operations failed (refused by the service)."""
    rng = random.Random(seed)
    failures = 0
    playbook = service.create_playbook(TEAMS[0], "Database outage", ["Page on-call", "Open bridge"])
    service.update_playbook(playbook.id, "Database outage v2",
                            ["Page on-call", "Open bridge", "Post status update"])
    for n in range(incidents):
        team = TEAMS[n % len(TEAMS)]
        commander = rng.choice(USERS)
        incident = service.create_incident(f"Outage #{n} at customer site", commander, team,
                                           playbook.id if n % 2 == 0 else None)
        for step in range(rng.randint(1, 3)):
            service.add_checklist_item(incident.id, rng.choice(USERS), f"Step {step}: details")
        service.check_item(incident.id, commander, 0)
        service.uncheck_item(incident.id, commander, 0)
        service.rename_checklist_item(incident.id, commander, 0, "Renamed, with secrets")
        if incident.total_items > 1:
            service.move_checklist_item(incident.id, commander, 0, 1)
        service.remove_checklist_item(incident.id, commander, 0)
        service.finish_incident(incident.id, rng.choice(USERS))
        try:  # a second "end incident" click: refused (a failure event when tracked)
            service.finish_incident(incident.id, commander)
        except IncidentError:
            failures += 1
    scratch = service.create_playbook(TEAMS[1], "Scratch", [])
    service.delete_playbook(scratch.id)
    return failures


def main() -> None:
    failures = run_session(IncidentService())
    print(f"session done ({failures} refused operations)")


if __name__ == "__main__":
    main()

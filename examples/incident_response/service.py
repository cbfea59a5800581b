"""The incident-response service, instrumented with decorators.

Each public operation is one product event from the Mattermost Incident Response telemetry
table. Attributes are identifiers and counts only: names, titles and checklist texts are
never declared, so they never leave the process.
"""

from __future__ import annotations

import otel_product_events as pe

from .models import Checklist, ChecklistItem, Incident, IncidentError, Playbook, new_id

# Read from the incident the operation returns (or was given).
INCIDENT = {
    "incident.id": "return.id",
    "incident.is_active": "return.is_active",
    "incident.commander.id": pe.hashed("return.commander_id"),  # people: one-way hashed
    "team.id": "return.team_id",
    "incident.created_at": "return.created_at",
    "incident.channel.ids": "return.channel_ids",
    "post.id": "return.post_id",
    "incident.checklist.count": lambda call: len(call.result.checklists),
    "incident.checklist_item.count": "return.total_items",
}
CHECKLIST_ITEM = {"incident.id": "incident_id", "user.id": pe.hashed("user_id")}
PLAYBOOK = {
    "playbook.id": "return.id",
    "team.id": "return.team_id",
    "playbook.checklist.count": lambda call: len(call.result.checklists),
    "playbook.checklist_item.count": "return.total_items",
}


class IncidentService:
    """Incidents and their checklists, in memory."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.playbooks: dict[str, Playbook] = {}

    def _incident(self, incident_id: str) -> Incident:
        try:
            return self.incidents[incident_id]
        except KeyError:
            raise IncidentError(f"no incident {incident_id}") from None

    def _item(self, incident_id: str, index: int) -> tuple[Checklist, ChecklistItem]:
        checklist = self._incident(incident_id).checklists[0]
        if not 0 <= index < len(checklist.items):
            raise IncidentError(f"no checklist item {index}")
        return checklist, checklist.items[index]

    @pe.track("incident.created", attributes=INCIDENT)
    def create_incident(self, name: str, commander_id: str, team_id: str,
                        playbook_id: str | None = None) -> Incident:
        """Starts an incident (from the /incident start command, the + button, or a post)."""
        playbook = self.playbooks.get(playbook_id) if playbook_id else None
        checklists = [Checklist(c.title, [ChecklistItem(i.title) for i in c.items])
                      for c in playbook.checklists] if playbook else [Checklist("Checklist")]
        incident = Incident(new_id("inc"), name, commander_id, team_id, new_id("post"),
                            [new_id("chan")], checklists)
        self.incidents[incident.id] = incident
        return incident

    @pe.track("incident.finished", attributes={**INCIDENT, "user.id": pe.hashed("user_id")})
    def finish_incident(self, incident_id: str, user_id: str) -> Incident:
        """Ends an incident (the /incident end command or the End incident button)."""
        incident = self._incident(incident_id)
        if not incident.is_active:
            raise IncidentError(f"incident {incident_id} is already finished")
        incident.is_active = False
        return incident

    @pe.track("checklist.item.created", attributes=CHECKLIST_ITEM)
    def add_checklist_item(self, incident_id: str, user_id: str, title: str) -> None:
        self._incident(incident_id).checklists[0].items.append(ChecklistItem(title))

    @pe.track("checklist.item.removed", attributes=CHECKLIST_ITEM)
    def remove_checklist_item(self, incident_id: str, user_id: str, index: int) -> None:
        checklist, item = self._item(incident_id, index)
        checklist.items.remove(item)

    @pe.track("checklist.item.renamed", attributes=CHECKLIST_ITEM)
    def rename_checklist_item(self, incident_id: str, user_id: str, index: int,
                              title: str) -> None:
        self._item(incident_id, index)[1].title = title

    @pe.track("checklist.item.moved", attributes=CHECKLIST_ITEM)
    def move_checklist_item(self, incident_id: str, user_id: str, index: int,
                            new_index: int) -> None:
        checklist, _ = self._item(incident_id, index)
        checklist.items.insert(new_index, checklist.items.pop(index))

    @pe.track("checklist.item.checked", attributes=CHECKLIST_ITEM)
    def check_item(self, incident_id: str, user_id: str, index: int) -> None:
        self._item(incident_id, index)[1].checked = True

    @pe.track("checklist.item.unchecked", attributes=CHECKLIST_ITEM)
    def uncheck_item(self, incident_id: str, user_id: str, index: int) -> None:
        self._item(incident_id, index)[1].checked = False

    @pe.track("playbook.created", attributes=PLAYBOOK)
    def create_playbook(self, team_id: str, title: str, items: list[str]) -> Playbook:
        playbook = Playbook.create(team_id, title,
                                   [Checklist("Checklist", [ChecklistItem(i) for i in items])])
        self.playbooks[playbook.id] = playbook
        return playbook

    @pe.track("playbook.updated", attributes=PLAYBOOK)
    def update_playbook(self, playbook_id: str, title: str, items: list[str]) -> Playbook:
        playbook = self.playbooks[playbook_id]
        playbook.title = title
        playbook.checklists = [Checklist("Checklist", [ChecklistItem(i) for i in items])]
        return playbook

    @pe.track("playbook.deleted", attributes=PLAYBOOK)
    def delete_playbook(self, playbook_id: str) -> Playbook:
        return self.playbooks.pop(playbook_id)

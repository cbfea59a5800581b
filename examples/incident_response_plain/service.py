"""The incident-response service of ``examples.incident_response``, without instrumentation.

Same domain (its models are reused), same operations, same behaviour; which calls become
product events, and with which attributes, is declared outside the code, in ``catalog.yaml``.
"""

from __future__ import annotations

from examples.incident_response.models import (
    Checklist,
    ChecklistItem,
    Incident,
    IncidentError,
    Playbook,
    new_id,
)


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

    def finish_incident(self, incident_id: str, user_id: str) -> Incident:
        """Ends an incident (the /incident end command or the End incident button)."""
        incident = self._incident(incident_id)
        if not incident.is_active:
            raise IncidentError(f"incident {incident_id} is already finished")
        incident.is_active = False
        return incident

    def add_checklist_item(self, incident_id: str, user_id: str, title: str) -> None:
        self._incident(incident_id).checklists[0].items.append(ChecklistItem(title))

    def remove_checklist_item(self, incident_id: str, user_id: str, index: int) -> None:
        checklist, item = self._item(incident_id, index)
        checklist.items.remove(item)

    def rename_checklist_item(self, incident_id: str, user_id: str, index: int,
                              title: str) -> None:
        self._item(incident_id, index)[1].title = title

    def move_checklist_item(self, incident_id: str, user_id: str, index: int,
                            new_index: int) -> None:
        checklist, _ = self._item(incident_id, index)
        checklist.items.insert(new_index, checklist.items.pop(index))

    def check_item(self, incident_id: str, user_id: str, index: int) -> None:
        self._item(incident_id, index)[1].checked = True

    def uncheck_item(self, incident_id: str, user_id: str, index: int) -> None:
        self._item(incident_id, index)[1].checked = False

    def create_playbook(self, team_id: str, title: str, items: list[str]) -> Playbook:
        playbook = Playbook.create(team_id, title,
                                   [Checklist("Checklist", [ChecklistItem(i) for i in items])])
        self.playbooks[playbook.id] = playbook
        return playbook

    def update_playbook(self, playbook_id: str, title: str, items: list[str]) -> Playbook:
        playbook = self.playbooks[playbook_id]
        playbook.title = title
        playbook.checklists = [Checklist("Checklist", [ChecklistItem(i) for i in items])]
        return playbook

    def delete_playbook(self, playbook_id: str) -> Playbook:
        return self.playbooks.pop(playbook_id)

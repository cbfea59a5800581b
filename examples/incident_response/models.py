"""The domain: incidents with checklists, and playbooks they start from."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field


def new_id(prefix: str) -> str:
    """A unique id, as a database would hand out (unique across processes too)."""
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass
class ChecklistItem:
    title: str  # content: never tracked
    checked: bool = False


@dataclass
class Checklist:
    title: str  # content: never tracked
    items: list[ChecklistItem] = field(default_factory=list)


@dataclass
class Incident:
    id: str
    name: str  # content: never tracked
    commander_id: str
    team_id: str
    post_id: str
    channel_ids: list[str]
    checklists: list[Checklist]
    created_at: int = field(default_factory=lambda: int(time.time() * 1000))
    is_active: bool = True

    @property
    def total_items(self) -> int:
        return sum(len(checklist.items) for checklist in self.checklists)


@dataclass
class Playbook:
    id: str
    team_id: str
    title: str  # content: never tracked
    checklists: list[Checklist]

    @property
    def total_items(self) -> int:
        return sum(len(checklist.items) for checklist in self.checklists)

    @classmethod
    def create(cls, team_id: str, title: str, checklists: list[Checklist]) -> Playbook:
        return cls(new_id("pb"), team_id, title, checklists)


class IncidentError(Exception):
    """A request the service refuses (unknown id, incident already finished, ...)."""

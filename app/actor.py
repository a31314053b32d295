"""Who is acting: the signed-in user at a workstation. Plain data, below every layer (the
database layer records it in the audit, services check its role, screens show it)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user at a workstation."""

    username: str
    role: str
    full_name: str = ""
    user_id: int | None = None
    workstation: str = field(default_factory=socket.gethostname)

    @property
    def display(self) -> str:
        return self.full_name or self.username


SYSTEM = Actor(username="system", role="admin", full_name="OrderCycle")

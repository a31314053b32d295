"""The signed-in desk: built once at sign-in and handed to every tab and dialog (issue 19).

A screen gets one ``Desk`` instead of reaching for the database layer: the database it works on,
who is signed in there, the drafts kept while they type. Screens pass ``desk.db`` and
``desk.actor`` to the services and never import ``app.db``, ``app.models`` or ``sqlalchemy`` (a
test walks every view module's imports). Qt-free, so commands and tests build one too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.actor import Actor
from app.drafts import DraftStore

if TYPE_CHECKING:
    from app.db.uow import Database


@dataclass
class Desk:
    db: Database
    actor: Actor
    drafts: DraftStore = field(default_factory=DraftStore)

    @property
    def location(self) -> str:
        """Where the database is, as the user knows it (a file path or a server's address)."""
        return self.db.location

    def as_(self, actor: Actor) -> Desk:
        """The same database and drafts, another person signed in (the idle lock's switch of user)."""
        return Desk(self.db, actor, self.drafts)

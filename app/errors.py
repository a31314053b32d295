"""The errors a user can meet. Anything else is a bug and goes to the crash dialog."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from app import clock

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.12 on


class UserError(Exception):
    """A known problem with a plain message for the user; the application keeps running."""

    title = "OrderCycle"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class Problem:
    """Where a value is wrong: a form field, or a sheet/row/column of an imported workbook."""

    reason: str
    field: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None

    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.reason}" if where else self.reason


class Where(TypedDict, total=False):
    """Where a problem given as plain text is (``ValidationError("…", field="email")``)."""

    field: str | None
    sheet: str | None
    row: int | None
    column: str | None
    value: object


class ValidationError(UserError):
    title = "Please check your input"

    def __init__(self, problems: list[Problem] | Problem | str, **where: Unpack[Where]) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, **where)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PermissionDenied(UserError):
    title = "Not allowed"


class ConflictError(UserError):
    """Someone else saved the same record since it was read."""

    title = "Changed by someone else"

    def __init__(self, entity: str, entity_id: object, changed_by: str | None, changed_at: dt.datetime | None,
                 *, deleted: bool = False) -> None:
        self.entity, self.entity_id = entity, entity_id
        self.changed_by, self.changed_at, self.deleted = changed_by, changed_at, deleted
        if deleted:
            msg = f"This {entity.replace('_', ' ')} (#{entity_id}) was deleted by someone else meanwhile."
        else:
            when = (changed_at.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M:%S") if changed_at
                    else "an unknown time")
            msg = (f"This {entity.replace('_', ' ')} (#{entity_id}) was changed by {changed_by or 'another desk'} "
                   f"at {when} while you were editing it. Nothing was overwritten.")
        super().__init__(msg, hint="Reload to see their version, then apply your change again.")


class DatabaseError(UserError):
    """The database cannot be opened or used: locked, unreachable, damaged, read-only, too new."""

    title = "Database problem"


class DatabaseLocked(DatabaseError):
    pass


class DatabaseTooNew(DatabaseError):
    pass

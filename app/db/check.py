"""``ordercycle db check``: is this database sound and at the current schema?"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

from app.db import migrate
from app.db.backup import quick_check
from app.db.engine import check_sqlite_location, make_engine, sqlite_path, to_url
from app.errors import DatabaseError


@dataclass
class CheckResult:
    location: str
    problems: list[str] = field(default_factory=list)
    schema: str = "unknown"
    share: str = ""  # the share test's verdict (SQLite files only)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(db: str) -> CheckResult:
    url = to_url(db)
    path = sqlite_path(url)
    result = CheckResult(location=str(path) if path else url.render_as_string(hide_password=True))
    if path is not None:
        if not path.exists():
            result.problems.append(f"There is no database at {path}.")
            return result
        from app.db.sharetest import verdict_text

        result.share = verdict_text(path)
        try:
            check_sqlite_location(path, create=False)
        except DatabaseError as exc:
            result.problems.append(str(exc))
            if "read-only" not in exc.message:
                return result
        damage = quick_check(path)
        if damage:
            result.problems.append(
                "The database file is damaged (quick_check: " + "; ".join(damage[:3]) + "). "
                "Restore the latest backup."
            )
            return result
    engine = make_engine(url)
    try:
        state = migrate.schema_state(engine)
    except DBAPIError as exc:
        result.problems.append(f"The database cannot be read: {str(exc.orig).splitlines()[0]}")
        return result
    finally:
        engine.dispose()
    result.schema = state
    if state == "older":
        result.problems.append("The schema is older than this OrderCycle: run 'ordercycle db upgrade'.")
    elif state == "newer":
        result.problems.append("The database was written by a newer OrderCycle; install that version here.")
    elif state == "foreign":
        result.problems.append("This is not an OrderCycle database (unknown tables, no schema version).")
    elif state == "empty":
        result.problems.append("The database is empty (no OrderCycle schema yet).")
    return result

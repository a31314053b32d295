"""Settings declared once, with type and default.

Per-workstation settings (which database, window geometry, backup folder) live in a small JSON
file in the user's config folder, readable without Qt so the command line and an installer can
preset them. Firm-wide settings (margin floor, firm name…) live in the database (``setting``).
``ORDERCYCLE_CONFIG_DIR`` / ``ORDERCYCLE_DATA_DIR`` override the folders (tests, portable installs).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs

APP = "OrderCycle"
log = logging.getLogger(__name__)


def config_dir() -> Path:
    return Path(os.environ.get("ORDERCYCLE_CONFIG_DIR") or platformdirs.user_config_dir(APP, appauthor=False))


def data_dir() -> Path:
    return Path(os.environ.get("ORDERCYCLE_DATA_DIR") or platformdirs.user_data_dir(APP, appauthor=False))


def log_dir() -> Path:
    return Path(os.environ.get("ORDERCYCLE_LOG_DIR") or platformdirs.user_log_dir(APP, appauthor=False))


def default_db_path() -> Path:
    """The embedded default: a SQLite file in the user's data folder."""
    return data_dir() / "ordercycle.db"


@dataclass
class WorkstationSettings:
    database: str = ""  # a file path or a SQLAlchemy URL; empty = the embedded default
    backup_dir: str = ""  # empty = "backups" beside the database
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""
    last_username: str = ""
    idle_lock_minutes: int = 30

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "workstation.json"

    @classmethod
    def load(cls) -> WorkstationSettings:
        try:
            raw = json.loads(cls.path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("workstation settings unreadable (%s); using defaults", exc)
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in raw.items():
            if key in known and isinstance(value, type(getattr(cls(), key))):
                kwargs[key] = value
        return cls(**kwargs)

    def save(self) -> None:
        target = self.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, target)

    @classmethod
    def folder_problem(cls) -> str | None:
        """Why this workstation's settings cannot be saved (a plain sentence), or None if they can.

        Creates the folder if needed and a probe file in it, as :meth:`save` would. OrderCycle
        still runs without it; it just cannot remember the database, window or last user."""
        folder = cls.path().parent
        probe = folder / f".write-test-{os.getpid()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            return f"The settings folder {folder} cannot be written ({exc.strerror or exc})."
        return None

    def database_or_default(self) -> str:
        return self.database or str(default_db_path())

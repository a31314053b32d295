"""Opening databases that are wrong in some way, and the admin command line."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from app.db import migrate
from app.db.engine import make_engine
from app.db.open import open_database
from app.errors import DatabaseError, DatabaseTooNew
from app.main import main
from tests.factories import make_product

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "orders.xlsx.db"
    bad.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a database" * 50)
    before = digest(bad)
    with pytest.raises(DatabaseError, match="not an OrderCycle database"):
        open_database(bad)
    assert digest(bad) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]  # no journal left behind


def test_a_damaged_database_is_refused_at_open_and_by_db_check(tmp_path: Path, capsys) -> None:
    path = tmp_path / "damaged.db"
    db = open_database(path)
    make_product(db)
    db.dispose()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page):  # keep the header, wreck the pages
        data[offset + 8:offset + page] = os.urandom(page - 8)
    path.write_bytes(bytes(data))
    before = digest(path)
    assert main(["db", "check", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "backup" in err
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "damaged-daily-20261125-080000.db").write_bytes(b"")
    with pytest.raises(DatabaseError, match="damaged") as info:
        open_database(path)
    assert "damaged-daily-20261125-080000.db" in (info.value.hint or "")
    assert digest(path) == before


def test_an_unreachable_folder_gets_a_plain_message(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot be reached") as info:
        open_database(tmp_path / "no-such-share" / "ordercycle.db")
    assert "network share" in (info.value.hint or "")


def test_a_read_only_folder_is_found_before_the_first_write(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ordercycle.db"
    open_database(path).dispose()
    before = digest(path)
    real_open = os.open

    def read_only_share(file, flags, *args):  # type: ignore[no-untyped-def]
        if flags & os.O_CREAT and Path(file).parent == tmp_path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", read_only_share)
    with pytest.raises(DatabaseError, match="read-only") as info:
        open_database(path)
    assert "journal" in (info.value.hint or "")
    monkeypatch.undo()
    assert digest(path) == before


def test_a_database_from_a_newer_ordercycle_is_refused_untouched(tmp_path: Path, capsys) -> None:
    path = tmp_path / "newer.db"
    open_database(path).dispose()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNew, match="newer version"):
        open_database(path)
    assert digest(path) == before
    assert main(["db", "check", "--db", str(path)]) == 1
    assert "newer" in capsys.readouterr().err


def test_a_desk_left_open_while_another_upgrades_the_database_saves_nothing(tmp_path: Path) -> None:
    """An old desk must not write into tables it no longer knows: every save checks the schema
    version inside its own transaction."""
    from sqlalchemy import func, select

    from app.models import Product

    path = tmp_path / "shared.db"
    db = open_database(path)
    make_product(db, "BEFORE-1")
    con = sqlite3.connect(path)  # another desk runs a newer OrderCycle's upgrade
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    with pytest.raises(DatabaseTooNew, match="newer version of OrderCycle while this desk had it open"):
        make_product(db, "AFTER-1")
    with db.read() as s:
        assert set(s.scalars(select(Product.sku))) == {"BEFORE-1"}
        assert s.scalar(select(func.count()).select_from(Product)) == 1
    con.execute("UPDATE alembic_version SET version_num = ?", (migrate.HEAD,))
    con.commit()
    con.close()
    make_product(db, "AFTER-1")  # back at this desk's version: saves again
    db.dispose()


def test_an_older_database_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    db = open_database(path)
    try:
        assert migrate.schema_state(db.engine) == "current"
    finally:
        db.dispose()
    backups = list((tmp_path / "backups").glob("old-before-upgrade-*.db"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    con.close()


def test_a_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="does not belong to OrderCycle"):
        open_database(path)
    assert digest(path) == before


def test_db_check_upgrade_and_backup_commands(tmp_path: Path, capsys) -> None:
    path = tmp_path / "firm.db"
    db = open_database(path)
    pid = make_product(db)
    db.dispose()
    assert main(["db", "check", "--db", str(path)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    assert "current" in capsys.readouterr().out
    assert main(["db", "backup", "--db", str(path), "--to", str(tmp_path / "bk")]) == 0
    copies = list((tmp_path / "bk").glob("firm-backup-*.db"))
    assert len(copies) == 1
    con = sqlite3.connect(copies[0])
    assert con.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert con.execute("SELECT id, sku FROM product").fetchall() == [(pid, "SH-1")]
    con.close()
    assert main(["db", "check", "--db", str(tmp_path / "missing.db")]) == 1


def test_backup_to_an_unwritable_place_says_so(tmp_path: Path, capsys) -> None:
    path = tmp_path / "firm.db"
    open_database(path).dispose()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["db", "backup", "--db", str(path), "--to", str(blocker / "sub")]) == 1
    assert "backup folder" in capsys.readouterr().err


def test_console_entry_points_report_the_version() -> None:
    from app import __version__

    out = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"OrderCycle {__version__}"


def test_db_restore_and_copy_commands(tmp_path: Path, capsys) -> None:
    from app.db.uow import Actor
    from app.services import presence

    path = tmp_path / "firm.db"
    db = open_database(path)
    make_product(db, sku="BEFORE")
    db.dispose()
    assert main(["db", "backup", "--db", str(path), "--to", str(tmp_path / "bk")]) == 0
    backup = next((tmp_path / "bk").glob("*.db"))
    db = open_database(path)
    make_product(db, sku="AFTER")
    presence.start_session(db, Actor("ann", "sales", "Ann Archer", workstation="desk-1"))
    db.dispose()
    capsys.readouterr()
    assert main(["db", "restore", "--db", str(path), "--from", str(backup)]) == 1
    assert "Ann Archer (sales) at desk-1" in capsys.readouterr().err
    assert main(["db", "restore", "--db", str(path), "--from", str(backup), "--force"]) == 0
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT sku FROM product")] == ["BEFORE"]
    con.close()
    target = tmp_path / "copy.db"
    assert main(["db", "copy", "--from", str(path), "--to", str(target)]) == 0
    assert "Copied" in capsys.readouterr().out
    con = sqlite3.connect(target)
    assert [r[0] for r in con.execute("SELECT sku FROM product")] == ["BEFORE"]
    con.close()
    assert main(["db", "copy", "--from", str(path), "--to", str(target)]) == 1
    assert "already holds data" in capsys.readouterr().err


def test_a_hot_journal_left_by_a_killed_desk_is_not_called_damage(tmp_path: Path, capsys) -> None:
    """A desk killed mid-save leaves a hot journal; check and backup must recover it, not cry damage."""
    import signal

    path = tmp_path / "firm.db"
    open_database(path).dispose()
    code = (
        "import os, signal, sqlite3, sys\n"
        f"con = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "con.execute('PRAGMA journal_mode=DELETE')\n"
        "con.execute('BEGIN IMMEDIATE')\n"
        "con.execute(\"INSERT INTO setting (key, value, created_at, version, updated_at, updated_by) "
        "VALUES ('half', '1', '2026-01-01', 1, '2026-01-01', 'x')\")\n"
        "con.execute('PRAGMA cache_spill=1')\n"
        "con.executemany('INSERT INTO audit_log (at, username, action, entity) VALUES (?,?,?,?)',"
        " [('2026-01-01', 'x'*50, 'insert', 'e'*30)] * 20000)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert res.returncode == -signal.SIGKILL
    journal = Path(f"{path}-journal")
    assert journal.exists() and journal.stat().st_size > 0, "the test did not leave a hot journal"
    capsys.readouterr()
    assert main(["db", "check", "--db", str(path)]) == 0, capsys.readouterr().err
    assert main(["db", "backup", "--db", str(path), "--to", str(tmp_path / "bk")]) == 0
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM setting WHERE key='half'").fetchone() == (0,)
    con.close()


def test_a_wal_database_is_refused_untouched_until_an_admin_upgrades_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "firm.db"
    open_database(path).dispose()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="WAL mode"):
        open_database(path)
    assert digest(path) == before
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    con.close()
    open_database(path).dispose()


def test_the_head_constant_matches_the_migration_scripts() -> None:
    assert migrate.HEAD == migrate.head_revision(), "update HEAD in app/db/migrate.py"

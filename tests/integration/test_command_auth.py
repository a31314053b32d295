"""Commands act as a signed-in user (issue 18): writing commands sign in through the same door as
the window — the password from ORDERCYCLE_PASSWORD or a prompt, the role checked, throttled,
audited; an empty, new database is the only exception."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.open import open_database
from app.main import main
from app.models import AuditLog, User
from app.services import settings
from app.demo import build_demo_file


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cmd") / "demo.db"
    build_demo_file(str(path))
    return path


@pytest.fixture
def firm(demo_file: Path, tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "firm.db"
    shutil.copy(demo_file, path)
    for name in ("ORDERCYCLE_USER", "ORDERCYCLE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stdin", None)  # no terminal: nobody to prompt
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as(monkeypatch, user: str, password: str) -> None:
    monkeypatch.setenv("ORDERCYCLE_USER", user)
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", password)


def test_settings_set_needs_a_signed_in_user_with_the_right_role(firm: Path, monkeypatch, capsys) -> None:
    assert main(["settings", "--db", str(firm), "set", "firm_phone", "0114 000 0000"]) == 1
    assert "Sign in to change firm_phone" in capsys.readouterr().err
    _as(monkeypatch, "sales", "demo1234")
    assert main(["settings", "--db", str(firm), "set", "firm_phone", "0114 000 0000"]) == 1
    assert "sales (sales) may not change firm_phone" in capsys.readouterr().err
    _as(monkeypatch, "management", "wrong")
    assert main(["settings", "--db", str(firm), "set", "firm_phone", "0114 000 0000"]) == 1
    assert "not right" in capsys.readouterr().err
    _as(monkeypatch, "management", "demo1234")
    assert main(["settings", "--db", str(firm), "set", "firm_phone", "0114 000 0000"]) == 0
    assert main(["settings", "--db", str(firm), "set", "time_zone", "Mars/Olympus"]) == 1
    assert "unknown time zone" in capsys.readouterr().err
    db = open_database(firm, create=False)
    try:
        assert settings.get_settings(db).firm_phone == "0114 000 0000"
        assert settings.get_settings(db).time_zone == "Europe/London"
        with db.read() as s:
            rows = s.scalars(select(AuditLog).where(AuditLog.entity == "setting", AuditLog.username == "management")
                             ).all()
            assert any(r.new_value and "0114 000 0000" in r.new_value for r in rows)
            failed = s.scalar(select(User.failed_sign_ins).where(User.username == "management"))
            assert failed == 0  # the right password afterwards reset the count
    finally:
        db.dispose()
    assert main(["settings", "--db", str(firm), "list"]) == 0
    assert "firm_phone = 0114 000 0000" in capsys.readouterr().out


def test_wrong_passwords_on_the_command_line_are_throttled_like_the_window(firm: Path, monkeypatch, capsys) -> None:
    _as(monkeypatch, "management", "wrong")
    for _ in range(5):
        main(["settings", "--db", str(firm), "set", "firm_phone", "1"])
    capsys.readouterr()
    _as(monkeypatch, "management", "demo1234")
    assert main(["settings", "--db", str(firm), "set", "firm_phone", "1"]) == 1
    assert "Too many wrong passwords for 'management'" in capsys.readouterr().err


def test_restore_upgrade_and_copy_need_an_administrator(firm: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    assert main(["db", "backup", "--db", str(firm), "--to", str(tmp_path / "bk")]) == 0  # reading: no sign-in
    backup = next((tmp_path / "bk").glob("*.db"))
    before = _digest(firm)
    _as(monkeypatch, "management", "demo1234")
    assert main(["db", "restore", "--db", str(firm), "--from", str(backup), "--force"]) == 1
    assert "may not restore the database" in capsys.readouterr().err
    assert main(["db", "upgrade", "--db", str(firm)]) == 1
    assert "an administrator must" in capsys.readouterr().err
    assert main(["db", "copy", "--from", str(firm), "--to", str(tmp_path / "copy.db")]) == 1
    assert "may not copy" in capsys.readouterr().err
    assert not (tmp_path / "copy.db").exists() or (tmp_path / "copy.db").stat().st_size == 0
    _as(monkeypatch, "admin", "demo1234")
    assert main(["db", "upgrade", "--db", str(firm)]) == 0
    assert main(["db", "restore", "--db", str(firm), "--from", str(backup), "--force"]) == 0
    assert main(["db", "copy", "--from", str(firm), "--to", str(tmp_path / "copy2.db")]) == 0
    assert "Copied" in capsys.readouterr().out
    assert before  # the refusals above changed nothing they could not (checked by the service tests)


def test_a_damaged_database_is_restored_by_an_administrator_of_the_backup(firm: Path, tmp_path: Path,
                                                                          monkeypatch, capsys) -> None:
    assert main(["db", "backup", "--db", str(firm), "--to", str(tmp_path / "bk")]) == 0
    backup = next((tmp_path / "bk").glob("*.db"))
    firm.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)  # damaged beyond opening
    _as(monkeypatch, "sales", "demo1234")
    assert main(["db", "restore", "--db", str(firm), "--from", str(backup), "--force"]) == 1
    assert "administrator of the backup" in capsys.readouterr().err
    _as(monkeypatch, "admin", "demo1234")
    before = _digest(backup)
    assert main(["db", "restore", "--db", str(firm), "--from", str(backup), "--force"]) == 0
    assert _digest(backup) == before  # the backup itself was not written to


def test_an_empty_new_database_needs_nobody(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ORDERCYCLE_USER", raising=False)
    monkeypatch.delenv("ORDERCYCLE_PASSWORD", raising=False)
    path = tmp_path / "new.db"
    open_database(path).dispose()
    assert main(["settings", "--db", str(path), "set", "country", "DE"]) == 0
    assert "set by setup" in capsys.readouterr().out

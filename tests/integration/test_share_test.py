"""The share test, its verdict, single-writer protection and retries of a blinking share — on a
local folder (the SMB rig's tests are in test_share_rig.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from app.db import sharetest, writer
from app.db.engine import DatabaseReadOnly, make_engine
from app.db.open import open_database
from app.db.sharetest import CheckOutcome, ShareTestError, Verdict, run_share_test, share_state, verdict_path
from app.db.uow import Database
from app.errors import DatabaseError
from app.main import main
from app.models import Product
from app.services import presence
from tests.factories import ANN, BOB, make_product


def plant_verdict(db_path: Path, *, safe: bool) -> Verdict:
    """A verdict as the test would leave it (for tests about what a verdict does)."""
    fid = sharetest.folder_id(db_path.parent, create=True)
    checks = (CheckOutcome("locks", safe, "each desk was kept waiting" if safe else "desk-2 got the write lock"),)
    verdict = Verdict(safe, "2026-11-26T09:00:00+00:00", ("desk-1", "desk-2"), checks, fid or "", db_path.name,
                      "TRUNCATE")
    verdict_path(db_path).write_text(verdict.to_json(), encoding="utf-8")
    return verdict


def test_two_processes_on_a_local_folder_are_safe_and_the_verdict_is_stored(tmp_path: Path, capsys) -> None:
    db = tmp_path / "ordercycle.db"
    open_database(db).dispose()
    before = db.read_bytes()
    steps: list[str] = []
    verdict = run_share_test(db, peer=db, timeout=30, progress=lambda f, t: steps.append(t), name="desk-1")
    assert verdict.safe, verdict.failed
    assert [c.key for c in verdict.checks] == ["locks", "fresh", "exclusive", "journal", "race"]
    assert verdict.desks == ("desk-1", "desk-1 (second path)")
    assert verdict.journal_mode == "DELETE"  # a local disk
    assert any(s.startswith("Waiting for the second desk") for s in steps)
    assert db.read_bytes() == before  # the firm's data is never touched
    stored = json.loads(verdict_path(db).read_text())
    assert stored["desks"] == ["desk-1", "desk-1 (second path)"] and stored["safe"] is True
    assert stored["folder_id"] == json.loads((tmp_path / ".ordercycle-folder-id").read_text())["id"]
    state = share_state(db)
    assert state is not None and state.status == "safe"
    # nothing of the test is left behind but the verdict and the folder's identity
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ordercycle-folder-id", "ordercycle.db",
                                                          "ordercycle.db.sharetest.json"]
    assert main(["db", "check", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Share test: safe" in out and "desk-1 and desk-1 (second path)" in out


def test_the_command_line_runs_both_sides_with_peer(tmp_path: Path, capsys) -> None:
    db = tmp_path / "orders.db"
    assert main(["db", "share-test", "--db", str(db), "--peer", str(db), "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert "Verdict: SAFE" in out and "[ok] A write lock on one desk blocks the other" in out
    assert not db.exists()  # the test used its own scratch database, even with no database yet


def test_a_second_desk_that_never_starts_gets_a_plain_message_and_no_verdict(tmp_path: Path) -> None:
    db = tmp_path / "ordercycle.db"
    with pytest.raises(ShareTestError, match="No second desk joined within 1 seconds") as info:
        run_share_test(db, timeout=1)
    assert "second workstation" in (info.value.hint or "")
    assert not verdict_path(db).exists()
    assert not (tmp_path / sharetest.WORK_DIR).exists()  # the invitation was withdrawn
    assert share_state(db).status == "untested"  # type: ignore[union-attr]


def test_a_read_only_folder_is_explained(tmp_path: Path, monkeypatch) -> None:
    real_mkdir = Path.mkdir

    def refuse(self, *a, **kw):  # type: ignore[no-untyped-def]
        if self.name == sharetest.WORK_DIR:
            raise PermissionError(13, "Permission denied")
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(ShareTestError, match="read-only for this workstation") as info:
        run_share_test(tmp_path / "ordercycle.db", timeout=1)
    assert "write access" in (info.value.hint or "")


def test_a_test_interrupted_halfway_stops_both_desks_cleanly(tmp_path: Path) -> None:
    """Two desks as two threads (SQLite locks correctly between connections of one process)."""
    db = tmp_path / "ordercycle.db"
    results: dict[str, BaseException | Verdict] = {}

    class Interrupted(Exception):
        pass

    def host_progress(_f: float, text: str) -> None:
        if text.startswith("Checking the journal"):
            raise Interrupted()  # the user pressed Cancel, or the window closed

    def desk(name: str, progress) -> None:  # type: ignore[no-untyped-def]
        try:
            results[name] = run_share_test(db, timeout=20, progress=progress, name=name, step_timeout=10)
        except BaseException as exc:  # noqa: BLE001 - recorded for the asserts
            results[name] = exc

    host = threading.Thread(target=desk, args=("desk-1", host_progress))
    host.start()
    while not (tmp_path / sharetest.WORK_DIR / "ordercycle.db.waiting.json").exists():
        host.join(0.01)
    guest = threading.Thread(target=desk, args=("desk-2", lambda f, t: None))
    guest.start()
    host.join(30)
    guest.join(30)
    assert isinstance(results["desk-1"], Interrupted)
    assert isinstance(results["desk-2"], ShareTestError)
    assert "stopped on desk-1" in results["desk-2"].message
    assert "no verdict was stored" in (results["desk-2"].hint or "")
    assert not verdict_path(db).exists()
    assert not (tmp_path / sharetest.WORK_DIR).exists()  # cleaned up: the next test can start at once


def test_an_abandoned_invitation_does_not_block_the_next_test(tmp_path: Path) -> None:
    work = tmp_path / sharetest.WORK_DIR
    (work / "deadbeef").mkdir(parents=True)
    (work / "ordercycle.db.waiting.json").write_text(json.dumps(
        {"run": "deadbeef", "name": "desk-9", "workstation": os.uname().nodename, "pid": 2**22 + 12345,
         "expires": 0}))
    verdict = run_share_test(tmp_path / "ordercycle.db", peer=tmp_path / "ordercycle.db", timeout=30)
    assert verdict.safe
    assert not (work / "deadbeef").exists()


def test_a_verdict_copied_from_another_folder_is_stale(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    plant_verdict(first / "ordercycle.db", safe=True)
    (second / "ordercycle.db.sharetest.json").write_bytes((first / "ordercycle.db.sharetest.json").read_bytes())
    state = share_state(second / "ordercycle.db")
    assert state is not None and state.status == "untested"
    assert "another folder" in state.note
    assert "not tested" in sharetest.verdict_text(second / "ordercycle.db")
    assert "another folder" in sharetest.verdict_text(second / "ordercycle.db")
    sharetest.folder_id(second, create=True)  # even a folder tested itself does not take another's verdict
    assert share_state(second / "ordercycle.db").status == "untested"  # type: ignore[union-attr]
    (second / "ordercycle.db.sharetest.json").write_text("{ half a file")
    assert "damaged" in share_state(second / "ordercycle.db").note  # type: ignore[union-attr]
    assert share_state("postgresql+psycopg://u@h/db") is None


def test_verdict_text_for_about_says_what_failed_and_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "ordercycle.db"
    plant_verdict(db, safe=False)
    text = sharetest.verdict_text(db)
    assert text.startswith("Share test: UNSAFE") and "desk-1 and desk-2" in text
    assert "desk-2 got the write lock" in text and "ordercycle db copy" in text


# --- single-writer protection ------------------------------------------------------------------

def test_on_an_unsafe_share_the_first_desk_writes_and_the_others_read(tmp_path: Path) -> None:
    path = tmp_path / "ordercycle.db"
    open_database(path).dispose()
    plant_verdict(path, safe=False)
    first = open_database(path, username="ann", workstation="desk-1")
    second = open_database(path, username="bob", workstation="desk-2")
    try:
        assert first.read_only is None and first.writer_lease is not None
        assert second.read_only is not None and "ann at desk-1" in second.read_only.message
        pid = make_product(first)
        with second.read() as s:  # the read-only desk still reads
            assert s.get(Product, pid) is not None
        with pytest.raises(DatabaseReadOnly, match="failed the share test") as info:
            make_product(second, sku="SH-2")
        assert "PostgreSQL" in (info.value.hint or "") and "kept" in (info.value.hint or "")
        with pytest.raises(DatabaseReadOnly):  # not even presence rows: no write at all
            presence.start_session(second, BOB)
        raw = second.engine.raw_connection()  # and the file itself is opened read-only
        try:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                raw.cursor().execute("DELETE FROM product")
        finally:
            raw.close()
    finally:
        second.dispose()
        first.dispose()
    third = open_database(path)  # the writer closed: the next desk writes
    try:
        assert third.read_only is None
        make_product(third, sku="SH-3")
    finally:
        third.dispose()


def test_a_writer_that_died_does_not_lock_everyone_out(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ordercycle.db"
    open_database(path).dispose()
    plant_verdict(path, safe=False)
    lease = writer.lease_path(path)
    lease.write_text(json.dumps({"workstation": os.uname().nodename, "username": "ann", "pid": 2**22 + 4321,
                                 "since": "2026-11-26T08:00:00+00:00", "token": "dead"}))
    db = open_database(path)  # same workstation, process gone: taken over at once
    assert db.read_only is None
    db.dispose()
    lease.write_text(json.dumps({"workstation": "desk-far-away", "username": "ann", "pid": 1,
                                 "since": "2026-11-26T08:00:00+00:00", "token": "far"}))
    db = open_database(path)
    assert db.read_only is not None  # another workstation, renewed recently: respected
    db.dispose()
    old = lease.stat().st_mtime - writer.STALE_AFTER - 5
    os.utime(lease, (old, old))
    db = open_database(path)  # not renewed for longer than STALE_AFTER: taken over
    assert db.read_only is None
    db.dispose()


def test_on_a_safe_or_untested_share_every_desk_writes(tmp_path: Path) -> None:
    path = tmp_path / "ordercycle.db"
    open_database(path).dispose()
    for planted in (None, True):
        if planted is not None:
            plant_verdict(path, safe=planted)
        a, b = open_database(path), open_database(path)
        try:
            assert a.read_only is None and b.read_only is None and a.writer_lease is None
            make_product(a, sku=f"A-{planted}")
            make_product(b, sku=f"B-{planted}")
        finally:
            a.dispose()
            b.dispose()


def test_explicit_read_only_refuses_writes_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "ordercycle.db"
    with pytest.raises(DatabaseError, match="There is no database"):
        open_database(path, read_only=True)
    assert not path.exists()
    open_database(path).dispose()
    db = open_database(path, read_only="an administrator is moving it.")
    try:
        with pytest.raises(DatabaseReadOnly, match="an administrator is moving it"):
            make_product(db)
    finally:
        db.dispose()


# --- journal mode and the blinking share ---------------------------------------------------------

def test_network_paths_use_a_truncate_journal_local_ones_delete(tmp_path: Path, monkeypatch) -> None:
    from app.db import share

    local = make_engine(tmp_path / "local.db")
    with local.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    local.dispose()
    monkeypatch.setattr(share, "share_info", lambda p, **kw: share.ShareInfo(True, "SMB/CIFS share, cifs", "/mnt"))
    remote = make_engine(tmp_path / "remote.db")
    with remote.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "truncate"
    remote.dispose()


def _blink(message: str) -> OperationalError:
    return OperationalError("COMMIT", {}, sqlite3.OperationalError(message))


def test_a_blinking_share_is_retried_on_a_fresh_connection(sqlite_db: Database, monkeypatch) -> None:
    sqlite_db.network_retry_delays = (0, 0, 0, 0)
    disposed = []
    real_dispose = sqlite_db.engine.dispose
    monkeypatch.setattr(sqlite_db.engine, "dispose", lambda *a, **kw: (disposed.append(1), real_dispose(*a, **kw)))
    pid = make_product(sqlite_db)
    failures = iter(["disk I/O error", "unable to open database file"])

    def save(uow):  # type: ignore[no-untyped-def]
        p = uow.get(Product, pid)
        p.stock_on_hand += 1
        uow.flush()
        failure = next(failures, None)
        if failure:
            raise _blink(failure)  # the share blinked mid-save: nothing was committed

    sqlite_db.write(ANN, save)
    with sqlite_db.read() as s:
        assert s.get(Product, pid).stock_on_hand == 11  # applied exactly once
    assert len(disposed) == 2  # each retry on a fresh connection


def test_a_share_that_stays_away_gets_a_clear_message_and_nothing_is_saved(sqlite_db: Database) -> None:
    sqlite_db.network_retry_delays = (0, 0, 0)
    pid = make_product(sqlite_db)
    tries = []

    def save(uow):  # type: ignore[no-untyped-def]
        tries.append(1)
        uow.get(Product, pid).stock_on_hand += 5
        uow.flush()
        raise _blink("disk I/O error")

    with pytest.raises(DatabaseError, match="cannot be reached") as info:
        sqlite_db.write(ANN, save)
    assert "Your input is kept" in (info.value.hint or "")
    assert len(tries) == 4  # the first try and three retries
    with sqlite_db.read() as s:
        assert s.get(Product, pid).stock_on_hand == 10


def test_a_read_only_desk_signs_in_without_writing(tmp_path: Path) -> None:
    """On an unsafe share the second desk opens read-only; it must still be able to sign in
    (the password is checked with a read; the attempt is not recorded)."""
    from sqlalchemy import func, select

    from app.models import SignInEvent
    from app.services import auth

    path = tmp_path / "firm.db"
    db = open_database(path)
    auth.create_first_admin(db, "root", "Ruth Admin", "correct horse")
    db.dispose()
    ro = open_database(path, read_only="another desk has the database")
    try:
        actor = auth.sign_in(ro, "root", "correct horse", workstation="desk-2")
        assert actor.username == "root" and actor.role == "admin"
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(ro, "root", "wrong", workstation="desk-2")
        with ro.read() as s:
            assert s.scalar(select(func.count()).select_from(SignInEvent).where(
                SignInEvent.workstation == "desk-2")) == 0
    finally:
        ro.dispose()

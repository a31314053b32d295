"""Daily backups with retention, restore from a backup, and copying a firm's data between databases.

Real SQLite files in tmp_path; the copy tests also run against PostgreSQL when
ORDERCYCLE_TEST_PG_URL is set (``backend`` parameter of the ``db_url`` fixture).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from app import clock
from app.db import backup as backup_module
from app.db import migrate
from app.db.backup import backup_sqlite, daily_backup, list_backups, quick_check
from app.db.copy import copy_database
from app.db.engine import make_engine
from app.db.open import open_database
from app.db.restore import restore_sqlite
from app.db.uow import Actor, Database
from app.errors import DatabaseError
from app.models import Base, Customer, NumberSequence, Product, SalesOrder, Setting, Skill, Staff, StaffSkill
from app.models.base import utcnow
from app.services import presence
from app.services.changes import changes_since
from tests.factories import ANN, make_order, make_product

PETE = Actor("pete", "production", "Pete Planner", workstation="desk-7")
DAILY_NAME = re.compile(r"^firm-daily-(\d{8})-\d{6}(?:-\d+)?\.db$")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def order_numbers(path: Path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT number FROM sales_order ORDER BY id")]
    finally:
        con.close()


def dump(url: str | Path, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, typed (UTC datetimes, Decimals, enums, JSON), in key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in Base.metadata.sorted_tables if t.name not in skip}
    finally:
        engine.dispose()


@pytest.fixture
def firm(tmp_path: Path) -> Path:
    """A small firm database file: a product and an order."""
    path = tmp_path / "firm.db"
    db = open_database(path)
    try:
        make_order(db, make_product(db), "SO-1")
    finally:
        db.dispose()
    return path


# --- daily backups ------------------------------------------------------------------------------

def test_a_daily_backup_is_made_once_per_day_and_is_a_sound_copy(firm: Path, tmp_path: Path) -> None:
    folder = tmp_path / "share" / "backups"  # missing: created
    first = daily_backup(firm, folder, today=dt.date(2026, 11, 2))
    assert first.path is not None and first.path.parent == folder
    assert DAILY_NAME.match(first.path.name) and "-20261102-" in first.path.name
    assert quick_check(first.path) == []
    assert order_numbers(first.path) == ["SO-1"]
    assert (first.deleted, first.kept) == ((), 1)

    again = daily_backup(firm, folder, today=dt.date(2026, 11, 2))
    assert again.path is None and again.kept == 1
    assert sorted(p.name for p in folder.iterdir()) == [first.path.name]

    nxt = daily_backup(firm, folder, today=dt.date(2026, 11, 3))
    assert nxt.path is not None and "-20261103-" in nxt.path.name
    assert len(list(folder.glob("firm-daily-*.db"))) == 2


def test_retention_keeps_14_daily_and_8_weekly_over_120_days_and_nothing_else(firm: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    untouched = {
        "notes.txt": b"do not touch",
        "other-daily-20260101-090000.db": b"another database's backup",
        "firm-daily-20260102-090000.db.part": b"a crash leftover is not a backup",
        "firm-daily-2026.db": b"not our pattern",
        "firmx-daily-20260103-090000.db": b"another stem",
    }
    for name, data in untouched.items():
        (folder / name).write_bytes(data)
    manual = backup_sqlite(firm, folder, now=dt.datetime(2026, 1, 1, 8, 0))
    before_upgrade = backup_sqlite(firm, folder, label="before-upgrade", now=dt.datetime(2026, 1, 2, 8, 0))
    before_restore = backup_sqlite(firm, folder, label="before-restore", now=dt.datetime(2026, 1, 3, 8, 0))

    day = dt.date(2026, 1, 1)
    last = dt.date(2026, 4, 30)  # a Thursday; 120 days of history
    outcome = None
    while day <= last:
        outcome = daily_backup(firm, folder, today=day, now=dt.datetime.combine(day, dt.time(9, 30)))
        assert outcome.path is not None and outcome.path.exists()  # made, and not pruned at once
        assert outcome.kept <= 22
        if day == dt.date(2026, 4, 29):  # a second backup the same day: only the newest of a day stays
            backup_sqlite(firm, folder, label="daily", now=dt.datetime(2026, 4, 29, 18, 0))
        day += dt.timedelta(days=1)
    assert outcome is not None

    daily = sorted(p.name for p in folder.iterdir() if DAILY_NAME.match(p.name))
    days = [DAILY_NAME.match(n).group(1) for n in daily]  # type: ignore[union-attr]
    last_14 = [f"202604{d:02d}" for d in range(17, 31)]
    # older days: the newest backup of each of the 8 newest ISO weeks (Sundays, and Thu 16 April,
    # the newest day of week 16 outside the 14 days)
    weekly = ["20260301", "20260308", "20260315", "20260322", "20260329", "20260405", "20260412", "20260416"]
    assert days == weekly + last_14
    assert "firm-daily-20260429-180000.db" in daily and "firm-daily-20260429-093000.db" not in daily
    assert outcome.kept == 22
    for name, data in untouched.items():
        assert (folder / name).read_bytes() == data
    for kept in (manual, before_upgrade, before_restore):
        assert kept.exists()
    assert {b.label for b in list_backups(firm, folder)} == {"daily", "backup", "before-upgrade", "before-restore"}

    # the next day: 17 April leaves the 14 days and replaces 16 April as week 16's backup
    nxt = daily_backup(firm, folder, today=dt.date(2026, 5, 1), now=dt.datetime(2026, 5, 1, 9, 30))
    assert [p.name for p in nxt.deleted] == ["firm-daily-20260416-093000.db"]
    assert nxt.kept == 22
    # and on Monday 4 May, 20 April (Monday of week 17) leaves the 14 days: a ninth week would
    # start, so the oldest weekly backup (1 March) goes
    for d in (2, 3, 4):
        nxt = daily_backup(firm, folder, today=dt.date(2026, 5, d), now=dt.datetime(2026, 5, d, 9, 30))
    assert [p.name for p in nxt.deleted] == ["firm-daily-20260301-093000.db"]
    assert nxt.kept == 22


def test_a_backup_folder_that_cannot_be_created_is_named_and_nothing_changes(firm: Path, tmp_path: Path) -> None:
    before = digest(firm)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError) as err:
        daily_backup(firm, blocker / "backups", today=dt.date(2026, 11, 2))
    assert str(blocker / "backups") in err.value.message and "cannot be created" in err.value.message
    assert err.value.hint and "choose another backup folder" in err.value.hint
    assert digest(firm) == before


@pytest.fixture
def read_only_folder(tmp_path: Path):
    folder = tmp_path / "ro-backups"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    # root ignores permissions: make the folder immutable instead
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot make a folder read-only for root here (no chattr)")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False)


def test_an_unwritable_backup_folder_is_named_and_nothing_changes(firm: Path, read_only_folder: Path) -> None:
    before = digest(firm)
    with pytest.raises(DatabaseError) as err:
        daily_backup(firm, read_only_folder, today=dt.date(2026, 11, 2))
    assert str(read_only_folder) in err.value.message and "read-only" in err.value.message
    assert "write access" in (err.value.hint or "")
    assert list(read_only_folder.iterdir()) == []
    assert digest(firm) == before


def _older_backups(firm: Path, folder: Path, n: int) -> set[str]:
    for i in range(n):
        day = dt.date(2026, 10, 1) + dt.timedelta(days=i)
        backup_sqlite(firm, folder, label="daily", now=dt.datetime.combine(day, dt.time(9)))  # not pruned yet
    return {p.name for p in folder.iterdir()}


def test_a_full_disk_while_writing_removes_the_part_file_and_prunes_nothing(firm: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "backups"
    existing = _older_backups(firm, folder, 20)  # more than 14: a successful run would prune
    assert len(existing) == 20
    before = digest(firm)
    real_copy = backup_module._copy_pages
    seen_part: list[Path] = []

    def disk_fills_up(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
        def after_some_pages(_status: int, _remaining: int, _total: int) -> None:
            seen_part.extend(folder.glob("*.part"))
            raise OSError(errno.ENOSPC, "No space left on device")

        source.backup(target, pages=2, progress=after_some_pages)

    monkeypatch.setattr(backup_module, "_copy_pages", disk_fills_up)
    with pytest.raises(DatabaseError) as err:
        daily_backup(firm, folder, today=dt.date(2026, 11, 2))
    assert seen_part, "the fault was injected while the .part file was being written"
    assert str(folder) in err.value.message and "full" in err.value.message
    assert "Free some space" in (err.value.hint or "")
    assert {p.name for p in folder.iterdir()} == existing  # no .part left, nothing pruned
    assert digest(firm) == before

    monkeypatch.setattr(backup_module, "_copy_pages", real_copy)
    ok = daily_backup(firm, folder, today=dt.date(2026, 11, 2))
    # 21 days: the 14 newest stay, and of 1-7 October the newest of each ISO week (Sun 4, Wed 7)
    assert ok.path is not None and ok.kept == 16
    assert sorted(p.name[11:19] for p in ok.deleted) == ["20261001", "20261002", "20261003", "20261005", "20261006"]


def test_sqlite_reporting_disk_full_is_the_same_plain_message(firm: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "backups"
    before = digest(firm)

    def tiny_disk(path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(path)
        con.execute("PRAGMA max_page_count = 2")  # SQLite's own SQLITE_FULL, as on a full share
        return con

    monkeypatch.setattr(backup_module, "_open_target", tiny_disk)
    with pytest.raises(DatabaseError, match="is full") as err:
        daily_backup(firm, folder, today=dt.date(2026, 11, 2))
    assert str(folder) in err.value.message
    assert list(folder.iterdir()) == []
    assert digest(firm) == before


# --- restore ------------------------------------------------------------------------------------

def _add_order(db: Database, number: str) -> None:
    pid = db.write(ANN, lambda uow: uow.session.execute(select(Product.id).limit(1)).scalar_one())
    make_order(db, pid, number)


def test_restore_refuses_while_another_desk_is_connected_then_works_with_force(firm: Path, tmp_path: Path) -> None:
    saved = backup_sqlite(firm, tmp_path / "bk", now=dt.datetime(2026, 11, 2, 12, 0))
    db = open_database(firm)
    try:
        _add_order(db, "SO-2")
        assert order_numbers(firm) == ["SO-1", "SO-2"]
        presence.start_session(db, PETE, now=utcnow() - dt.timedelta(minutes=10))  # crashed: ignored
        closed = presence.start_session(db, PETE)
        presence.end_session(db, closed)  # closed: ignored
        mine = presence.start_session(db, Actor("admin", "admin", "Ada Admin", workstation="desk-0"))
        presence.start_session(db, ANN)
        seq_before = db.change_seq()
        before = digest(firm)

        with pytest.raises(DatabaseError) as err:
            restore_sqlite(firm, saved, exclude_session=mine)
        assert "Ann Archer (sales) at desk-1" in err.value.message
        assert "Pete" not in err.value.message and "Ada" not in err.value.message
        assert "close OrderCycle" in (err.value.hint or "")
        assert digest(firm) == before
        assert not (tmp_path / "backups").exists()  # not even the safety copy was made

        out = restore_sqlite(firm, saved, force=True)
        assert out.restored_from == saved.resolve() and out.upgraded is False
        assert out.safety_backup is not None and out.safety_backup.parent == tmp_path / "backups"
        assert "-before-restore-" in out.safety_backup.name
        assert order_numbers(out.safety_backup) == ["SO-1", "SO-2"]  # the state before, kept
        assert order_numbers(firm) == ["SO-1"]
        assert quick_check(firm) == []
        with db.read() as s:  # a desk's open connections see the restored database
            assert s.execute(select(SalesOrder.number)).scalars().all() == ["SO-1"]
        # the restored database equals the backup, but for the change counter moved past every
        # value a desk has seen, so connected desks reload
        skip = ("change_counter", "change_feed")
        assert dump(firm, skip=skip) == dump(saved, skip=skip)
        assert db.change_seq() > seq_before
        assert changes_since(db, seq_before).touches("sales_order", "product")
        with sqlite3.connect(firm) as con:
            assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)

        # a restore can be undone by restoring its safety copy
        undo = restore_sqlite(firm, out.safety_backup, force=True)
        assert order_numbers(firm) == ["SO-1", "SO-2"]
        assert undo.safety_backup is not None and order_numbers(undo.safety_backup) == ["SO-1"]
        _add_order(db, "SO-3")  # and the database works as before
        assert order_numbers(firm) == ["SO-1", "SO-2", "SO-3"]
    finally:
        db.dispose()


def test_restore_without_other_desks_needs_no_force(firm: Path, tmp_path: Path) -> None:
    saved = backup_sqlite(firm, tmp_path / "bk")
    db = open_database(firm)
    try:
        _add_order(db, "SO-2")
    finally:
        db.dispose()
    out = restore_sqlite(firm, saved, backup_dir=tmp_path / "safety")
    assert out.safety_backup is not None and out.safety_backup.parent == tmp_path / "safety"
    assert order_numbers(firm) == ["SO-1"]


def test_restore_refuses_a_file_that_is_not_sqlite(firm: Path, tmp_path: Path) -> None:
    fake = tmp_path / "firm-backup-20261102-120000.db"
    fake.write_bytes(b"PK\x03\x04 a zip file, not a database" * 100)
    before = digest(firm)
    with pytest.raises(DatabaseError, match="not a SQLite file"):
        restore_sqlite(firm, fake)
    assert digest(firm) == before
    assert not (tmp_path / "backups").exists()


def test_restore_refuses_a_damaged_backup(firm: Path, tmp_path: Path) -> None:
    db = open_database(firm)
    try:
        for i in range(2, 60):  # enough rows for several pages
            _add_order(db, f"SO-{i}")
    finally:
        db.dispose()
    saved = backup_sqlite(firm, tmp_path / "bk")
    data = bytearray(saved.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    for n in range(3, len(data) // page, 2):  # scribble over every other page, header intact
        data[n * page + 8:n * page + 200] = bytes(range(192))
    saved.write_bytes(bytes(data))
    assert quick_check(saved) != []
    before = digest(firm)
    with pytest.raises(DatabaseError, match="damaged") as err:
        restore_sqlite(firm, saved)
    assert "earlier backup" in (err.value.hint or "")
    assert digest(firm) == before
    assert not (tmp_path / "backups").exists()


def test_restore_refuses_a_backup_from_a_newer_version(firm: Path, tmp_path: Path) -> None:
    saved = backup_sqlite(firm, tmp_path / "bk")
    with sqlite3.connect(saved) as con:
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.close()
    before = digest(firm)
    with pytest.raises(DatabaseError, match="newer version"):
        restore_sqlite(firm, saved)
    assert digest(firm) == before


def test_restoring_a_backup_from_an_older_version_upgrades_it(firm: Path, tmp_path: Path) -> None:
    old = tmp_path / "old" / "firm.db"
    old.parent.mkdir()
    engine = make_engine(old)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    out = restore_sqlite(firm, old)
    assert out.upgraded is True
    engine = make_engine(firm)
    try:
        assert migrate.schema_state(engine) == "current"
    finally:
        engine.dispose()
    db = open_database(firm)  # opens without another upgrade, and works
    try:
        presence.start_session(db, ANN)
        make_product(db, "NEW-1")
    finally:
        db.dispose()


def test_a_destroyed_live_database_is_restored_with_force_and_its_bytes_kept(firm: Path, tmp_path: Path) -> None:
    saved = backup_sqlite(firm, tmp_path / "bk")
    firm.write_bytes(b"\x00" * 100 + b"overwritten by a faulty disk" * 500)
    garbage = firm.read_bytes()
    with pytest.raises(DatabaseError, match="not a SQLite file"):
        restore_sqlite(firm, saved)
    assert firm.read_bytes() == garbage
    out = restore_sqlite(firm, saved, force=True)
    assert out.safety_backup is not None and out.safety_backup.read_bytes() == garbage
    assert quick_check(firm) == [] and order_numbers(firm) == ["SO-1"]


# --- copy between databases ---------------------------------------------------------------------

def _populated_source(path: Path) -> None:
    db = open_database(path)
    try:
        p1 = make_product(db, "SH-1")
        p2 = make_product(db, "SH-2", price="12.34")
        o1 = make_order(db, p1, "SO-1")
        o2 = make_order(db, p2, "SO-2")

        def more(uow):  # type: ignore[no-untyped-def]
            # a back-order that refers FORWARD to a later row of the same table
            uow.get(SalesOrder, o1).source_order_id = o2
            uow.add(Setting(key="firm", value={"name": "Acme Shelving Ltd", "vat": ["GB", 123], "x": 1.5}))
            uow.add(Setting(key="json-null", value=None))  # JSON null
            uow.add(Setting(key="sql-null", value={"will": "be SQL NULL"}))
            skill = Skill(code="WELD", name="Welding")
            uow.add(skill)
            from app.models import Shift

            shift = Shift(name="Early", start_minute=360, end_minute=840)
            uow.add(shift)
            uow.flush()
            staff = Staff(code="S1", name="Sam", shift_id=shift.id, hourly_rate=Decimal("21.50"))
            uow.add(staff)
            uow.flush()
            uow.add(StaffSkill(staff_id=staff.id, skill_id=skill.id, level=3))
            uow.add(Customer(code="C-Ü", name="Müller & Söhne — “quotes”", notes="tabs\tand\nnewlines"))

        db.write(ANN, more)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE setting SET value = NULL WHERE key = 'sql-null'"))
        presence.start_session(db, ANN)
        sid = presence.start_session(db, PETE)
        presence.acquire_lease(db, sid, "sales_order", o1)
    finally:
        db.dispose()


def test_copy_preserves_every_row_and_the_destination_works_afterwards(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "source.db"
    _populated_source(src)
    before = digest(src)
    seen: list[tuple[float, str]] = []
    out = copy_database(src, db_url, progress=lambda f, m: seen.append((f, m)), batch=3)  # several batches
    assert digest(src) == before  # the source was only read
    assert dump(db_url) == dump(src)  # every row of every table, typed
    assert out.tables == tuple(t.name for t in Base.metadata.sorted_tables)
    assert out.rows["sales_order"] == 2 and out.rows["staff_skill"] == 1 and out.rows["audit_log"] > 10
    assert out.total_rows == sum(len(v) for v in dump(src).values())
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("sales_order" in m for _, m in seen)

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:  # SQL NULL and JSON null stayed apart
            nulls = dict(conn.execute(text("SELECT key, value IS NULL FROM setting")).all())
        assert {k: bool(v) for k, v in nulls.items()} == {"firm": False, "json-null": False, "sql-null": True}
    finally:
        engine.dispose()

    # and back again (PostgreSQL -> SQLite when db_url is PostgreSQL): the very same bytes
    back = tmp_path / "back.db"
    copy_database(db_url, back)
    assert dump(back) == dump(src)
    query = "SELECT * FROM {} ORDER BY 1, 2"
    with sqlite3.connect(src) as a, sqlite3.connect(back) as b:
        for t in Base.metadata.sorted_tables:
            assert a.execute(query.format(t.name)).fetchall() == b.execute(query.format(t.name)).fetchall(), t.name
    a.close()
    b.close()

    db = open_database(db_url)
    try:
        with db.read() as s:
            max_product = s.execute(select(func.max(Product.id))).scalar_one()
            seqs = {n.name: n.next_value for n in s.execute(select(NumberSequence)).scalars()}
        pid = make_product(db, "NEW-1")  # ids continue after the copied ones (sequences reset)
        assert pid == max_product + 1
        make_order(db, pid, "SO-3")
        with db.read() as s:
            assert s.execute(select(func.count()).select_from(SalesOrder)).scalar_one() == 3
            assert seqs == {n.name: n.next_value for n in s.execute(select(NumberSequence)).scalars()}
    finally:
        db.dispose()


def test_copy_refuses_a_destination_that_holds_data(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "source.db"
    _populated_source(src)
    dst = open_database(db_url)
    try:
        make_product(dst, "THEIRS")
    finally:
        dst.dispose()
    before = dump(db_url)
    with pytest.raises(DatabaseError, match="already holds data; choose an empty database"):
        copy_database(src, db_url)
    assert dump(db_url) == before


def test_a_failed_copy_leaves_the_destination_empty_and_can_be_retried(tmp_path: Path, db_url: str) -> None:
    src = tmp_path / "source.db"
    _populated_source(src)
    open_database(db_url).dispose()  # an empty OrderCycle database, as an admin would prepare it
    empty = dump(db_url)

    def cancel_half_way(fraction: float, _message: str) -> None:
        if fraction > 0.5:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        copy_database(src, db_url, progress=cancel_half_way, batch=2)
    assert dump(db_url) == empty
    out = copy_database(src, db_url)
    assert out.rows["sales_order"] == 2
    assert dump(db_url) == dump(src)


def test_a_failed_copy_to_a_new_file_removes_the_file(tmp_path: Path) -> None:
    src = tmp_path / "source.db"
    _populated_source(src)
    dst = tmp_path / "new.db"

    def fail(fraction: float, _message: str) -> None:
        if fraction > 0.2:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        copy_database(src, dst, progress=fail)
    assert not dst.exists()


def test_copy_refuses_a_source_with_an_older_schema_and_the_same_database(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(old)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    with pytest.raises(DatabaseError, match="older schema") as err:
        copy_database(old, tmp_path / "new.db")
    assert "db upgrade" in (err.value.hint or "")
    assert not (tmp_path / "new.db").exists()
    with pytest.raises(DatabaseError, match="same database"):
        copy_database(old, str(old))


def test_copy_of_the_demo_company(tmp_path: Path, db_url: str) -> None:
    from app.demo import build_demo

    src = tmp_path / "demo.db"
    db = open_database(src)
    try:
        with clock.pinned(dt.date(2026, 11, 2)):
            build_demo(db)
    finally:
        db.dispose()
    out = copy_database(src, db_url)
    assert out.total_rows > 10_000
    print(f"\ncopy of the demo company to {db_url.split('://')[0]}: {out.total_rows} rows in {out.seconds:.2f} s "
          f"({out.total_rows / out.seconds:,.0f} rows/s including schema creation)")
    assert dump(db_url) == dump(src)

"""A complete, tamper-evident audit (issue 18, item 6).

The attacker's story: with the sqlite3 shell, reset an invoice's ``paid``, delete its payment's
audit rows, make ``sales`` an admin. ``ordercycle db check`` must name each (table, row, time) and
exit 1; everything done through OrderCycle — payments, credit notes, refunds, role changes,
password resets, unlocks, settings, Excel imports — must keep it at 0. The chain is appended by
several desks at once on SQLite and PostgreSQL and still verifies; an upgraded database's older
rows are hashed by migration 0006.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from openpyxl import Workbook
from sqlalchemy import func, select

from app.db import audit_chain, migrate
from app.db.check import check_database
from app.db.engine import make_engine
from app.db.open import open_database
from app.db.uow import Actor
from app.main import main
from app.models import AuditLog, Invoice, Product, User
from app.models.enums import InvoiceStatus, Role
from app.services import audit, auth, billing, settings
from app.demo import build_demo

FORK = multiprocessing.get_context("fork" if hasattr(os, "fork") else None)
ADMIN = Actor("admin", "admin", "Admin")


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    from app import clock
    from tests.support import TODAY

    path = tmp_path_factory.mktemp("chain") / "demo.db"
    with clock.pinned(TODAY):
        db = open_database(path)
        build_demo(db)
        db.dispose()
    return path


@pytest.fixture
def firm(demo_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "firm.db"
    shutil.copyfile(demo_file, path)
    return path


def _check(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["db", "check", "--db", str(path)])
    out = capsys.readouterr()
    return code, out.err + out.out


def _sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()


def _one(path: Path, sql: str):  # type: ignore[no-untyped-def]
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


# --- the demo starts with a valid chain ---------------------------------------------------------
def test_the_demo_company_starts_with_an_intact_chain_covering_every_protected_row(firm: Path, capsys) -> None:
    code, out = _check(firm, capsys)
    assert code == 0, out
    with sqlite3.connect(firm) as con:
        states = dict(con.execute("SELECT entity, count(*) FROM audit_log WHERE action = 'state' GROUP BY entity"))
        for table in audit_chain.PROTECTED:
            assert states.get(table, 0) == con.execute(f"SELECT count(*) FROM {table}").fetchone()[0], table
        assert con.execute("SELECT count(*) FROM audit_log WHERE hash IS NULL").fetchone() == (0,)
        last_id, last_hash = con.execute("SELECT last_id, last_hash FROM audit_chain").fetchone()
        assert (last_id, last_hash) == con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    result = check_database(str(firm))
    assert result.ok and result.audit.startswith("Audit chain intact (") and result.chain_head == last_hash


# --- the attacker with the sqlite3 shell ----------------------------------------------------------
def test_an_invoice_paid_reset_by_sql_is_reported(firm: Path, capsys) -> None:
    iid, number = _one(firm, "SELECT id, number FROM invoice WHERE status = 'paid' ORDER BY id LIMIT 1")
    # the attacker keeps the money invariants: paid back to 0 and the payments gone with it
    _sql(firm, f"DELETE FROM payment WHERE invoice_id = {iid}",
         f"UPDATE invoice SET paid = 0, status = 'issued' WHERE id = {iid}")
    code, err = _check(firm, capsys)
    assert code == 1
    assert f"invoice {number} (id {iid}): paid, status differ from the state OrderCycle last recorded (" in err
    assert "UTC" in err and "changed outside OrderCycle" in err
    assert "Money:" not in err  # the invariants hold: only the audit sees it
    assert "(and 1 more protected row(s) like it)" in err
    engine = make_engine(firm)
    try:
        with engine.connect() as conn:
            states = audit_chain.verify(conn).states
    finally:
        engine.dispose()
    assert (states[0].table, states[0].row_id) == ("invoice", iid)
    assert states[1].table == "payment" and "is gone, but OrderCycle last recorded it at" in states[1].text
    assert "deleted outside OrderCycle" in states[1].text


def test_deleting_the_payments_audit_rows_breaks_the_chain(firm: Path, capsys) -> None:
    iid, number = _one(firm, "SELECT id, number FROM invoice WHERE status = 'paid' ORDER BY id LIMIT 1 OFFSET 5")
    pid = _one(firm, f"SELECT id FROM payment WHERE invoice_id = {iid}")[0]
    first = _one(firm, f"SELECT min(id) FROM audit_log WHERE entity = 'payment' AND entity_id = {pid} "
                       f"OR entity = 'invoice' AND entity_id = {iid}")[0]
    _sql(firm, f"DELETE FROM payment WHERE invoice_id = {iid}",
         f"UPDATE invoice SET paid = 0, status = 'issued' WHERE id = {iid}",
         f"DELETE FROM audit_log WHERE entity = 'payment' AND entity_id = {pid}",
         f"DELETE FROM audit_log WHERE entity = 'invoice' AND entity_id = {iid}")
    code, err = _check(firm, capsys)
    assert code == 1
    # the first break: the row after the first one deleted no longer follows its predecessor
    assert "the audit chain breaks at audit row id" in err and "does not follow audit row id" in err
    after = _one(firm, f"SELECT min(id) FROM audit_log WHERE id > {first}")[0]
    assert f"breaks at audit row id {after} (" in err and "UTC" in err
    # and the invoice, with no state left, is named too
    assert f"invoice {number} (id {iid}) has no state recorded by OrderCycle" in err


def test_an_edited_audit_row_is_reported(firm: Path, capsys) -> None:
    rid, at = _one(firm, "SELECT id, at FROM audit_log WHERE entity = 'app_user' ORDER BY id LIMIT 1")
    _sql(firm, f"UPDATE audit_log SET username = 'nobody' WHERE id = {rid}")
    code, err = _check(firm, capsys)
    assert code == 1
    assert f"the audit chain breaks at audit row id {rid} ({at[:19]} UTC, nobody, state app_user" in err
    assert "the row was changed after it was written" in err


def test_sales_made_admin_by_sql_is_reported_and_sign_in_refuses_nothing_new(firm: Path, capsys) -> None:
    uid = _one(firm, "SELECT id FROM app_user WHERE username = 'sales'")[0]
    _sql(firm, "UPDATE app_user SET role = 'admin' WHERE username = 'sales'")
    code, err = _check(firm, capsys)
    assert code == 1
    assert f"user 'sales' (id {uid}): role differs from the state OrderCycle last recorded (" in err
    db = open_database(firm)
    try:
        assert auth.sign_in(db, "sales", "demo1234").role == "admin"  # detected, not prevented
    finally:
        db.dispose()


def test_the_tail_deleted_or_rows_written_outside_are_reported(firm: Path, capsys) -> None:
    top = _one(firm, "SELECT max(id) FROM audit_log")[0]
    _sql(firm, f"DELETE FROM audit_log WHERE id > {top - 3}")
    code, err = _check(firm, capsys)
    assert code == 1 and f"the audit chain ends at audit row id {top - 3}, but OrderCycle last wrote id {top}" in err
    _sql(firm, "INSERT INTO audit_log (at, username, action, entity) VALUES ('2026-01-01 00:00:00.000000', 'x', "
               "'update', 'invoice')")
    code, err = _check(firm, capsys)
    assert code == 1 and "it has no hash, so it was written outside OrderCycle" in err


def test_a_deleted_chain_head_is_reported_even_after_the_next_save(firm: Path, capsys) -> None:
    top = _one(firm, "SELECT max(id) FROM audit_log")[0]
    _sql(firm, f"DELETE FROM audit_log WHERE id > {top - 2}", "DELETE FROM audit_chain")
    code, err = _check(firm, capsys)
    assert code == 1 and "the audit chain's head (table audit_chain) is missing" in err
    db = open_database(firm)
    try:
        db.write(ADMIN, lambda u: setattr(u.session.scalars(select(Product)).first(), "name", "renamed"))
    finally:
        db.dispose()
    code, err = _check(firm, capsys)
    assert code == 1 and "its head had been deleted" in err


# --- everything done through OrderCycle stays intact ----------------------------------------------
def test_work_through_ordercycle_keeps_the_chain_and_records_every_kind_of_change(firm: Path, capsys,
                                                                                   tmp_path: Path) -> None:
    db = open_database(firm)
    try:
        with db.read() as s:
            users = {u.username: u for u in s.scalars(select(User))}
            inv = s.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED).order_by(Invoice.id)).first()
        fin = Actor("finance", "finance", "Finance", users["finance"].id, workstation="desk-9")
        admin = Actor("admin", "admin", "Admin", users["admin"].id, workstation="desk-1")
        billing.record_payment(db, fin, inv.id, "10.00")
        billing.credit_note(db, fin, inv.id, str(inv.net + inv.tax - Decimal("5.00")), "returned")
        refund = next(r for r in billing.refunds(db, fin, open_only=True) if r.invoice_number == inv.number)
        billing.pay_refund(db, fin, refund.id, refund.version, "BACS 1")
        sales = users["sales"]
        auth.update_user(db, admin, sales.id, version=sales.version, role="management")
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "sales", "wrong password")
        auth.unlock_user(db, admin, "sales")
        info = auth.get_user(db, admin, sales.id)
        auth.update_user(db, admin, sales.id, version=info.version, password="a new password")
        auth.change_own_password(db, Actor("sales", "management", user_id=sales.id), "a new password", "another one")
        settings.set_setting(db, admin, "sign_in_lock_after", 7)
        settings.set_setting(db, admin, "sign_in_lock_after", 8)
        with db.read() as s:
            rows = s.execute(select(AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.field,
                                    AuditLog.old_value, AuditLog.new_value).order_by(AuditLog.id)).all()
            assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.hash.is_(None))) == 0
    finally:
        db.dispose()
    assert _check(firm, capsys)[0] == 0, _check(firm, capsys)[1]
    acts = {(r.action, r.entity, r.field) for r in rows}
    assert ("update", "app_user", "role") in acts and ("password_reset", "app_user", "password") in acts
    assert ("password_change", "app_user", "password") in acts and ("unlock", "app_user", "failed_sign_ins") in acts
    assert ("update", "setting", "sign_in_lock_after.value") in acts  # the setting's key with the field
    assert any(r.action == "insert" and r.entity == "setting" and "value=7" in (r.new_value or "") for r in rows)
    states = [(r.entity, r.entity_id) for r in rows if r.action == "state"]
    assert ("invoice", inv.id) in states and ("app_user", sales.id) in states
    assert any(e == "payment" for e, _ in states) and any(e == "credit_note" for e, _ in states)
    assert any(e == "refund" for e, _ in states)
    # a wrong password or an unlock changes no protected field: no state row for them
    n_user_states = sum(1 for e, i in states if (e, i) == ("app_user", sales.id))
    assert n_user_states == 1 + 3  # the demo's, the role, the reset, the user's own change


def test_an_excel_import_writes_one_audit_row_per_record(firm: Path, capsys, tmp_path: Path, monkeypatch) -> None:
    from app.exchange import importer

    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(tmp_path / "config"))
    db = open_database(firm)
    try:
        with db.read() as s:
            products = list(s.execute(select(Product.id, Product.sku, Product.list_price).order_by(Product.id)
                                      .limit(30)))
        wb = Workbook()
        ws = wb.active
        ws.append(["SKU", "List price"])
        for _pid, sku, price in products:
            ws.append([sku, float(price) + 1])
        wb.save(tmp_path / "prices.xlsx")
        who = Actor("management", "management", "M", workstation="desk-m")
        plan = importer.dry_run(db, who, "prices", tmp_path / "prices.xlsx")
        assert plan.ok and plan.updated == 30
        importer.run_import(db, who, plan)
        with db.read() as s:
            summary = s.scalars(select(AuditLog).where(AuditLog.action == "import")).one()
            per_record = s.execute(select(AuditLog.entity, AuditLog.entity_id, AuditLog.new_value, AuditLog.change_seq)
                                   .where(AuditLog.action == "imported")).all()
    finally:
        db.dispose()
    assert "30 changed" in summary.new_value and summary.change_seq is not None
    assert sorted(r.entity_id for r in per_record) == sorted(p[0] for p in products)
    assert {(r.entity, r.new_value, r.change_seq) for r in per_record} == {("product", "prices.xlsx",
                                                                           summary.change_seq)}
    assert _check(firm, capsys)[0] == 0


def test_import_rows_name_records_the_import_cannot_name_by_id() -> None:
    rows = audit.import_rows(ADMIN, "history.xlsx", {"demand_history": []},
                             ([{"product_id": 3, "period_start": "2026-01-01", "quantity": 1}], [{"_id": 9}]))
    assert [(r["entity"], r["entity_id"], r["new_value"]) for r in rows] == [
        ("demand_history", 9, "history.xlsx"),
        ("demand_history", None, "history.xlsx: new product_id=3, period_start=2026-01-01")]


# --- an upgraded database ----------------------------------------------------------------------------
def test_an_upgraded_database_has_its_earlier_rows_hashed_and_its_protected_rows_sealed(tmp_path: Path,
                                                                                        capsys) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    engine.dispose()
    _sql(path,
         "INSERT INTO app_user (username, full_name, role, password_hash, active, failed_sign_ins, created_at, "
         "version, updated_at, updated_by) VALUES ('boss', 'Boss', 'admin', 'scrypt$x', 1, 0, "
         "'2026-01-01 09:00:00.000000', 1, '2026-01-01 09:00:00.000000', 'system')",
         *(f"INSERT INTO audit_log (at, username, action, entity, entity_id, new_value, change_seq) VALUES "
           f"('2026-01-0{d} 10:00:00.123456', 'boss', 'update', 'product', {d}, 'x{d}', {d})" for d in range(1, 6)))
    db = open_database(path)  # backs up, upgrades to 0006
    db.dispose()
    assert _check(path, capsys)[0] == 0
    con = sqlite3.connect(path)
    rows = con.execute("SELECT id, action, entity, prev_hash, hash, new_value FROM audit_log ORDER BY id").fetchall()
    con.close()
    assert [r[1] for r in rows] == ["update"] * 5 + ["state", "chain_start"]
    assert rows[0][3] == audit_chain.GENESIS and all(rows[i][3] == rows[i - 1][4] for i in range(1, len(rows)))
    assert "5 earlier audit rows hashed, the state of 1 protected rows recorded" in rows[-1][5]
    _sql(path, "UPDATE audit_log SET new_value = 'y2' WHERE id = 2")  # history rewritten after the upgrade
    code, err = _check(path, capsys)
    assert code == 1 and "breaks at audit row id 2 (2026-01-02 10:00:00 UTC, boss, update product 2)" in err


# --- several desks appending at once -----------------------------------------------------------------
def _desk(db_url: str, desk: int, rounds: int, barrier, pipe) -> None:  # type: ignore[no-untyped-def]
    try:
        db = open_database(db_url, check=False)
        who = Actor(f"desk{desk}", "admin", workstation=f"desk-{desk}")
        barrier.wait(30)
        for k in range(rounds):
            # an audited change to a product, and to a user (a protected row: a state row too)
            db.write(who, lambda u, k=k: setattr(u.session.scalars(select(Product).where(Product.sku == f"P{desk}"))
                                                 .one(), "name", f"p{desk}-{k}"))
            db.write(who, lambda u, k=k: setattr(u.session.scalars(select(User).where(User.username == f"u{desk}"))
                                                 .one(), "role", Role.SALES if k % 2 else Role.FINANCE))
        db.dispose()
        pipe.send(None)
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        pipe.send(repr(exc))


def test_desks_appending_at_once_keep_the_chain(db_url: str, backend: str) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    from app.models import ProductFamily

    desks, rounds = 4, 12
    db = open_database(db_url)
    try:
        def setup(u):  # type: ignore[no-untyped-def]
            fam = u.add(ProductFamily(code="F", name="F"))
            u.flush()
            for i in range(desks):
                u.add(Product(sku=f"P{i}", name=f"P{i}", family_id=fam.id, list_price=Decimal(1),
                              standard_cost=Decimal(0)))
            for d in range(desks):
                u.add(User(username=f"u{d}", full_name=f"U{d}", role=Role.SALES, password_hash="x"))
        db.write(ADMIN, setup)
    finally:
        db.dispose()
    barrier = FORK.Barrier(desks)
    procs, pipes = [], []
    for d in range(desks):
        reader, writer = FORK.Pipe(duplex=False)
        p = FORK.Process(target=_desk, args=(db_url, d, rounds, barrier, writer), daemon=True)
        p.start()
        writer.close()
        procs.append(p)
        pipes.append(reader)
    try:
        for reader in pipes:
            assert reader.poll(120), "a desk did not finish in time"
            assert reader.recv() is None
    finally:
        for p in procs:
            p.join(10)
    result = check_database(db_url)
    assert result.problems == [], result.problems
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            verdict = audit_chain.verify(conn)
            states = conn.execute(select(func.count()).select_from(AuditLog)
                                  .where(AuditLog.action == "state", AuditLog.entity == "app_user")).scalar()
            conn.rollback()
    finally:
        engine.dispose()
    assert verdict.ok and verdict.rows > desks * rounds * 3
    assert states == desks + desks * rounds  # each user's creation and every role change


def _hammer(db_url: str, threads: int = 6, rounds: int = 8) -> audit_chain.Verdict:
    """Threads appending to the chain at once, each append in its own write transaction, with a
    pause between reading the head and writing after it (where a second desk would slip in)."""
    import threading
    import time

    from app import clock
    from app.db.engine import write_engine

    engine = make_engine(db_url)
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(t: int) -> None:
        try:
            start.wait(30)
            for k in range(rounds):
                with write_engine(engine).begin() as conn:
                    prev = audit_chain._lock_head(conn)
                    time.sleep(0.005)
                    audit_chain._append_locked(conn, prev, [{
                        "at": clock.utcnow(), "username": f"t{t}", "workstation": None, "action": "update",
                        "entity": "product", "entity_id": t, "field": "name", "old_value": None,
                        "new_value": str(k), "change_seq": None}])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert not errors, errors[0]
    try:
        with engine.connect() as conn:
            verdict = audit_chain.verify(conn)
            conn.rollback()
    finally:
        engine.dispose()
    assert verdict.rows == threads * rounds
    return verdict


def test_the_chain_head_lock_serialises_appends(db_url: str, backend: str, monkeypatch) -> None:
    """The head lock's power: without ``FOR UPDATE`` on the head, PostgreSQL lets two desks read
    the same head and both append after it (the chain forks and no longer verifies); SQLite's
    ``BEGIN IMMEDIATE`` serialises writers anyway."""
    open_database(db_url).dispose()
    assert _hammer(db_url).ok
    if backend == "sqlite":
        return
    engine = make_engine(db_url)
    with engine.begin() as conn:  # start again on an empty log
        conn.execute(AuditLog.__table__.delete())
        conn.execute(audit_chain._head.delete())
    engine.dispose()
    real = audit_chain._lock_head

    def unlocked(conn):  # type: ignore[no-untyped-def]
        last = conn.execute(select(audit_chain._head.c.last_hash).where(audit_chain._head.c.id == 1)).scalar()
        return real(conn) if last is None else str(last)

    monkeypatch.setattr(audit_chain, "_lock_head", unlocked)
    verdict = _hammer(db_url)
    assert not verdict.ok and "does not follow audit row id" in verdict.chain.text

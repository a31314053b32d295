"""Admin → Audit log: the line at the top says whether the audit chain is intact (computed off
the GUI thread), or names its first break in red."""

from __future__ import annotations

import sqlite3

from app.desk import Desk
from app.db.uow import Actor, Database
from app.views.admin.audit import AuditDialog
from tests.factories import make_product


def test_the_audit_viewer_says_the_chain_is_intact(qtbot, sqlite_db: Database, admin: Actor) -> None:
    make_product(sqlite_db)
    dlg = AuditDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.chain_task.done, timeout=10000)
    qtbot.waitUntil(dlg.settled, timeout=10000)  # the first page's search too
    assert dlg.verdict_ok is True
    assert dlg.verdict.text().startswith("Audit chain intact (")
    assert "color" not in dlg.verdict.styleSheet()


def test_the_audit_viewer_names_the_first_break_in_red(qtbot, sqlite_db: Database, admin: Actor) -> None:
    make_product(sqlite_db)
    path = sqlite_db.engine.url.database
    con = sqlite3.connect(path)
    rid = con.execute("SELECT min(id) FROM audit_log WHERE entity = 'product'").fetchone()[0]
    con.execute(f"UPDATE audit_log SET new_value = 'sku=FORGED' WHERE id = {rid}")
    con.execute("UPDATE app_user SET role = 'sales' WHERE username = 'root'")
    con.commit()
    con.close()
    dlg = AuditDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.chain_task.done, timeout=10000)
    qtbot.waitUntil(dlg.settled, timeout=10000)  # the first page's search too
    assert dlg.verdict_ok is False
    text = dlg.verdict.text()
    assert f"the audit chain breaks at audit row id {rid} (" in text and "changed after it was written" in text
    assert "user 'root'" in text and "role differs" in text
    assert "#b00020" in dlg.verdict.styleSheet()

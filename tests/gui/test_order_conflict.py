"""Two desks edit the same quote: the second save meets the conflict dialog, which compares both
versions (reference and lines) and saves the chosen mix on top of theirs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QRadioButton

from app.db.uow import Database
from app.services import orders
from app.services.orders import LineInput
from app.views.common.conflict import ConflictDialog
from tests.gui.conftest import actor_for, when_modal
from tests.gui.test_orders import make_tab, settle


def test_a_conflicting_save_compares_the_lines_and_saves_the_chosen_mix(qtbot, demo: Database,
                                                                         tmp_path: Path) -> None:
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    form = tab.form
    actor = actor_for(demo, "sales", workstation="desk-other")
    customer = orders.search_customers(demo, actor, "")[0]
    sku = orders.search_products(demo, actor, "")[0][1]
    quote = orders.new_quote(demo, actor, customer[0], [LineInput(sku, Decimal(2))], customer_reference="first")
    form.load(quote.id)
    settle(qtbot, form)
    # the other desk saves first: five of them, and its own reference
    orders.update_order(demo, actor, quote.id, quote.version, [LineInput(sku, Decimal(5))],
                        customer_reference="theirs")
    form.reference.setFocus()
    form.reference.selectAll()
    qtbot.keyClicks(form.reference, "mine")
    settle(qtbot, form)
    seen: dict[str, str] = {}

    def choose(dialog: ConflictDialog) -> None:
        seen.update({b.objectName(): b.text() for b in dialog.findChildren(QRadioButton)})
        dialog.take_theirs("lines")  # their quantity, my reference
        dialog.save_button.click()

    when_modal(qtbot, choose, ConflictDialog)
    assert form.save()
    settle(qtbot, form)
    assert seen["theirs_lines"] == f"{sku} × 5" and seen["theirs_customer_reference"] == "theirs"
    assert seen["mine_customer_reference"] == "mine"
    saved = orders.get_order(demo, actor, quote.id)
    assert saved.customer_reference == "mine"
    assert [(ln.sku, ln.quantity) for ln in saved.lines] == [(sku, Decimal(5))]
    assert form.order.version == saved.version and not form.dirty

"""The quote/order form: customer, lines with live prices, costs, margins and promise dates,
totals with tax, approval below the margin floor, confirm, cancel, print. Every number comes
from the services; the form only keeps what the user typed until it is saved. Its widgets and how
the services' answer is shown on them are in form_widgets.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from app import clock
from app import format as fmt
from app.desk import Desk
from app.errors import ConflictError, UserError, ValidationError
from app.services import order_screen, orders
from app.services.hints import Hint
from app.services.order_views import LineView, OrderView, TimelineItem
from app.services.orders import LineInput
from app.services.permissions import allowed
from app.tasks import Task, run_task
from app.views.common.action import Actions
from app.views.common.conflict import ConflictDialog, FieldSpec, resolve_conflict
from app.views.common.drafts import DraftKeeper
from app.views.orders.form_widgets import STATUS_COLOURS as STATUS_COLOURS
from app.views.orders.form_widgets import OrderFormWidgets

DEBOUNCE_MS = 120  # a burst of keystrokes is priced and promised once, after it


def _line_key(text: str) -> str:
    """'SH-1200-5 — Shelving unit' -> 'SH-1200-5'"""
    return text.split(" — ", 1)[0].strip()


class OrderForm(OrderFormWidgets):
    saved = Signal(int)  # order id

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.drafts = desk.drafts
        self.order = None  # as saved (OrderView); None for a new quote
        self.version: int | None = None  # the order's version the edits are based on; None with no order
        self.customer_id = None
        self.inputs: list[LineInput] = []
        self.view = None  # what is typed, previewed (order_preview.Preview)
        self.dirty = False
        self.can_edit = allowed(actor.role, "orders.edit")
        self.setObjectName("orderForm")
        self._build()
        self._wire()
        # service calls that save: off the GUI thread, failures mapped in one place
        self.work = Actions(self, fields={"customer": self.customer, "requested_date": self.requested,
                                          "customer_reference": self.reference, "reason": self.cancel_button})
        self.work.busy_changed.connect(lambda _busy: self._show_state())
        # what is typed is priced, costed and promised off the GUI thread, once per burst of keys
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._recompute)
        self._wanted = 0  # edits asked for; a result for an older one is dropped
        self._screen_task: Task | None = None
        self._timeline_stale = False  # the timeline is read again with the next result
        self._search_task: Task | None = None
        self._load_task: Task | None = None
        self._loading = 0  # orders asked to open; a result for an older one is dropped
        self._edits = 0  # edits typed so far (a save keeps those typed while it ran)
        self.keeper: DraftKeeper | None = None
        self.lease: tuple[int, int] | None = None
        self.lease_order: int | None = None
        self.clear()

    # --- wiring ----------------------------------------------------------------------------
    def _wire(self) -> None:
        """The widgets' signals to what the form does."""
        self.customer.textEdited.connect(self._customer_typed)
        self.customer.editingFinished.connect(self._customer_chosen)
        self.customer_completer.activated.connect(lambda _t: self._customer_chosen())
        self.reference.textEdited.connect(self._touch)
        self.product.textEdited.connect(self._product_typed)
        self.add_button.clicked.connect(self.add_typed_line)
        self.product.returnPressed.connect(self.add_typed_line)
        self.remove_button.clicked.connect(self.remove_selected_line)
        self.lines_model.quantity_edited.connect(self._quantity_edited)
        self.lines_model.price_edited.connect(self._price_edited)
        self.save_button.clicked.connect(self.save)
        self.confirm_button.clicked.connect(self.confirm)
        self.approve_button.clicked.connect(self.approve)
        self.cancel_button.clicked.connect(lambda: self.cancel_order())
        self.print_button.clicked.connect(lambda: self.print_preview())
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        self.note_text.returnPressed.connect(self.add_note)
        self.hints.add_requested.connect(self.add_hint)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.confirm)
        QShortcut(QKeySequence.StandardKey.Delete, self.lines, self.remove_selected_line)

    # --- loading ---------------------------------------------------------------------------
    # --- edit leases: tell other desks who has this order open (informs, never blocks) --------
    def _take_lease(self, order_id: int) -> None:
        from app.services import presence
        from app.views.common.live import LiveUpdates

        self._drop_lease()
        live = LiveUpdates.current
        if live is None or live.session_id is None or not self.can_edit:
            return
        self.lease = (live.session_id, presence.acquire_lease(self.db, live.session_id, "sales_order", order_id))

    def _drop_lease(self) -> None:
        from app.services import presence

        lease = getattr(self, "lease", None)
        if lease is not None:
            try:
                presence.release_lease(self.db, lease[1])
            except UserError:
                pass
            self.lease = None

    def show_others(self) -> None:
        """"Pete Planner (production) is editing this since 10:42 at desk-7"."""
        from app.services import presence
        from app.views.common.live import LiveUpdates

        if self.order is None:
            self.others.hide()
            return
        live = LiveUpdates.current
        mine = live.session_id if live is not None else None
        editing = presence.who_is_editing(self.db, "sales_order", self.order.id, exclude_session=mine)
        self.others.setText("\n".join(e.describe() for e in editing))
        self.others.setVisible(bool(editing))

    def clear(self) -> None:
        """A new, empty quote."""
        self._loading += 1  # an order still being opened is not shown any more
        self._drop_lease()
        self._discard_draft()
        self.order, self.version, self.customer_id, self.inputs, self.view = None, None, None, [], None
        self.customer.clear()
        self.reference.clear()
        self.requested.setDate(self.requested.minimumDate())
        self.dirty = False
        self.refresh()

    def load(self, order_id: int, *, then: Callable[[], object] | None = None) -> None:
        """Open an order: one read (the order, what the user may do, prices, hints, timeline), off
        the GUI thread; ``then()`` runs once it is shown (e.g. to put a draft's values back)."""
        self._discard_draft()
        self._loading += 1
        wanted = self._loading

        def done(opened: order_screen.OpenedOrder) -> None:
            self._load_task = None
            if wanted == self._loading:  # not replaced by another order or a new quote meanwhile
                self._show_opened(opened)
                if then is not None:
                    then()
            self._show_state()

        def failed(exc: BaseException) -> None:
            self._load_task = None
            self._show_state()
            if wanted == self._loading:
                self.work.report(exc)

        self._load_task = run_task(lambda _s: order_screen.open_order(self.db, self.actor, order_id),
                                   on_success=done, on_error=failed)
        self._show_state()

    def _show_opened(self, opened: order_screen.OpenedOrder) -> None:
        order_id = opened.order.id
        self.order = opened.order
        self.version = self.order.version
        self.customer_id = self.order.customer_id
        self.customer.setText(f"{self.order.customer_code} — {self.order.customer_name}")
        self.reference.setText(self.order.customer_reference or "")
        if self.order.requested_date:
            wanted_by = self.order.requested_date
            self.requested.setDate(QDate(wanted_by.year, wanted_by.month, wanted_by.day))
        else:
            self.requested.setDate(self.requested.minimumDate())
        self.inputs = list(opened.inputs)
        self.dirty = False
        if getattr(self, "lease", None) is None or self.lease_order != order_id:
            self._take_lease(order_id)
            self.lease_order = order_id
        self._wanted += 1  # a recompute still running was for what was shown before
        self._timer.stop()
        self._apply_screen(opened.screen)
        self.show_others()

    def restore_values(self, values: dict[str, Any]) -> None:
        """Reopen a draft left by a crash."""
        self.customer_id = values.get("customer_id")
        self.customer.setText(values.get("customer_text", ""))
        self.reference.setText(values.get("reference", ""))
        self.inputs = [LineInput(product=p, quantity=Decimal(q), discount=Decimal(d) if d else None,
                                 price_override=Decimal(o) if o else None, override_reason=r)
                       for p, q, d, o, r in values.get("lines", [])]
        self._touch()

    def values(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "customer_text": self.customer.text(),
                "reference": self.reference.text(),
                "lines": [[i.product, str(i.quantity), str(i.discount) if i.discount is not None else None,
                           str(i.price_override) if i.price_override is not None else None, i.override_reason]
                          for i in self.inputs]}

    # --- editing ---------------------------------------------------------------------------
    def settled(self) -> bool:
        """Nothing waiting: no recompute due or running, no service call running (tests wait for it)."""
        return (not self._timer.isActive() and self._screen_task is None and self._load_task is None
                and self.work.settled())

    def _touch(self, *_a: object) -> None:
        self.dirty = True
        self._edits += 1
        if self.keeper is None and self.editable():
            self.keeper = DraftKeeper(self, self.drafts, database=self.db.location, username=self.actor.username,
                                      form="order", record_id=self.order.id if self.order else None,
                                      title=lambda: f"Order for {self.customer.text() or '(no customer yet)'}, "
                                                    f"{len(self.inputs)} lines",
                                      values=self.values)
        if self.keeper is not None:
            self.keeper.touch()
        self._show_state()
        self.refresh()

    def _discard_draft(self) -> None:
        if self.keeper is not None:
            self.keeper.discard()
            self.keeper.deleteLater()
            self.keeper = None

    def _customer_typed(self, text: str) -> None:
        if len(text.strip()) >= 1:
            found = orders.search_customers(self.db, self.actor, _line_key(text))
            self.customer_names.setStringList([f"{code} — {name}" for _id, code, name in found])
            self._customer_matches = {f"{code} — {name}": cid for cid, code, name in found}

    def _customer_chosen(self) -> None:
        text = self.customer.text().strip()
        matches = getattr(self, "_customer_matches", {})
        cid = matches.get(text)
        if cid is None and text:
            found = orders.search_customers(self.db, self.actor, _line_key(text), limit=2)
            exact = [c for c in found if c[1].lower() == _line_key(text).lower()]
            if exact or len(found) == 1:
                cid, code, name = (exact or found)[0]
                self.customer.setText(f"{code} — {name}")
        if cid != self.customer_id:
            self.customer_id = cid
            self._touch()

    def _product_typed(self, text: str) -> None:
        """The completer's list, searched off the GUI thread (the newest text wins)."""
        key = _line_key(text)
        if not key:
            return
        self._search_key = key

        def found(rows: list[tuple[int, str, str]]) -> None:
            if getattr(self, "_search_key", None) == key:
                self.product_names.setStringList([f"{sku} — {name}" for _id, sku, name in rows])

        self._search_task = run_task(lambda _s: orders.search_products(self.db, self.actor, key), on_success=found,
                                     on_error=lambda exc: None)

    def add_typed_line(self) -> None:
        key = _line_key(self.product.text())
        if not key:
            return
        self.inputs.append(LineInput(product=key, quantity=Decimal(int(self.quantity.value()))))
        self.product.clear()
        self.quantity.setValue(1)
        self._touch()
        self.product.setFocus()

    def add_hint(self, hint: Hint) -> None:
        if not self.editable():
            return
        self.inputs.append(LineInput(product=hint.product_id, quantity=Decimal(max(1, int(self.quantity.value()))),
                                     discount=hint.suggested_discount or None))
        self._touch()

    def remove_selected_line(self) -> None:
        rows = sorted({i.row() for i in self.lines.selectionModel().selectedRows()}, reverse=True)
        for r in rows:
            if r < len(self.inputs):
                del self.inputs[r]
        if rows:
            self._touch()

    def _quantity_edited(self, row: int, qty: Decimal) -> None:
        old = self.inputs[row]
        self.inputs[row] = LineInput(old.product, qty, old.discount, old.price_override, old.override_reason)
        self._touch()

    def _price_edited(self, row: int, price: Decimal, *, reason: str | None = None) -> None:
        if reason is None:
            reason, ok = QInputDialog.getText(self, "Price override", "Why this price? (kept with the order)")
            if not ok:
                self.refresh()
                return
        old = self.inputs[row]
        self.inputs[row] = LineInput(old.product, old.quantity, None, price, reason.strip() or None)
        self._touch()

    # --- pricing what is typed (shown by ``_apply_screen``) ----------------------------------
    def refresh(self, *, delay: int = DEBOUNCE_MS) -> None:
        """Price, cost and promise what is typed (nothing saved) — off the GUI thread, ``delay`` ms
        after the last edit; the result is shown by ``_apply_screen``."""
        self._wanted += 1
        self._timer.start(delay)

    def _recompute(self) -> None:
        if self._screen_task is not None:  # one at a time: the newest edit follows when it is done
            return
        wanted = self._wanted
        customer_id, inputs = self.customer_id, list(self.inputs)
        order_id = self.order.id if self.order is not None else None
        timeline = self._timeline_stale and order_id is not None

        def done(screen: order_screen.OrderScreen) -> None:
            self._screen_task = None
            if wanted == self._wanted:
                self._apply_screen(screen)
            else:
                self._recompute()

        def failed(exc: BaseException) -> None:
            self._screen_task = None
            if wanted != self._wanted:
                self._recompute()
                return
            self.problems.setText(exc.message if isinstance(exc, UserError) else
                                  "The prices could not be worked out just now (the database did not answer).")
            self.problems.show()

        self._screen_task = run_task(lambda _s: order_screen.recompute(
            self.db, self.actor, customer_id, inputs, order_id=order_id, with_timeline=timeline),
            on_success=done, on_error=failed)

    # --- actions ---------------------------------------------------------------------------
    def _requested(self) -> dt.date | None:
        d = self.requested.date()
        return None if d == self.requested.minimumDate() else dt.date(d.year(), d.month(), d.day())

    def _base_version(self) -> int:
        """The version of the order shown that the edits are based on (theirs once a conflict was
        resolved by saving on top of it)."""
        if self.version is None:
            raise RuntimeError("no saved order is shown: a new quote has no version")
        return self.version

    def save(self) -> bool:
        """Save what is typed (off the GUI thread); False when there is nothing to save."""
        if not self.work.settled():
            return False
        return self._save()

    def _save(self) -> bool:
        """``save``, also from the callback of a call that is finishing (the conflict dialog's "save
        my choices"): ``Actions`` starts it once that call is done."""
        if not self.editable() or not self.dirty:
            return False
        customer_id, inputs, requested = self.customer_id, list(self.inputs), self._requested()
        reference = self.reference.text().strip() or None
        order = self.order
        edits = self._edits
        if order is None:
            if customer_id is None:
                self.work.report(ValidationError("choose a customer first (type its code or name)", field="customer"))
                return False
            customer = customer_id

            def call() -> OrderView:
                return orders.new_quote(self.db, self.actor, customer, inputs, requested_date=requested,
                                        customer_reference=reference)
        else:
            order_id, version = order.id, self._base_version()

            def call() -> OrderView:
                return orders.update_order(self.db, self.actor, order_id, version, inputs, requested_date=requested,
                                           customer_reference=reference)
        self.work.run(call, done=lambda saved: self._saved(saved, edits), conflict=self._resolve)
        return True

    def _saved(self, saved: OrderView, edits: int | None = None) -> None:
        """A save, confirmation, approval or cancellation came back: show the order as saved.
        Edits typed while it ran stay (still unsaved) unless ``edits`` says none came."""
        typed_meanwhile = edits is not None and edits != self._edits
        if not typed_meanwhile:
            self._discard_draft()
            self.inputs = [ln.as_input() for ln in saved.lines]
        self.order, self.version, self.dirty = saved, saved.version, typed_meanwhile
        self._timeline_stale = True
        self.refresh(delay=0)
        self._show_state()
        self.saved.emit(saved.id)

    def _resolve(self, exc: ConflictError, *, hook: Callable[[ConflictDialog], None] | None = None) -> None:
        """Someone saved the order first: both versions side by side (``resolve_conflict``), then
        reload theirs, save the chosen mix on top of theirs, or go back to editing."""
        order = self.order
        if order is None:  # a new quote (a number series changed under it): there is no "theirs" to show
            self.work.report(exc)
            return

        def summary(lines: Sequence[LineInput | LineView]) -> str:
            """A line read from the order by its SKU; one typed by what was typed (SKU, or id when loaded)."""
            return "; ".join(f"{x.sku if isinstance(x, LineView) else x.product} × {fmt.quantity(Decimal(x.quantity))}"
                             for x in lines)

        mine = {"customer_reference": self.reference.text().strip() or None, "lines": summary(self.inputs)}
        read: list[OrderView] = []  # theirs, as the dialog showed it

        def theirs() -> tuple[dict[str, Any], int]:
            current = orders.get_order(self.db, self.actor, order.id)
            read.append(current)
            return {"customer_reference": current.customer_reference, "lines": summary(current.lines)}, current.version

        fields = [FieldSpec("customer_reference", "Customer reference"), FieldSpec("lines", "Lines")]
        decision, values, version = resolve_conflict(self, exc, fields, mine, theirs, dialog_hook=hook)
        if decision == "reload":
            self.load(order.id)
        elif decision == "save":
            self.version = version
            self.reference.setText(values["customer_reference"] or "")
            if values["lines"] != mine["lines"]:
                self.inputs = [ln.as_input() for ln in read[-1].lines]
            self.dirty = True
            self._save()

    def confirm(self) -> None:
        """Confirm the quote; unsaved edits are saved with it, in the same unit of work."""
        o = self.order
        if o is None or o.status != "quote" or not self.work.settled():
            return
        edits = self._edits
        if self.dirty:
            inputs, requested = list(self.inputs), self._requested()
            reference = self.reference.text().strip() or None

            def call() -> OrderView:
                return orders.confirm(self.db, self.actor, o.id, self._base_version(), lines=inputs,
                                      requested_date=requested, customer_reference=reference)
        else:
            def call() -> OrderView:
                return orders.confirm(self.db, self.actor, o.id, self._base_version())
        self.work.run(call, done=lambda done: self._saved(done, edits), conflict=self._reload_after)

    def _reload_after(self, exc: ConflictError) -> None:
        """Someone changed the order first: say so (the helper's message), then show theirs."""
        self.work.report(exc)
        if self.order is not None:
            self.load(self.order.id)

    def approve(self) -> None:
        o = self.order
        if o is None or not self.work.settled():
            return
        self.work.run(lambda: orders.approve(self.db, self.actor, o.id, self._base_version()),
                      done=self._saved, conflict=self._reload_after)

    def cancel_order(self, reason: str | None = None) -> None:
        o = self.order
        if o is None or not self.work.settled():
            return
        if reason is None:
            reason, ok = QInputDialog.getText(self, "Cancel order", f"Why is {o.number} cancelled?")
            if not ok:
                return
        self.work.run(lambda: orders.cancel(self.db, self.actor, o.id, self._base_version(), reason),
                      done=self._saved, conflict=self._reload_after)

    def add_note(self) -> None:
        text = self.note_text.text().strip()
        o = self.order
        if not text or o is None:
            return

        def done(_item: TimelineItem) -> None:
            self.note_text.clear()
            self._timeline_stale = True
            self.refresh(delay=0)

        self.work.run(lambda: orders.add_note(self.db, self.actor, text, order_id=o.id), done=done)

    def _printable(self) -> OrderView:
        """The order as saved: what is printed (Print and PDF are off for a new quote)."""
        if self.order is None:
            raise RuntimeError("a new quote is not printed: save it first")
        return self.order

    def document_html(self) -> str:
        from app.services import documents

        return documents.order_document_html(self.db, self.actor, self._printable().id, printed_on=clock.today())

    def print_preview(self) -> None:
        from app.printing.render import preview

        preview(self.document_html(), self).exec()

    def save_pdf(self, target: Path | None = None) -> Path | None:
        from app.printing.render import to_pdf

        number = self._printable().number
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save as PDF", f"{number}.pdf", "PDF (*.pdf)")
            if not name:
                return None
            target = Path(name)
        return to_pdf(self.document_html(), target, title=number)

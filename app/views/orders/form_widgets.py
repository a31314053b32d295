"""What the order form shows: its widgets, laid out, and how the services' answer for what is
typed (``order_screen.OrderScreen``: lines with prices, totals, margin approval, hints, timeline)
and what the user may do now (``OrderView.actions``) are painted onto them. No behaviour here:
``OrderForm`` (form.py) connects the widgets, loads, edits and saves, and keeps the state read
below up to date."""

from __future__ import annotations

from decimal import Decimal
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.actor import Actor
from app.services import order_preview, order_screen
from app.services.order_preview import Preview
from app.services.order_views import OrderView
from app.services.permissions import allowed
from app.tasks import Task
from app.views.common.action import Actions
from app.views.common.messages import error_label
from app.views.orders.hints_panel import HintsPanel
from app.views.orders.lines_model import OrderLinesTableModel

STATUS_COLOURS = {  # colour-blind-safe pairs, always with the text
    "quote": "#4477aa", "confirmed": "#228833", "in_production": "#66ccee", "ready": "#228833",
    "on_hold": "#ccbb44", "cancelled": "#bbbbbb", "lost": "#bbbbbb",
}


class OrderFormWidgets(QWidget):
    """The order form's widgets and how a screen is shown on them; ``OrderForm`` is the form."""

    # the form's state, set by ``OrderForm``; read here to show it
    actor: Actor
    order: OrderView | None  # as saved; None for a new quote
    view: Preview | None  # what is typed, priced and promised (not saved); None before the first answer
    customer_id: int | None
    dirty: bool
    can_edit: bool
    work: Actions  # its service calls (``Actions``)
    _load_task: Task | None
    _timeline_stale: bool

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("orderTitle")
        self.status_label = QLabel()
        self.status_label.setObjectName("orderStatus")
        head.addWidget(self.title)
        head.addWidget(self.status_label)
        head.addStretch(1)
        self._head = head
        outer.addLayout(head)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.customer = QLineEdit()
        self.customer.setObjectName("customer")
        self.customer.setPlaceholderText("type a customer code or name")
        self.customer_names = QStringListModel(self)
        self.customer_completer = QCompleter(self.customer_names, self)
        self.customer_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.customer_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.customer.setCompleter(self.customer_completer)
        self.requested = QDateEdit()
        self.requested.setObjectName("requestedDate")
        self.requested.setCalendarPopup(True)
        self.requested.setSpecialValueText("—")
        self.reference = QLineEdit()
        self.reference.setObjectName("customerReference")
        form.addRow("&Customer", self.customer)
        form.addRow("&Requested by", self.requested)
        form.addRow("Customer &reference", self.reference)
        lay.addLayout(form)
        add = QHBoxLayout()
        self.product = QLineEdit()
        self.product.setObjectName("productEntry")
        self.product.setPlaceholderText("add a product: SKU or name")
        self.product_names = QStringListModel(self)
        self.product_completer = QCompleter(self.product_names, self)
        self.product_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.product_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.product.setCompleter(self.product_completer)
        self.quantity = QDoubleSpinBox()
        self.quantity.setObjectName("quantityEntry")
        self.quantity.setDecimals(0)
        self.quantity.setRange(0, 1_000_000)
        self.quantity.setValue(1)
        self.quantity.setMinimumWidth(70)
        self.add_button = QPushButton("&Add line")
        self.add_button.setObjectName("addLine")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeLine")
        add.addWidget(self.product, 3)
        add.addWidget(QLabel("Qty"))
        add.addWidget(self.quantity)
        add.addWidget(self.add_button)
        add.addWidget(self.remove_button)
        lay.addLayout(add)
        self.lines_model = OrderLinesTableModel(self)
        self.lines = QTableView()
        self.lines.setObjectName("orderLines")
        self.lines.setModel(self.lines_model)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.verticalHeader().hide()
        self.lines.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lines.horizontalHeader().setMinimumSectionSize(40)
        self.lines.setWordWrap(False)
        self.lines.setMinimumWidth(200)
        lay.addWidget(self.lines, 2)
        self.problems = error_label("problems")
        lay.addWidget(self.problems)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        lay.addWidget(self.totals)
        self.others = QLabel()
        self.others.setObjectName("othersEditing")
        self.others.setWordWrap(True)
        self.others.setStyleSheet("background: #e1ecf7; padding: 4px")
        self.others.hide()
        lay.addWidget(self.others)
        self.approval = QLabel()
        self.approval.setObjectName("approvalBanner")
        self.approval.setWordWrap(True)
        self.approval.setStyleSheet("background: #fff4d6; padding: 4px")
        lay.addWidget(self.approval)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveOrder")
        self.confirm_button = QPushButton("C&onfirm")
        self.confirm_button.setToolTip("Confirm the order and reserve stock (Ctrl+Enter)")
        self.confirm_button.setObjectName("confirmOrder")
        self.approve_button = QPushButton("A&pprove")
        self.approve_button.setToolTip("Approve this order's margin below the floor (management)")
        self.approve_button.setObjectName("approveOrder")
        self.cancel_button = QPushButton("Cancel…")
        self.cancel_button.setToolTip("Cancel this quote or order, with a reason")
        self.cancel_button.setObjectName("cancelOrder")
        self.print_button = QPushButton("&Print…")
        self.print_button.setObjectName("printOrder")
        self.pdf_button = QPushButton("PD&F…")
        self.pdf_button.setObjectName("pdfOrder")
        for b in (self.save_button, self.confirm_button, self.approve_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self._head.addWidget(self.print_button)
        self._head.addWidget(self.pdf_button)
        lay.addLayout(buttons)
        below = QTabWidget()
        self.timeline = QListWidget()
        self.timeline.setObjectName("timeline")
        notes = QWidget()
        nl = QVBoxLayout(notes)
        nl.setContentsMargins(0, 0, 0, 0)
        self.notes = QListWidget()
        self.notes.setObjectName("notes")
        self.note_text = QLineEdit()
        self.note_text.setObjectName("noteText")
        self.note_text.setPlaceholderText("a note every department sees; Enter adds it")
        nl.addWidget(self.notes)
        nl.addWidget(self.note_text)
        below.addTab(self.timeline, "Timeline")
        below.addTab(notes, "Notes")
        lay.addWidget(below, 1)
        split.addWidget(left)
        self.hints = HintsPanel()
        split.addWidget(self.hints)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)

    # --- showing ---------------------------------------------------------------------------
    def editable(self) -> bool:
        """The service's answer (``OrderView.actions``); a new quote by whoever may enter orders."""
        return self.order.actions.editable if self.order is not None else self.can_edit

    def _apply_screen(self, screen: order_screen.OrderScreen) -> None:
        problems: dict[int, str] = {}
        messages: list[str] = []
        self.view = screen.preview
        if self.view is not None:
            for p in self.view.problems:
                row = order_preview.line_index(p.field)
                if row is not None:
                    problems[row] = p.reason
                messages.append(p.reason[:1].upper() + p.reason[1:])
        lines = list(self.view.lines) if self.view is not None else []
        floor = self.view.margin_floor if self.view is not None else Decimal("0")
        self.lines_model.editable = self.editable()
        self.lines_model.set_lines(lines, problems, floor)
        self.problems.setText("\n".join(messages))
        self.problems.setVisible(bool(messages))
        self._show_totals()
        if self.customer_id is not None or self.order is None:
            self.hints.set_hints(list(screen.hints))
        if screen.timeline is not None:
            self._timeline_stale = False
            self.timeline.clear()
            self.notes.clear()
            for item in screen.timeline:
                text = f"{fmt.local_time(item.at)}  {item.summary}  — {item.user}"
                (self.notes if item.kind == "note" else self.timeline).addItem(text)
        elif self.order is None:
            self.timeline.clear()
            self.notes.clear()
        self._show_state()

    def _show_totals(self) -> None:
        v = self.view
        if v is None or not v.lines:
            self.totals.setText("<i>No lines yet.</i>")
            self.approval.hide()
            return
        t = v.totals
        promise = (f" · can ship by <b>{fmt.date(v.promise_date)}</b>" if v.promise_date else "") + \
                  (f" (bottleneck: {v.bottleneck})" if v.bottleneck else "")
        self.totals.setText(
            f"Net <b>{fmt.money(t.net)}</b> · VAT {fmt.money(t.tax)} · Total <b>{fmt.money(t.gross)}</b> · "
            f"cost {fmt.money(t.cost)} · margin <b>{fmt.percent(t.margin)}</b> "
            f"(floor {fmt.percent(v.margin_floor, 0)}){promise}")
        saved = self.order if not self.dirty else None  # an approval is of the order as saved
        approved_by = saved.approved_by if saved is not None else None
        approved_at = saved.approved_at if saved is not None and approved_by else None
        if v.needs_approval and not approved_by:
            self.approval.setText(f"Margin {fmt.percent(t.margin)} is below the {fmt.percent(v.margin_floor, 0)} "
                                  "floor: management must approve before the order can be confirmed.")
            self.approval.show()
        elif approved_by:
            self.approval.setText(f"Below-floor margin approved by {approved_by} on {fmt.local_time(approved_at)}.")
            self.approval.show()
        else:
            self.approval.hide()

    def _show_state(self) -> None:
        """Buttons and fields as the service says (``OrderView.actions``), all held while a save runs."""
        o = self.order
        status = o.status if o else "new quote"
        number = o.number if o else "New quote"
        colour = STATUS_COLOURS.get(status, "#777777")
        self.title.setText(f"<b style='font-size:14pt'>{number}</b>")
        self.status_label.setText(f"<span style='background:{colour}; color:white; padding:2px 6px'>"
                                  f"{status.replace('_', ' ')}</span>" + (" · unsaved changes" if self.dirty else ""))
        idle = self.work.settled() and self._load_task is None
        acts = o.actions if o is not None else None
        edit = self.editable() and idle
        customer = acts.customer_editable if acts is not None else self.can_edit
        for w in (self.customer, self.reference, self.requested, self.product, self.quantity, self.add_button,
                  self.remove_button):
            w.setEnabled(edit and (w is not self.customer or customer))
        self.save_button.setEnabled(edit and self.dirty)
        # a quote's unsaved edits are confirmed with it (one unit of work), so Confirm stays on
        self.confirm_button.setEnabled(idle and acts is not None and status == "quote" and
                                       (acts.can_confirm or (self.dirty and self.can_edit)))
        self.approve_button.setVisible(acts.show_approve if acts is not None else
                                       allowed(self.actor.role, "orders.approve_margin"))
        self.approve_button.setEnabled(idle and acts is not None and acts.can_approve and not self.dirty)
        self.cancel_button.setEnabled(idle and acts is not None and acts.can_cancel)
        why = acts.why_not if acts is not None else {}
        for button, key, tip in ((self.confirm_button, "confirm", "Confirm the order and reserve stock (Ctrl+Enter)"),
                                 (self.approve_button, "approve", "Approve this order's margin below the floor "
                                                                  "(management)"),
                                 (self.cancel_button, "cancel", "Cancel this quote or order, with a reason")):
            button.setToolTip(tip + (f" — not now: {why[key]}" if key in why and not button.isEnabled() else ""))
        self.print_button.setEnabled(o is not None and not self.dirty)
        self.pdf_button.setEnabled(o is not None and not self.dirty)
        self.hints.add_button.setEnabled(edit and bool(self.hints.hints))

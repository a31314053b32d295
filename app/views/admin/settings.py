"""Admin → Firm settings: pricing rules (management) and the firm's details (admin, management),
declared once in app/services/settings.py; a field the role may not change is read-only."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.errors import UserError, ValidationError
from app.services import settings as svc
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.messages import error_label

PERCENT_KEYS = {key for key, spec in svc.SPECS.items() if spec.kind == "percent"}


def _show(key: str, value: Any) -> str:
    if key in PERCENT_KEYS and isinstance(value, Decimal):
        return f"{(value * 100).normalize():f}"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def FormActions(widget: QWidget, error: QLabel, *, fields: dict[str, QWidget] | None = None) -> Actions:  # noqa: N802
    """A form's action helper that lists bad values (``ValidationError``) reason by reason in the
    form's own error line, with the focus on the field, rather than in a message box (as these
    admin forms always did); everything else as everywhere."""

    def say(exc: UserError) -> None:
        problems = getattr(exc, "problems", None)
        error.setText("\n".join(p.reason for p in problems) if problems else str(exc))
        error.show()

    return Actions(widget, fields=fields, show_error=say, inline=ValidationError)


class SettingsDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Firm settings")
        self.current = svc.get_settings(db)
        self.fields: dict[str, QLineEdit | dict[str, QLineEdit]] = {}  # key -> its box, or {subkey: box} for mappings
        lay = QVBoxLayout(self)
        area = QScrollArea()
        area.setWidgetResizable(True)
        inner = QWidget()
        inner_lay = QVBoxLayout(inner)
        for title, perm in (("Pricing and hints (management)", svc.PRICING),
                            ("The firm (printed on documents)", svc.FIRM)):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for key, spec in svc.SPECS.items():
                if spec.permission != perm:
                    continue
                editable = allowed(actor.role, spec.permission)
                value = getattr(self.current, key)
                label = spec.description + (" (%)" if key in PERCENT_KEYS else "")
                if isinstance(value, Mapping):
                    row = QHBoxLayout()
                    subs: dict[str, QLineEdit] = {}
                    keys = list(value) or (["line1", "line2", "postcode", "city", "country"]
                                           if key == "firm_address" else ["bank", "sort_code", "account_number"])
                    for sub in keys:
                        e = QLineEdit(_show(key, value.get(sub)) if key != "tier_discounts" else
                                      f"{(Decimal(value.get(sub, 0)) * 100).normalize():f}")
                        e.setObjectName(f"{key}.{sub}")
                        e.setPlaceholderText(sub.replace("_", " "))
                        e.setToolTip(sub.replace("_", " ") + (" (%)" if key == "tier_discounts" else ""))
                        e.setReadOnly(not editable)
                        subs[sub] = e
                        row.addWidget(QLabel(sub if key == "tier_discounts" else ""))
                        row.addWidget(e)
                    self.fields[key] = subs
                    form.addRow(label + (" (%, by tier)" if key == "tier_discounts" else ""), row)
                else:
                    e = QLineEdit(_show(key, value))
                    e.setObjectName(key)
                    e.setReadOnly(not editable)
                    self.fields[key] = e
                    form.addRow(label, e)
            inner_lay.addWidget(box)
        area.setWidget(inner)
        lay.addWidget(area)
        self.error = error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.button_box = buttons
        lay.addWidget(buttons)
        # a bad setting: its reason under the form, the cursor in its box (an address's or tiers' first)
        self.work = FormActions(self, self.error, fields={
            key: next(iter(w.values())) if isinstance(w, dict) else w
            for key, w in self.fields.items() if not isinstance(w, dict) or w})
        self.work.busy_changed.connect(lambda busy: self.button_box.setEnabled(not busy))
        self.resize(760, 640)

    def settled(self) -> bool:
        """No save of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def reject(self) -> None:
        if self.work.settled():  # not while a save runs
            super().reject()

    def changed_values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, widget in self.fields.items():
            spec = svc.SPECS[key]
            if not allowed(self.actor.role, spec.permission):
                continue
            old = getattr(self.current, key)
            if isinstance(widget, dict):
                if key == "tier_discounts":
                    new = {k: _percent(e.text()) for k, e in widget.items()}
                    if {k: str(v) for k, v in new.items()} != {k: str(Decimal(old.get(k, 0))) for k in new}:
                        out[key] = new
                else:
                    new = {k: e.text().strip() for k, e in widget.items()}
                    if new != {k: str(old.get(k, "")) for k in new}:
                        out[key] = new
                continue
            text = widget.text().strip()
            if text == _show(key, old):
                continue
            out[key] = _percent(text) if key in PERCENT_KEYS else text
        return out

    def save(self) -> None:
        """Save off the GUI thread; the dialog closes once saved. Refused (a bad value, or someone
        saved first): said, and what was typed stays in the form."""
        if not self.work.settled():
            return
        values = self.changed_values()
        if not values:
            self.accept()
            return
        versions = self.current.versions

        def call() -> svc.FirmSettings:
            saved = svc.set_settings(self.db, self.actor, values, versions=versions)
            if {"time_zone", "currency", "locale"} & set(values):  # this desk's clock and amounts follow at once
                svc.use_firm_settings(self.db)
            return saved

        self.error.hide()
        self.work.run(call, done=self._saved)

    def _saved(self, current: svc.FirmSettings) -> None:
        self.current = current
        self.accept()


def _percent(text: str) -> Decimal | str:
    """'18' (per cent, as typed in the form) -> Decimal('0.18'); anything else is passed on for
    the service to name the problem."""
    try:
        return fmt.parse_decimal(text.replace("%", "").strip()) / 100
    except Exception:
        return text

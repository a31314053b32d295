"""Dialogs of the service tab: new job, booking, done, debrief."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.services.service_jobs import KIND_LABEL, OPPORTUNITY_LABEL, TAG_LABEL, JobView
from app.views.common.submit import SubmitDialog
from app.views.common.table import cell, cell_widget


def _text_edit(name: str, placeholder: str, height: int = 60) -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setObjectName(name)
    t.setPlaceholderText(placeholder)
    t.setTabChangesFocus(True)
    t.setFixedHeight(height)
    return t


class NewJobDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, customers: list[tuple[int, str, str]],
                 submit: Callable[[int, str, str, int | None], Any]) -> None:
        super().__init__(parent, "New service job", "newJobDialog")
        form = QFormLayout(self)
        self.customer = QComboBox()
        self.customer.setObjectName("jobCustomer")
        for cid, code, name in customers:
            self.customer.addItem(f"{code} — {name}", cid)
        self.kind = QComboBox()
        self.kind.setObjectName("jobKind")
        for k, label in KIND_LABEL.items():
            self.kind.addItem(label, k.value)
        self.description = _text_edit("jobDescription", "What is to be done, where, who to ask for")
        self.every = QSpinBox()
        self.every.setObjectName("jobEvery")
        self.every.setRange(0, 60)
        self.every.setSpecialValueText("once")
        self.every.setSuffix(" months")
        form.addRow("Customer", self.customer)
        form.addRow("Kind", self.kind)
        form.addRow("Description", self.description)
        form.addRow("Repeat every", self.every)
        form.addRow(self.error)
        form.addRow(self.buttons("Create job", lambda: self.attempt(lambda: submit(
            self.customer.currentData(), self.kind.currentData(), self.description.toPlainText(),
            self.every.value() or None))))


class BookDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, job: JobView, technicians: list[tuple[int, str]], day: dt.date,
                 submit: Callable[[int, dt.datetime, dt.datetime], Any]) -> None:
        super().__init__(parent, f"Book a technician — {job.number}", "bookDialog")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{job.customer}: {job.description}"))
        self.technician = QComboBox()
        self.technician.setObjectName("technician")
        for sid, name in technicians:
            self.technician.addItem(name, sid)
        self.day = QDateEdit(QDate(day.year, day.month, day.day))
        self.day.setObjectName("bookDay")
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.start = QTimeEdit(QTime(8, 0))
        self.start.setObjectName("bookStart")
        self.hours = QDoubleSpinBox()
        self.hours.setObjectName("bookHours")
        self.hours.setRange(0.5, 80)
        self.hours.setValue(4)
        self.hours.setSuffix(" h")
        form.addRow("Technician", self.technician)
        form.addRow("Day", self.day)
        form.addRow("From", self.start)
        form.addRow("Hours", self.hours)
        form.addRow(self.error)
        form.addRow(self.buttons("Book", self.send))
        self.submit = submit

    def send(self) -> None:
        d, t = self.day.date(), self.start.time()
        start = dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone(clock.zone())
        end = start + dt.timedelta(hours=self.hours.value())
        self.attempt(lambda: self.submit(self.technician.currentData(), start, end))


class DoneDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, job: JobView, submit: Callable[[str, str], Any]) -> None:
        super().__init__(parent, f"Job done — {job.number}", "doneDialog")
        form = QFormLayout(self)
        self.minutes = QLineEdit()
        self.minutes.setObjectName("minutesSpent")
        self.minutes.setPlaceholderText("minutes, e.g. 240")
        self.materials = QLineEdit()
        self.materials.setObjectName("materialsUsed")
        form.addRow("Time spent (minutes)", self.minutes)
        form.addRow("Materials used", self.materials)
        form.addRow(self.error)
        form.addRow(self.buttons("Done", lambda: self.attempt(lambda: submit(self.minutes.text(),
                                                                             self.materials.text()))))


class DebriefDialog(SubmitDialog):
    """The structured debrief: what was done, what the customer needs, feedback, opportunities."""

    def __init__(self, parent: QWidget | None, job: JobView, products: list[str],
                 submit: Callable[..., Any]) -> None:
        super().__init__(parent, f"Debrief — {job.number} {job.customer}", "debriefDialog")
        self.submit, self.products = submit, products
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.minutes = QSpinBox()
        self.minutes.setObjectName("minutesOnSite")
        self.minutes.setRange(0, 100_000)
        self.minutes.setValue(job.minutes_spent or 0)
        self.minutes.setSuffix(" min")
        self.work_done = _text_edit("workDone", "What was done on site")
        self.situation = _text_edit("situation", "What you learned about the customer's situation and needs "
                                                 "(plans, growth, problems, competitors)")
        self.satisfaction = QComboBox()
        self.satisfaction.setObjectName("satisfaction")
        self.satisfaction.addItem("— choose —", None)
        for n, label in ((5, "5 excellent"), (4, "4 good"), (3, "3 fair"), (2, "2 poor"), (1, "1 very poor")):
            self.satisfaction.addItem(label, n)
        form.addRow("Time on site", self.minutes)
        form.addRow("Work done", self.work_done)
        form.addRow("Customer's situation", self.situation)
        form.addRow("Satisfaction", self.satisfaction)
        lay.addLayout(form)
        lay.addWidget(QLabel("<b>Product feedback</b> (for the people who design the products)"))
        self.feedback = QTableWidget(0, 3)
        self.feedback.setObjectName("feedbackTable")
        self.feedback.setHorizontalHeaderLabels(["Product (SKU)", "Tag", "Feedback"])
        self.feedback.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.feedback)
        row = QHBoxLayout()
        add_fb = QPushButton("Add &feedback")
        add_fb.setObjectName("addFeedback")
        add_fb.clicked.connect(lambda: self.add_feedback())
        row.addWidget(add_fb)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(QLabel("<b>Opportunities</b> (each becomes a lead for the customer's salesperson)"))
        self.opps = QTableWidget(0, 3)
        self.opps.setObjectName("opportunityTable")
        self.opps.setHorizontalHeaderLabels(["Kind", "What", "Estimated value"])
        self.opps.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.opps)
        row = QHBoxLayout()
        add_op = QPushButton("Add &opportunity")
        add_op.setObjectName("addOpportunity")
        add_op.clicked.connect(lambda: self.add_opportunity())
        row.addWidget(add_op)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons("File debrief", self.send))
        self.resize(820, 640)

    def add_feedback(self, sku: str = "", tag: str = "usability", text: str = "") -> None:
        r = self.feedback.rowCount()
        self.feedback.insertRow(r)
        product = QComboBox()
        product.setEditable(True)
        product.addItem("")
        product.addItems(self.products)
        product.setCurrentText(sku)
        self.feedback.setCellWidget(r, 0, product)
        combo = QComboBox()
        for k, label in TAG_LABEL.items():
            combo.addItem(label, k.value)
        combo.setCurrentIndex(combo.findData(tag))
        self.feedback.setCellWidget(r, 1, combo)
        self.feedback.setItem(r, 2, QTableWidgetItem(text))

    def add_opportunity(self, kind: str = "more_units", text: str = "", value: str = "") -> None:
        r = self.opps.rowCount()
        self.opps.insertRow(r)
        combo = QComboBox()
        for k, label in OPPORTUNITY_LABEL.items():
            combo.addItem(label, k.value)
        combo.setCurrentIndex(combo.findData(kind))
        self.opps.setCellWidget(r, 0, combo)
        self.opps.setItem(r, 1, QTableWidgetItem(text))
        self.opps.setItem(r, 2, QTableWidgetItem(value))

    def send(self) -> None:
        fb, op = self.feedback, self.opps
        feedback = [(cell_widget(fb, r, 0, QComboBox).currentText(), cell_widget(fb, r, 1, QComboBox).currentData(),
                     cell(fb, r, 2).text()) for r in range(fb.rowCount())]
        opps = [(cell_widget(op, r, 0, QComboBox).currentData(), cell(op, r, 1).text(), cell(op, r, 2).text())
                for r in range(op.rowCount())]
        score = self.satisfaction.currentData()
        self.attempt(lambda: self.submit(minutes_on_site=self.minutes.value(),
                                         work_done=self.work_done.toPlainText(),
                                         situation=self.situation.toPlainText(),
                                         satisfaction="" if score is None else score, feedback=feedback,
                                         opportunities=opps))

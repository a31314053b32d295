"""The new-firm wizard (issue 20 item 1): a new, empty database is set up page by page, checked in
place, and saved only on Finish."""

from __future__ import annotations

import os
from pathlib import Path

from app.db.uow import Database
from app.services import auth
from app.services.settings import load_settings
from app.views.auth.new_firm import START_TYPE, NewFirmWizard
from tests.gui.conftest import when_modal



def _shots(tmp_path: Path) -> Path:
    """Where the pages are rendered: the test's folder (a test does not write into the repository);
    ``ORDERCYCLE_SHOTS=docs/screenshots`` renders them for the guide."""
    return Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)


def _fill_german_firm(qtbot, wizard: NewFirmWizard, *, vat: str = "DE136695976") -> None:
    qtbot.keyClicks(wizard.firm_name, "Kessler Feinmechanik GmbH")
    qtbot.keyClicks(wizard.line1, "Industriestraße 12")
    qtbot.keyClicks(wizard.postcode, "70565")
    qtbot.keyClicks(wizard.city, "Stuttgart")
    wizard.country.setCurrentIndex(wizard.country.findData("DE"))
    qtbot.keyClicks(wizard.vat_number, vat)
    qtbot.keyClicks(wizard.bank, "Commerzbank")
    qtbot.keyClicks(wizard.iban, "DE89370400440532013000")
    qtbot.keyClicks(wizard.admin_full_name, "Karin Kessler")
    qtbot.keyClicks(wizard.admin_password, "correct horse")
    qtbot.keyClicks(wizard.admin_repeat, "correct horse")
    wizard.prefixes["invoice"].setText("RE-2027-")
    wizard.nexts["invoice"].setText("412")


def _count(db: Database, table: str) -> int:
    from sqlalchemy import text

    with db.read() as s:
        return int(s.execute(text(f"select count(*) from {table}")).scalar() or 0)


def test_a_german_firm_is_set_up_and_its_administrator_signs_in(qtbot, sqlite_db: Database,
                                                                tmp_path: Path) -> None:
    wizard = NewFirmWizard(sqlite_db)
    qtbot.addWidget(wizard)
    wizard.show()
    _fill_german_firm(qtbot, wizard)
    # the country suggests its currency and time zone (changeable)
    assert wizard.currency.currentText() == "EUR" and wizard.time_zone.currentText() == "Europe/Berlin"
    assert wizard.tax_rate.text() == "19"  # the country's standard VAT rate, per cent
    assert wizard.number_locale.currentText() == "de_DE" and "-1.234,50 €" in wizard.locale_example.text()
    wizard.findChild(type(wizard.start_group.buttons()[0]), f"start_{START_TYPE}").setChecked(True)
    shots = _shots(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(("firm", "currency", "admin", "numbering", "start")):
        if i:
            wizard.next()
        assert wizard.grab().save(str(shots / f"wizard-{i + 1}-{name}.png"))
    assert auth.needs_first_admin(sqlite_db)  # nothing saved before Finish
    wizard.accept()
    qtbot.waitUntil(lambda: wizard.actor is not None, timeout=15000)
    assert wizard.actor.username == "admin" and wizard.start == START_TYPE
    with sqlite_db.read() as s:
        firm = load_settings(s)
    assert firm.firm_name == "Kessler Feinmechanik GmbH" and firm.country == "DE"
    assert firm.currency == "EUR" and firm.time_zone == "Europe/Berlin"
    assert firm.vat_number.replace(" ", "") == "DE136695976"
    assert "DE89" in str(firm.bank_details["iban"])
    from sqlalchemy import text

    with sqlite_db.read() as s:
        row = s.execute(text("select prefix, next_value from number_sequence where name = 'invoice'")).one()
    assert tuple(row) == ("RE-2027-", 412)
    assert auth.sign_in(sqlite_db, "admin", "correct horse").username == "admin"
    assert _count(sqlite_db, "customer") == 0 and _count(sqlite_db, "product") == 0  # no demo data
    assert _count(sqlite_db, "sales_order") == 0


def test_a_bad_vat_number_keeps_the_wizard_on_the_firm_page_and_saves_nothing(qtbot, sqlite_db: Database,
                                                                              tmp_path: Path) -> None:
    settings_before = _count(sqlite_db, "setting")
    wizard = NewFirmWizard(sqlite_db)
    qtbot.addWidget(wizard)
    wizard.show()
    _fill_german_firm(qtbot, wizard, vat="DE123")
    for _ in range(4):
        wizard.next()
    wizard.accept()
    qtbot.waitUntil(wizard.work.settled, timeout=15000)
    assert wizard.isVisible() and wizard.actor is None
    assert wizard.currentId() == wizard.pageIds()[0]
    error = wizard.errors["vat_number"]
    assert error.isVisible() and error.text()
    assert not wizard.errors["iban"].isVisible()
    assert wizard.grab().save(str(_shots(tmp_path) / "wizard-error-vat.png"))
    assert auth.needs_first_admin(sqlite_db) and _count(sqlite_db, "setting") == settings_before


def test_the_start_of_an_empty_database_shows_the_wizard(qtbot, tmp_path: Path) -> None:
    from app.views import app as gui

    shown: list[str] = []
    when_modal(qtbot, lambda d: (shown.append(d.objectName()), d.reject()), NewFirmWizard)
    assert gui.run_gui(str(tmp_path / "new.db")) == 0
    assert shown == ["newFirmWizard"]


def test_after_the_wizard_the_main_window_opens_what_was_chosen(qtbot, tmp_path: Path) -> None:
    # the real start on a new file: the wizard is filled in, "Type the first records" chosen, and
    # once the main window shows the customers window opens
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.views import app as gui
    from app.views.main_window import MainWindow

    seen: list[str] = []

    def fill(wizard: NewFirmWizard) -> None:
        _fill_german_firm(qtbot, wizard)
        wizard.findChild(type(wizard.start_group.buttons()[0]), f"start_{START_TYPE}").setChecked(True)
        wizard.accept()

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, look)
            return
        window = windows[0]
        if getattr(window, "customers_window", None) is None:
            QTimer.singleShot(50, look)
            return
        seen.append(type(window.customers_window).__name__)
        window.customers_window.close()
        window.close()

    when_modal(qtbot, fill, NewFirmWizard, seconds=30)
    QTimer.singleShot(50, look)
    assert gui.run_gui(str(tmp_path / "new.db")) == 0
    assert seen == ["CustomersWindow"]


def test_every_problem_is_shown_on_its_page_and_the_wizard_goes_to_the_first(qtbot, sqlite_db: Database) -> None:
    wizard = NewFirmWizard(sqlite_db)
    qtbot.addWidget(wizard)
    wizard.show()
    _fill_german_firm(qtbot, wizard)
    qtbot.keyClicks(wizard.admin_repeat, "!")  # the two passwords differ
    wizard.nexts["invoice"].setText("zero")
    wizard.tax_rate.setText("nineteen")
    for _ in range(4):
        wizard.next()
    wizard.accept()
    qtbot.waitUntil(wizard.work.settled, timeout=15000)
    assert wizard.actor is None and wizard.currentId() == wizard.pageIds()[1]  # the first with a problem: the VAT rate
    assert "differ" in wizard.errors["admin_repeat"].text()
    assert "whole number" in wizard.errors["numbering.invoice.next"].text()
    assert not wizard.errors["vat_number"].text()
    assert wizard.errors["default_tax_rate"].text()  # said on the currency page too
    assert auth.needs_first_admin(sqlite_db)


def test_import_chosen_opens_the_import_dialog_over_the_main_window(qtbot, sqlite_db: Database) -> None:
    from app.config import WorkstationSettings
    from app.desk import Desk
    from app.views.app import begin_new_firm
    from app.views.auth.new_firm import START_IMPORT
    from app.views.main_window import MainWindow

    wizard = NewFirmWizard(sqlite_db)
    qtbot.addWidget(wizard)
    _fill_german_firm(qtbot, wizard)
    wizard.findChild(type(wizard.start_group.buttons()[0]), f"start_{START_IMPORT}").setChecked(True)
    wizard.accept()
    qtbot.waitUntil(lambda: wizard.actor is not None, timeout=15000)
    assert wizard.start == START_IMPORT
    window = MainWindow(Desk(sqlite_db, wizard.actor), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.show()
    begin_new_firm(window, wizard.start)
    assert window.import_dialog.isVisible()
    window.import_dialog.close()

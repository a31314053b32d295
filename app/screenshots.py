"""``ordercycle screenshots``: render the main window, every tab and the main dialogs to PNG.

A tool, not a view: it builds the demo company and looks up whom to sign in as with SQL, so it
lives outside ``app/views`` (whose modules never touch the database layer)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QWidget

    from app.db.uow import Actor, Database
    from app.views.common.import_dialog import ImportDialog


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class _Settles(Protocol):
    def settled(self) -> bool: ...


def _order_entry_story(tab: QWidget) -> None:
    """Story 2: a workbench customer's quote with the shelving hint added."""
    from decimal import Decimal

    from app.services import orders
    from app.services.pricing import LineInput
    from app.views.orders.tab import OrdersTab

    assert isinstance(tab, OrdersTab), tab
    form = tab.form
    form.clear()
    found = orders.search_customers(tab.db, tab.actor, "")
    if not found:
        return
    cid, code, name = found[0]
    form.customer.setText(f"{code} — {name}")
    form.customer_id = cid
    benches = orders.search_products(tab.db, tab.actor, "WB-2000")
    if benches:
        form.inputs.append(LineInput(benches[0][0], Decimal(10)))
    form._touch()
    _settle(form)
    if form.hints.hints:
        form.quantity.setValue(20)
        form.add_hint(form.hints.hints[0])
        _settle(form)
    form.keeper = None  # a screenshot leaves no draft behind


def _settle(form: _Settles, seconds: float = 20.0) -> None:
    """Let the form price what was typed (it does so off the GUI thread)."""
    import time

    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while not form.settled() and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _planning_story(tab: QWidget) -> None:
    """Story 1: pick a product where marketing and production disagree."""
    from app.views.planning.tab import PlanningTab

    assert isinstance(tab, PlanningTab), tab
    for i, row in enumerate(tab.board.rows):
        if any(c.gap for c in row.cells):
            tab.table.setCurrentIndex(tab.model.index(tab.model.row_of(i, "marketing"), 2))
            tab.table.scrollTo(tab.model.index(tab.model.row_of(i, "history"), 0))
            tab.show_chart(tab.model.row_of(i, "history"))
            return


def _priority_story(tab: QWidget) -> None:
    """Story 3: the strategic customer's order selected, its "why" beside it; the requests below."""
    from app.views.priorities.tab import PrioritiesTab

    assert isinstance(tab, PrioritiesTab), tab
    strategic = [r for r in tab.model.rows if r.strategic and r.expedite != "accepted"]
    if strategic:
        tab.select_order(strategic[0].order_id)
    if tab.requests_model.rows:
        tab.requests_table.selectRow(0)


def _schedule_story(tab: QWidget) -> None:
    """Story 4: a plan on the chart (computed if none was saved yet)."""
    from app.views.schedule.tab import ScheduleTab

    assert isinstance(tab, ScheduleTab), tab
    if tab.plan is None and tab.editable:
        tab.compute()
        _settle(tab)  # computed off the GUI thread
    late = [o for o in (tab.plan.ops if tab.plan else []) if o.late]
    if late:
        tab.gantt.select(late[0].id)
        tab.on_selected(late[0].id)


def _import_dialog(db: Database, actor: Actor, folder: Path) -> ImportDialog:
    """File → Import from Excel…, checked against a sheet from a previous system with the usual
    mistakes in it: the problem list the user fixes their workbook from."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from app.exchange import importer
    from app.models import Customer, Product
    from app.desk import Desk
    from app.views.common.import_dialog import ImportDialog

    with db.read() as s:
        customers = list(s.scalars(select(Customer.code).order_by(Customer.code).limit(2)))
        skus = list(s.scalars(select(Product.sku).order_by(Product.sku).limit(2)))
    path = folder / "open orders from the old system.xlsx"
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet), ws  # a new workbook starts with one worksheet
    ws.title = "Open orders"
    ws.append(["Open orders at 25 Nov 2026 (exported from the old system)"])
    ws.append([])
    ws.append(["Order no", "Account", "Date", "Delivery date", "Item No.", "Qty", "Net price"])
    day = dt.date(2026, 11, 20)
    ws.append(["SO-880001", customers[0].lower() + " ", day, "15/12/2026", skus[0], 4, "1.234,50"])
    ws.append(["SO-880001", customers[0], day, "15/12/2026", skus[1], 2, 99])
    ws.append(["SO-880002", "NOBODY", day, "31/02/2027", skus[0], 1, 99])
    ws.append(["SO-880003", customers[1], day, "next week", skus[1], -2, 99])
    ws.append(["SO-880004", customers[1], day, None, None, 3, "#REF!"])
    wb.save(path)
    dlg = ImportDialog(Desk(db, actor))
    dlg.kind.setCurrentIndex(dlg.kind.findData("orders"))
    dlg.path.setText(str(path))
    dlg._checked(importer.dry_run(db, actor, "orders", path))
    dlg.resize(980, 520)
    return dlg


STORY_SETUP: dict[str, Callable[[QWidget], None]] = {
    "Order entry": _order_entry_story, "Planning board": _planning_story,
    "Priority queue": _priority_story, "Schedule": _schedule_story}


def _customer_screens(db: Database, actor: Actor, customer_id: int, out: Path) -> list[Path]:
    """The customers window (Customer → Customers…) and the story customer's form, as sales sees them."""
    from PySide6.QtWidgets import QApplication

    from app.desk import Desk
    from app.services import customers
    from app.views.customers import CustomerDialog, CustomersWindow

    desk = Desk(db, actor)
    window = CustomersWindow(desk)
    window.resize(1100, 640)
    window.show()
    _settle(window)
    window.select(customer_id)
    QApplication.processEvents()
    files = [out / "customers.png"]
    window.grab().save(str(files[0]))
    dialog = CustomerDialog(desk, customers.customer(db, actor, customer_id), customers.salespeople(db, actor),
                            customers.default_terms(db), customers.firm_country(db))
    dialog.show()
    QApplication.processEvents()
    files.append(out / "customer-form.png")
    dialog.grab().save(str(files[1]))
    dialog.close()
    window.close()
    return files


def _product_screens(db: Database, actor: Actor, out: Path) -> list[Path]:
    """The products window (Products → Products…) and a made-to-order product's form with its bill of
    materials and routing, as production sees them."""
    from PySide6.QtWidgets import QApplication

    from app.desk import Desk
    from app.models import Product
    from app.services import products
    from app.views.products.form import ProductDialog
    from app.views.products.window import ProductsWindow

    with db.read() as s:
        pid = s.execute(select(Product.id).where(Product.sku == "WB-1500-STD")).scalar_one()
    desk = Desk(db, actor)
    window = ProductsWindow(desk)
    window.resize(1100, 640)
    window.show()
    _settle(window)
    window.select(pid)
    QApplication.processEvents()
    files = [out / "products.png"]
    window.grab().save(str(files[0]))
    dialog = ProductDialog(desk, products.product(db, actor, pid), products.choices(db, actor))
    dialog.show()
    QApplication.processEvents()
    files.append(out / "product-form.png")
    dialog.grab().save(str(files[1]))
    dialog.close()
    window.close()
    return files


def _master_screens(db: Database, actor: Actor, out: Path) -> list[Path]:
    """The product families and the production master-data windows (Production menu), each with
    its first record's form, as production sees them; the count-stock dialog of a stock item."""
    from PySide6.QtWidgets import QApplication

    from app.desk import Desk
    from app.views.common.master import MasterWindow
    from app.views.production.calendars import CalendarsWindow
    from app.views.production.skills_shifts import SkillsShiftsWindow
    from app.views.production.staff import StaffWindow
    from app.views.production.work_centres import WorkCentresWindow
    from app.views.products.count import CountStockDialog
    from app.views.products.families import ProductFamiliesWindow
    from app.views.products.window import ProductsWindow

    desk = Desk(db, actor)
    files: list[Path] = []
    kinds: tuple[tuple[str, type[MasterWindow]], ...] = (
        ("product-families", ProductFamiliesWindow), ("work-centres", WorkCentresWindow), ("staff", StaffWindow),
        ("production-calendars", CalendarsWindow))
    for name, kind in kinds:
        window = kind(desk)
        window.show()
        _settle(window)
        if window.model.rows:
            first = window.model.rows[0]
            window.select(first.id)
            QApplication.processEvents()
            dialog = window.make_dialog(window.load_form(first.id))
            dialog.show()
            QApplication.processEvents()
            files.append(out / f"{name}-form.png")
            dialog.grab().save(str(files[-1]))
            dialog.close()
        files.append(out / f"{name}.png")
        window.grab().save(str(files[-1]))
        window.close()
    both = SkillsShiftsWindow(desk)
    both.show()
    _settle(both)
    files.append(out / "skills-and-shifts.png")
    both.grab().save(str(files[-1]))
    both.close()
    products = ProductsWindow(desk)
    products.show()
    _settle(products)
    row = next((r for r in products.model.rows if r.make_to_stock), None)
    if row is not None:
        count = CountStockDialog(desk, row)
        count.show()
        QApplication.processEvents()
        files.append(out / "count-stock.png")
        count.grab().save(str(files[-1]))
        count.close()
    products.close()
    return files


def render_screenshots(db_arg: str, out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.config import WorkstationSettings
    from app.db.open import open_database
    from app.db.uow import Actor
    from app.desk import Desk
    from app.models import User
    from app.models.enums import Role
    from app.views.about import AboutDialog
    from app.views.admin.calendar import FirmCalendarDialog
    from app.views.app import make_application
    from app.views.auth.sign_in import SignInDialog
    from app.views.auth.users import UsersDialog
    from app.views.main_window import MainWindow

    app = make_application()
    out.mkdir(parents=True, exist_ok=True)
    db = open_database(db_arg, create=False)
    from app.services.settings import use_firm_clock

    use_firm_clock(db)
    with db.read() as s:
        users = {u.role: u for u in s.execute(select(User).where(User.active.is_(True))).scalars()}
    if Role.ADMIN not in users:
        raise SystemExit("screenshots need a database with an active administrator")
    admin = users[Role.ADMIN]
    actor = Actor(admin.username, admin.role.value, admin.full_name, admin.id, workstation="screenshots")
    files: list[Path] = []
    # each tab is shown to the department that works in it, with the demo's story open
    who = {"Order entry": Role.SALES, "Planning board": Role.MARKETING, "Priority queue": Role.PRODUCTION,
           "Schedule": Role.PRODUCTION,
           "Shipping/returns": Role.SHIPPING, "Service": Role.SERVICE}
    windows = {}
    for role in {Role.MANAGEMENT, *who.values()}:
        u = users.get(role, admin)
        desk = Desk(db, Actor(u.username, u.role.value, u.full_name, u.id, workstation="desk-1"))
        windows[role] = MainWindow(desk, WorkstationSettings(), live=False)
        windows[role].resize(1400, 860)
    base = windows[Role.MANAGEMENT]
    for i in range(base.tabs.count()):
        title = base.tabs.tabText(i)
        window = windows[who.get(title, Role.MANAGEMENT)]
        window.show()
        window.tabs.setCurrentIndex(i)
        prepare = STORY_SETUP.get(title)
        if prepare is not None:
            prepare(window.tab_widgets[title])
        app.processEvents()
        path = out / f"{_slug(title)}.png"
        window.grab().save(str(path))
        files.append(path)
        window.hide()
    window = windows[Role.SALES] if Role.SALES in windows else base
    window.show()
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    window.tabs.setCurrentIndex(titles.index("Order entry") if "Order entry" in titles else 0)
    app.processEvents()
    path = out / "main-window.png"
    window.grab().save(str(path))
    files.append(path)
    # story 8: the story customer's timeline, as the salesperson sees it before the next call
    from app.models import Customer
    from app.views.common.timeline import CustomerTimelineDialog

    with db.read() as s:
        story = s.execute(select(Customer.id).where(Customer.code == "HALDEN")).scalar_one()  # story customer
    sales_actor = windows[Role.SALES].actor if Role.SALES in windows else actor
    import shutil
    import tempfile

    scratch = Path(tempfile.gettempdir()) / "ordercycle-samples"  # a sample workbook for the import dialog
    scratch.mkdir(exist_ok=True)
    try:
        for name, dialog in (("sign-in", SignInDialog(db, username=admin.username)),
                             ("users", UsersDialog(Desk(db, actor))), ("about", AboutDialog(Desk(db, actor))),
                             ("customer-timeline", CustomerTimelineDialog(Desk(db, sales_actor), story)),
                             ("import", _import_dialog(db, sales_actor, scratch)),
                             ("firm-calendar", FirmCalendarDialog(Desk(db, windows[Role.MANAGEMENT].actor)))):
            dialog.show()
            app.processEvents()
            path = out / f"dialog-{name}.png"
            dialog.grab().save(str(path))
            files.append(path)
            dialog.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    files += _customer_screens(db, sales_actor, story, out)
    files += _product_screens(db, windows[Role.PRODUCTION].actor if Role.PRODUCTION in windows else actor, out)
    files += _master_screens(db, windows[Role.PRODUCTION].actor if Role.PRODUCTION in windows else actor, out)
    for w in windows.values():
        w.close()
    db.dispose()
    QApplication.processEvents()
    return files

"""Schedule tab through the real widgets (story 4: a plan the shop floor can trust)."""

from __future__ import annotations


from pypdf import PdfReader

from app import clock
from app.desk import Desk
from app.db.uow import Database
from app.demo import FIRM_CALENDAR
from app.views.schedule.tab import ScheduleTab
from tests.support import TODAY
from tests.gui.conftest import actor_for


def make_tab(qtbot, db: Database, who: str) -> ScheduleTab:
    tab = ScheduleTab(Desk(db, actor_for(db, who)))
    qtbot.addWidget(tab)
    tab.resize(1400, 860)
    tab.show()
    return tab


def settle(qtbot, tab: ScheduleTab, timeout: int = 30_000) -> None:
    """Wait for the tab's service calls (off the GUI thread) to come back."""
    qtbot.waitUntil(tab.settled, timeout=timeout)


def key(o):  # an operation across schedule versions
    return (o.line_id, o.routing_operation_id)


def test_story4_plan_improve_drag_lock_reschedule_and_print_the_welders_day(qtbot, demo, tmp_path) -> None:
    tab = make_tab(qtbot, demo, "production")
    assert tab.plan is None and "No schedule yet" in tab.summary.text()
    qtbot.mouseClick(tab.compute_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    settle(qtbot, tab)
    assert tab.compute_button.isEnabled()
    first = tab.plan
    assert first is not None and first.method.startswith("rule:")
    assert len(tab.gantt.items) == len(first.ops)
    # improve in the background (CP-SAT in another process), seeded with the rules' plan
    tab.seconds.setValue(2)
    done = {}
    tab.improve(on_done=lambda sol: done.setdefault("sol", sol))
    assert not tab.improve_button.isEnabled() and not tab.settled()  # the window stays usable; Improve waits
    settle(qtbot, tab, timeout=90_000)  # the run, then its save
    assert tab.improve_task.done and tab.improve_button.isEnabled()
    assert done["sol"].weighted_tardiness <= done["sol"].stats["seed"][0]
    assert tab.plan.method == "cp-sat 2s" and tab.plan.version_id > first.version_id
    # drag a welding operation to the next working day, 08:00, on the other welding station
    weld = next(o for o in tab.plan.ops if "Weld" in o.name)
    other = next(m for m, name in tab.plan.machines if name.startswith("Welding") and m != weld.work_center_id)
    tomorrow = FIRM_CALENDAR.add_business_days(TODAY, 1)
    tomorrow_8 = (tomorrow - TODAY).days * 1440 + 8 * 60
    tab.gantt.drag(weld.id, int(tomorrow_8), other)
    settle(qtbot, tab)
    moved = next(o for o in tab.plan.ops if key(o) == key(weld))
    assert moved.locked and moved.work_center_id == other
    assert moved.start == clock.at(tomorrow, 8)
    assert "locked" in tab.message.text()
    assert tab.gantt.items[moved.id].isSelected()
    # rescheduling keeps the lock
    tab.compute()
    assert not tab.compute_button.isEnabled() and not tab.publish_button.isEnabled()  # held while it runs
    settle(qtbot, tab)
    assert tab.compute_button.isEnabled() and tab.publish_button.isEnabled()
    kept = next(o for o in tab.plan.ops if key(o) == key(weld))
    assert kept.locked and kept.start == moved.start and kept.work_center_id == other
    # a drop on Sunday is refused, the bar snaps back, nothing is saved
    version = tab.plan.version_id
    sunday_9 = ((6 - TODAY.weekday()) % 7 or 7) * 1440 + 9 * 60
    tab.gantt.drag(kept.id, sunday_9, other)
    settle(qtbot, tab)
    assert "cannot go there" in tab.message.text() and tab.plan.version_id == version
    assert tab.gantt.items[kept.id].pos().x() == tab.gantt.x_of(tab._minute(kept.start))
    # the welder's work list for the day, printed to PDF
    welder = kept.staff
    tab.person.setCurrentIndex(tab.person.findText(welder))
    tab.day.setDate(tab.day.date().addDays((tomorrow - TODAY).days))
    printed = {}
    tab.print_work_list(tmp_path / "work-list.pdf", on_done=lambda path: printed.setdefault("pdf", path))
    settle(qtbot, tab)  # the work list is read off the GUI thread
    pdf = printed["pdf"]
    assert pdf == tmp_path / "work-list.pdf" and "Work list saved to" in tab.message.text()
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(str(pdf)).pages).split())
    assert "Work list" in text and welder in text and kept.order_number in text and "08:00" in text
    day_ops = [o for o in tab.plan.ops if o.staff == welder
               and clock.local_date(o.start) == tomorrow]
    assert f"{len(day_ops)} operations" in text


def test_by_person_view_and_read_only_for_other_roles(qtbot, demo) -> None:
    prod = make_tab(qtbot, demo, "production")
    prod.compute()
    settle(qtbot, prod)
    prod.by.setCurrentIndex(1)
    staff_rows = {rid for rid, _n in prod.gantt.rows}
    assert staff_rows and all(o.staff_id in staff_rows for o in prod.plan.ops if o.staff_id)
    sales = make_tab(qtbot, demo, "sales")
    assert sales.plan is not None and not sales.compute_button.isVisible()
    item = next(iter(sales.gantt.items.values()))
    assert not (item.flags() & item.GraphicsItemFlag.ItemIsMovable)
    assert "Promised" in item.toolTip() and item.bar.text in item.toolTip()
    late = [o for o in sales.plan.ops if o.late]
    assert {o.order_number for o in late} == {r[0] for r in sales.late_model.rows}
    zoom = sales.gantt.px_per_min
    sales.gantt.zoom(2.0)
    assert sales.gantt.px_per_min == zoom * 2

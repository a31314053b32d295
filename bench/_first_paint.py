"""Child process for the start-up benchmark: prints seconds from process start to first paint.

``python bench/_first_paint.py bare`` — a bare PySide6 main window;
``python bench/_first_paint.py app DB`` — OrderCycle's main window on database DB (signed in as
its administrator without the dialog: the person's typing is not start-up time).
The parent passes its clock in ORDERCYCLE_BENCH_T0 just before it starts this process.
"""

import os
import sys
import time

T0 = float(os.environ["ORDERCYCLE_BENCH_T0"])
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    kind = sys.argv[1]
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QMainWindow

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                print(f"{time.time() - T0:.4f}", flush=True)
                os._exit(0)
            return False

    if kind == "bare":
        app = QApplication([])
        window = QMainWindow()
        window.setWindowTitle("bare")
    else:
        from app.views.app import make_application, open_or_create

        app = make_application([])
        db = open_or_create(sys.argv[2], create=False)
        from sqlalchemy import select

        from app.db.uow import Actor
        from app.desk import Desk
        from app.models import User
        from app.views.main_window import MainWindow

        t = User.__table__
        with db.engine.connect() as conn:  # Core: signing in is not part of start-up here
            u = conn.execute(select(t.c.id, t.c.username, t.c.full_name).where(t.c.role == "admin")).first()
        window = MainWindow(Desk(db, Actor(u.username, "admin", u.full_name, u.id)))
    filt = FirstPaint()
    window.installEventFilter(filt)
    window.show()
    app.exec()


main()

"""Child process for the start-up benchmark and the start-up order test: the real start-up path
(``app.main.main(["--db", DB])``, as ``python -m app --db DB`` runs it) with a probe on every paint.

``python bench/_sign_in_paint.py DB USER PASSWORD`` prints one JSON line:

* ``dialog`` — seconds from process start to the sign-in dialog's first paint;
* ``heavy`` — which of SQLAlchemy, ``app.models`` and ``app.db`` were imported at that paint;
* ``main`` — seconds from clicking "Sign in" (as soon as it is enabled) to the main window's first
  paint (omitted with ``--dialog-only``, which exits at the dialog's first paint).

The probe is an application-wide event filter installed before anything of OrderCycle is imported;
it only watches (the application's own code is not changed for it). The parent passes its clock
in ORDERCYCLE_BENCH_T0 just before it starts this process, and its own ORDERCYCLE_CONFIG_DIR.
"""

import json
import os
import sys
import time

T0 = float(os.environ.get("ORDERCYCLE_BENCH_T0") or time.time())
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HEAVY = ("sqlalchemy", "sqlalchemy.orm", "app.models", "app.db")


def main() -> None:
    db, user, password = sys.argv[1:4]
    dialog_only = "--dialog-only" in sys.argv[4:]
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

    out: dict[str, object] = {}

    def done() -> None:
        print(json.dumps(out), flush=True)
        os._exit(0)

    class Probe(QObject):
        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() != QEvent.Type.Paint or not obj.isWidgetType():
                return False
            name = obj.window().objectName()
            if name == "signInDialog" and "dialog" not in out:
                out["dialog"] = time.time() - T0
                out["heavy"] = [m for m in HEAVY if m in sys.modules]
                if dialog_only:
                    done()
                dialog = obj.window()
                QTimer.singleShot(0, lambda: sign_in(dialog))
            elif name == "mainWindow" and "clicked" in out and "main" not in out:
                out["main"] = time.time() - float(out.pop("clicked"))  # type: ignore[arg-type]
                done()
            return False

    def sign_in(dialog) -> None:  # type: ignore[no-untyped-def]
        button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        if not button.isEnabled():  # the database is still opening
            QTimer.singleShot(5, lambda: sign_in(dialog))
            return
        dialog.findChild(QLineEdit, "username").setText(user)
        dialog.findChild(QLineEdit, "password").setText(password)
        out["clicked"] = time.time()
        button.click()

    app = QApplication([sys.argv[0]])
    probe = Probe()
    app.installEventFilter(probe)
    from app.main import main as app_main

    code = app_main(["--db", db])
    out["exit"] = code
    done()


main()

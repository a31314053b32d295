"""Help → About: version, database, licences."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app import __version__
from app.db.uow import Database

LICENCES = """
<h3>Third-party software</h3>
<ul>
<li><b>Qt 6 and PySide6</b> — LGPL v3. OrderCycle links to them dynamically; you may replace the Qt
libraries with your own build. Source: qt.io.</li>
<li><b>SQLAlchemy</b>, <b>Alembic</b> — MIT licence.</li>
<li><b>pyqtgraph</b> — MIT licence.</li>
<li><b>openpyxl</b> — MIT licence.</li>
<li><b>platformdirs</b> — MIT licence.</li>
<li><b>SQLite</b> — public domain.</li>
<li><b>psycopg</b> (PostgreSQL driver, optional) — LGPL v3.</li>
</ul>
"""


class AboutDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About OrderCycle")
        lay = QVBoxLayout(self)
        head = QLabel(
            f"<h2>OrderCycle {__version__}</h2>"
            "<p>One shared database for every department of the order cycle.</p>"
            f"<p><b>Database:</b> {db.location}<br>"
            f"<b>Qt:</b> {qVersion()} · <b>PySide6:</b> {pyside_version} · "
            f"<b>Python:</b> {platform.python_version()}</p>"
        )
        head.setObjectName("aboutHeading")
        head.setWordWrap(True)
        lay.addWidget(head)
        text = QTextBrowser()
        text.setHtml(LICENCES)
        lay.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(560, 420)

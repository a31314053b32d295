"""Help → About: version, database, licences.

The licence list comes from resources/licenses/index.json (written by installer/collect_licenses.py
from the installed distributions and shipped in the bundle); choosing a component shows its text.
"""

from __future__ import annotations

import html
import json
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from app import __version__
from app.desk import Desk
from app.printing.documents import resources_dir

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

OVERVIEW = "Overview"


def bundled_licences() -> list[dict[str, str]]:
    """The third-party components shipped with OrderCycle: name, version, licence, file."""
    try:
        raw = json.loads((resources_dir() / "licenses" / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [c for c in raw if isinstance(c, dict) and {"name", "licence", "file"} <= c.keys()]


def licence_text(component: dict[str, str]) -> str:
    try:
        return (resources_dir() / "licenses" / component["file"]).read_text(encoding="utf-8")
    except OSError as exc:
        return f"The licence text of {component['name']} is missing from this installation ({exc.strerror})."


def overview_html(components: list[dict[str, str]]) -> str:
    if not components:
        return LICENCES
    rows = "".join(f"<li><b>{html.escape(c['name'])}</b> {html.escape(c.get('version', ''))} — "
                   f"{html.escape(c['licence'])}</li>" for c in components)
    return (LICENCES + f"<h3>Everything bundled with this installation ({len(components)} components)</h3>"
            "<p>Choose a component on the left to read its licence.</p>" f"<ul>{rows}</ul>")


class AboutDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db = desk.db
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
        from app.services import workstation

        self.share = QLabel(workstation.verdict_text(db))
        self.share.setObjectName("aboutShareVerdict")
        self.share.setWordWrap(True)
        lay.addWidget(self.share)
        self.components = bundled_licences()
        row = QHBoxLayout()
        self.licences = QListWidget()
        self.licences.setObjectName("licenceList")
        self.licences.addItem(OVERVIEW)
        for component in self.components:
            item = QListWidgetItem(component["name"])
            item.setToolTip(f"{component.get('version', '')} — {component['licence']}")
            self.licences.addItem(item)
        self.licences.setMaximumWidth(190)
        row.addWidget(self.licences)
        self.text = QTextBrowser()
        self.text.setObjectName("licenceText")
        self.text.setOpenExternalLinks(True)
        row.addWidget(self.text, 1)
        lay.addLayout(row, 1)
        self.licences.currentRowChanged.connect(self.show_licence)
        self.licences.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(800, 500)

    def show_licence(self, row: int) -> None:
        if row <= 0 or row > len(self.components):
            self.text.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
            self.text.document().setDefaultFont(self.font())
            self.text.setHtml(overview_html(self.components))
            return
        # licence files are laid out in ~72 columns: show them as written
        self.text.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        self.text.document().setDefaultFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(licence_text(self.components[row - 1]))

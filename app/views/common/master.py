"""The one list window and the one form dialog every kind of master data is built on (customers,
products, work centres, staff, production calendars).

``MasterWindow``: a search box (typing pauses ``SEARCH_DELAY_MS`` before the list is read), "Show
archived", the list, New / Edit / Archive / Restore (and whatever a kind adds with
``add_button``) and a count. Every service call goes through the action helper (``self.work``):
the list is read off the GUI thread, a refusal is said in a message, and what other desks change
in the kind's tables shows within a second or two through the desk's change feed. A subclass
says what it lists (``make_model``, ``fetch``), what the form needs (``load_form``,
``make_dialog``) and how a record is archived and restored.

``MasterDialog``: create (``view`` None) or edit one record. Saving reads the form on the GUI
thread and calls the service on a worker; a refusal keeps the dialog open with what was typed.
Bad values are said in the dialog's error line and each field named is marked (red frame, the
reason as its tooltip); someone else's save in between opens the compare dialog field by field.
While the user types, the input is kept as a draft (``DraftKeeper``): after a crash the main
window offers it back at the next start and ``MasterWindow.open_record(id, values)`` reopens the
form with it. A subclass builds its widgets and says how values become the service's form.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.desk import Desk
from app.errors import ConflictError, UserError, ValidationError
from app.services.changes import Changes
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.conflict import FieldSpec, resolve_conflict
from app.views.common.drafts import DraftKeeper
from app.views.common.live import LiveUpdates
from app.views.common.messages import error_label
from app.views.common.table import RowsTableModel, list_view

SEARCH_DELAY_MS = 250  # typing pauses this long before the list is searched
INVALID_STYLE = "border: 1px solid #c62828"


# --- drafts as JSON -------------------------------------------------------------------------------
def to_draft(value: Any) -> Any:
    """A form's values as JSON: dataclasses and enums tagged with their class, tuples as lists,
    amounts as text (as typed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__,
                **{f.name: to_draft(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, enum.Enum):
        return {"__enum__": type(value).__name__, "value": value.value}
    if isinstance(value, dict):
        return {str(k): to_draft(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_draft(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_draft(value: Any, types: Iterable[type]) -> Any:
    """Back from ``to_draft``; ``types`` are the dataclasses and enums the form's values hold. A
    tag of a class not in ``types`` (a draft from another version) is read as a plain dict."""
    known = {t.__name__: t for t in types}

    def back(v: Any) -> Any:
        if isinstance(v, dict):
            if "__enum__" in v and v["__enum__"] in known:
                return known[v["__enum__"]](v["value"])
            kind = known.get(v.get("__type__", ""))
            fields = {k: back(x) for k, x in v.items() if k != "__type__"}
            if kind is not None and dataclasses.is_dataclass(kind):
                names = {f.name for f in dataclasses.fields(kind)}
                return kind(**{k: x for k, x in fields.items() if k in names})
            return fields
        if isinstance(v, list):
            return tuple(back(x) for x in v)
        return v

    return back(value)


def watch(widget: QWidget, changed: Callable[..., None]) -> None:
    """Call ``changed`` whenever the user changes what ``widget`` holds."""
    if isinstance(widget, QLineEdit):
        widget.textEdited.connect(changed)
    elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
        widget.textChanged.connect(changed)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(changed)
        if widget.isEditable():
            widget.editTextChanged.connect(changed)
    elif isinstance(widget, QAbstractButton):
        widget.toggled.connect(changed)
    elif isinstance(widget, QAbstractSpinBox):
        widget.editingFinished.connect(changed)
        signal = getattr(widget, "valueChanged", None) or getattr(widget, "dateChanged", None)
        if signal is not None:
            signal.connect(changed)
    elif isinstance(widget, QTableWidget):
        widget.itemChanged.connect(changed)
        widget.model().rowsInserted.connect(changed)
        widget.model().rowsRemoved.connect(changed)
    for child in widget.findChildren(QWidget):  # a group of fields (an address box): each of its inputs
        if child.parent() is widget and isinstance(child, (QLineEdit, QComboBox, QAbstractButton, QAbstractSpinBox,
                                                            QPlainTextEdit, QTableWidget)):
            watch(child, changed)


# --- the form -------------------------------------------------------------------------------------
class MasterDialog(QDialog):
    """Create (``view`` None) or edit one record; ``saved`` holds the record once saved."""

    kind = "record"  # the drafts' form name and the dialog's object name ("<kind>Dialog")
    fields: list[FieldSpec] = []  # what the compare dialog shows when someone else saved meanwhile
    draft_types: tuple[type, ...] = ()  # the dataclasses and enums inside values()

    def __init__(self, desk: Desk, view: Any | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.db, self.actor = desk.db, desk.actor
        self.view = view
        self.version: int | None = getattr(view, "version", None) if view is not None else None
        self.saved: Any | None = None
        self.keeper: DraftKeeper | None = None
        self.field_widgets: dict[str, QWidget] = {}
        self.tooltips: dict[str, str] = {}
        self.setObjectName(f"{self.kind}Dialog")
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.work = Actions(self)

    # --- what a kind says -----------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """What is typed, by the service's field names (for the save, the compare dialog, drafts)."""
        raise NotImplementedError

    def set_values(self, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def form(self) -> Any:
        """The service's form from ``values()``, with the id and the version read."""
        raise NotImplementedError

    def save_call(self, db: Any, actor: Any, form: Any) -> Any:
        """The service's save (runs on a worker): returns the record's view."""
        raise NotImplementedError

    def reread(self, db: Any, actor: Any, id: int) -> Any:
        """The record as saved now (runs for the compare dialog)."""
        raise NotImplementedError

    def view_values(self, view: Any) -> dict[str, Any]:
        raise NotImplementedError

    def title_for(self, view: Any | None) -> str:
        """The window title, also the draft's name in "You have unsaved work…"."""
        return f"New {self.kind}" if view is None else f"{self.kind} {getattr(view, 'id', '')}"

    def conflict_fields(self) -> list[FieldSpec]:
        return self.fields

    def draft_title(self) -> str:
        """What "You have unsaved work: …" calls the draft: the record edited, or what a new one is named."""
        name = str(self.values().get("name") or "").strip() if self.view is None else ""
        return f"{self.windowTitle()}: {name}" if name else self.windowTitle()

    # --- set-up ---------------------------------------------------------------------------------
    def finish(self, field_widgets: dict[str, QWidget], *, values: dict[str, Any] | None = None) -> None:
        """Called at the end of a kind's ``__init__``: fill the form from the view (or from a
        draft's ``values``), mark problems at these fields, keep drafts from now on."""
        self.field_widgets = field_widgets
        self.tooltips = {name: w.toolTip() for name, w in field_widgets.items()}  # put back once fixed
        self.work = Actions(self, fields=field_widgets, show_error=self._show_problems, inline=ValidationError)
        self.work.busy_changed.connect(lambda busy: self.buttons.setEnabled(not busy))
        self.on_conflict: Callable[[ConflictError], None] = self._conflict
        self.setWindowTitle(self.title_for(self.view))
        if self.view is not None:
            self.set_values(self.view_values(self.view))
        if values is not None:
            self.restore(values)
        for widget in field_widgets.values():
            watch(widget, self.touched)

    def editable(self) -> bool:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()

    def restore(self, values: dict[str, Any]) -> None:
        """Put a draft's values back (what ``to_draft`` kept)."""
        current = self.values()
        current.update(from_draft(values, self.draft_types))
        self.set_values(current)
        self.touched()

    def touched(self, *_args: object) -> None:
        """The user changed something: keep it as a draft (debounced)."""
        if self.keeper is None:
            record_id = getattr(self.view, "id", None) if self.view is not None else None
            self.keeper = DraftKeeper(self, self.desk.drafts, database=self.db.location,
                                      username=self.actor.username, form=self.kind, record_id=record_id,
                                      title=self.draft_title, values=lambda: to_draft(self.values()))
        self.keeper.touch()

    # --- saving ---------------------------------------------------------------------------------
    def settled(self) -> bool:
        """No save of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def save(self) -> None:
        if self.work.settled():
            self.submit()

    def submit(self) -> None:
        """Send what is typed now (read here, on the GUI thread)."""
        self._clear_problems()
        form, db, actor = self.form(), self.db, self.actor
        self.work.run(lambda: self.save_call(db, actor, form), done=self._saved, conflict=self.on_conflict)

    def _saved(self, view: Any) -> None:
        self.saved = view
        self.accept()

    def reject(self) -> None:
        if self.work.settled():  # not while a save runs
            super().reject()

    def _conflict(self, exc: ConflictError) -> None:
        """Someone saved this record first: compare, then keep editing, save the chosen mix on top
        of theirs, or close and show theirs."""
        view = self.view
        assert view is not None, "a new record cannot conflict with an earlier save"

        def theirs() -> tuple[dict[str, Any], int]:
            now = self.reread(self.db, self.actor, view.id)
            return self.view_values(now), now.version

        decision, chosen, their_version = resolve_conflict(self, exc, self.conflict_fields(), self.values(), theirs)
        if decision == "reload":
            super().reject()
            return
        self.set_values(chosen)
        if decision == "save":
            self.version = their_version
            self.submit()

    # --- problems at their fields ---------------------------------------------------------------
    def _show_problems(self, exc: UserError) -> None:
        problems = exc.problems if isinstance(exc, ValidationError) else []
        self.error.setText("\n".join(p.reason for p in problems) if problems else str(exc))
        self.error.show()
        for p in problems:
            widget = self.field_widgets.get(p.field or "")
            if widget is not None:
                widget.setProperty("problem", p.reason)
                widget.setToolTip(p.reason)
                widget.setStyleSheet(INVALID_STYLE)

    def _clear_problems(self) -> None:
        self.error.hide()
        for name, widget in self.field_widgets.items():
            if widget.property("problem"):
                widget.setProperty("problem", None)
                widget.setToolTip(self.tooltips.get(name, ""))
                widget.setStyleSheet("")

    def problem_at(self, field: str) -> str:
        """The reason shown at a field ("" when none; tests read it)."""
        value = self.field_widgets[field].property("problem")
        return value if isinstance(value, str) else ""


# --- the list -------------------------------------------------------------------------------------
class MasterWindow(QWidget):
    """A list of one kind of master data with its search box; opens the kind's ``MasterDialog``."""

    object_name = "masterWindow"
    title = "Records"
    noun, nouns = "record", "records"
    search_hint = "Find"
    tables: tuple[str, ...] = ()  # a change to these on another desk reloads the list
    edit_permission = "settings.edit"
    edit_denied = "You may look, not change."
    new_label = "&New…"
    archive_tip = "Take it out of use (its history stays)"
    archivable = True
    window_size = (1100, 560)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.db, self.actor = desk.db, desk.actor
        self.may_edit = allowed(self.actor.role, self.edit_permission)
        self.dialog: MasterDialog | None = None  # the form open now
        self.last_dialog: MasterDialog | None = None  # the form closed last
        self._sized = False  # the columns were fitted to the first rows
        self.setObjectName(self.object_name)
        self.setWindowFlag(Qt.WindowType.Window)  # its own window, also when the main window is its parent
        self.setWindowTitle(self.title)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.search_hint)
        self.search.setClearButtonEnabled(True)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.setObjectName("showArchived")
        self.show_archived.setVisible(self.archivable)
        find = QLabel("&Find")
        find.setBuddy(self.search)
        top.addWidget(find)
        top.addWidget(self.search, 1)
        top.addWidget(self.show_archived)
        lay.addLayout(top)
        self.model = self.make_model()
        self.table = list_view(f"{self.object_name.removesuffix('Window')}Table", self.model, self.title, compact=True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        lay.addWidget(self.table, 1)
        self.buttons = QHBoxLayout()
        self.new_button = QPushButton(self.new_label)
        self.new_button.setObjectName("new")
        self.new_button.clicked.connect(self.new_record)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("edit")
        self.edit_button.clicked.connect(self.edit_selected)
        self.archive_button = QPushButton("Ar&chive")
        self.archive_button.setObjectName("archive")
        self.archive_button.setToolTip(self.archive_tip)
        self.archive_button.clicked.connect(self.archive_selected)
        self.restore_button = QPushButton("&Restore")
        self.restore_button.setObjectName("restore")
        self.restore_button.clicked.connect(self.restore_selected)
        for b in (self.new_button, self.edit_button, self.archive_button, self.restore_button):
            self.buttons.addWidget(b)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setObjectName("export")
        self.export_button.setToolTip("The list as shown (search and archived included) to an Excel workbook (Ctrl+E)")
        self.export_button.clicked.connect(lambda: self.export())
        self.buttons.addWidget(self.export_button)
        self.message = QLabel()  # what the last action did, for kinds that say it
        self.message.setObjectName("message")
        self.buttons.addWidget(self.message)
        self.buttons.addStretch(1)
        self.count = QLabel()
        self.count.setObjectName("count")
        self.buttons.addWidget(self.count)
        lay.addLayout(self.buttons)
        self._extra: list[QPushButton] = []  # what a kind added: enabled with a selection when idle
        if not self.may_edit:
            for b in (self.new_button, self.archive_button, self.restore_button):
                b.setToolTip(self.edit_denied)

        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self.update_buttons())
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.show_archived.toggled.connect(lambda _on: self.reload())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        live = LiveUpdates.current
        if live is not None:
            live.changed.connect(self._changed)
        self.resize(*self.window_size)
        self.reload()

    # --- what a kind says -----------------------------------------------------------------------
    def make_model(self) -> RowsTableModel[Any]:
        raise NotImplementedError

    def fetch(self, text: str, archived: bool) -> list[Any]:
        """The rows for the search text (runs on a worker)."""
        raise NotImplementedError

    def load_form(self, record_id: int | None) -> Any:
        """What the form needs (runs on a worker); ``record_id`` None: a new record."""
        raise NotImplementedError

    def make_dialog(self, loaded: Any) -> MasterDialog:
        raise NotImplementedError

    def archive(self, row: Any) -> Any:
        """Archive the row's record (runs on a worker)."""
        raise NotImplementedError

    def restore(self, row: Any) -> Any:
        raise NotImplementedError

    def add_button(self, button: QPushButton, *, needs_selection: bool = True) -> QPushButton:
        """A kind's own button, after Restore; enabled when idle (and a row is selected)."""
        self.buttons.insertWidget(4 + len(self._extra), button)  # after New, Edit, Archive, Restore
        button.setProperty("needsSelection", needs_selection)
        self._extra.append(button)
        return button

    # --- the list -------------------------------------------------------------------------------
    def settled(self) -> bool:
        """No service call of this window is pending (tests wait for it)."""
        return self.work.settled() and not self.search_timer.isActive()

    def reload(self, select_id: int | None = None) -> None:
        self.search_timer.stop()
        text, archived = self.search.text(), self.show_archived.isChecked()
        current = self.selected()
        keep = select_id if select_id is not None else (current.id if current is not None else None)

        def show(rows: list[Any]) -> None:
            self.model.set_rows(rows)
            if not self._sized and rows:  # once, from the first rows: later loads keep the user's widths
                self.table.resizeColumnsToContents()
                self._sized = True
            self.count.setText(f"{len(rows)} {self.noun if len(rows) == 1 else self.nouns}")
            if keep is not None:
                self.select(keep)
            self.update_buttons()

        self.work.run(lambda: self.fetch(text, archived), done=show, write=False)

    def _changed(self, changes: Changes) -> None:
        if self.tables and changes.touches(*self.tables) and self.work.settled():
            self.reload()

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, record_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row.id == record_id:
                self.table.selectRow(i)
                return True
        return False

    def update_buttons(self) -> None:
        row = self.selected()
        idle = self.work.settled()
        active = row is not None and getattr(row, "active", True)
        self.new_button.setEnabled(idle and self.may_edit)
        self.edit_button.setEnabled(idle and row is not None)
        self.archive_button.setEnabled(idle and self.may_edit and active)
        self.restore_button.setEnabled(idle and self.may_edit and row is not None and not active)
        self.archive_button.setVisible(self.archivable and (row is None or active))
        self.restore_button.setVisible(self.archivable and row is not None and not active)
        for b in self._extra:
            b.setEnabled(idle and (row is not None or not b.property("needsSelection")))

    def export(self, target: Path | None = None) -> None:
        """The list as shown to .xlsx (asks where unless ``target``), off the GUI thread."""
        from app.views.common.export import export_table

        export_table(self, self.table, self.title, target)

    # --- the form -------------------------------------------------------------------------------
    def new_record(self) -> None:
        self.open_record(None)

    def edit_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_record(row.id)

    def open_record(self, record_id: int | None, values: dict[str, Any] | None = None) -> None:
        """Read what the form needs off the GUI thread, then open the form (window-modal, not
        blocking); ``values``: a draft's, put back into it (queued behind the first list read)."""
        if not self.work.settled() and values is None:
            return

        def show(loaded: Any) -> None:
            dlg = self.make_dialog(loaded)
            if not self.may_edit:
                dlg.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            if values is not None:
                dlg.restore(values)
            dlg.finished.connect(lambda result: self._closed(dlg, result))
            self.dialog = dlg
            dlg.open()

        self.work.run(lambda: self.load_form(record_id), done=show, write=False)

    def _closed(self, dlg: MasterDialog, result: int) -> None:
        saved = dlg.saved if result == QDialog.DialogCode.Accepted else None
        self.dialog = None
        if self.last_dialog is not None:  # the one before; the last stays readable (tests, a reopen)
            self.last_dialog.deleteLater()
        self.last_dialog = dlg
        self.reload(saved.id if saved is not None else None)

    # --- archive and restore --------------------------------------------------------------------
    def archive_selected(self) -> None:
        row = self.selected()
        if row is None or not self.work.settled():
            return
        self.work.run(lambda: self.archive(row), done=lambda _v: self.reload(row.id))

    def restore_selected(self) -> None:
        row = self.selected()
        if row is None or not self.work.settled():
            return
        self.work.run(lambda: self.restore(row), done=lambda _v: self.reload(row.id))

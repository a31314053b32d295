"""Every table exports what it shows: right-click → Export to Excel… (or Ctrl+E in the table).

Small tables (held rows) export their displayed cells, turned back into real types (money,
numbers, per cent, dates). Big SQL-backed lists (``LazyTableModel``) export every row matching the
current filter in the current sort, with the database's typed values, fetched in blocks. Both run
off the GUI thread with progress and cancel; a cancelled export leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QTableView, QWidget

from app import clock
from app.exchange.writing import typed_text, write_table
from app.tasks import Cancelled, Task, TaskState, run_task
from app.views.common.lazy import LazyTableModel

BLOCK = 2000


def _snapshot(model: QAbstractItemModel) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """Header and displayed cells of a held model (GUI thread: models are not thread-safe)."""
    cols = model.columnCount()
    heads = [str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
             for c in range(cols)]
    rows: list[list[Any]] = []
    for r in range(model.rowCount()):
        rows.append([model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(cols)])
    kinds = ["text"] * cols
    typed: list[list[Any]] = []
    for row in rows:
        out = []
        for c, cell in enumerate(row):
            if isinstance(cell, str):
                value, kind = typed_text(cell)
                if kind != "text" and kinds[c] in ("text", kind):
                    kinds[c] = kind
                out.append(value)
            else:
                out.append(cell)
        typed.append(out)
    return list(zip(heads, kinds)), typed


def _lazy_plan(model: LazyTableModel) -> tuple[list[tuple[str, str]], list[int]]:
    def kind_of(col: Any) -> str:
        return "number" if col.numeric else "text"

    return [(c.title, kind_of(c)) for c in model.query.columns], list(model.ids)


def export_model(model: QAbstractItemModel, target: Path, title: str, *, state: TaskState | None = None) -> int:
    """Synchronous export (tests and the worker): returns the rows written."""
    if isinstance(model, LazyTableModel):
        columns, ids = _lazy_plan(model)
        return write_table(target, title, columns, _lazy_rows(model, ids, state), state=state, total=len(ids))
    columns, rows = _snapshot(model)
    return write_table(target, title, columns, rows, state=state, total=len(rows))


def _lazy_rows(model: LazyTableModel, ids: list[int], state: TaskState | None) -> Iterator[list[Any]]:
    db, query = model.db, model.query
    for i in range(0, len(ids), BLOCK):
        block = ids[i:i + BLOCK]
        got = query.rows(db, block)
        for ident in block:
            row = got.get(ident)
            if row is not None:
                yield [_plain(v) for v in row]
        if state is not None:
            state.progress(min(0.99, (i + len(block)) / max(1, len(ids))), f"{i + len(block):,} of {len(ids):,} rows")


def _plain(value: Any) -> Any:
    if hasattr(value, "value") and not isinstance(value, (str, int, float, dt.date)):
        return str(value.value).replace("_", " ")
    return value


def export_table(parent: QWidget, table: QTableView, title: str, target: Path | None = None) -> Task | None:
    """Ask where (unless ``target``), then export in the background with progress and cancel."""
    model = table.model()
    if target is None:
        name, _ = QFileDialog.getSaveFileName(parent, f"Export {title} to Excel",
                                              f"{title.lower().replace(' ', '-')}-{clock.today().isoformat()}.xlsx",
                                              "Excel workbook (*.xlsx)")
        if not name:
            return None
        target = Path(name if name.endswith(".xlsx") else name + ".xlsx")
    progress = QProgressDialog(f"Exporting {title}…", "Cancel", 0, 100, parent)
    progress.setObjectName("exportProgress")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(400)
    if isinstance(model, LazyTableModel):
        columns, ids = _lazy_plan(model)

        def work(state: TaskState) -> int:
            return write_table(target, title, columns, _lazy_rows(model, ids, state), state=state, total=len(ids))
    else:
        columns, rows = _snapshot(model)

        def work(state: TaskState) -> int:
            return write_table(target, title, columns, rows, state=state, total=len(rows))

    def done(n: int) -> None:
        progress.close()
        _tell(parent, f"{n:,} rows exported to {target}.")

    def failed(exc: BaseException) -> None:
        progress.close()
        if isinstance(exc, Cancelled):
            _tell(parent, "Export cancelled; no file was written.")
        elif isinstance(exc, OSError):
            QMessageBox.warning(parent, "Export failed", f"{target} could not be written: {exc.strerror or exc}")
        else:
            raise exc

    def progressed(fraction: float, text: str) -> None:
        progress.setValue(int(fraction * 100))
        progress.setLabelText(text)

    task = run_task(work, on_success=done, on_error=failed, on_progress=progressed)
    progress.canceled.connect(task.cancel)
    return task


def _tell(parent: QWidget, text: str) -> None:
    label = getattr(parent, "message", None)
    if label is not None and hasattr(label, "setText"):
        label.setText(text)
    win = parent.window()
    bar = getattr(win, "statusBar", None)
    if callable(bar) and win is not parent:
        bar().showMessage(text, 10000)


def enable_export(table: QTableView, title: str, parent: QWidget | None = None) -> None:
    """Right-click → Export to Excel…, and Ctrl+E while the table has focus."""
    owner = parent or table
    act = QAction("Export to Excel…", table)
    act.setObjectName("exportAction")
    act.setShortcut(QKeySequence("Ctrl+E"))
    act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    act.triggered.connect(lambda: export_table(owner, table, title))
    table.addAction(act)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

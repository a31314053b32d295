"""Regression guard for PySide6 6.12.0 on Python 3.11: every empty value Qt hands back from a
model's data()/headerData() dropped a reference to None, and after a few thousand calls the
process aborted with "Fatal Python error: none_dealloc". 6.12.0 is excluded in pyproject.toml;
this test fails if an upgrade brings the bug back. It runs in a child process so an abort is
reported as a failure instead of killing the test run."""

from __future__ import annotations

import subprocess
import sys

CHILD = r"""
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication

class Plain(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()): return 0 if parent.isValid() else 100
    def columnCount(self, parent=QModelIndex()): return 0 if parent.isValid() else 5
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None
    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        return None

app = QApplication([])
model = Plain()
idx = model.index(3, 2)
before = sys.getrefcount(None)
for _ in range(20_000):
    idx.data(Qt.ItemDataRole.ToolTipRole)
for _ in range(2_000):
    model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
after = sys.getrefcount(None)
print(before, after)
"""


def test_none_refcount_survives_20000_empty_data_calls() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"child aborted ({out.returncode}): {out.stderr[-500:]}"
    before, after = map(int, out.stdout.split())
    assert after >= before - 50, f"None lost {before - after} references: PySide6 none_dealloc bug is back"

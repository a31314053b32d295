"""Printing to PDF: a real file, and a clear message when it cannot be written (Qt itself says
nothing and leaves no file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import UserError
from app.printing.render import to_pdf


def test_a_pdf_is_written_and_an_unwritable_target_is_said_plainly(qapp, tmp_path: Path) -> None:
    good = to_pdf("<h1>Pick list</h1><p>SH-1200-5 × 4</p>", tmp_path / "pick.pdf", title="PL-000001")
    assert good.read_bytes().startswith(b"%PDF")
    with pytest.raises(UserError) as refused:
        to_pdf("<h1>Invoice</h1>", tmp_path / "no-such-folder" / "invoice.pdf")
    assert "could not be written" in refused.value.message and "no-such-folder" in refused.value.message

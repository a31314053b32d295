"""`ordercycle db check` on a file edited with the sqlite3 shell: text where an amount belongs is
reported (exit 1), not a crash."""

from __future__ import annotations

import sqlite3

from app.main import main
from app.demo import build_demo_file


def test_text_in_an_amount_is_reported_not_a_crash(tmp_path, capsys) -> None:
    path = tmp_path / "firm.db"
    build_demo_file(str(path))
    con = sqlite3.connect(path)
    con.execute("UPDATE invoice SET paid = 'x' WHERE id = 1")
    con.commit()
    con.close()
    assert main(["db", "check", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "is not a number" in err and "Traceback" not in err
    assert "(id 1): paid differs from the state OrderCycle last recorded" in err  # its number depends on the day

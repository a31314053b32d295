"""Shared fixtures.

``db_url`` yields a fresh database: a real SQLite file in tmp_path, and — when
ORDERCYCLE_TEST_PG_URL is set (CI's second pass) — also a freshly emptied PostgreSQL database.
Tests that use ``db_url``/``db`` are the data-layer tests that run on both.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_URL = os.environ.get("ORDERCYCLE_TEST_PG_URL")


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if PG_URL else [])
        if os.environ.get("ORDERCYCLE_TEST_ONLY_PG") and PG_URL:
            backends = ["postgresql"]
        metafunc.parametrize("backend", backends)


@pytest.fixture(autouse=True)
def pinned_clock():
    """Every test runs on the suite's day (tests/support.TODAY) through the one clock; a test or a
    module fixture may move it with ``clock.pin(day)`` — it is put back afterwards."""
    from app import clock
    from tests.support import TODAY

    with clock.pinned(TODAY):
        yield clock


GUI_FIXTURES = {"qtbot", "qapp", "qtmodeltester"}


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(request):
    """GUI tests: no automatic collection while they run, then one on this (the GUI) thread, so a
    window's Qt objects are never destroyed by a collection a worker thread happens to start (a
    deadlock; app.views.common.gc_thread does the same for the application)."""
    import gc

    if not GUI_FIXTURES & set(request.fixturenames):
        yield
        return
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if was:
            gc.enable()


@pytest.fixture
def db_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return str(tmp_path / "ordercycle.db")
    assert PG_URL
    _reset_pg(PG_URL)
    return PG_URL


@pytest.fixture
def db(db_url):
    from app.db.open import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path):
    """A real SQLite file, for tests that are about SQLite itself."""
    from app.db.open import open_database

    database = open_database(tmp_path / "ordercycle.db")
    yield database
    database.dispose()


# --- leaving the test process --------------------------------------------------------------------
# After the whole GUI suite has passed, PySide's own clean-up at interpreter exit
# (PySide::destroyQCoreApplication, which deletes every Python-owned QObject still alive) can
# crash in ~QObject on a widget Qt has already deleted, depending on garbage-collection timing
# (seen with the shipping tab's dialogs after other windows; not reproducible with any single
# test file, and not in the application, whose quit path closes its windows first). The crash
# would turn a passed run into a failed one, so once pytest has reported, the process ends
# without that clean-up, with pytest's own exit status. Tests and their results are unaffected.
_exit_status: int | None = None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status is None or os.environ.get("ORDERCYCLE_TEST_NORMAL_EXIT"):
        return
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)

"""Shared fixtures — the one set for the whole suite.

- ``isolated_workstation`` (every test): its own per-workstation settings, data and log folders.
- ``db`` (with ``db_url``): a fresh database on each backend; ``sqlite_db``: a real SQLite file.
- ``demo``: the demo company in ``db`` and ``actor(username)`` for its people, as ``(db, actor)``;
  ``demo_db``: the demo company on a SQLite file (what a GUI test's desk opens; ``tests/gui``
  names it ``demo``). ``tests.support``: the suite's ``TODAY`` and ``actor_for(db, username)``.

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


@pytest.fixture(autouse=True)
def isolated_workstation(tmp_path, monkeypatch):
    """Each test gets its own per-workstation settings (remembered column mappings, windows),
    data and log folders: nothing is read from or written to the real user's."""
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ORDERCYCLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERCYCLE_LOG_DIR", str(tmp_path / "logs"))
    # what opening a firm's database sets for the whole process (its currency, its time zone) is
    # put back after the test: a German firm's test leaves no euros or Berlin time to the next
    from app import clock
    from app import format as fmt

    monkeypatch.setattr(fmt, "_currency", fmt._currency)
    monkeypatch.setattr(fmt, "_style", fmt._style)
    monkeypatch.setattr(clock, "_zone", clock._zone)
    monkeypatch.setattr(clock, "_zone_name", clock._zone_name)


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


@pytest.fixture
def demo(db):
    """The demo company in the test database (each backend), and ``actor(username)`` for its
    people: ``db, actor = demo``."""
    from functools import partial

    from app.demo import build_demo
    from tests.support import actor_for

    build_demo(db)
    return db, partial(actor_for, db)


@pytest.fixture
def demo_db(sqlite_db):
    """The demo company (Northbeam Steelworks) on a real SQLite file, as of TODAY."""
    from app.demo import build_demo

    build_demo(sqlite_db)
    return sqlite_db


# --- leaving the test process --------------------------------------------------------------------
# The suite ends with a normal interpreter exit. It used to end with os._exit after pytest had
# reported, because PySide's clean-up at exit (destroyQCoreApplication) could crash in ~QObject on
# a widget Qt had already deleted, depending on garbage-collection timing. The cause: a cyclic
# collection started by a worker thread destroyed Qt objects off the GUI thread. The application
# and the GUI tests now collect on the GUI thread only (app/views/common/gc_thread.py and the
# _collect_on_the_gui_thread fixture above); with that, full runs exit normally, so a new crash at
# exit fails the build instead of being hidden.

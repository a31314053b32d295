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

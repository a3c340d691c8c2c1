"""Storage fixtures: every storage test runs on SQLite and, with CI=true, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pactshare.store import Database, sqlite_url
from tests.http_support import LiveNode, live_kor

POSTGRES = os.environ.get(
    "PACTSHARE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_wanted() -> bool:
    return os.environ.get("CI") == "true" or "PACTSHARE_TEST_POSTGRES" in os.environ


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "node.db")
        return
    if not _postgres_wanted():
        pytest.skip(
            "PostgreSQL tests run with CI=true (or PACTSHARE_TEST_POSTGRES=URL); skipped here"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    db = Database(database_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveNode]:
    """A KOR node on each backend, its app answering HTTP in process (no socket)."""
    with live_kor(tmp_path, database_url, served=False) as node:
        yield node


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[LiveNode]:
    """A KOR node on each backend, served over real HTTP on a free loopback port, with its
    delivery worker: for what needs the server itself or another node to reach it."""
    with live_kor(tmp_path, database_url) as node:
        yield node

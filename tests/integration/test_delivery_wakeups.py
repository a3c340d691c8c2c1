"""The delivery worker is woken by the commit that queues a message — in this process, and
from another one (a datagram beside an SQLite database, NOTIFY on PostgreSQL) — and only once
the message is committed: a rolled-back transaction wakes nobody."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from pactshare.node.outbox import WAKE_CHANNEL, queue_message
from pactshare.store import Database, sqlite_url
from pactshare.store.schema import outbox
from pactshare.store.wakeups import Waiter

NOW = datetime(2019, 8, 1, 1, 0, tzinfo=UTC)
PATIENCE = 30.0  # seconds: far beyond any wake-up; a missed one fails the test


def _queued(db: Database) -> list[str]:
    with db.atomic() as tx:
        return list(tx.execute(select(outbox.c.id)).scalars())


def test_a_commit_wakes_the_waiter_once_its_message_is_visible(database: Database) -> None:
    with Waiter(database, WAKE_CHANNEL) as waiter:
        assert not waiter.wait(0)
        with database.atomic() as tx:
            ident = queue_message(tx, kind="note", recipient="JPN", payload={}, at=NOW)
            assert not waiter.wait(0)  # not before the commit
        assert waiter.wait(PATIENCE)
        assert _queued(database) == [ident]


def _queue_then_fail(db: Database) -> None:
    with db.atomic() as tx:
        queue_message(tx, kind="note", recipient="JPN", payload={}, at=NOW)
        raise RuntimeError("the workflow failed")


def test_a_rolled_back_transaction_wakes_nobody(database: Database) -> None:
    with Waiter(database, WAKE_CHANNEL) as waiter:
        with pytest.raises(RuntimeError, match="failed"):
            _queue_then_fail(database)
        assert not waiter.wait(0.5)
        assert _queued(database) == []


def test_a_commit_to_another_nodes_database_wakes_nobody_here(
    database: Database, tmp_path: Path
) -> None:
    """On PostgreSQL nodes may live in separate schemas of one database, where a channel is
    shared: the channel is named after the node's database URL."""
    base, _, _ = database.url.partition("?")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    postgres = database.engine.dialect.name == "postgresql"
    admin = create_engine(base) if postgres else None
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    other = Database(
        f"{base}?options=-csearch_path%3D{schema}" if postgres else sqlite_url(tmp_path / "o.db")
    )
    try:
        other.migrate()
        with Waiter(database, WAKE_CHANNEL) as waiter:
            with other.atomic() as tx:
                queue_message(tx, kind="note", recipient="JPN", payload={}, at=NOW)
            assert not waiter.wait(0.5)
    finally:
        other.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_a_commit_in_another_process_wakes_the_waiter(database: Database) -> None:
    child = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from pactshare.node.outbox import queue_message
        from pactshare.store import Database
        db = Database({database.url!r})
        with db.atomic() as tx:
            queue_message(tx, kind="note", recipient="JPN", payload={{}}, at=datetime.now(UTC))
        """
    )
    with Waiter(database, WAKE_CHANNEL) as waiter:
        subprocess.run([sys.executable, "-c", child], check=True, timeout=120)
        assert waiter.wait(PATIENCE)
        assert len(_queued(database)) == 1

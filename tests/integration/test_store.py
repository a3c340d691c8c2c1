"""The unit of work and the migrations, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, insert, select

from pactshare.errors import StorageError
from pactshare.store import Database
from pactshare.store.rows import insert_new
from pactshare.store.schema import metadata, scenario_files

WHEN = datetime(2019, 11, 23, 0, 0, tzinfo=UTC)


def _count(db: Database) -> int:
    with db.atomic() as tx:
        return int(tx.execute(select(func.count()).select_from(scenario_files)).scalar_one())


def _add(tx: Connection, name: str) -> None:
    tx.execute(insert(scenario_files).values(name=name, text="", loaded_at=WHEN))


def test_migrations_build_exactly_the_declared_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_migrating_twice_changes_nothing(database: Database) -> None:
    database.migrate()
    assert _count(database) == 0


def test_atomic_commits_when_the_block_succeeds(database: Database) -> None:
    with database.atomic() as tx:
        _add(tx, "a")
    assert _count(database) == 1


def _fails_after_adding(db: Database, agreement_id: str, *, durable: bool = True) -> None:
    with db.atomic(durable=durable) as tx:
        _add(tx, agreement_id)
        raise RuntimeError(f"fails after adding {agreement_id}")


def test_atomic_keeps_nothing_when_the_block_fails(database: Database) -> None:
    with pytest.raises(RuntimeError):
        _fails_after_adding(database, "a")
    assert _count(database) == 0


def test_nested_atomic_is_a_savepoint(database: Database) -> None:
    with database.atomic() as tx:
        _add(tx, "outer")
        with pytest.raises(RuntimeError):
            _fails_after_adding(database, "inner")
    with database.atomic() as tx:
        assert tx.execute(select(scenario_files.c.name)).scalars().all() == ["outer"]


def _safety(tx: Connection) -> str:
    """How the transaction ``tx`` will commit: synced, or relaxed."""
    if tx.dialect.name == "sqlite":
        return {1: "relaxed", 2: "synced"}[tx.exec_driver_sql("PRAGMA synchronous").scalar_one()]
    return {"off": "relaxed", "on": "synced"}[
        tx.exec_driver_sql("SHOW synchronous_commit").scalar_one()
    ]


def test_a_relaxed_commit_keeps_its_rows_and_leaves_no_later_unit_of_work_relaxed(
    database: Database,
) -> None:
    with database.atomic(durable=False) as tx:
        _add(tx, "relaxed")
        seen = [_safety(tx)]
    with database.atomic() as tx:
        seen.append(_safety(tx))
        with database.atomic(durable=False) as nested:  # a savepoint: as its transaction
            seen.append(_safety(nested))
    with pytest.raises(RuntimeError):
        _fails_after_adding(database, "failed", durable=False)
    with database.atomic() as tx:
        seen.append(_safety(tx))
    with database.engine.connect() as other:  # the pool never hands out a relaxed connection
        seen.append(_safety(other))
    assert seen == ["relaxed", "synced", "synced", "synced", "synced"]
    assert _count(database) == 1


def test_insert_new_writes_a_key_once_and_says_whether_it_did(database: Database) -> None:
    with database.atomic() as tx:
        first = insert_new(tx, scenario_files, {"name": "a", "text": "first", "loaded_at": WHEN})
        again = insert_new(tx, scenario_files, {"name": "a", "text": "again", "loaded_at": WHEN})
        kept = tx.execute(select(scenario_files.c.text)).scalars().all()
    assert (first, again, kept) == (True, False, ["first"])


def _add_twice(db: Database) -> None:  # the primary key is violated
    with db.atomic() as tx:
        _add(tx, "same")
        _add(tx, "same")


def test_a_database_error_becomes_a_storage_error_and_keeps_nothing(database: Database) -> None:
    with pytest.raises(StorageError):
        _add_twice(database)
    assert _count(database) == 0


def test_instants_come_back_aware_in_utc(database: Database) -> None:
    kst = datetime.fromisoformat("2019-11-23T00:00:00+09:00")
    with database.atomic() as tx:
        tx.execute(insert(scenario_files).values(name="a", text="", loaded_at=kst))
    with database.atomic() as tx:
        stored = tx.execute(select(scenario_files.c.loaded_at)).scalar_one()
    assert stored == kst
    assert stored.utcoffset() is not None


def test_a_naive_instant_is_refused(database: Database) -> None:
    with pytest.raises(StorageError, match="naive"), database.atomic() as tx:
        tx.execute(
            insert(scenario_files).values(name="a", text="", loaded_at=datetime(2019, 1, 1))
        )  # a naive instant, on purpose


def test_password_never_appears_in_messages() -> None:
    db = Database("postgresql+psycopg://user:secret@127.0.0.1:1/nodb")
    assert db.safe_url == "postgresql+psycopg://user@127.0.0.1:1/nodb"
    with pytest.raises(StorageError) as caught:
        db.migrate()
    assert "secret" not in str(caught.value)

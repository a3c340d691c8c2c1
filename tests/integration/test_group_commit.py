"""Group commit on SQLite: the units of work of concurrent threads share one COMMIT, each in its
own savepoint; a failed member keeps nothing and the others commit; no one returns before the
commit holding its records; a failed commit fails every member of its group."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    event,
    insert,
    select,
    text,
)

from pactshare.audit import EntryKind
from pactshare.errors import StorageError
from pactshare.node import journal
from pactshare.store import Database, database, sqlite_url
from pactshare.store.schema import audit_entries

AT = datetime(2019, 11, 22, 12, 0, tzinfo=UTC)
scratch = MetaData()
rows = Table("rows", scratch, Column("id", Integer, primary_key=True))
# Checked at COMMIT, not at each statement: a way to make a group's COMMIT itself fail.
children = Table(
    "children",
    scratch,
    Column("id", Integer, primary_key=True),
    Column("row", Integer, ForeignKey("rows.id", deferrable=True, initially="DEFERRED")),
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path / "node.db"))
    scratch.create_all(database.engine)
    yield database
    database.dispose()


def _commits(db: Database) -> list[str]:
    """Every COMMIT the engine sends from now on."""
    seen: list[str] = []
    event.listen(db.engine, "commit", lambda _connection: seen.append("COMMIT"))
    return seen


def _commits_safety(db: Database) -> list[int]:
    """SQLite's safety level at every COMMIT the engine sends from now on (1: NORMAL, the log
    not synced; 2: FULL)."""
    seen: list[int] = []

    def commit(connection: Connection) -> None:  # called just before the COMMIT
        seen.append(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())

    event.listen(db.engine, "commit", commit)
    return seen


def _queued(db: Database, count: int) -> None:
    """Wait until ``count`` units of work wait for their turn (the group is then formed)."""
    deadline = time.monotonic() + 30
    while db._groups is not None and len(db._groups._queue) < count:
        assert time.monotonic() < deadline, "the other units of work never queued"
        time.sleep(0.001)


def _in_threads(*works: Callable[[], object]) -> list[BaseException | None]:
    """Run each work in its own thread; what each raised (None: nothing)."""
    raised: list[BaseException | None] = [None] * len(works)

    def run(index: int) -> None:
        try:
            works[index]()
        except BaseException as exc:  # handed back to the test
            raised[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def _stored(db: Database) -> set[int]:
    """The rows as another connection sees them: committed ones only."""
    with sqlite3.connect(db.engine.url.database or "") as other:
        return {row for (row,) in other.execute("SELECT id FROM rows")}


def test_concurrent_units_of_work_share_one_commit_and_each_returns_after_it(
    db: Database,
) -> None:
    commits = _commits(db)
    others = 15
    seen_at_return: dict[int, bool] = {}

    def add(row: int, hold: bool = False) -> None:
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=row))
            if hold:
                _queued(db, others)  # every other unit of work joins this group
        seen_at_return[row] = row in _stored(db)  # committed when atomic() returned

    raised = _in_threads(lambda: add(0, hold=True), *(lambda r=r: add(r) for r in range(1, 16)))
    assert raised == [None] * 16
    assert commits == ["COMMIT"]
    assert seen_at_return == dict.fromkeys(range(16), True)
    assert _stored(db) == set(range(16))


def test_a_member_returns_only_after_the_commit_a_later_member_makes(db: Database) -> None:
    returned = threading.Event()
    seen_at_return: list[bool] = []

    def first() -> None:
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=1))
            _queued(db, 1)
        seen_at_return.append(1 in _stored(db))
        returned.set()

    def last() -> None:
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=2))
            # The group is not committed while this block runs: the first member must not
            # return meanwhile (if it did, it would find its row not yet committed).
            returned.wait(timeout=0.5)

    assert _in_threads(first, last) == [None, None]
    assert seen_at_return == [True]


def test_a_failed_member_keeps_nothing_and_the_others_commit_without_a_gap_in_the_log(
    tmp_path: Path,
) -> None:
    db = Database(sqlite_url(tmp_path / "migrated.db"))
    db.migrate()
    commits = _commits(db)

    def append(subject: str, *, hold: bool = False, fail: bool = False) -> None:
        with db.atomic() as tx:
            journal.record(tx, kind=EntryKind.EVENT, at=AT, actor="KOR", subject=subject,
                           details={})  # fmt: skip
            if hold:
                _queued(db, 2)
            if fail:
                raise RuntimeError(f"{subject} fails after its append")

    try:
        raised = _in_threads(
            lambda: append("a", hold=True),
            lambda: append("b", fail=True),
            lambda: append("c"),
        )
        assert raised[0] is None
        assert raised[2] is None
        assert isinstance(raised[1], RuntimeError)
        assert commits == ["COMMIT"]
        with db.atomic() as tx:
            kept = tx.execute(select(audit_entries.c.position)).scalars().all()
            assert sorted(kept) == [0, 1]  # b's position went to the next member: no gap
            key = Ed25519PrivateKey.generate()
            journal.sign_head(tx, key, "node", at=AT)
            assert journal.verify(tx, key.public_key()).ok
    finally:
        db.dispose()


def test_a_failed_commit_fails_every_member_of_its_group(db: Database) -> None:
    def orphan() -> None:  # a child of no row: refused only when the group commits
        with db.atomic() as tx:
            tx.execute(insert(children).values(id=1, row=99))

    def fine() -> None:
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=1))
            _queued(db, 1)

    raised = _in_threads(fine, orphan)
    assert all(isinstance(exc, StorageError) for exc in raised), raised
    assert "FOREIGN KEY" in str(raised[0])
    assert _stored(db) == set()
    with db.atomic() as tx:  # the next unit of work starts afresh
        tx.execute(insert(rows).values(id=2))
        assert tx.execute(text("SELECT count(*) FROM children")).scalar_one() == 0
    assert _stored(db) == {2}


def test_a_member_that_ends_the_transaction_fails_the_whole_group(db: Database) -> None:
    def first() -> None:
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=1))
            _queued(db, 1)

    def ends_it() -> None:  # as a full disk or an I/O error makes SQLite roll back everything
        with db.atomic() as tx:
            tx.execute(insert(rows).values(id=2))
            tx.exec_driver_sql("ROLLBACK")

    raised = _in_threads(first, ends_it)
    assert all(isinstance(exc, StorageError) for exc in raised), raised
    assert "ended its transaction" in str(raised[0])
    assert _stored(db) == set()
    with db.atomic() as tx:
        tx.execute(insert(rows).values(id=3))
    assert _stored(db) == {3}


def _add(db: Database, row: int, *, durable: bool = True, hold: int = 0) -> None:
    with db.atomic(durable=durable) as tx:
        tx.execute(insert(rows).values(id=row))
        if hold:
            _queued(db, hold)


def test_a_durable_unit_of_work_never_joins_a_relaxed_group(db: Database) -> None:
    safety = _commits_safety(db)
    raised = _in_threads(lambda: _add(db, 1, durable=False, hold=1), lambda: _add(db, 2))
    assert raised == [None, None]
    assert safety == [1, 2]  # the relaxed group, then the durable one's own, synced
    assert _stored(db) == {1, 2}


def test_a_relaxed_unit_of_work_joins_a_durable_group_and_is_synced_with_it(
    db: Database,
) -> None:
    safety = _commits_safety(db)
    raised = _in_threads(lambda: _add(db, 1, hold=1), lambda: _add(db, 2, durable=False))
    assert raised == [None, None]
    assert safety == [2]
    assert _stored(db) == {1, 2}


def test_a_relaxed_group_whose_commit_fails_leaves_no_relaxed_connection(db: Database) -> None:
    safety = _commits_safety(db)
    with pytest.raises(StorageError, match="FOREIGN KEY"), db.atomic(durable=False) as tx:
        tx.execute(insert(children).values(id=1, row=99))  # refused at COMMIT
    _add(db, 1)
    assert safety == [1, 2]
    with db.engine.connect() as other:
        assert other.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    assert _stored(db) == {1}


def test_a_unit_of_work_that_finds_the_write_lock_held_fails_cleanly_and_the_next_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BEGIN IMMEDIATE runs on the driver (not through SQLAlchemy's execution): its error must
    # still come out as the unit of work's StorageError, with no connection left half-begun.
    monkeypatch.setattr(database, "BUSY", 0.2)  # SQLite's busy timeout and the turn's wait
    db = Database(sqlite_url(tmp_path / "node.db"))
    scratch.create_all(db.engine)
    other = sqlite3.connect(tmp_path / "node.db", isolation_level=None)  # another process's
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError, match="database is locked"), db.atomic() as tx:
            tx.execute(insert(rows).values(id=1))
        other.execute("ROLLBACK")
        _add(db, 2)
        assert _stored(db) == {2}
    finally:
        other.close()
        db.dispose()

"""journal.record runs its statements on the driver's cursor (prepared once per dialect), not
through SQLAlchemy: what it stores must be what SQLAlchemy stores, on both backends.

Appends by ``journal.record`` are interleaved with appends by a reference written with
SQLAlchemy Core (the log's algorithm as it was: size, frontier from the stored nodes, two
INSERTs); the rows must read back alike, the log verify, and every proof hold. A missing
frontier node is still named, a driver's error still a StorageError that leaves nothing, and
the read of the size and frontier still an index lookup.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, func, insert, select, text

from pactshare import audit
from pactshare.errors import AuditIntegrityError, StorageError
from pactshare.node import journal
from pactshare.store import Database
from pactshare.store.schema import audit_entries, audit_nodes

SEOUL = timezone(timedelta(hours=9))
START = datetime(2019, 11, 22, 23, 59, 58, 123456, tzinfo=SEOUL)  # not UTC, with microseconds


def reference_record(tx: Connection, *, kind: audit.EntryKind, at: datetime, details: Any) -> int:
    """An append as SQLAlchemy Core runs it: the reference the driver's path must match."""
    data = audit.Entry(kind, at, "KOR", "item-1", details).to_bytes()
    journal.lock_for_append(tx)
    last = tx.execute(select(func.max(audit_entries.c.position))).scalar_one_or_none()
    position = 0 if last is None else last + 1

    def node(level: int, index: int) -> bytes:
        query = select(audit_nodes.c.hash).where(
            audit_nodes.c.level == level, audit_nodes.c.idx == index
        )
        return bytes(tx.execute(query).scalar_one())

    _, completed = audit.Frontier.from_nodes(position, node).append(audit.leaf_hash(data))
    tx.execute(
        insert(audit_entries),
        {"position": position, "kind": kind.value, "at": at, "data": data},
    )
    tx.execute(
        insert(audit_nodes), [{"level": n.level, "idx": n.index, "hash": n.hash} for n in completed]
    )
    return position


def _append(db: Database, index: int, *, reference: bool) -> int:
    """Entry ``index``: pairs of entries (one by each path) share their instant."""
    at = START + timedelta(seconds=index // 2, microseconds=index // 2)
    details = {"index": index}
    with db.atomic() as tx:
        if reference:
            return reference_record(tx, kind=audit.EntryKind.EVENT, at=at, details=details)
        return journal.record(tx, kind=audit.EntryKind.EVENT, at=at, actor="KOR",
                              subject="item-1", details=details)  # fmt: skip


def test_the_drivers_path_stores_what_sqlalchemy_stores_and_the_log_verifies(
    database: Database,
) -> None:
    written = [_append(database, i, reference=i % 2 == 1) for i in range(37)]
    key = Ed25519PrivateKey.generate()
    with database.atomic() as tx:
        old = journal.sign_head(tx, key, "kor-1", at=START)
    more = [_append(database, i, reference=i % 3 == 0) for i in range(37, 70)]
    assert written + more == list(range(70))  # contiguous, whoever appended
    with database.atomic() as tx:
        new = journal.sign_head(tx, key, "kor-1", at=START)
        entries = tx.execute(select(audit_entries).order_by(audit_entries.c.position)).all()
        stored = tx.execute(text("SELECT position, at FROM audit_entries ORDER BY position"))
        raw_at = [at for _, at in stored]  # as the driver hands it back (SQLite: text)
        nodes = {(n.level, n.idx): bytes(n.hash) for n in tx.execute(select(audit_nodes))}
        report = journal.verify(tx, key.public_key())
        proofs = [journal.prove(tx, position) for position in range(70)]
        consistency = journal.consistency(tx, 37, 70)
    for entry in entries:  # read back through SQLAlchemy as written, whichever path wrote it
        index = entry.position
        at = START + timedelta(seconds=index // 2, microseconds=index // 2)
        assert (entry.kind, entry.at) == ("event", at)
        assert bytes(entry.data) == audit.Entry(audit.EntryKind.EVENT, at, "KOR", "item-1",
                                                {"index": index}).to_bytes()  # fmt: skip
    # The two entries of a pair were written by different paths with the same instant: the
    # driver's path binds it as SQLAlchemy does (on SQLite, the same text, in UTC).
    assert raw_at[0::2][:35] == raw_at[1::2][:35]
    assert all(raw_at[i] != raw_at[i + 2] for i in range(0, 66, 2))
    # The perfect nodes are those of the log held in memory, none missing, none extra.
    memory = audit.MemoryLog()
    expected: dict[tuple[int, int], bytes] = {}
    frontier = audit.Frontier()
    for entry in entries:
        memory.append(bytes(entry.data))
        frontier, completed = frontier.append(audit.leaf_hash(bytes(entry.data)))
        expected.update({(n.level, n.index): n.hash for n in completed})
    assert nodes == expected
    assert report.ok, report.problems
    assert (report.size, old.head.size, new.head.size) == (70, 37, 70)
    assert new.head.root == frontier.root() == memory.root()
    assert [p.root for p in proofs] == [new.head.root.hex()] * 70
    audit.verify_consistency(37, 70, old.head.root, new.head.root, consistency)


def test_a_missing_frontier_node_is_named_and_the_append_leaves_nothing(
    database: Database,
) -> None:
    for index in range(6):  # size 6: the frontier is nodes (2, 0) and (1, 2)
        _append(database, index, reference=False)
    with database.atomic() as tx:
        tx.execute(delete(audit_nodes).where(audit_nodes.c.level == 1, audit_nodes.c.idx == 2))
    with pytest.raises(AuditIntegrityError, match=r"^audit node \(1, 2\) is missing from storage$"):
        _append(database, 6, reference=False)
    with database.atomic() as tx:
        tx.execute(delete(audit_nodes).where(audit_nodes.c.level == 2))
    with pytest.raises(AuditIntegrityError, match=r"^audit node \(2, 0\) is missing from storage$"):
        _append(database, 6, reference=False)
    with database.atomic() as tx:
        assert journal.size(tx) == 6


def test_a_drivers_error_is_a_storage_error_and_the_append_leaves_nothing(
    database: Database,
) -> None:
    for index in range(4):
        _append(database, index, reference=False)
    stray = {"level": 0, "idx": 4, "hash": bytes(32)}  # where the next leaf's node goes
    with database.atomic() as tx:
        tx.execute(insert(audit_nodes), stray)
    with pytest.raises(StorageError, match="audit_nodes"):
        _append(database, 4, reference=False)
    with database.atomic() as tx:
        assert journal.size(tx) == 4
        tx.execute(delete(audit_nodes).where(audit_nodes.c.level == 0, audit_nodes.c.idx == 4))
    assert _append(database, 4, reference=False) == 4  # the connection was fit to go on
    with database.atomic() as tx:
        assert journal.verify(tx, Ed25519PrivateKey.generate().public_key()).ok


def test_the_size_and_frontier_are_read_through_the_indexes(database: Database) -> None:
    """The last position from its primary key's index, each frontier node by one lookup in
    the nodes' primary key: no table scanned, however long the log."""
    for index in range(11):
        _append(database, index, reference=False)
    with database.atomic() as tx:
        if tx.dialect.name == "sqlite":
            explain = f"EXPLAIN QUERY PLAN {journal._SIZE_AND_FRONTIER}"
            plan = [str(row[-1]) for row in tx.exec_driver_sql(explain)]
            nodes = (
                "SEARCH audit_nodes USING INDEX sqlite_autoindex_audit_nodes_1 (level=? AND idx=?)"
            )
            entries = "SEARCH audit_entries"  # max(position): the rowid's b-tree, its last row
        else:
            plan = [
                str(row[0]) for row in tx.exec_driver_sql(f"EXPLAIN {journal._SIZE_AND_FRONTIER}")
            ]
            nodes = "Index Scan using pk_audit_nodes on audit_nodes"
            entries = "Index Only Scan Backward using pk_audit_entries on audit_entries"
    assert not [step for step in plan if "SCAN audit" in step or "Seq Scan" in step], plan
    assert any(nodes in step for step in plan), plan
    assert any(entries in step for step in plan), plan

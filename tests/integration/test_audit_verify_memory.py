"""Verifying a stored log reads it in pages: the memory it takes does not grow with the log."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

from pactshare.audit import MemoryLog, _stored, verify
from pactshare.node import journal
from pactshare.store import Database
from pactshare.store.schema import audit_entries, audit_nodes

KEY = Ed25519PrivateKey.generate()
AT = datetime(2026, 12, 2, tzinfo=UTC)


def _grow(db: Database, log: MemoryLog, size: int) -> None:
    """Append entries (about 200 bytes each) up to ``size``, with their nodes, and sign a head."""
    before = log.size
    for position in range(before, size):
        log.append(b"%08d" % position * 25)
    nodes = [n for n in log.nodes() if n.first_leaf + n.leaf_count > before]
    with db.atomic() as tx:
        entries = [
            {"position": p, "kind": "decision", "at": AT, "data": log.entry(p)}
            for p in range(before, size)
        ]
        tx.execute(insert(audit_entries), entries)
        tx.execute(
            insert(audit_nodes), [{"level": n.level, "idx": n.index, "hash": n.hash} for n in nodes]
        )
        journal.sign_head(tx, KEY, "node", at=AT)


def _peak(db: Database, size: int) -> int:
    """The most memory Python allocated while verifying the log (tracemalloc)."""
    tracemalloc.start()
    try:
        with db.atomic() as tx:
            report = journal.verify(tx, KEY.public_key())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok
    assert (report.size, report.covered) == (size, size)
    return peak


def test_verifying_eight_times_the_entries_takes_no_more_memory(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pages, windows and chunks, so that a small log already spans many of each.
    monkeypatch.setattr(journal, "PAGE_ROWS", 32)
    monkeypatch.setattr(_stored, "WINDOW", 32)
    monkeypatch.setattr(verify, "CHUNK_LEVEL", 5)
    db = Database(database_url)
    db.migrate()
    log = MemoryLog()
    try:
        _grow(db, log, 2**9)
        _peak(db, 2**9)  # compiles and caches the queries
        small = _peak(db, 2**9)
        _grow(db, log, 2**12)
        large = _peak(db, 2**12)
    finally:
        db.dispose()
    # Holding the log would take about 6 MB more at 2**12 entries (the entries, and two
    # hashes per entry); reading it in pages takes a few more rows of the upper levels.
    assert large - small < 64 * 1024, (small, large)

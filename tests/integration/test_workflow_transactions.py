"""One write transaction per workflow, counted at commit by the database itself so that the shape
cannot regress; a provided envelope kept as its front beside the held envelope's payload; and a
small received envelope kept in the database with its receipt, a larger one as a file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from pactshare import seal
from pactshare.errors import RefusedError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.envelopes import MAX_INLINE, envelope_blocks, find_envelope, kept_bytes
from pactshare.node.holdings import plaintext
from pactshare.node.items import get_item, register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.support import Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""
# The rows the current PostgreSQL transaction inserted, updated or deleted so far.
_CHANGED = """SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0)
FROM pg_stat_xact_user_tables"""


class Writes:
    """The transactions of an engine that changed rows (inserted, updated or deleted any) and
    committed, as the database counts its changes: SQLite's changes on the connection since
    the transaction began, PostgreSQL's of the transaction. Not SQLAlchemy's statements: the
    audit log appends on the driver's cursor (journal.record), unseen by SQLAlchemy's events."""

    def __init__(self) -> None:
        self.count = 0

    def began(self, connection: Connection) -> None:
        if connection.dialect.name == "sqlite":
            connection.info["changes"] = _driver(connection).total_changes

    def committed(self, connection: Connection) -> None:
        driver = _driver(connection)
        if connection.dialect.name == "sqlite":
            wrote = driver.total_changes != connection.info.pop("changes")
        else:
            wrote = driver.execute(_CHANGED).fetchone()[0] > 0
        self.count += wrote

    def rolled_back(self, connection: Connection) -> None:
        connection.info.pop("changes", None)


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


@contextmanager
def writes(engine: Engine) -> Iterator[Writes]:
    counted = Writes()
    hooks = (
        ("begin", counted.began),
        ("commit", counted.committed),
        ("rollback", counted.rolled_back),
    )
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield counted
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


@pytest.fixture
def nodes(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, str]]:
    """KOR on the backend under test and JPN, pinned to each other; an item KOR registered."""
    made = pinned_nodes(
        tmp_path, Clock(at("2019-11-22T23:00:00+09:00")), ("KOR", "JPN"),
        databases={"KOR": database_url},
    )  # fmt: skip
    kor, jpn = made["KOR"], made["JPN"]
    (tmp_path / "item.txt").write_bytes(b"telemetry " * 300_000)  # three 1 MiB chunks
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    yield kor, jpn, register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    kor.close()
    jpn.close()


def provision_manifest(node: Node, provision_id: str) -> dict[str, Any]:
    [entry] = [e for e in outbox_entries(node) if e.id == provision_id]
    return dict(entry.payload["body"])


def _objects(node: Node) -> set[Path]:
    return {p for p in node.home.objects.rglob("*") if p.is_file()}


def test_provide_is_one_write_transaction_and_writes_no_second_payload(
    nodes: tuple[Node, Node, str],
) -> None:
    kor, jpn, item = nodes
    before = _objects(kor)
    with writes(kor.db.engine) as counted:
        provision = provide(kor, item, "JPN", package=None)
    assert counted.count == 1
    assert _objects(kor) == before
    manifest = provision_manifest(kor, provision.provision_id)
    with kor.db.atomic() as tx:
        envelope = find_envelope(tx, manifest["envelope"]["digest"])
    assert envelope.front is not None
    assert envelope.payload_of == get_item(kor, item).envelope
    provided = b"".join(envelope_blocks(kor, envelope))
    held = kor.objects.path(envelope.payload_of).read_bytes()
    assert provided == envelope.front + held[envelope.payload_at :]
    assert provided[len(envelope.front) :] == held[envelope.payload_at :]
    assert hashlib.sha256(provided).hexdigest() == envelope.digest == manifest["envelope"]["digest"]
    assert len(provided) == envelope.size == manifest["envelope"]["size"]
    label, plaintext = seal.open(provided, jpn.keys, jpn.directory)
    assert (label.item_id, b"".join(plaintext)) == (item, b"telemetry " * 300_000)


def test_a_refused_provide_is_one_write_transaction(nodes: tuple[Node, Node, str]) -> None:
    kor, _, item = nodes
    with writes(kor.db.engine) as counted, pytest.raises(RefusedError):
        provide(kor, item, "USA", package=None)
    assert counted.count == 1


def test_receiving_over_the_network_is_one_write_transaction(
    nodes: tuple[Node, Node, str],
) -> None:
    kor, jpn, item = nodes
    with NodeServer(jpn, port=0) as server:
        add_peer(kor, "JPN", server.url)
        server.worker.stop()
        provision = provide(kor, item, "JPN", package=None)
        with writes(jpn.db.engine) as received:
            report = deliver_due(kor)
    assert report.delivered == [provision.provision_id]
    assert received.count == 1


def test_a_small_received_envelope_is_kept_in_the_database_by_the_receipts_commit(
    tmp_path: Path, nodes: tuple[Node, Node, str]
) -> None:
    kor, jpn, _ = nodes
    (tmp_path / "brief.txt").write_bytes(b"brief " * 100)
    item = register(kor, tmp_path / "brief.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "brief.zip")
    before = _objects(jpn)
    with writes(jpn.db.engine) as counted:
        receipt = receive(jpn, tmp_path / "brief.zip")
    assert counted.count == 1
    assert _objects(jpn) == before  # no file, no folder to sync: the one commit keeps it
    digest, size = receipt["body"]["envelope"]["digest"], receipt["body"]["envelope"]["size"]
    assert size <= MAX_INLINE
    with jpn.db.atomic() as tx:
        kept = kept_bytes(tx, digest)
    assert kept is not None
    assert (hashlib.sha256(kept).hexdigest(), len(kept)) == (digest, size)
    # Read by its digest as any stored envelope is: opened, verified, and held as the item's.
    assert b"".join(plaintext(jpn, digest)) == b"brief " * 100
    assert jpn.objects.verify(digest)
    assert get_item(jpn, item).envelope == digest


def test_a_received_envelope_over_the_bound_is_kept_as_a_file(
    tmp_path: Path, nodes: tuple[Node, Node, str]
) -> None:
    kor, jpn, item = nodes  # three 1 MiB chunks
    provide(kor, item, "JPN", package=tmp_path / "large.zip")
    before = _objects(jpn)
    receipt = receive(jpn, tmp_path / "large.zip")
    digest = receipt["body"]["envelope"]["digest"]
    assert receipt["body"]["envelope"]["size"] > MAX_INLINE
    assert _objects(jpn) - before == {jpn.objects.path(digest)}
    with jpn.db.atomic() as tx:
        assert kept_bytes(tx, digest) is None
    assert b"".join(plaintext(jpn, digest)) == b"telemetry " * 300_000

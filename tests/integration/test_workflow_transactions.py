"""One write transaction per workflow, counted at commit by the database itself so that the shape
cannot regress; and a provided envelope kept as its front beside the held envelope's payload."""

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
from pactshare.node.envelopes import envelope_blocks, find_envelope
from pactshare.node.items import get_item, register
from pactshare.node.provision import provide
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

"""Witnessing over the federation: rounds through the outbox and ``POST /federation/v1/messages``
between served nodes; a forked log's head is refused with 409 and the witness keeps the
evidence (the refusal does not roll it back)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import OutboxEntry, cosignatures, forks, outbox_entries
from pactshare.federation.witness import queue_round
from pactshare.node.home import NodeConfig, NodeHome
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store import sqlite_url
from tests.integration.test_witnessing import (  # noqa: F401 - the fixtures clock and nodes
    clock,
    grow,
    nodes,
)
from tests.support import Clock


@pytest.fixture
def served(nodes: dict[str, Node]) -> Iterator[dict[str, Node]]:  # noqa: F811 - the fixture
    """The three nodes of test_witnessing, each served on a free port, peers of each other."""
    with ExitStack() as stack:
        urls = {party: stack.enter_context(NodeServer(node)).url for party, node in nodes.items()}
        for party, node in nodes.items():
            for other, url in urls.items():
                if other != party:
                    add_peer(node, other, url)
        yield nodes


def _drained(node: Node, within: float = 30.0) -> list[OutboxEntry]:
    """Deliver until nothing is pending (the node's own worker delivers too); every message."""
    deadline = time.monotonic() + within
    while outbox_entries(node):
        assert time.monotonic() < deadline, outbox_entries(node)
        deliver_due(node)
        time.sleep(0.05)
    return outbox_entries(node, pending_only=False)


def _round(*logs: Node) -> None:
    queued = {node.party_code: set(queue_round(node)) for node in logs}
    for node in logs:
        sent = [row for row in _drained(node) if row.id in queued[node.party_code]]
        assert {row.state for row in sent} == {"delivered"}, [
            (row.kind, row.recipient, row.state, row.last_error) for row in sent
        ]


def _fork(node: Node, root: Path, ticking: Clock) -> Node:
    """A copy of ``node`` (same keys and peers) taken while it serves: its database copied by
    SQLite's online backup, so the copy is a consistent snapshot of the log."""
    shutil.copytree(node.home.root, root, ignore=shutil.ignore_patterns("node.db*"))
    home = NodeHome(root)
    with (
        closing(sqlite3.connect(node.home.database_file)) as source,
        closing(sqlite3.connect(home.database_file)) as target,
    ):
        source.backup(target)
    home.write_config(NodeConfig(party=node.party_code, database=sqlite_url(home.database_file)))
    return Node(home, clock=ticking)


def test_rounds_over_http_get_the_log_cosigned_by_every_peer(served: dict[str, Node]) -> None:
    kor, usa, jpn = served["KOR"], served["USA"], served["JPN"]
    grow(kor, 3, "before")
    _round(kor, usa, jpn)
    grow(kor, 2, "after")
    _round(kor)
    witnesses = {(row.witness, row.size) for row in cosignatures(kor)}
    assert {"USA", "JPN"} <= {witness for witness, _ in witnesses}
    assert len({size for _, size in witnesses}) >= 2  # two rounds, the log grew between them
    for node in (kor, usa, jpn):
        assert forks(node) == []


def test_a_forked_head_is_refused_over_http_and_the_witness_keeps_the_evidence(
    tmp_path: Path,
    served: dict[str, Node],
    clock: Clock,  # noqa: F811 - the fixture
) -> None:
    kor, jpn = served["KOR"], served["JPN"]
    grow(kor, 3, "shared history")
    _round(kor)  # USA and JPN cosign KOR at this size
    forked = _fork(kor, tmp_path / "kor-fork", clock)
    try:
        grow(forked, 2, "rewritten history")
        _round(forked)  # longer, with a valid proof: both witnesses cosign it
        assert forks(jpn) == []
        grow(kor, 2, "the real history")  # the same size as the fork, another root
        queued = set(queue_round(kor))
        heads = [r for r in _drained(kor) if r.id in queued and r.kind == "tree-head"]
    finally:
        forked.close()
    assert [row.state for row in heads] == ["refused", "refused"]  # 409s from both: final
    (fork,) = forks(jpn)
    assert fork.party == "KOR"

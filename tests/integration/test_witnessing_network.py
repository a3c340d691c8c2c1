"""Witnessing over the federation: rounds through the outbox and ``POST /federation/v1/messages``
between served nodes; a forked log's head is refused with 409 and the witness keeps the
evidence (the refusal does not roll it back)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from pactshare.federation.delivery import deliver_due
from pactshare.federation.outbox import outbox_rows
from pactshare.federation.peers import add_peer
from pactshare.federation.witness import cosignatures, forks, queue_round
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.integration.test_witnessing import (  # noqa: F401 - the fixtures clock and nodes
    clock,
    fork_of,
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


def _round(*logs: Node) -> None:
    for node in logs:
        queue_round(node)
    for node in logs:
        report = deliver_due(node)
        assert not report.retrying, [r["last_error"] for r in outbox_rows(node, pending_only=False)]


def test_rounds_over_http_get_the_log_cosigned_by_every_peer(served: dict[str, Node]) -> None:
    kor, usa, jpn = served["KOR"], served["USA"], served["JPN"]
    grow(kor, 3, "before")
    _round(kor, usa, jpn)
    grow(kor, 2, "after")
    _round(kor)
    with kor.db.atomic() as tx:
        witnesses = {(row["witness"], row["size"]) for row in cosignatures(tx)}
    assert {"USA", "JPN"} <= {witness for witness, _ in witnesses}
    assert len({size for _, size in witnesses}) >= 2  # two rounds, the log grew between them
    for node in (kor, usa, jpn):
        with node.db.atomic() as tx:
            assert forks(tx) == []


def test_a_forked_head_is_refused_over_http_and_the_witness_keeps_the_evidence(
    tmp_path: Path,
    served: dict[str, Node],
    clock: Clock,  # noqa: F811 - the fixture
) -> None:
    kor, jpn = served["KOR"], served["JPN"]
    grow(kor, 3, "shared history")
    _round(kor)  # JPN cosigns KOR at this size
    forked = fork_of(kor, tmp_path / "kor-fork", clock)  # same keys, same peers
    try:
        grow(forked, 2, "rewritten history")
        queue_round(forked)
        deliver_due(forked)
        with jpn.db.atomic() as tx:
            assert forks(tx) == []  # a longer head with a valid proof is not (yet) a fork
        real = Node(kor.home, clock=clock)
        try:
            grow(real, 2, "the real history")  # the same size as the fork, another root
            queue_round(real)
            report = deliver_due(real)
        finally:
            real.close()
        assert len(report.refused) == 2  # both witnesses cosigned the fork: final refusals
        with jpn.db.atomic() as tx:
            (fork,) = forks(tx)
        assert fork["party"] == "KOR"
    finally:
        forked.close()

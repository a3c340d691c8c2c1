"""Batched delivery, sender and receiver real on loopback: messages due to a peer that speaks
batches go in one signed request, each with its own verified receipt; a peer that does not
announce ``batch`` gets them one by one; and a message never overtakes an earlier one on the
same subject that is still pending."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pactshare.federation import inbound, versions
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.holdings import inbox
from pactshare.node.items import register
from pactshare.node.outbox import queue_message
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import federation_nonces, outbox
from tests.support import Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    clock = Clock(at("2019-08-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"))
    yield nodes["KOR"], nodes["JPN"]
    for node in nodes.values():
        node.close()


def _provided(kor: Node, folder: Path, count: int) -> list[str]:
    (folder / "label.toml").write_text(LABEL, encoding="utf-8")
    ids = []
    for n in range(count):
        (folder / f"item-{n}.txt").write_text(f"telemetry {n}", encoding="utf-8")
        item = register(kor, folder / f"item-{n}.txt", folder / "label.toml")
        ids.append(provide(kor, item, "JPN", package=None).provision_id)
    return ids


def _requests(node: Node) -> int:
    """Signed requests a node took (each leaves its nonce)."""
    with node.db.atomic() as tx:
        return int(tx.execute(select(func.count()).select_from(federation_nonces)).scalar_one())


def test_messages_due_to_a_peer_that_speaks_batches_go_in_one_request(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    kor, jpn = pair
    with NodeServer(jpn) as server:
        server.worker.stop()  # this test drives delivery itself
        add_peer(kor, "JPN", server.url)
        sent = _provided(kor, tmp_path, 3)
        report = deliver_due(kor)
        again = deliver_due(kor)
    assert sorted(report.delivered) == sorted(sent)  # one instant (a fixed clock): any order
    assert again.delivered == []
    assert _requests(jpn) == 1
    rows = outbox_entries(kor, pending_only=False)
    assert {(row.state, row.attempts) for row in rows} == {("delivered", 1)}
    with kor.db.atomic() as tx:
        receipts = tx.execute(select(outbox.c.id, outbox.c.receipt)).all()
    assert all(receipt["body"]["package_id"] == ident for ident, receipt in receipts)
    assert len(inbox(jpn)) == 3


def test_a_peer_that_does_not_announce_batches_gets_one_request_per_message(
    tmp_path: Path, pair: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    kor, jpn = pair
    older = tuple(kind for kind in inbound.message_kinds() if kind != inbound.BATCH)
    monkeypatch.setattr(versions, "message_kinds", lambda: older)  # JPN's older build
    with NodeServer(jpn) as server:
        server.worker.stop()
        add_peer(kor, "JPN", server.url)
        sent = _provided(kor, tmp_path, 3)
        report = deliver_due(kor)
    assert sorted(report.delivered) == sorted(sent)  # one instant (a fixed clock): any order
    assert _requests(jpn) == 3
    assert len(inbox(jpn)) == 3


def test_a_message_waits_behind_an_earlier_one_on_its_subject_still_pending(
    pair: tuple[Node, Node],
) -> None:
    """The report of an incident fails (the peer is down): its update is not even tried, while
    a message on another item is; once the report is due again, it goes first."""
    kor, _ = pair
    add_peer(kor, "JPN", "http://127.0.0.1:9")  # nothing listens on the discard port
    now = at("2019-08-01T10:00:00+09:00")
    with kor.db.atomic() as tx:
        report, update, other = (
            queue_message(
                tx,
                kind="incident",
                recipient="JPN",
                payload={"kind": "incident-notice", "body": {"item_id": item}},
                at=now,
                message_id=ident,
            )
            for ident, item in (("a-report", "item-1"), ("b-update", "item-1"), ("c", "item-2"))
        )
    first = deliver_due(kor)
    later = deliver_due(kor, now=datetime(2100, 1, 1, tzinfo=UTC))
    assert first.retrying == [report, other]
    assert later.retrying == [report, other]  # still: the update waits behind its report
    assert {row.id: row.attempts for row in outbox_entries(kor)} == {
        report: 2,
        update: 0,
        other: 2,
    }

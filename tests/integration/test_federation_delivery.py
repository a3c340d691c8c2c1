"""The delivery worker's decisions, in-process against a node served on loopback: a receipt
verified and audited, a policy refusal final (not retried), retries backing off."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from pactshare.errors import NodeError
from pactshare.federation.delivery import BACKOFF_CAP, backoff, deliver_due
from pactshare.federation.peers import add_peer, list_peers
from pactshare.federation.storage import outbox_entries
from pactshare.node.answers import accept_note
from pactshare.node.consents import grant_consent, revoke_consent
from pactshare.node.documents import write_document
from pactshare.node.holdings import inbox
from pactshare.node.items import register
from pactshare.node.notes import give_note, receive_note
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import approvals, audit_entries, outbox
from tests.support import GSOMIA, Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, Clock]]:
    clock = Clock(at("2019-08-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"))
    kor, jpn = nodes["KOR"], nodes["JPN"]
    yield kor, jpn, clock
    kor.close()
    jpn.close()


def _item(kor: Node, tmp_path: Path) -> str:
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    return register(kor, tmp_path / "item.txt", tmp_path / "label.toml")


def _kinds(node: Node) -> list[str]:
    with node.db.atomic() as tx:
        return list(tx.execute(select(audit_entries.c.kind)).scalars())


def test_a_peer_needs_its_key_pinned_first(pair: tuple[Node, Node, Clock]) -> None:
    kor, _, _ = pair
    with pytest.raises(NodeError, match="not pinned"):
        add_peer(kor, "USA", "http://127.0.0.1:9")
    add_peer(kor, "jpn", "http://127.0.0.1:9/")
    assert [(p.party, p.url) for p in list_peers(kor)] == [("JPN", "http://127.0.0.1:9")]


def test_an_item_is_delivered_once_with_a_verified_receipt(
    tmp_path: Path, pair: tuple[Node, Node, Clock]
) -> None:
    kor, jpn, _ = pair
    item = _item(kor, tmp_path)
    with NodeServer(jpn, port=0) as server:
        add_peer(kor, "JPN", server.url)
        server.worker.stop()  # this test drives delivery itself
        provision = provide(kor, item, "JPN", package=None)
        report = deliver_due(kor)
        again = deliver_due(kor)
    assert report.delivered == [provision.provision_id]
    assert again.delivered == []
    [row] = outbox_entries(kor, pending_only=False)
    assert (row.state, row.attempts) == ("delivered", 1)
    assert [h.item_id for h in inbox(jpn)] == [item]
    assert _kinds(kor).count("delivery") == 1


def _receipts(node: Node) -> list[object]:
    with node.db.atomic() as tx:
        return list(tx.execute(select(outbox.c.receipt)).scalars())


def test_a_lost_delivered_mark_sends_the_message_again_and_gets_the_same_receipt(
    tmp_path: Path, pair: tuple[Node, Node, Clock]
) -> None:
    """The delivered mark commits without syncing the log: a power loss may undo it (here the
    sender's database is put back as it was before delivery). The message is then pending,
    goes again, and the receiver, which applies a message id once, answers the receipt it
    signed the first time."""
    kor, jpn, _ = pair
    item = _item(kor, tmp_path)
    safety: list[int] = []  # SQLite's safety level at each commit of kor (1: not synced)
    event.listen(
        kor.db.engine,
        "commit",
        lambda connection: safety.append(
            connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        ),
    )
    with NodeServer(jpn, port=0) as server, sqlite3.connect(":memory:") as before:
        add_peer(kor, "JPN", server.url)
        server.worker.stop()
        provision = provide(kor, item, "JPN", package=None)
        with closing(sqlite3.connect(kor.home.database_file)) as live:
            live.backup(before)
        safety.clear()
        assert deliver_due(kor).delivered == [provision.provision_id]
        assert safety.count(1) == 1  # the delivered mark, relaxed
        first = _receipts(kor)
        with closing(sqlite3.connect(kor.home.database_file)) as live:
            before.backup(live)  # the power loss
        assert [row.id for row in outbox_entries(kor)] == [provision.provision_id]
        assert deliver_due(kor).delivered == [provision.provision_id]
    assert _receipts(kor) == first
    assert first[0] is not None
    assert [h.item_id for h in inbox(jpn)] == [item]


def test_a_refusal_by_the_receiver_is_final_and_audited(
    tmp_path: Path, pair: tuple[Node, Node, Clock]
) -> None:
    """JPN accepted KOR's proposal to end GSOMIA, but its acceptance has not reached KOR: KOR
    still provides, JPN refuses (422)."""
    kor, jpn, _ = pair
    item = _item(kor, tmp_path)
    proposal = give_note(kor, GSOMIA, "termination")
    write_document(tmp_path / "proposal.json", proposal)
    receive_note(jpn, tmp_path / "proposal.json")
    accept_note(jpn, GSOMIA, proposal["body"]["event"]["id"])
    with NodeServer(jpn, port=0) as server:
        add_peer(kor, "JPN", server.url)
        server.worker.stop()
        provision = provide(kor, item, "JPN", package=None)
        report = deliver_due(kor)
        later = deliver_due(kor, now=datetime(2100, 1, 1, tzinfo=UTC))
    assert report.refused == [provision.provision_id]
    assert later.refused == later.delivered == later.retrying == []
    [row] = [r for r in outbox_entries(kor, pending_only=False) if r.kind == "item"]
    assert row.state == "refused"
    assert "refused by JPN" in (row.last_error or "")
    assert inbox(jpn) == []


def test_a_peer_that_is_down_is_retried_later_with_backoff(
    tmp_path: Path, pair: tuple[Node, Node, Clock]
) -> None:
    kor, _, _ = pair
    item = _item(kor, tmp_path)
    add_peer(kor, "JPN", "http://127.0.0.1:9")  # nothing listens on the discard port
    provide(kor, item, "JPN", package=None)
    now = datetime.now(UTC)
    report = deliver_due(kor, now=now)
    assert len(report.retrying) == 1
    [row] = outbox_entries(kor)
    assert row.attempts == 1
    assert row.last_error
    assert deliver_due(kor, now=now).retrying == []  # due again only after its backoff
    assert all(0 <= backoff(n) <= BACKOFF_CAP for n in range(100))


def test_an_approval_and_its_revocation_are_queued_for_the_holder(
    tmp_path: Path, pair: tuple[Node, Node, Clock]
) -> None:
    """Both carry the same instant (a fixed clock): the revocation still comes second."""
    kor, jpn, _ = pair
    item = _item(kor, tmp_path)
    approval = grant_consent(kor, item, release_to="USA", for_holder="JPN")
    revoke_consent(kor, approval["body"]["approval_id"])
    queued = [(row.kind, row.recipient) for row in outbox_entries(kor)]
    assert sorted(queued) == [("approval", "JPN"), ("revocation", "JPN")]
    with NodeServer(jpn, port=0) as server:
        add_peer(kor, "JPN", server.url)
        server.worker.stop()
        deliver_due(kor)
        deliver_due(kor)
    assert outbox_entries(kor) == []
    with jpn.db.atomic() as tx:
        [filed] = tx.execute(select(approvals)).all()
    assert filed.revoked_at is not None

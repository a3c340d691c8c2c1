"""Attacks on what peers say they speak (``GET /federation/v1/info``).

A sender sends a peer only the message kinds the peer announced in an info answer signed by
its pinned key, for the question just asked (a nonce). A kind the peer does not announce is
held pending with its reason, retried, and delivered once the peer announces it; a forged,
replayed or hostile info answer leaves the peer's info unknown (pending, retried) and is
never trusted, never a crash. The peer at JPN's URL is a real server on loopback: JPN's own
node, or an impostor answering what the attack needs.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pactshare import seal
from pactshare.federation import inbound, witness
from pactshare.federation.delivery import PATH, deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.signatures import COVERED
from pactshare.federation.storage import OutboxEntry, outbox_entries
from pactshare.federation.versions import (
    INFO,
    INFO_PATH,
    PeerInfo,
    own_info,
    signature_profile,
)
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.service import Node
from pactshare.server.runner import AppServer, NodeServer
from pactshare.store.schema import cosignatures, inbound_messages, peer_info
from tests.support import Clock, at, pinned_nodes, run_cli

LATER = datetime(2100, 1, 1, tzinfo=UTC)  # past the first backoffs: pending messages are due


@dataclass
class Nodes:
    kor: Node
    jpn: Node
    usa: Node
    root: Path


def _nodes(root: Path, kor_database: str | None) -> Iterator[Nodes]:
    clock = Clock(at("2019-08-01T10:00:00+09:00"))
    made = pinned_nodes(root, clock, databases={"KOR": kor_database} if kor_database else None)
    yield Nodes(made["KOR"], made["JPN"], made["USA"], root)
    for node in made.values():
        node.close()


@pytest.fixture
def nodes(tmp_path: Path, database_url: str) -> Iterator[Nodes]:
    """KOR (the sender, on each backend), JPN and USA, pinning each other's keys."""
    yield from _nodes(tmp_path, database_url)


@pytest.fixture
def sqlite_nodes(tmp_path: Path) -> Iterator[Nodes]:
    """The same on SQLite only: for attacks on parsing, where no storage is involved."""
    yield from _nodes(tmp_path, None)


def _tree_head_row(kor: Node) -> OutboxEntry:
    [row] = [r for r in outbox_entries(kor, pending_only=False) if r.kind == witness.TREE_HEAD]
    return row


def _received(jpn: Node) -> list[str]:
    with jpn.db.atomic() as tx:
        return list(tx.execute(select(inbound_messages.c.kind)).scalars())


def _cached(kor: Node) -> list[str]:
    with kor.db.atomic() as tx:
        return list(tx.execute(select(peer_info.c.party)).scalars())


def test_info_is_signed_by_the_node_and_answers_the_askers_nonce(nodes: Nodes) -> None:
    with NodeServer(nodes.jpn) as server, httpx.Client(base_url=server.url) as http:
        nonce = secrets.token_urlsafe(24)
        answer = http.get(INFO_PATH, params={"nonce": nonce})
        bad = http.get(INFO_PATH, params={"nonce": "short\r\nx"})
    signer, body = verify_document(answer.json(), nodes.kor.directory, kind=INFO, where="info")
    assert (signer, body["party"], body["nonce"]) == ("JPN", "JPN", nonce)
    assert body["message_kinds"] == sorted({inbound.ITEM, inbound.BATCH, *inbound.HANDLERS})
    assert body["envelope_versions"] == [seal.VERSION]
    assert body["protocol_version"] == 1
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_a_kind_the_peer_does_not_announce_stays_pending_then_goes_once_announced(
    nodes: Nodes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JPN runs a build without witnessing's ``tree-head`` handler: KOR holds its head
    (pending, with the reason, retried), never refuses it, and sends it once JPN has it."""
    kor, jpn = nodes.kor, nodes.jpn
    handler = inbound.HANDLERS[witness.TREE_HEAD]
    monkeypatch.delitem(inbound.HANDLERS, witness.TREE_HEAD)  # JPN's older build
    with NodeServer(jpn) as server:
        server.worker.stop()
        add_peer(kor, "JPN", server.url)
        witness.queue_round(kor)
        first = deliver_due(kor)
        again = deliver_due(kor, now=LATER)
        held = _tree_head_row(kor)
        shown = run_cli("outbox", "--home", str(kor.home.root))
        assert _received(jpn) == []  # nothing was sent that JPN could not take

        monkeypatch.setitem(inbound.HANDLERS, witness.TREE_HEAD, handler)  # JPN upgraded
        last = deliver_due(kor, now=LATER + timedelta(hours=1))
        after = deliver_due(kor, now=LATER + timedelta(hours=2))
    reason = "peer JPN does not support kind tree-head"
    assert held.id in first.retrying
    assert held.id in again.retrying
    assert (held.state, held.attempts, held.last_error) == ("pending", 2, reason)
    assert shown.returncode == 0
    assert reason in shown.stdout
    assert held.id in last.delivered
    assert after.delivered == []
    assert _tree_head_row(kor).state == "delivered"
    assert _received(jpn) == [witness.TREE_HEAD]  # once
    with kor.db.atomic() as tx:
        assert tx.execute(select(cosignatures.c.witness)).scalars().all() == ["JPN"]


@dataclass
class Impostor:
    """What answers at JPN's URL: ``info(nonce)`` gives the status and body of each info
    answer; every message posted to it is counted (and answered 500)."""

    info: Callable[[str], tuple[int, bytes]]
    posts: list[bytes] = field(default_factory=list)

    def app(self) -> Starlette:
        async def info(request: Request) -> Response:
            status, body = self.info(request.query_params.get("nonce", ""))
            return Response(body, status, media_type="application/json")

        async def messages(request: Request) -> Response:
            self.posts.append(await request.body())
            return Response(b"{}", 500, media_type="application/json")

        return Starlette(routes=[Route(INFO_PATH, info), Route(PATH, messages, methods=["POST"])])


def _attack(nodes: Nodes, info: Callable[[str], tuple[int, bytes]]) -> tuple[Impostor, OutboxEntry]:
    """KOR queues its head for JPN and delivers twice, an impostor answering at JPN's URL."""
    impostor = Impostor(info)
    with AppServer(impostor.app()) as server:
        add_peer(nodes.kor, "JPN", server.url)
        witness.queue_round(nodes.kor)
        deliver_due(nodes.kor)
        deliver_due(nodes.kor, now=LATER)
    return impostor, _tree_head_row(nodes.kor)


def _info_body(nonce: str, **changes: Any) -> dict[str, Any]:
    """A node-info body for JPN that announces every kind, with ``changes``."""
    body = {
        "party": "JPN",
        "protocol_version": 1,
        "message_kinds": sorted({inbound.ITEM, inbound.BATCH, *inbound.HANDLERS}),
        "envelope_versions": [seal.VERSION],
        "signature_profile": signature_profile(),
        "software": "pactshare",
        "issued_at": datetime.now(UTC).isoformat(),
        "nonce": nonce,
    }
    return {**body, **changes}


def _signed(keys: seal.PartyKeys, **changes: Any) -> Callable[[str], tuple[int, bytes]]:
    """Answer each question with an info document signed by ``keys``."""

    def answer(nonce: str) -> tuple[int, bytes]:
        document = sign_document(INFO, _info_body(nonce, **changes), keys)
        return 200, json.dumps(document).encode()

    return answer


def _forgery(name: str, nodes: Nodes) -> Callable[[str], tuple[int, bytes]]:
    if name == "signed by USA, the pinned key of another party":
        return _signed(nodes.usa.keys)
    if name == "signed by a key claiming JPN that nobody pinned":
        fake = seal.init_keys(nodes.root / "fake-jpn", "JPN", at=nodes.kor.now())
        return _signed(fake)
    if name == "JPN's genuine answer to an older question (replayed)":
        old = own_info(nodes.jpn, nonce="an-older-question-0123", now=datetime.now(UTC))
        return lambda _nonce: (200, json.dumps(old).encode())
    if name == "JPN's genuine answer with its body altered":

        def altered(nonce: str) -> tuple[int, bytes]:
            document = own_info(nodes.jpn, nonce=nonce, now=datetime.now(UTC))
            document["body"]["message_kinds"].append("anything")
            return 200, json.dumps(document).encode()

        return altered
    assert name == "unsigned"
    return lambda nonce: (200, json.dumps({"kind": INFO, "body": _info_body(nonce)}).encode())


FORGERIES = [
    "signed by USA, the pinned key of another party",
    "signed by a key claiming JPN that nobody pinned",
    "JPN's genuine answer to an older question (replayed)",
    "JPN's genuine answer with its body altered",
    "unsigned",
]


def _unknown(impostor: Impostor, row: OutboxEntry, kor: Node) -> None:
    """The peer's info stayed unknown: nothing sent, nothing kept, the message pending."""
    assert impostor.posts == []
    assert _cached(kor) == []
    assert (row.state, row.attempts) == ("pending", 2)
    assert (row.last_error or "").startswith("peer JPN's info is unknown ("), row.last_error


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_info_answer_is_not_trusted(sqlite_nodes: Nodes, forgery: str) -> None:
    impostor, row = _attack(sqlite_nodes, _forgery(forgery, sqlite_nodes))
    _unknown(impostor, row, sqlite_nodes.kor)


def test_the_impostor_harness_sees_a_trusted_answer(nodes: Nodes) -> None:
    """The control: answered with JPN's key, KOR believes it and sends (the impostor then
    answers 500, so the message stays pending): the attacks above could have succeeded."""
    impostor, row = _attack(nodes, _signed(nodes.jpn.keys))
    assert len(impostor.posts) == 2
    assert row.state == "pending"
    assert (row.last_error or "").startswith("JPN answered 500")


def _raw(status: int, body: bytes) -> Callable[[str], tuple[int, bytes]]:
    return lambda _nonce: (status, body)


HOSTILE: dict[str, Callable[[Nodes], Callable[[str], tuple[int, bytes]]]] = {
    "not JSON": lambda _: _raw(200, b"<html>hello</html>"),
    "JSON nested 200,000 deep": lambda _: _raw(200, b"[" * 200_000),
    "a megabyte": lambda _: _raw(200, b'{"kind": "node-info", "x": "' + b"x" * (1 << 20) + b'"}'),
    "a JSON list": lambda _: _raw(200, b"[1, 2, 3]"),
    "a lone surrogate": lambda _: _raw(
        200,
        b'{"kind": "node-info", "body": {"party": "\\ud800"}, "signer_key_id": "k", '
        b'"signature": "AA=="}',
    ),
    "NaN and a 5,000-digit integer": lambda _: _raw(
        200, b'{"kind": "node-info", "body": {"a": NaN, "b": 1' + b"0" * 5000 + b"}}"
    ),
    "a 500": lambda _: _raw(500, b'{"detail": "boom"}'),
    "a redirect": lambda _: _raw(302, b""),
    "signed by JPN: kinds as one text": lambda n: _signed(n.jpn.keys, message_kinds="item"),
    "signed by JPN: 10,000 kinds": lambda n: _signed(
        n.jpn.keys, message_kinds=[f"k{i}" for i in range(10_000)]
    ),
    "signed by JPN: a 1,000-character kind": lambda n: _signed(
        n.jpn.keys, message_kinds=["x" * 1000]
    ),
    "signed by JPN: protocol version true": lambda n: _signed(n.jpn.keys, protocol_version=True),
    "signed by JPN: protocol version 2^40": lambda n: _signed(n.jpn.keys, protocol_version=2**40),
    "signed by JPN: envelope versions as text": lambda n: _signed(
        n.jpn.keys, envelope_versions=["1"]
    ),
    "signed by JPN: no signature profile": lambda n: _signed(n.jpn.keys, signature_profile=None),
    "signed by JPN: a body naming USA": lambda n: _signed(n.jpn.keys, party="USA"),
}


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_a_hostile_info_answer_never_crashes_delivery(sqlite_nodes: Nodes, hostile: str) -> None:
    impostor, row = _attack(sqlite_nodes, HOSTILE[hostile](sqlite_nodes))
    _unknown(impostor, row, sqlite_nodes.kor)


UNSPOKEN: dict[str, tuple[dict[str, Any], str]] = {
    "another protocol version": (
        {"protocol_version": 2},
        "peer JPN speaks federation protocol version 2, this node speaks 1",
    ),
    "no tree-head among its kinds": (
        {"message_kinds": [inbound.ITEM]},
        "peer JPN does not support kind tree-head",
    ),
    "another signature profile": (
        {"signature_profile": {**signature_profile(), "covered": ["@method", "@path"]}},
        "peer JPN verifies another request-signature profile than ours",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSPOKEN))
def test_what_the_peer_signs_it_does_not_speak_is_held_with_the_reason(
    sqlite_nodes: Nodes, case: str
) -> None:
    changes, reason = UNSPOKEN[case]
    impostor, row = _attack(sqlite_nodes, _signed(sqlite_nodes.jpn.keys, **changes))
    assert impostor.posts == []
    assert (row.state, row.attempts, row.last_error) == ("pending", 2, reason)


def test_an_item_waits_for_a_peer_that_reads_its_envelope_version() -> None:
    info = PeerInfo("JPN", 1, frozenset({inbound.ITEM}), frozenset({seal.VERSION + 1}),
                    "ed25519", COVERED)  # fmt: skip
    assert info.refuses(inbound.ITEM) == f"peer JPN does not read envelope version {seal.VERSION}"
    assert replace(info, envelope_versions=frozenset({seal.VERSION})).refuses(inbound.ITEM) is None

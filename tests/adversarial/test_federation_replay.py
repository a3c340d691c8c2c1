"""Replaying a federation request to another node: KOR's signed request to JPN, sent again
to USA within the freshness window, is refused by USA (the signature binds the recipient's
party code in ``pactshare-recipient``), and rewriting that header breaks the signature."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from pactshare.federation.delivery import PATH
from pactshare.federation.signatures import RECIPIENT
from pactshare.federation.witness import tree_head_message
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries, federation_nonces, inbound_messages
from tests.e2e.federation_support import signed_headers
from tests.support import Clock, at, pinned_nodes


@pytest.fixture
def nodes(tmp_path: Path, database_url: str) -> Iterator[tuple[dict[str, Node], str, str]]:
    """KOR, JPN and USA pinning each other; JPN and USA served on loopback; USA, the node a
    replay is aimed at, on each backend."""
    clock = Clock(at("2019-11-22T23:00:00+09:00"))
    made = pinned_nodes(tmp_path, clock, databases={"USA": database_url})
    try:
        with NodeServer(made["JPN"]) as jpn, NodeServer(made["USA"]) as usa:
            yield made, jpn.url, usa.url
    finally:
        for node in made.values():
            node.close()


def _traces(node: Node) -> tuple[int, int, int]:
    """What a request leaves on a node: nonces, applied messages, audit entries."""
    with node.db.atomic() as tx:
        return tuple(  # type: ignore[return-value] # three counts, by construction
            tx.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (federation_nonces, inbound_messages, audit_entries)
        )


def test_a_request_signed_for_jpn_and_replayed_to_usa_is_refused_without_trace(
    nodes: tuple[dict[str, Node], str, str],
) -> None:
    made, jpn_url, usa_url = nodes
    body = json.dumps(tree_head_message(made["KOR"], "JPN")).encode()
    headers = signed_headers(made["KOR"].keys, body, message_id=uuid.uuid4().hex)
    before = _traces(made["USA"])
    with httpx.Client(timeout=10) as client:
        replayed = client.post(usa_url + PATH, content=body, headers=headers)
        delivered = client.post(jpn_url + PATH, content=body, headers=headers)

    assert delivered.status_code == 200, delivered.text  # JPN, the recipient, cosigns
    assert replayed.status_code == 401, replayed.text
    assert replayed.headers["content-type"] == "application/problem+json"
    assert "signed for another node, not for USA" in replayed.json()["detail"]
    assert _traces(made["USA"]) == before


def test_a_recipient_header_rewritten_after_signing_breaks_the_signature(
    nodes: tuple[dict[str, Node], str, str],
) -> None:
    made, _, usa_url = nodes
    body = json.dumps(tree_head_message(made["KOR"], "JPN")).encode()
    headers = signed_headers(made["KOR"].keys, body, message_id=uuid.uuid4().hex)
    rewritten = {**headers, RECIPIENT: "USA"}
    answer = httpx.post(usa_url + PATH, content=body, headers=rewritten, timeout=10)

    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"] == "the request signature does not verify"


def test_a_request_signed_for_usa_passes_usas_authentication(
    nodes: tuple[dict[str, Node], str, str],
) -> None:
    """The control: the same message signed for USA is authenticated by USA (and then judged
    on its content: a head meant for JPN's witnessing is malformed for USA)."""
    made, _, usa_url = nodes
    body = json.dumps(tree_head_message(made["KOR"], "JPN")).encode()
    headers = signed_headers(made["KOR"].keys, body, message_id=uuid.uuid4().hex, recipient="USA")
    answer = httpx.post(usa_url + PATH, content=body, headers=headers, timeout=10)

    assert answer.status_code == 400, answer.text
    assert "not KOR's head sent to USA" in answer.json()["detail"]

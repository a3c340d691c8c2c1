"""Hostile batches (``application/vnd.pactshare.batch+json``) signed by a pinned peer.

What makes the whole batch unusable — not a batch, empty, too many members, too many bytes,
one message id twice — is refused precisely and applies nothing. What is wrong with one
member — a nested batch, another recipient, another sender, a body that is not base64, a
tampered package — refuses that member only, with the status and detail it would get if
sent alone; the others are applied, each once, with its own receipt.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pactshare import seal
from pactshare.federation import batch
from pactshare.federation.delivery import PATH
from pactshare.federation.inbound import BATCH_MEDIA, ZIP
from pactshare.node.holdings import inbox
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries, inbound_messages, receipts
from tests.e2e.federation_support import signed_headers
from tests.support import Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""


class Peers:
    """KOR (sender) and USA pinned at JPN, which is served on loopback; three packages KOR
    made for JPN."""

    def __init__(self, nodes: dict[str, Node], url: str, packages: list[tuple[str, bytes]]) -> None:
        self.kor, self.jpn, self.usa = nodes["KOR"], nodes["JPN"], nodes["USA"]
        self.url = url
        self.packages = packages  # (package id, ZIP bytes)

    def post(self, body: bytes, *, keys: seal.PartyKeys | None = None) -> httpx.Response:
        headers = signed_headers(
            keys or self.kor.keys, body, message_id=uuid.uuid4().hex, content_type=BATCH_MEDIA
        )
        return httpx.post(self.url + PATH, content=body, headers=headers, timeout=30)


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Peers]:
    clock = Clock(at("2019-08-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock)
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    packages = []
    for n in range(3):
        (tmp_path / f"item-{n}.txt").write_text(f"telemetry {n}", encoding="utf-8")
        item = register(nodes["KOR"], tmp_path / f"item-{n}.txt", tmp_path / "label.toml")
        path = tmp_path / f"package-{n}.zip"
        packages.append((provide(nodes["KOR"], item, "JPN", package=path).provision_id, path))
    try:
        with NodeServer(nodes["JPN"]) as server:
            server.worker.stop()
            yield Peers(nodes, server.url, [(ident, path.read_bytes()) for ident, path in packages])
    finally:
        for node in nodes.values():
            node.close()


def _member(ident: str, data: bytes, **changes: Any) -> dict[str, Any]:
    member = {
        "message_id": ident,
        "from": "KOR",
        "to": "JPN",
        "content_type": ZIP,
        "body": base64.b64encode(data).decode(),
    }
    return {**member, **changes}


def _body(*members: object) -> bytes:
    return json.dumps({"messages": list(members)}).encode()


def _traces(node: Node) -> tuple[int, int, int]:
    """What applying messages leaves: applied documents, items' receipts, audit entries."""
    with node.db.atomic() as tx:
        return tuple(  # type: ignore[return-value] # three counts, by construction
            tx.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (inbound_messages, receipts, audit_entries)
        )


def test_a_bad_member_poisons_none_and_each_is_answered_as_if_alone(peers: Peers) -> None:
    (first, zip1), (second, zip2), (third, zip3) = peers.packages
    tampered = bytearray(zip3)
    tampered[len(tampered) // 2] ^= 0xFF
    members = [
        _member(first, zip1),
        _member("nested", _body(_member(third, zip3)), content_type=BATCH_MEDIA),
        _member("for-usa", zip3, to="USA"),
        _member("from-usa", zip3, **{"from": "USA"}),
        _member("garbled", b"", body="not base64!"),
        _member(third, bytes(tampered)),
        "not an object",
        _member(second, zip2),
    ]
    answer = peers.post(_body(*members))
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [200, 400, 400, 400, 400, 400, 400, 200]
    assert [r["message_id"] for r in results] == [
        first, "nested", "for-usa", "from-usa", "garbled", third, None, second
    ]  # fmt: skip
    details = [r["problem"]["detail"] for r in results[1:-1]]
    assert "messages[1]: a batch cannot carry a batch" in details[0]
    assert "messages[2]: for 'USA', not for JPN" in details[1]
    assert "messages[3]: from 'USA', in a batch sent by KOR" in details[2]
    assert "messages[4]: the body is not base64" in details[3]
    assert f"message {third}" in details[4]  # what the package check says of it alone
    assert "messages[6]: a member is an object of exactly" in details[5]
    for result, ident in ((results[0], first), (results[-1], second)):
        assert result["answer"]["receipt"]["body"]["package_id"] == ident
    assert len(inbox(peers.jpn)) == 2

    # The same messages again, in a new batch and alone: one effect, the same receipts.
    before = _traces(peers.jpn)
    again = peers.post(_body(_member(second, zip2), _member(first, zip1))).json()["results"]
    assert [r["answer"] for r in again] == [results[-1]["answer"], results[0]["answer"]]
    assert _traces(peers.jpn) == before
    assert len(inbox(peers.jpn)) == 2


def test_a_member_over_the_size_of_a_member_is_refused_alone(peers: Peers) -> None:
    (first, zip1), (second, _), _ = peers.packages
    big = _member(second, b"\0" * (batch.MAX_MEMBER + 1))
    results = peers.post(_body(_member(first, zip1), big)).json()["results"]
    assert [r["status"] for r in results] == [200, 413]
    assert f"a body of more than {batch.MAX_MEMBER} bytes" in results[1]["problem"]["detail"]


WHOLE: dict[str, tuple[Any, int, str]] = {
    "not JSON": (b"\xff{", 400, "not UTF-8"),
    "a list": (b"[]", 400, "an object of one list, 'messages'"),
    "another field": (json.dumps({"messages": [], "more": 1}).encode(), 400, "one list"),
    "empty": (_body(), 400, "an empty batch"),
    "too many members": (
        _body(*[{"message_id": f"m{n}"} for n in range(batch.MAX_MESSAGES + 1)]),
        413,
        f"{batch.MAX_MESSAGES + 1} messages; a batch carries at most {batch.MAX_MESSAGES}",
    ),
    "one message id twice": (
        _body({"message_id": "a"}, {"message_id": "b"}, {"message_id": "a"}),
        400,
        "messages[2] repeats message id a of messages[0]",
    ),
    "too many bytes": (b" " * (batch.MAX_BYTES + 1), 413, "at most"),
}


@pytest.mark.parametrize("case", sorted(WHOLE))
def test_a_batch_unusable_as_a_whole_is_refused_precisely_and_applies_nothing(
    peers: Peers, case: str
) -> None:
    body, status, detail = WHOLE[case]
    first, zip1 = peers.packages[0]
    if case == "one message id twice":  # a good member first: it must not be applied either
        body = _body(_member("a", zip1), _member(first, zip1), {"message_id": "a"})
    before = _traces(peers.jpn)
    answer = peers.post(body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert detail in answer.json()["detail"]
    assert _traces(peers.jpn) == before
    assert inbox(peers.jpn) == []


def test_a_batch_signed_by_another_party_carries_nothing_of_kor(peers: Peers) -> None:
    """USA signs the request and passes KOR's packages off as its own members: each member
    says it is from KOR, so each is refused (another sender), and none is applied."""
    (first, zip1), _, _ = peers.packages
    answer = peers.post(_body(_member(first, zip1)), keys=peers.usa.keys)
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    assert result["status"] == 400
    assert "from 'KOR', in a batch sent by USA" in result["problem"]["detail"]
    relabelled = peers.post(_body(_member(first, zip1, **{"from": "USA"})), keys=peers.usa.keys)
    [result] = relabelled.json()["results"]
    assert result["status"] == 400  # the package itself says KOR: as if USA sent it alone
    assert "signed by USA, but the package is from KOR" in result["problem"]["detail"]
    assert inbox(peers.jpn) == []

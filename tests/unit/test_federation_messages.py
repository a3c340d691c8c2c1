"""Witnessing's typed message bodies: the JSON they give is the one peers sign and expect, and
reading a peer's body refuses every malformed field with our error, naming it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pactshare import audit
from pactshare.errors import InvalidTreeHeadError, PackageError
from pactshare.federation.messages import (
    CosignatureMessage,
    CosignedHeadAnswer,
    CosignedHeadQuery,
    TreeHeadMessage,
    WitnessedHeadsMessage,
    WitnessProof,
)

WHERE = "tree head from KOR"


def _head(size: int = 7) -> audit.SignedTreeHead:
    key = Ed25519PrivateKey.generate()
    head = audit.TreeHead(size, bytes(range(32)), datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    signed = audit.sign_head(head, key, "ed25519:kor")
    witness = Ed25519PrivateKey.generate()
    return audit.cosign(signed, witness, "ed25519:usa", log_key=key.public_key())


def test_a_head_as_an_object_is_its_canonical_json_parsed_in_the_same_key_order() -> None:
    head = _head()
    assert json.dumps(head.to_dict()) == json.dumps(json.loads(head.to_json()))
    assert audit.SignedTreeHead.from_dict(head.to_dict()) == head


def test_a_tree_head_message_gives_the_body_peers_sign_byte_for_byte() -> None:
    head, hashes = _head(), (b"\x01" * 32, b"\x02" * 32)
    message = TreeHeadMessage("KOR", "USA", head, WitnessProof(4, hashes))
    legacy = {
        "log": "KOR",
        "witness": "USA",
        "head": json.loads(head.to_json()),
        "proof": {"from_size": 4, "hashes": [h.hex() for h in hashes]},
    }
    assert json.dumps(message.to_dict()) == json.dumps(legacy)
    assert TreeHeadMessage.from_dict(message.to_dict(), WHERE) == message
    first = TreeHeadMessage("KOR", "USA", head, None)
    assert first.to_dict()["proof"] is None
    assert TreeHeadMessage.from_dict(first.to_dict(), WHERE) == first


def test_every_other_body_reads_back_as_it_was_written() -> None:
    head = _head()
    cosignature = CosignatureMessage("KOR", "USA", head)
    assert CosignatureMessage.from_dict(cosignature.to_dict(), WHERE) == cosignature
    gossip = WitnessedHeadsMessage("USA", "JPN", (head, _head(9)))
    assert WitnessedHeadsMessage.from_dict(gossip.to_dict(), WHERE) == gossip
    query = CosignedHeadQuery("KOR", "ab" * 32)
    assert CosignedHeadQuery.from_dict(query.to_dict(), WHERE) == query
    for answered in (head, None):
        answer = CosignedHeadAnswer("USA", "KOR", "KOR", "ab" * 32, answered)
        assert CosignedHeadAnswer.from_dict(answer.to_dict(), WHERE) == answer


def _tree_head_body(**change: Any) -> dict[str, Any]:
    body = TreeHeadMessage("KOR", "USA", _head(), WitnessProof(4, (b"\x01" * 32,))).to_dict()
    return {**body, **change}


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"log": 7}, PackageError, "'log' must be a string"),
        ({"head": "a head"}, InvalidTreeHeadError, "the head must be a JSON object"),
        ({"head": {"size": 1}}, InvalidTreeHeadError, f"{WHERE}: signed tree head: missing"),
        ({"proof": []}, PackageError, "'proof' must be null or an object"),
        ({"proof": {"from_size": True, "hashes": []}}, PackageError, "'proof.from_size'"),
        ({"proof": {"from_size": -1, "hashes": []}}, PackageError, "'proof.from_size'"),
        ({"proof": {"from_size": 1, "hashes": ["AB" * 32]}}, PackageError, "'proof.hashes'"),
        ({"proof": {"from_size": 1, "hashes": ["ab"]}}, PackageError, "'proof.hashes'"),
    ],
)
def test_a_malformed_tree_head_body_is_refused_naming_the_field(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        TreeHeadMessage.from_dict(_tree_head_body(**change), WHERE)


def test_a_malformed_head_in_a_gossiped_list_is_named_by_its_position() -> None:
    heads = [_head().to_dict(), {"size": 2}]
    with pytest.raises(InvalidTreeHeadError, match=r"heads\[1\]"):
        WitnessedHeadsMessage.from_dict({"witness": "USA", "to": "JPN", "heads": heads}, WHERE)
    with pytest.raises(PackageError, match="'heads' must be a list"):
        WitnessedHeadsMessage.from_dict({"witness": "USA", "to": "JPN", "heads": {}}, WHERE)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (["KOR"], "an object of log and challenge"),
        ({"log": "KOR", "challenge": "ab" * 32, "more": 1}, "an object of log and challenge"),
        ({"log": "kor", "challenge": "ab" * 32}, "'log' must be a party code"),
        ({"log": "KOR", "challenge": "AB" * 32}, "'challenge' must be 64 lower-case hex"),
    ],
)
def test_a_malformed_query_is_refused_naming_the_field(query: object, message: str) -> None:
    with pytest.raises(PackageError, match=message):
        CosignedHeadQuery.from_dict(query, WHERE)


def test_an_answer_whose_head_is_neither_a_head_nor_null_is_refused() -> None:
    answer = CosignedHeadAnswer("USA", "KOR", "KOR", "ab" * 32, None).to_dict()
    with pytest.raises(PackageError, match="'head' must be a head or null"):
        CosignedHeadAnswer.from_dict({**answer, "head": [1]}, WHERE)

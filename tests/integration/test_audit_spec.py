"""docs/audit.md is enough to verify a node's log: an independent verifier, written from the
document with hashlib, cryptography's Ed25519 and rfc8785 only (none of pactshare.audit),
checks the document's example, and a real node's entries, leaves and roots, signed heads,
inclusion and consistency proofs and a witness's cosignature, taken from its CLI and API."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from calendar import timegm
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare.federation.witness import record_cosignature, tree_head_message, witness_head
from pactshare.node import NodeHome
from pactshare.node.items import register
from pactshare.node.service import Node
from tests.http_support import LABEL_TOML, LiveNode
from tests.support import run_cli

DOC = Path(__file__).parents[2] / "docs" / "audit.md"

# --- the verifier, from docs/audit.md alone -------------------------------------------------

ENTRY_TAG = b"pactshare/audit-entry/v1\x00"
HEAD_TAG = b"pactshare/tree-head/v1\x00"
COSIGNATURE_TAG = b"pactshare/tree-head-cosignature/v1\x00"
RECORD_TAG = b"pactshare/public-key-record/v1\x00"
KINDS = {"access", "consent", "decision", "delivery", "event", "incident", "key", "notice",
         "provision", "receipt", "refusal", "registration"}  # fmt: skip
HEAD_MEMBERS = {"cosignatures", "key_id", "root", "signature", "size", "timestamp"}
AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def entry_bytes(entry: dict[str, Any]) -> bytes:
    assert set(entry) == {"actor", "at", "details", "kind", "subject"}
    assert entry["kind"] in KINDS
    assert AT.fullmatch(entry["at"])
    assert entry["actor"]
    assert entry["subject"]
    assert isinstance(entry["details"], dict)
    return ENTRY_TAG + rfc8785.dumps(entry)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of 2 below n
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def b64url(text: str) -> bytes:
    assert "=" not in text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_keys(record_file: Path) -> dict[str, Ed25519PublicKey]:
    """The signing keys of a public key record, by key id, once its own signature verifies."""
    document = json.loads(record_file.read_bytes())
    keys = {
        key["signing_key_id"]: Ed25519PublicKey.from_public_bytes(b64url(key["signing_key"]))
        for key in document["record"]["keys"]
    }
    signed = RECORD_TAG + rfc8785.dumps(document["record"])
    keys[document["signed_by"]].verify(b64url(document["signature"]), signed)
    return keys


def head_fields(head: dict[str, Any]) -> bytes:
    """u64(size) || root || u64(timestamp_ms), from a signed head's JSON."""
    assert set(head) == HEAD_MEMBERS
    assert TIMESTAMP.fullmatch(head["timestamp"])
    instant = datetime.strptime(head["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    millis = timegm(instant.timetuple()) * 1000 + instant.microsecond // 1000
    root = bytes.fromhex(head["root"])
    assert len(root) == 32
    assert head["root"] == root.hex()
    return struct.pack(">Q", head["size"]) + root + struct.pack(">Q", millis)


def verify_head(head: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> None:
    keys[head["key_id"]].verify(bytes.fromhex(head["signature"]), HEAD_TAG + head_fields(head))


def verify_cosignature(head: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> None:
    [cosignature] = [c for c in head["cosignatures"] if c["key_id"] in keys]
    keys[cosignature["key_id"]].verify(
        bytes.fromhex(cosignature["signature"]), COSIGNATURE_TAG + head_fields(head)
    )


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def hashes(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# --- the tests ------------------------------------------------------------------------------


def test_the_documents_example_entry_has_the_documented_leaf_hash() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"Example \(a node's first entry.*?```json\n(.*?)\n```", text, re.S)
    stated = re.search(r"Its leaf hash \(next section\) is\n`([0-9a-f]{64})`", text)
    assert example is not None
    assert stated is not None
    entry = json.loads(example.group(1))
    assert rfc8785.dumps(entry) == example.group(1).encode()  # shown in canonical form
    assert leaf_hash(entry_bytes(entry)).hex() == stated.group(1)


def _grow(node: Node, tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.txt").write_text(name, encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL_TOML, encoding="utf-8")
    register(node, tmp_path / f"{name}.txt", tmp_path / "label.toml")


def test_a_real_nodes_log_verifies_from_the_document_alone(live: LiveNode, tmp_path: Path) -> None:
    kor = signing_keys(live.node.home.public_key)
    home = str(live.node.home.root)
    _grow(live.node, tmp_path, "first")
    with live.client("auditor") as http:
        old = http.post("/api/v1/audit/heads").json()
        for name in ("second", "third", "fourth"):
            _grow(live.node, tmp_path, name)
        new = http.post("/api/v1/audit/heads").json()
        proofs = [http.get(f"/api/v1/audit/proofs/{i}").json() for i in range(new["size"])]
        by_api = http.get(
            "/api/v1/audit/consistency", params={"from": old["size"], "to": new["size"]}
        ).json()
    by_cli = run_cli("audit", "consistency", str(old["size"]), "--home", home, "--json")
    assert by_cli.returncode == 0, by_cli.stderr
    consistency = json.loads(by_cli.stdout)

    verify_head(old, kor)
    verify_head(new, kor)
    assert 1 <= old["size"] < new["size"]
    leaves = []
    for index, proof in enumerate(proofs):
        leaf = leaf_hash(entry_bytes(proof["entry"]))
        assert leaf.hex() == proof["leaf_hash"]
        assert proof["head"] == new
        root = bytes.fromhex(new["root"])
        assert verify_inclusion(leaf, index, new["size"], hashes(proof["proof"]), root)
        leaves.append(leaf)
    assert mth(leaves).hex() == new["root"]
    assert mth(leaves[: old["size"]]).hex() == old["root"]
    assert consistency == by_api
    assert (consistency["old_head"], consistency["new_head"]) == (old, new)
    old_root, new_root = bytes.fromhex(old["root"]), bytes.fromhex(new["root"])
    path = hashes(consistency["proof"])
    assert verify_consistency(old["size"], new["size"], old_root, new_root, path)

    # The verifier is not a rubber stamp: it fails on what an attacker would change.
    flipped = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
    assert not verify_consistency(old["size"], new["size"], old_root, new_root, flipped)
    assert not verify_consistency(old["size"], new["size"], new_root, new_root, path)
    first = proofs[1]
    changed = leaf_hash(entry_bytes({**first["entry"], "actor": "JPN"}))
    assert not verify_inclusion(changed, 1, new["size"], hashes(first["proof"]), new_root)
    with pytest.raises(InvalidSignature):
        verify_head({**new, "size": new["size"] - 1}, kor)


def test_a_witness_cosignature_verifies_from_the_document(live: LiveNode, tmp_path: Path) -> None:
    jpn = Node(NodeHome(tmp_path / "jpn"), clock=live.node.now)  # made by live_kor; pins KOR:
    (jpn.home.directory / "KOR.json").write_bytes(live.node.home.public_key.read_bytes())
    try:
        cosigned = witness_head(jpn, "KOR", tree_head_message(live.node, "JPN"))
        record_cosignature(live.node, "JPN", cosigned)
    finally:
        jpn.close()
    listed = run_cli("audit", "cosignatures", "--home", str(live.node.home.root), "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    head = row["head"]
    assert (row["witness"], row["size"], row["root"]) == ("JPN", head["size"], head["root"])
    verify_head(head, signing_keys(live.node.home.public_key))
    witness_keys = signing_keys(jpn.home.public_key)
    verify_cosignature(head, witness_keys)
    [cosignature] = head["cosignatures"]
    as_log = {**head, "key_id": cosignature["key_id"], "signature": cosignature["signature"]}
    with pytest.raises(InvalidSignature):  # a cosignature cannot pass for a log's signature
        verify_head(as_log, witness_keys)

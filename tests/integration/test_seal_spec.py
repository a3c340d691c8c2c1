"""docs/envelope.md is enough to read an envelope: an independent reader, written from the
document with primitives only (none of pactshare.seal's parsing), opens the golden vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from pathlib import Path
from typing import Any

import rfc8785
from blake3 import blake3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.serialization import load_pem_private_key

GOLDEN = Path(__file__).parent.parent / "vectors" / "seal-v1"


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def spec_open(envelope: bytes, party: str) -> tuple[dict[str, Any], bytes]:
    """Follow 'Reading an envelope' step by step; return the label and the plaintext."""
    assert envelope[:4] == b"PSXE"
    assert struct.unpack(">H", envelope[4:6]) == (1,)
    (n,) = struct.unpack_from(">I", envelope, 6)
    header_bytes = envelope[10 : 10 + n]
    header = json.loads(header_bytes)
    assert rfc8785.dumps(header) == header_bytes
    (m,) = struct.unpack_from(">I", envelope, 10 + n)
    hops = json.loads(envelope[14 + n : 14 + n + m])
    offset = 14 + n + m
    records = [(s, header["originator_key_id"]) for s in header["recipients"]]
    records += [(s, h["body"]["hub_key_id"]) for h in hops for s in h["body"]["recipients"]]
    directory = {}
    for path in (GOLDEN / "directory").glob("*.json"):
        for key in json.loads(path.read_bytes())["record"]["keys"]:
            directory[key["signing_key_id"]] = Ed25519PublicKey.from_public_bytes(
                b64(key["signing_key"])
            )
    for hop in hops:
        signed = b"pactshare/envelope/v1/hop\x00" + rfc8785.dumps(hop["body"])
        directory[hop["body"]["hub_key_id"]].verify(b64(hop["signature"]), signed)
    index = json.loads((GOLDEN / "keys" / party / "party.json").read_text())
    mine = index["generations"][0]["encryption_key_id"]
    private = load_pem_private_key(
        (GOLDEN / "keys" / party / "encryption-1.pem").read_bytes(), password=None
    )
    assert isinstance(private, X25519PrivateKey)
    stanza, wrapper = next((s, w) for s, w in records if s["key_id"] == mine)
    canonical_label = rfc8785.dumps(header["label"])
    info = (
        b"pactshare/envelope/v1/wrap\x00"
        + struct.pack(">H", 1)
        + lp(b64(header["envelope_id"]))
        + lp(hashlib.sha256(canonical_label).digest())
        + lp(mine.encode())
        + lp(wrapper.encode())
    )
    suite = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
    data_key = suite.decrypt(b64(stanza["wrapped_key"]), private, info=info)
    commitment = hmac.new(
        data_key,
        b"pactshare/envelope/v1/key-commitment\x00" + b64(header["envelope_id"]),
        "sha256",
    ).digest()
    assert hmac.compare_digest(commitment, b64(header["key_commitment"]))
    aead = AESGCM(data_key)
    aad = b"pactshare/envelope/v1/chunk\x00" + hashlib.sha256(header_bytes).digest()
    digest = blake3()
    plaintext = b""
    for i in range(2**32):
        flag, length = struct.unpack_from(">BI", envelope, offset)
        record = envelope[offset : offset + 5 + length]
        digest.update(record)
        nonce = b64(header["nonce_prefix"]) + struct.pack(">IB", i, flag)
        plaintext += aead.decrypt(nonce, record[5:], aad)
        offset += 5 + length
        if flag == 1:
            break
    signature = envelope[offset:]
    assert len(signature) == 64
    message = (
        b"pactshare/envelope/v1/signature\x00"
        + struct.pack(">H", 1)
        + lp(canonical_label)
        + lp(digest.digest())
        + struct.pack(">I", len(header["recipients"]))
        + b"".join(lp(s["key_id"].encode()) for s in header["recipients"])
        + lp(hashlib.sha256(header_bytes).digest())
    )
    directory[header["originator_key_id"]].verify(signature, message)
    label: dict[str, Any] = header["label"]
    return label, plaintext


def test_an_independent_reader_following_the_spec_opens_the_golden_envelope() -> None:
    label, plaintext = spec_open((GOLDEN / "envelope.psx").read_bytes(), "USA")
    assert plaintext == (GOLDEN / "plaintext.txt").read_bytes()
    assert rfc8785.dumps(label) == (GOLDEN / "label.json").read_bytes()


def test_an_independent_reader_opens_the_rewrapped_golden_envelope() -> None:
    _, plaintext = spec_open((GOLDEN / "rewrapped.psx").read_bytes(), "JPN")
    assert plaintext == (GOLDEN / "plaintext.txt").read_bytes()


def test_an_independent_reader_opens_the_golden_derived_envelope() -> None:
    """A translation under a derived label: the label names the original's label by its
    digest, and the signing key is a key of the party it names as ``derived_by`` (step 4)."""
    envelope = (GOLDEN / "derived.psx").read_bytes()
    label, plaintext = spec_open(envelope, "JPN")
    assert plaintext == (GOLDEN / "derived-plaintext.txt").read_bytes()
    assert rfc8785.dumps(label) == (GOLDEN / "derived-label.json").read_bytes()
    original = (GOLDEN / "label.json").read_bytes()
    assert label["derived_from"] == "sha256:" + hashlib.sha256(original).hexdigest()
    (n,) = struct.unpack_from(">I", envelope, 6)
    signer = json.loads(envelope[10 : 10 + n])["originator_key_id"]
    owners = {
        key["signing_key_id"]: json.loads(path.read_bytes())["record"]["party"]
        for path in (GOLDEN / "directory").glob("*.json")
        for key in json.loads(path.read_bytes())["record"]["keys"]
    }
    assert owners[signer] == label["derived_by"] == "JPN"
    assert label["originator"] == "KOR"

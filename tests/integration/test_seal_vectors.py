"""Known-answer tests: the HPKE and signature layers against published vectors, and our own
format against golden envelopes committed under tests/vectors/ (a future version must still
open them)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from pactshare import seal
from pactshare.errors import EnvelopeUnverifiedError
from pactshare.seal import Directory, Label, PartyKeys, load_keys
from pactshare.seal.envelope import HPKE_SUITE

VECTORS = Path(__file__).parent.parent / "vectors"
GOLDEN = VECTORS / "seal-v1"


def _load(name: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


def _hpke_decrypt_with_aad(
    suite: Suite, data: bytes, key: X25519PrivateKey, info: bytes, aad: bytes
) -> bytes:
    # The public single-shot API fixes the AEAD's aad to empty, while every RFC 9180 vector
    # encrypts with a non-empty aad; the library's own vector tests use this hook.
    from cryptography.hazmat.bindings._rust import openssl  # noqa: PLC0415 - test-only hook

    result: bytes = openssl.hpke._decrypt_with_aad(suite, data, key, info=info, aad=aad)
    return result


@pytest.mark.parametrize(
    "vector", _load("rfc9180-x25519-sha256.json"), ids=lambda v: str(v["aead_id"])
)
def test_hpke_opens_the_rfc9180_vector(vector: dict[str, Any]) -> None:
    aead = {1: AEAD.AES_128_GCM, 2: AEAD.AES_256_GCM}[vector["aead_id"]]
    suite = Suite(KEM.X25519, KDF.HKDF_SHA256, aead)
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["skRm"]))
    assert private.public_key().public_bytes_raw().hex() == vector["pkRm"]
    first = vector["encryptions"][0]  # sequence 0: what a single-shot decryption reads
    plaintext = _hpke_decrypt_with_aad(
        suite,
        bytes.fromhex(vector["enc"] + first["ct"]),
        private,
        bytes.fromhex(vector["info"]),
        bytes.fromhex(first["aad"]),
    )
    assert plaintext.hex() == first["pt"]


def test_our_hpke_suite_is_the_vectors_suite() -> None:
    vector = _load("rfc9180-x25519-sha256.json")[0]
    assert (vector["kem_id"], vector["kdf_id"], vector["aead_id"]) == (0x20, 1, 2)
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(vector["skRm"]))
    first = vector["encryptions"][0]
    assert (
        _hpke_decrypt_with_aad(
            HPKE_SUITE,
            bytes.fromhex(vector["enc"] + first["ct"]),
            private,
            bytes.fromhex(vector["info"]),
            bytes.fromhex(first["aad"]),
        ).hex()
        == first["pt"]
    )


@pytest.mark.parametrize("vector", _load("rfc8032-ed25519.json"), ids=lambda v: v["message"][:8])
def test_ed25519_signs_the_known_answer(vector: dict[str, str]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key"]))
    assert key.public_key().public_bytes_raw().hex() == vector["public_key"]
    signature = key.sign(bytes.fromhex(vector["message"]))
    assert signature.hex() == vector["signature"]
    key.public_key().verify(signature, bytes.fromhex(vector["message"]))


def _golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


@pytest.mark.parametrize(
    ("envelope", "party"),
    [("envelope.psx", "JPN"), ("envelope.psx", "USA"), ("rewrapped.psx", "JPN")],
)
def test_golden_v1_envelope_still_opens(envelope: str, party: str) -> None:
    directory = Directory.from_folder(GOLDEN / "directory")
    keys = load_keys(GOLDEN / "keys" / party)
    label, plaintext = seal.open(io.BytesIO(_golden(envelope)), keys, directory)
    data = b"".join(plaintext)
    assert data == _golden("plaintext.txt")
    expected = json.loads(_golden("expected.json"))
    assert hashlib.sha256(data).hexdigest() == expected["plaintext_sha256"]
    assert label == Label.from_canonical_bytes(_golden("label.json"))
    assert (
        seal.inspect(io.BytesIO(_golden(envelope))).envelope_id
        == (expected[envelope]["envelope_id"])
    )


def test_golden_v1_envelope_verifies_without_a_key() -> None:
    directory = Directory.from_folder(GOLDEN / "directory")
    info = seal.verify(io.BytesIO(_golden("rewrapped.psx")), directory)
    assert [h.kind for h in info.hops] == ["rewrap"]


def test_golden_v1_envelope_altered_in_its_last_byte_fails() -> None:
    directory = Directory.from_folder(GOLDEN / "directory")
    altered = bytearray(_golden("envelope.psx"))
    altered[-1] ^= 0x80
    with pytest.raises(EnvelopeUnverifiedError):
        seal.verify(io.BytesIO(bytes(altered)), directory)


def test_golden_v1_derived_envelope_opens_signed_by_the_holder() -> None:
    """A translation under a derived label (R-TRA-1): signed by JPN, naming the original
    label by its digest; the original vectors above open unchanged beside it."""
    directory = Directory.from_folder(GOLDEN / "directory")
    keys = load_keys(GOLDEN / "keys" / "JPN")
    label, plaintext = seal.open(io.BytesIO(_golden("derived.psx")), keys, directory)
    assert b"".join(plaintext) == _golden("derived-plaintext.txt")
    assert label == Label.from_canonical_bytes(_golden("derived-label.json"))
    assert (label.signer, label.originator, label.derivation) == ("JPN", "KOR", "translation")
    assert label.derived_from == seal.label_digest(_golden("label.json"))
    expected = json.loads(_golden("derived.json"))
    assert seal.inspect(io.BytesIO(_golden("derived.psx"))).envelope_id == expected["envelope_id"]
    original = Label.from_canonical_bytes(_golden("label.json")).as_json()
    assert {k: label.as_json()[k] for k in original if k not in ("item_id", "created_at")} == {
        k: v for k, v in original.items() if k not in ("item_id", "created_at")
    }


def test_golden_v1_derived_label_naming_another_signer_fails_verification() -> None:
    """A derived label that names USA as the holder but is signed with JPN's key (keys passed
    off as USA's) is refused at step 4, before anything is decrypted."""
    directory = Directory.from_folder(GOLDEN / "directory")
    header = Label.from_canonical_bytes(_golden("derived-label.json")).as_json()
    forged = Label.from_mapping({**header, "derived_by": "USA"})
    jpn = load_keys(GOLDEN / "keys" / "JPN")
    posing = PartyKeys("USA", jpn.generations)
    envelope = b"".join(seal.seal(b"x", forged, posing, [directory.current("JPN")]))
    with pytest.raises(EnvelopeUnverifiedError, match="USA as the holder that derived it"):
        seal.verify(io.BytesIO(envelope), directory)

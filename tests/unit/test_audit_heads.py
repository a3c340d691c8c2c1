"""Signed tree heads: canonical signing bytes, signatures, cosignatures and the JSON form."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pactshare.audit.heads import (
    COSIGNATURE_DOMAIN,
    HEAD_DOMAIN,
    Cosignature,
    SignedTreeHead,
    TreeHead,
    cosign,
    key_id_of,
    sign_head,
    verify_cosignature,
    verify_head,
)
from pactshare.errors import InvalidTreeHeadError
from tests.vectors.rfc9162 import ROOTS

# RFC 8032 §7.1 TEST 1 secret key: a fixed key keeps failures reproducible.
LOG_KEY = Ed25519PrivateKey.from_private_bytes(
    bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
)
WITNESS_KEY = Ed25519PrivateKey.generate()
LOG_ID = key_id_of(LOG_KEY.public_key())
WITNESS_ID = "witness:JPN"
AT = datetime(2026, 11, 23, 12, 0, 0, 123000, tzinfo=UTC)
HEAD = TreeHead(8, ROOTS[7], AT)


def _signed() -> SignedTreeHead:
    return sign_head(HEAD, LOG_KEY, LOG_ID)


def test_signing_bytes_are_the_tag_then_fixed_width_fields() -> None:
    data = HEAD.signing_bytes()
    assert data.startswith(b"pactshare/tree-head/v1\x00")
    size, root, millis = struct.unpack(">Q32sQ", data[len(HEAD_DOMAIN) :])
    assert (size, root, millis) == (8, ROOTS[7], 1795435200123)
    assert len(data) == 23 + 8 + 32 + 8


def test_cosigning_bytes_differ_from_signing_bytes_only_by_the_tag() -> None:
    assert HEAD.cosigning_bytes() == COSIGNATURE_DOMAIN + HEAD.signing_bytes()[len(HEAD_DOMAIN) :]
    assert HEAD.cosigning_bytes() != HEAD.signing_bytes()


def test_timestamp_is_held_in_utc_at_millisecond_precision() -> None:
    seoul = timezone(timedelta(hours=9))
    head = TreeHead(1, ROOTS[0], datetime(2026, 11, 23, 21, 0, 0, 123999, tzinfo=seoul))
    assert head.timestamp == datetime(2026, 11, 23, 12, 0, 0, 123000, tzinfo=UTC)
    assert head.timestamp.tzinfo is UTC


def test_key_id_is_the_sha256_of_the_raw_public_key() -> None:
    rfc8032_public = bytes.fromhex(
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    expected = "ed25519:" + hashlib.sha256(rfc8032_public).hexdigest()
    assert key_id_of(LOG_KEY.public_key()) == expected


def test_signed_head_verifies_with_the_log_key() -> None:
    verify_head(_signed(), LOG_KEY.public_key())


def test_signed_head_does_not_verify_with_another_key() -> None:
    with pytest.raises(InvalidTreeHeadError, match=r"at size 8 .* does not verify"):
        verify_head(_signed(), WITNESS_KEY.public_key())


@pytest.mark.parametrize(
    "changed",
    [
        TreeHead(7, ROOTS[7], AT),
        TreeHead(8, ROOTS[6], AT),
        TreeHead(8, ROOTS[7], AT + timedelta(milliseconds=1)),
    ],
    ids=["size", "root", "timestamp"],
)
def test_signature_does_not_cover_a_changed_head(changed: TreeHead) -> None:
    signed = _signed()
    forged = SignedTreeHead(changed, signed.key_id, signed.signature)
    with pytest.raises(InvalidTreeHeadError, match="does not verify"):
        verify_head(forged, LOG_KEY.public_key())


def test_cosignature_verifies_with_the_witness_key() -> None:
    cosigned = cosign(_signed(), WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())
    verify_cosignature(cosigned, WITNESS_ID, WITNESS_KEY.public_key())
    verify_head(cosigned, LOG_KEY.public_key())


def test_cosignature_by_another_key_does_not_verify() -> None:
    cosigned = cosign(_signed(), WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())
    with pytest.raises(InvalidTreeHeadError, match=r"cosignature .* by witness:JPN does not"):
        verify_cosignature(cosigned, WITNESS_ID, LOG_KEY.public_key())


def test_missing_cosignature_is_reported_by_witness() -> None:
    with pytest.raises(InvalidTreeHeadError, match="no cosignature by witness:JPN"):
        verify_cosignature(_signed(), WITNESS_ID, WITNESS_KEY.public_key())


def test_witness_refuses_to_cosign_a_head_the_log_did_not_sign() -> None:
    forged = SignedTreeHead(HEAD, LOG_ID, WITNESS_KEY.sign(HEAD.signing_bytes()))
    with pytest.raises(InvalidTreeHeadError, match="does not verify"):
        cosign(forged, WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())


def test_witness_cannot_cosign_twice() -> None:
    cosigned = cosign(_signed(), WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())
    with pytest.raises(InvalidTreeHeadError, match="already cosigned by witness:JPN"):
        cosign(cosigned, WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())


def test_a_cosignature_cannot_stand_in_for_the_log_signature() -> None:
    """Domain separation: the same key's cosignature is not a signature of the head."""
    cosigned = cosign(_signed(), LOG_KEY, "log-as-witness", log_key=LOG_KEY.public_key())
    swapped = SignedTreeHead(HEAD, LOG_ID, cosigned.cosignatures[0].signature)
    with pytest.raises(InvalidTreeHeadError, match="does not verify"):
        verify_head(swapped, LOG_KEY.public_key())


def test_json_round_trip_keeps_every_field() -> None:
    cosigned = cosign(_signed(), WITNESS_KEY, WITNESS_ID, log_key=LOG_KEY.public_key())
    text = cosigned.to_json()
    assert SignedTreeHead.from_json(text) == cosigned
    assert SignedTreeHead.from_json(text.encode()) == cosigned
    verify_head(SignedTreeHead.from_json(text), LOG_KEY.public_key())


def test_json_form_is_canonical_with_readable_time() -> None:
    document = json.loads(_signed().to_json())
    assert document["timestamp"] == "2026-11-23T12:00:00.123Z"
    assert document["root"] == ROOTS[7].hex()
    assert _signed().to_json() == json.dumps(document, sort_keys=True, separators=(",", ":"))


def _document(**changes: object) -> str:
    document = json.loads(_signed().to_json())
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "must be a JSON object"),
        (_document(root=None), "missing root"),
        (_document(extra=1), r"unknown key\(s\) extra"),
        (_document(size=True), "'size' must be an integer"),
        (_document(size="8"), "'size' must be an integer"),
        (_document(size=-1), "size must be 0"),
        (_document(root=ROOTS[7].hex()[:-2]), "'root' must be 64 lowercase hex digits, got 62"),
        (_document(root=ROOTS[7].hex().upper()), "'root' must be 64 lowercase hex digits"),
        (_document(root="zz" * 32), "'root' is not hex"),
        (_document(signature="00" * 63), "'signature' must be 128 lowercase hex digits"),
        (_document(timestamp="2026-11-23T12:00:00Z"), "RFC 3339 UTC with milliseconds"),
        (_document(timestamp="2026-11-23T12:00:00.123+00:00"), "RFC 3339 UTC"),
        (_document(timestamp="2026-11-23T12:00:00.123456Z"), "exactly 3 fraction digits"),
        (_document(key_id=""), "a key id is 1 to 128"),
        (_document(key_id=7), "'key_id' must be a string"),
        (_document(cosignatures={}), "'cosignatures' must be a list"),
        (_document(cosignatures=[{"key_id": "w"}]), r"cosignatures\[0\]: missing signature"),
        (
            _document(cosignatures=[{"key_id": "w", "signature": "00" * 64}] * 2),
            "a witness cosigned twice",
        ),
    ],
)
def test_malformed_json_is_refused_with_a_precise_message(text: str, message: str) -> None:
    with pytest.raises(InvalidTreeHeadError, match=message):
        SignedTreeHead.from_json(text)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TreeHead(1, b"short", AT), "root must be 32 bytes, got 5 bytes"),
        (lambda: TreeHead(1, "x" * 32, AT), "root must be 32 bytes, got no bytes"),  # type: ignore[arg-type] # a str instead of bytes, on purpose
        (lambda: TreeHead(1, ROOTS[0], datetime(2026, 1, 1)), "needs a UTC offset"),
        (lambda: TreeHead(1, ROOTS[0], datetime(1969, 12, 31, tzinfo=UTC)), "before 1970"),
        (lambda: TreeHead(2**53, ROOTS[0], AT), "size must be 0"),
        (lambda: SignedTreeHead(HEAD, LOG_ID, b"\x00" * 63), "64 bytes, got 63"),
        (lambda: Cosignature("w\n", b"\x00" * 64), "printable ASCII"),
    ],
)
def test_malformed_heads_cannot_be_built(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidTreeHeadError, match=message):
        build()

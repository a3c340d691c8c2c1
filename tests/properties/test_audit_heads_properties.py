"""Properties of signed tree heads over generated sizes, roots and instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from pactshare.audit.heads import (
    SignedTreeHead,
    TreeHead,
    key_id_of,
    sign_head,
    verify_head,
)
from pactshare.errors import InvalidTreeHeadError

KEY = Ed25519PrivateKey.generate()
KEY_ID = key_id_of(KEY.public_key())

heads = st.builds(
    TreeHead,
    size=st.integers(min_value=0, max_value=2**53 - 1),
    root=st.binary(min_size=32, max_size=32),
    timestamp=st.datetimes(
        min_value=datetime(1970, 1, 1),  # hypothesis bounds are naive; timezones= adds UTC
        max_value=datetime(9999, 1, 1),
        timezones=st.just(UTC),
    ),
)


@given(heads)
def test_json_round_trip_returns_an_equal_head_that_still_verifies(head: TreeHead) -> None:
    signed = sign_head(head, KEY, KEY_ID)
    parsed = SignedTreeHead.from_json(signed.to_json())
    assert parsed == signed
    verify_head(parsed, KEY.public_key())


@given(heads, st.integers(0, 63), st.integers(0, 7))
def test_any_flipped_bit_of_the_signature_fails(head: TreeHead, byte: int, bit: int) -> None:
    signed = sign_head(head, KEY, KEY_ID)
    signature = bytearray(signed.signature)
    signature[byte] ^= 1 << bit
    forged = SignedTreeHead(head, KEY_ID, bytes(signature))
    try:
        verify_head(forged, KEY.public_key())
    except InvalidTreeHeadError:
        return
    raise AssertionError("a flipped signature bit went unnoticed")


@given(heads, st.integers(0, 31), st.integers(0, 7), st.integers(1, 10**6))
def test_any_change_of_the_head_fails(head: TreeHead, byte: int, bit: int, shift: int) -> None:
    signed = sign_head(head, KEY, KEY_ID)
    root = bytearray(head.root)
    root[byte] ^= 1 << bit
    later = head.timestamp + timedelta(milliseconds=shift)
    for changed in (
        TreeHead(head.size, bytes(root), head.timestamp),
        TreeHead(head.size ^ 1, head.root, head.timestamp),
        TreeHead(head.size, head.root, later),
    ):
        try:
            verify_head(SignedTreeHead(changed, KEY_ID, signed.signature), KEY.public_key())
        except InvalidTreeHeadError:
            continue
        raise AssertionError(f"{changed} verified with the signature of {head}")

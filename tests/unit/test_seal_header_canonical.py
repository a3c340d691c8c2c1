"""A header that breaks its form is refused saying how; one refused as non-canonical names the
field where its bytes first differ."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import pytest

from pactshare.errors import EnvelopeMalformedError
from pactshare.seal.header import Header
from tests.seal_support import World, seal_bytes, split


def _header_bytes(world: World) -> bytes:
    front = split(seal_bytes(world, b"payload", to=("JPN", "USA"))).front
    length = struct.unpack_from(">I", front, 6)[0]
    return front[10 : 10 + length]


def _refusal(data: bytes) -> str:
    with pytest.raises(EnvelopeMalformedError, match="not in canonical form") as caught:
        Header.from_bytes(data)
    return str(caught.value)


def test_a_space_inside_a_member_names_that_member(world: World) -> None:
    data = _header_bytes(world).replace(b'"chunk_size":', b'"chunk_size": ', 1)
    assert "(at chunk_size)" in _refusal(data)


def test_an_escaped_letter_inside_the_label_names_the_label_field(world: World) -> None:
    original = _header_bytes(world)
    data = original.replace(b'"policy":"gsomia', b'"policy":"\\u0067somia', 1)
    assert data != original  # the label's policy is where the test expects it
    assert "(at label.policy)" in _refusal(data)


def test_an_escaped_letter_in_a_recipient_names_the_recipient_and_its_field(
    world: World,
) -> None:
    data = _header_bytes(world).replace(b'"party":"USA"', b'"party":"\\u0055SA"', 1)
    assert "(at recipients[1].party)" in _refusal(data)


def test_unsorted_label_topics_name_the_label_field(world: World) -> None:
    header = json.loads(_header_bytes(world))
    header["label"]["releasable_to"] = ["USA", "JPN"]
    data = json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert "(at label.releasable_to)" in _refusal(data.encode("utf-8"))


def test_members_out_of_order_name_the_first_member_out_of_place(world: World) -> None:
    header = json.loads(_header_bytes(world))
    reordered = {"suite": header.pop("suite"), **header}
    data = json.dumps(reordered, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert "(at chunk_size)" in _refusal(data)


def _recipient(header: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = header["recipients"][0]
    return first


_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _stray_bits(text: str) -> str:
    """``text`` with a bit set among the unused low bits of its last character: it decodes to
    the same bytes, but is not their (canonical) encoding."""
    return text[:-1] + _BASE64URL[_BASE64URL.index(text[-1]) | 1]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda h: h.update(envelope_id=_stray_bits(h["envelope_id"])), "non-canonical base64"),
        (lambda h: h.update(nonce_prefix=h["nonce_prefix"] + "="), "unpadded base64url"),
        (lambda h: h.update(key_commitment="!" + h["key_commitment"][1:]), "base64url"),
        (
            lambda h: _recipient(h).update(wrapped_key=_stray_bits(_recipient(h)["wrapped_key"])),
            "non-canonical base64",
        ),
        (lambda h: h.pop("suite"), "header fields are missing or unknown"),
        (lambda h: h.update(suite="other"), "unknown algorithm suite"),
        (lambda h: h.update(envelope_id="AAAA"), "envelope id or nonce prefix has the wrong size"),
        (lambda h: h.update(key_commitment="AAAA"), "key commitment has the wrong size"),
        (lambda h: h.update(chunk_size=0), "chunk size out of range"),
        (lambda h: h.update(chunk_size=True), "chunk size out of range"),
        (lambda h: h.update(label=[]), "label or originator key id has the wrong type"),
        (lambda h: h.update(originator_key_id=1), "label or originator key id has the wrong type"),
        (lambda h: h.update(recipients={}), "recipients must be a list"),
        (lambda h: h.update(recipients=[]), "no recipients"),
        (lambda h: _recipient(h).pop("key_id"), "exactly party, key_id, wrapped_key"),
        (lambda h: _recipient(h).update(party="usa"), "a bad party or key id"),
        (lambda h: _recipient(h).update(wrapped_key="AAAA"), "wrapped key has the wrong size"),
        (lambda h: h["recipients"].append(h["recipients"][0]), "key id appears twice"),
    ],
)
def test_a_header_that_breaks_its_form_is_malformed_saying_how(
    world: World, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    header = json.loads(_header_bytes(world))
    change(header)
    data = json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    with pytest.raises(EnvelopeMalformedError, match=words):
        Header.from_bytes(data.encode("utf-8"))

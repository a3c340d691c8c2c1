"""Relaying through a hub: forward without reading, rewrap when allowed to read."""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Callable
from typing import Any

import pytest

from pactshare import seal
from pactshare.errors import EnvelopeKeyError, EnvelopeMalformedError, EnvelopeUnverifiedError
from pactshare.seal.envelope import read_front, wrap_key
from pactshare.seal.hops import HopKind, hops_from_bytes, hops_to_bytes
from pactshare.seal.relay import _hop
from pactshare.seal.stream import readable
from tests.seal_support import AT, World, open_bytes, seal_bytes


def _forward(world: World, envelope: bytes, to: str = "JPN") -> bytes:
    return b"".join(seal.forward(io.BytesIO(envelope), world.usa, world.directory, to=to, at=AT))


def _rewrap(world: World, envelope: bytes) -> bytes:
    to = [world.directory.current("JPN")]
    return b"".join(seal.rewrap(io.BytesIO(envelope), world.usa, world.directory, to=to, at=AT))


def _hops_section(envelope: bytes) -> tuple[int, int]:
    (header_len,) = struct.unpack_from(">I", envelope, 6)
    start = 10 + header_len
    (hops_len,) = struct.unpack_from(">I", envelope, start)
    return start + 4, hops_len


def test_forwarding_hub_adds_a_signed_hop_and_the_originator_signature_holds(
    world: World,
) -> None:
    relayed = _forward(world, seal_bytes(world, b"via USA", to=("USA", "JPN")))
    info = seal.verify(io.BytesIO(relayed), world.directory)
    assert [(h.kind, h.hub_key_id, h.to) for h in info.hops] == [
        ("forward", world.usa.signing_key_id, ("JPN",))
    ]
    assert open_bytes(world, relayed) == b"via USA"


def test_forwarding_needs_a_key_the_originator_wrapped_for_the_final_recipient(
    world: World,
) -> None:
    with pytest.raises(EnvelopeKeyError, match="not wrapped for JPN"):
        _forward(world, seal_bytes(world, b"x", to=("USA",)))


def test_reading_hub_rewraps_for_the_next_recipient(world: World) -> None:
    envelope = seal_bytes(world, b"re-sealed", to=("USA",))
    with pytest.raises(EnvelopeKeyError):
        open_bytes(world, envelope)
    relayed = _rewrap(world, envelope)
    assert open_bytes(world, relayed) == b"re-sealed"
    assert seal.verify(io.BytesIO(relayed), world.directory).hops[0].kind == "rewrap"


def test_hub_that_cannot_read_cannot_rewrap(world: World) -> None:
    with pytest.raises(EnvelopeKeyError, match="not addressed to any key of USA"):
        _rewrap(world, seal_bytes(world, b"x", to=("JPN",)))


def test_relay_of_an_altered_envelope_fails_before_the_trailer_is_written(
    world: World,
) -> None:
    envelope = bytearray(seal_bytes(world, b"x" * 100, to=("USA", "JPN"), chunk_size=16))
    envelope[-80] ^= 1  # inside the last chunk
    pieces = seal.forward(io.BytesIO(bytes(envelope)), world.usa, world.directory, to="JPN", at=AT)
    copied: list[bytes | memoryview] = []
    with pytest.raises(EnvelopeUnverifiedError, match="signature"):
        copied.extend(pieces)
    assert not b"".join(copied).endswith(bytes(envelope[-64:]))  # the signature was withheld


def test_altered_hop_record_is_detected(world: World) -> None:
    relayed = _forward(world, seal_bytes(world, b"x", to=("USA", "JPN")))
    start, length = _hops_section(relayed)
    forged = relayed[start : start + length].replace(b'"to":["JPN"]', b'"to":["PRK"]')
    with pytest.raises(EnvelopeUnverifiedError, match="hop record 1 signature"):
        open_bytes(world, relayed[:start] + forged + relayed[start + length :])


def test_hop_record_replayed_from_another_envelope_is_detected(world: World) -> None:
    donor = _forward(world, seal_bytes(world, b"one", to=("USA", "JPN")))
    target = seal_bytes(world, b"two", to=("USA", "JPN"))
    d_start, d_len = _hops_section(donor)
    t_start, t_len = _hops_section(target)
    hops = donor[d_start : d_start + d_len]
    grafted = (
        target[: t_start - 4] + struct.pack(">I", len(hops)) + hops + target[t_start + t_len :]
    )
    with pytest.raises(EnvelopeUnverifiedError, match="another envelope"):
        open_bytes(world, grafted)


def test_hop_records_must_be_canonical_json(world: World) -> None:
    relayed = _forward(world, seal_bytes(world, b"x", to=("USA", "JPN")))
    start, length = _hops_section(relayed)
    pretty = json.dumps(json.loads(relayed[start : start + length]), indent=1).encode()
    bad = relayed[: start - 4] + struct.pack(">I", len(pretty)) + pretty
    bad += relayed[start + length :]
    with pytest.raises(EnvelopeMalformedError, match="canonical"):
        open_bytes(world, bad)


def test_a_forward_hop_that_wraps_a_key_is_malformed(world: World) -> None:
    envelope = seal_bytes(world, b"x", to=("USA",))
    front = read_front(readable(envelope))
    stanza = wrap_key(
        os.urandom(32),
        world.jpn.public(),
        header_id=front.header.envelope_id,
        label=front.header.label,
        wrapper_key_id=world.usa.signing_key_id,
    )
    hop = _hop(front, world.usa, kind=HopKind.FORWARD, at=AT, to=("JPN",), recipients=(stanza,))
    start, length = _hops_section(envelope)
    hops = hops_to_bytes((hop,))
    forged = envelope[: start - 4] + struct.pack(">I", len(hops)) + hops
    forged += envelope[start + length :]
    with pytest.raises(EnvelopeMalformedError, match="forward hop's recipients"):
        open_bytes(world, forged)


def _hop_body(hops: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = hops[0]["body"]
    return body


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda h: h.clear(), "hops must be a list"),
        (lambda h: h[0].pop("signature"), "exactly body and signature"),
        (lambda h: _hop_body(h).pop("to"), "hop body fields are missing or unknown"),
        (lambda h: _hop_body(h).update(kind="teleport"), "hop kind or hub key id is bad"),
        (lambda h: _hop_body(h).update(to=[]), "hop 'to' must list party codes"),
        (lambda h: _hop_body(h).update(at="2026-11-23T18:00:00+09:00"), "not canonical UTC"),
        (lambda h: h[0].update(signature="AAAA"), "hop signature has the wrong size"),
        (lambda h: _hop_body(h).update(to=["USA"]), "a rewrap hop's recipients do not match"),
    ],
)
def test_hop_records_that_break_their_form_are_malformed_saying_how(
    world: World, change: Callable[[list[dict[str, Any]]], None], words: str
) -> None:
    relayed = _rewrap(world, seal_bytes(world, b"via USA", to=("USA",)))
    start, length = _hops_section(relayed)
    hops = json.loads(relayed[start : start + length])
    change(hops)
    document = hops or {}  # hops emptied: an object where the list belongs
    data = json.dumps(document, separators=(",", ":"), sort_keys=True)
    with pytest.raises(EnvelopeMalformedError, match=words):
        hops_from_bytes(data.encode())


def test_hop_records_out_of_canonical_form_are_malformed(world: World) -> None:
    relayed = _forward(world, seal_bytes(world, b"via USA", to=("USA", "JPN")))
    start, length = _hops_section(relayed)
    spaced = json.dumps(json.loads(relayed[start : start + length]), sort_keys=True)
    with pytest.raises(EnvelopeMalformedError, match="canonical form"):
        hops_from_bytes(spaced.encode())


@pytest.mark.parametrize("relay", ["forward", "rewrap"])
def test_a_relayed_envelope_is_its_new_front_then_the_original_from_payload_at(
    world: World, relay: str
) -> None:
    original = seal_bytes(world, os.urandom(100), to=("USA", "JPN"), chunk_size=32)
    if relay == "forward":
        relayed = seal.forward(io.BytesIO(original), world.usa, world.directory, to="JPN", at=AT)
    else:
        to = [world.directory.current("KOR")]
        relayed = seal.rewrap(io.BytesIO(original), world.usa, world.directory, to=to, at=AT)
    whole = b"".join(relayed)
    assert whole == relayed.front + original[relayed.payload_at :]
    assert relayed.payload_at == len(original) - len(whole) + len(relayed.front)
    assert seal.verify(whole, world.directory).hops[-1].kind == relay

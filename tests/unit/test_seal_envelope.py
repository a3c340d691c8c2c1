"""Sealing and opening: round trips, and a precise error for each kind of bad input."""

from __future__ import annotations

import io
import os
import struct
from dataclasses import replace

import pytest
import rfc8785

from pactshare import seal
from pactshare.errors import (
    EnvelopeKeyError,
    EnvelopeMalformedError,
    EnvelopeReplayedError,
    EnvelopeUnverifiedError,
    EnvelopeVersionError,
)
from pactshare.seal import Directory, PartyKeys, PublicKeyRecord
from pactshare.seal.envelope import wrap_key
from pactshare.seal.header import Header
from tests.seal_support import AT, World, make_label, open_bytes, seal_bytes, split


def test_every_recipient_opens_the_same_payload_and_label(world: World) -> None:
    envelope = seal_bytes(world, b"launch detected", to=("JPN", "USA"))
    for keys in (world.jpn, world.usa):
        label, plaintext = seal.open(io.BytesIO(envelope), keys, world.directory)
        assert label == make_label()
        assert b"".join(plaintext) == b"launch detected"


def test_a_party_that_is_not_a_recipient_gets_a_key_error(world: World) -> None:
    envelope = seal_bytes(world, b"x", to=("JPN",))
    with pytest.raises(EnvelopeKeyError, match="not addressed to any key of USA"):
        open_bytes(world, envelope, world.usa)


def test_originator_unknown_to_the_directory_is_a_key_error(world: World) -> None:
    envelope = seal_bytes(world, b"x")
    pinned = Directory([PublicKeyRecord.for_party(k) for k in (world.jpn, world.usa)])
    with pytest.raises(EnvelopeKeyError, match=r"signing key .* not in the public directory"):
        seal.open(io.BytesIO(envelope), world.jpn, pinned)


def test_label_claiming_another_originator_than_the_signing_key_fails(world: World) -> None:
    impostor = PartyKeys("USA", world.kor.generations)  # KOR's keys, claiming to be USA
    recipients = [world.directory.current("JPN")]
    pieces = seal.seal(io.BytesIO(b"x"), make_label("USA"), impostor, recipients)
    with pytest.raises(EnvelopeUnverifiedError, match="signed with a key of KOR"):
        open_bytes(world, b"".join(pieces))


def test_label_changed_after_signing_is_detected_with_or_without_the_key(world: World) -> None:
    parts = split(seal_bytes(world, b"payload"))
    header_len = struct.unpack_from(">I", parts.front, 6)[0]
    header = Header.from_bytes(parts.front[10 : 10 + header_len])
    forged = replace(header, label=make_label(classification="UNCLASSIFIED")).to_bytes()
    front = parts.front[:6] + struct.pack(">I", len(forged)) + forged
    front += parts.front[10 + header_len :]
    envelope = front + b"".join(parts.records) + parts.trailer
    with pytest.raises(EnvelopeUnverifiedError, match="data key wrapped"):
        open_bytes(world, envelope)
    with pytest.raises(EnvelopeUnverifiedError, match="signature does not match"):
        seal.verify(io.BytesIO(envelope), world.directory)


def test_future_format_version_is_named(world: World) -> None:
    envelope = bytearray(seal_bytes(world, b"x"))
    envelope[4:6] = struct.pack(">H", 2)
    with pytest.raises(EnvelopeVersionError, match="version 2 is not supported") as caught:
        open_bytes(world, bytes(envelope))
    assert caught.value.version == 2


def test_bytes_that_are_not_an_envelope_are_malformed(world: World) -> None:
    with pytest.raises(EnvelopeMalformedError, match="bad magic"):
        open_bytes(world, b"%PDF-1.7 not an envelope")


def test_replayed_envelope_is_refused_when_its_id_was_seen(world: World) -> None:
    envelope = seal_bytes(world, b"x")
    seen = {seal.inspect(io.BytesIO(envelope)).envelope_id}
    with pytest.raises(EnvelopeReplayedError, match="already opened"):
        seal.open(io.BytesIO(envelope), world.jpn, world.directory, already_opened=seen)


def test_chunk_spliced_from_another_envelope_fails_authentication(world: World) -> None:
    one = split(seal_bytes(world, bytes(100), chunk_size=32))
    two = split(seal_bytes(world, bytes(100), chunk_size=32))
    spliced = replace(one, records=[one.records[0], two.records[1], *one.records[2:]])
    with pytest.raises(EnvelopeUnverifiedError, match="chunk 1 failed authentication"):
        open_bytes(world, spliced.join())


def test_bytes_after_the_signature_are_refused(world: World) -> None:
    with pytest.raises(EnvelopeMalformedError, match="bytes after its signature"):
        open_bytes(world, seal_bytes(world, b"x") + b"\x00")


def test_no_plaintext_is_released_before_the_signature_verifies(world: World) -> None:
    envelope = bytearray(seal_bytes(world, b"single chunk"))
    envelope[-1] ^= 1  # the signature
    _, plaintext = seal.open(io.BytesIO(bytes(envelope)), world.jpn, world.directory)
    released: list[bytes] = []
    with pytest.raises(EnvelopeUnverifiedError, match="signature"):
        released.extend(plaintext)
    assert released == []


def test_inspect_reads_label_and_recipients_without_any_key(world: World) -> None:
    envelope = seal_bytes(world, b"x", to=("JPN", "USA"))
    info = seal.inspect(io.BytesIO(envelope))
    assert info.label == make_label()
    assert info.originator_key_id == world.kor.signing_key_id
    assert [s.key_id for s in info.recipients] == [
        world.jpn.public().encryption_key_id,
        world.usa.public().encryption_key_id,
    ]


def test_item_sealed_before_a_rotation_still_opens_after_it(world: World) -> None:
    envelope = seal_bytes(world, b"old item")
    later = PartyKeys.generate("JPN", at=AT).generations[0]
    rotated = PartyKeys("JPN", (world.jpn.current, replace(later, generation=2)))
    assert open_bytes(world, envelope, rotated) == b"old item"


def test_seal_refuses_a_label_of_another_originator(world: World) -> None:
    with pytest.raises(EnvelopeKeyError, match="label names JPN as originator"):
        seal.seal(io.BytesIO(b""), make_label("JPN"), world.kor, [world.jpn.public()])


def test_seal_refuses_no_recipient_and_a_recipient_twice(world: World) -> None:
    with pytest.raises(EnvelopeKeyError, match="at least one recipient"):
        seal.seal(io.BytesIO(b""), make_label(), world.kor, [])
    with pytest.raises(EnvelopeKeyError, match="listed twice"):
        seal.seal(io.BytesIO(b""), make_label(), world.kor, [world.jpn.public()] * 2)


def test_header_bytes_are_the_rfc8785_canonical_form_of_the_header(world: World) -> None:
    parts = split(seal_bytes(world, b"x", to=("JPN", "USA")))
    header_len = struct.unpack_from(">I", parts.front, 6)[0]
    header_bytes = parts.front[10 : 10 + header_len]
    header = Header.from_bytes(header_bytes)
    assert header_bytes == rfc8785.dumps(header.as_json())  # type: ignore[arg-type]


def test_a_recipient_given_another_data_key_fails_the_key_commitment(world: World) -> None:
    parts = split(seal_bytes(world, b"payload"))
    header_len = struct.unpack_from(">I", parts.front, 6)[0]
    header = Header.from_bytes(parts.front[10 : 10 + header_len])
    other_key = wrap_key(
        os.urandom(32),
        world.jpn.public(),
        header_id=header.envelope_id,
        label=header.label,
        wrapper_key_id=world.kor.signing_key_id,
    )
    forged = replace(header, recipients=(other_key,)).to_bytes()
    front = parts.front[:6] + struct.pack(">I", len(forged)) + forged
    front += parts.front[10 + header_len :]
    with pytest.raises(EnvelopeUnverifiedError, match="key commitment"):
        open_bytes(world, front + b"".join(parts.records) + parts.trailer)


def test_inspect_verify_and_open_read_bytes_as_well_as_streams(world: World) -> None:
    envelope = seal_bytes(world, b"in memory", to=("JPN",))
    assert seal.inspect(envelope).label == make_label()
    assert seal.verify(envelope, world.directory).label == make_label()
    _, plaintext = seal.open(envelope, world.jpn, world.directory)
    assert b"".join(plaintext) == b"in memory"

"""Properties of the envelope: round trip, and any alteration is detected.

The bit-flip and truncation properties are checked exhaustively (every bit, every prefix) on
a small envelope of several chunks, which is stronger than sampling and still fast.
"""

from __future__ import annotations

import io
import itertools
import os
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare import seal
from pactshare.errors import EnvelopeError, EnvelopeUnverifiedError
from pactshare.seal.stream import Input
from tests.seal_support import make_label, make_world, open_bytes, seal_bytes, split
from tests.strategies import SMALL_CHUNK, payloads

WORLD = make_world()  # hypothesis forbids function-scoped fixtures in @given tests
SMALL = seal_bytes(WORLD, bytes(range(150)), to=("JPN", "USA"), chunk_size=SMALL_CHUNK)


@given(payload=payloads())
@settings(max_examples=150, deadline=None)
def test_open_of_seal_is_the_payload_at_every_chunk_boundary(payload: bytes) -> None:
    envelope = seal_bytes(WORLD, payload, chunk_size=SMALL_CHUNK)
    assert open_bytes(WORLD, envelope) == payload


@pytest.mark.parametrize(
    "size",
    [0, 1, seal.CHUNK_SIZE - 1, seal.CHUNK_SIZE, seal.CHUNK_SIZE + 1, 5 * 1024 * 1024 + 7],
)
def test_open_of_seal_is_the_payload_with_the_default_chunk_size(size: int) -> None:
    payload = os.urandom(size)
    assert open_bytes(WORLD, seal_bytes(WORLD, payload)) == payload


def _fails(envelope: bytes) -> bool:
    """Whether opening ``envelope`` (to the end) raises one of our envelope errors."""
    try:
        open_bytes(WORLD, envelope)
    except EnvelopeError:
        return True
    return False


def _verify_fails(envelope: bytes) -> bool:
    try:
        seal.verify(io.BytesIO(envelope), WORLD.directory)
    except EnvelopeError:
        return True
    return False


def test_every_single_bit_flip_is_detected_by_the_recipient() -> None:
    assert not _fails(SMALL)
    undetected = []
    for position in range(len(SMALL) * 8):
        flipped = bytearray(SMALL)
        flipped[position // 8] ^= 1 << (position % 8)
        if not _fails(bytes(flipped)):
            undetected.append(position)
    assert undetected == []


def test_every_single_bit_flip_is_detected_without_the_key() -> None:
    assert not _verify_fails(SMALL)
    undetected = []
    for position in range(len(SMALL) * 8):
        flipped = bytearray(SMALL)
        flipped[position // 8] ^= 1 << (position % 8)
        if not _verify_fails(bytes(flipped)):
            undetected.append(position)
    assert undetected == []


def test_every_truncation_is_detected() -> None:
    assert [n for n in range(len(SMALL)) if not _fails(SMALL[:n])] == []


def test_every_reordering_of_chunks_is_detected() -> None:
    parts = split(SMALL)
    assert len(parts.records) == 3
    for order in itertools.permutations(range(3)):
        if order != (0, 1, 2):
            records = [parts.records[i] for i in order]
            assert _fails(replace(parts, records=records).join())


def test_dropping_or_duplicating_any_chunk_is_detected() -> None:
    parts = split(SMALL)
    for i in range(len(parts.records)):
        dropped = parts.records[:i] + parts.records[i + 1 :]
        duplicated = parts.records[: i + 1] + parts.records[i:]
        assert _fails(replace(parts, records=dropped).join())
        assert _fails(replace(parts, records=duplicated).join())


@given(data=st.data())
@settings(max_examples=100, deadline=None)
def test_any_edit_of_the_chunk_sequence_is_detected(data: st.DataObject) -> None:
    parts = split(SMALL)
    n = len(parts.records)
    edited = data.draw(
        st.lists(st.integers(min_value=0, max_value=n - 1), max_size=2 * n).filter(
            lambda order: order != list(range(n))
        )
    )
    records = [parts.records[i] for i in edited]
    with pytest.raises(EnvelopeError):
        open_bytes(WORLD, replace(parts, records=records).join())


def test_a_truncated_stream_never_yields_its_last_chunk() -> None:
    envelope = SMALL[:-1]
    _, plaintext = seal.open(io.BytesIO(envelope), WORLD.jpn, WORLD.directory)
    released: list[bytes] = []
    with pytest.raises(EnvelopeUnverifiedError):
        released.extend(plaintext)
    assert b"".join(released) == bytes(range(150))[: 2 * SMALL_CHUNK]  # never the last chunk


class _ReadOnly:
    """A stream with ``read`` only, handing out at most 7 bytes at a time."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(size, 7) if size >= 0 else 7)


@given(payload=payloads(), kind=st.sampled_from(["bytes", "bytesio", "read-only", "raw"]))
@settings(max_examples=120, deadline=None)
def test_every_kind_of_input_seals_and_opens_the_same_payload(payload: bytes, kind: str) -> None:
    sources: dict[str, Input] = {
        "bytes": payload,
        "bytesio": io.BytesIO(payload),
        "read-only": _ReadOnly(payload),
        "raw": io.BufferedReader(io.BytesIO(payload), buffer_size=5),
    }
    source = sources[kind]
    recipients = [WORLD.directory.current("JPN")]
    envelope = b"".join(
        seal.seal(source, make_label(), WORLD.kor, recipients, chunk_size=SMALL_CHUNK)
    )
    readers: list[Input] = [envelope, io.BytesIO(envelope), _ReadOnly(envelope)]
    for reader in readers:
        _, plaintext = seal.open(reader, WORLD.jpn, WORLD.directory)
        assert b"".join(plaintext) == payload

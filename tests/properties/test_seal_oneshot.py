"""The one-shot paths (a payload of one chunk in memory) against the streaming paths.

A payload or an envelope handed over as bytes takes the one-shot path when it is one chunk;
the same handed over as a stream takes the streaming path. For the same inputs and the same
randomness the envelopes are byte for byte the same, and any envelope, tampered or not,
opens to the same result or fails with the same error, at the same moment (when ``open`` is
called, or when the plaintext is read).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare import seal
from pactshare.errors import EnvelopeError
from pactshare.seal import envelope
from pactshare.seal.oneshot import Single
from tests.seal_support import make_label, make_world
from tests.strategies import label_fields

WORLD = make_world()
PARTIES = {"KOR": WORLD.kor, "JPN": WORLD.jpn, "USA": WORLD.usa}

Outcome = tuple[str, ...]


def _sealed(
    payload: bytes, *, to: list[str], chunk_size: int, label: seal.Label, streamed: bool
) -> bytes:
    recipients = [WORLD.directory.current(p) for p in to]
    source = io.BytesIO(payload) if streamed else payload
    return b"".join(seal.seal(source, label, WORLD.kor, recipients, chunk_size=chunk_size))


def _seal_both(
    payload: bytes, *, to: list[str], chunk_size: int, label: seal.Label
) -> tuple[bytes, bytes]:
    """The envelope sealed by each path, with the same randomness (one draw for both)."""
    recipients = [WORLD.directory.current(p) for p in to]
    drawn = envelope._draw(label, WORLD.kor, recipients, chunk_size)
    with mock.patch.object(envelope, "_draw", return_value=drawn):
        once = _sealed(payload, to=to, chunk_size=chunk_size, label=label, streamed=False)
        streamed = _sealed(payload, to=to, chunk_size=chunk_size, label=label, streamed=True)
    return once, streamed


@given(
    fields=label_fields(),
    to=st.lists(st.sampled_from(sorted(PARTIES)), unique=True, min_size=1, max_size=3),
    chunk_size=st.integers(min_value=1, max_value=300),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_one_shot_and_streaming_seal_give_the_same_bytes(
    fields: dict[str, object], to: list[str], chunk_size: int, data: st.DataObject
) -> None:
    derived = "derived_by" in fields  # a holder's copy: the holder (KOR here) signs it
    signer = {"originator": "USA", "derived_by": "KOR"} if derived else {"originator": "KOR"}
    label = seal.Label.from_mapping({**fields, **signer})
    payload = data.draw(st.binary(max_size=chunk_size))
    once, streamed = _seal_both(payload, to=to, chunk_size=chunk_size, label=label)
    assert once == streamed
    for party in to:
        assert _outcome(lambda: once, PARTIES[party]) == ("opened", label.item_id, payload.hex())


def test_a_one_chunk_payload_in_memory_takes_the_one_shot_path() -> None:
    recipients = [WORLD.directory.current("JPN")]
    label = make_label()
    assert isinstance(seal.seal(b"x" * 10, label, WORLD.kor, recipients, chunk_size=10), Single)
    assert not isinstance(seal.seal(b"x" * 11, label, WORLD.kor, recipients, chunk_size=10), Single)
    sealed = _sealed(b"x" * 10, to=["JPN"], chunk_size=10, label=label, streamed=False)
    _, plaintext = seal.open(sealed, WORLD.jpn, WORLD.directory)
    assert isinstance(plaintext, Single)


def _outcome(make: Callable[[], bytes | io.BytesIO], keys: seal.PartyKeys) -> Outcome:
    """What opening gives: the item id and plaintext, or where and how it failed."""
    try:
        label, plaintext = seal.open(make(), keys, WORLD.directory)
    except EnvelopeError as exc:
        return ("refused at open", type(exc).__name__, str(exc))
    try:
        return ("opened", label.item_id, b"".join(plaintext).hex())
    except EnvelopeError as exc:
        return ("refused while reading", type(exc).__name__, str(exc))


def _tamper(sealed: bytes, kind: str, at: int, value: int) -> bytes:
    at %= len(sealed) + 1
    if kind == "flip" and at < len(sealed):
        return sealed[:at] + bytes([sealed[at] ^ (value or 1)]) + sealed[at + 1 :]
    if kind == "cut":
        return sealed[:at]
    if kind == "insert":
        return sealed[:at] + bytes([value]) + sealed[at:]
    return sealed + bytes([value])  # "append", and a flip past the end


SMALL = _sealed(b"a small item", to=["JPN"], chunk_size=64, label=make_label(), streamed=False)
EMPTY = _sealed(b"", to=["JPN", "USA"], chunk_size=64, label=make_label(), streamed=False)
TWO = _sealed(b"x" * 100, to=["JPN"], chunk_size=64, label=make_label(), streamed=False)


@given(
    sealed=st.sampled_from([SMALL, EMPTY, TWO]),
    kind=st.sampled_from(["flip", "cut", "insert", "append"]),
    at=st.integers(min_value=0, max_value=2000),
    value=st.integers(min_value=0, max_value=255),
    reader=st.sampled_from(["JPN", "USA"]),
)
@settings(max_examples=400, deadline=None)
def test_tampered_envelopes_fail_the_same_way_on_both_paths(
    sealed: bytes, kind: str, at: int, value: int, reader: str
) -> None:
    tampered = _tamper(sealed, kind, at, value)
    keys = PARTIES[reader]
    once = _outcome(lambda: tampered, keys)
    assert once == _outcome(lambda: io.BytesIO(tampered), keys)


def test_every_part_of_a_one_chunk_envelope_is_checked_alike() -> None:
    """Each byte flipped, each truncation: same outcome on both paths, never opened."""
    for at in range(len(SMALL)):
        for kind in ("flip", "cut"):
            tampered = _tamper(SMALL, kind, at, 0x55)
            once = _outcome(lambda t=tampered: t, WORLD.jpn)  # type: ignore[misc]
            assert once == _outcome(lambda t=tampered: io.BytesIO(t), WORLD.jpn)  # type: ignore[misc]
            assert once[0] != "opened", (kind, at)

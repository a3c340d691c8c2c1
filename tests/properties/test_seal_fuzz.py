"""Fuzz target: whatever the bytes, inspect, verify and open raise only our envelope errors.

Inputs are arbitrary bytes, and valid envelopes mutated by byte edits, insertions, deletions
and splices (which reach deeper than random bytes). Run longer with
``PACTSHARE_FUZZ_EXAMPLES=100000 python -m pytest tests/properties/test_seal_fuzz.py``.
"""

from __future__ import annotations

import contextlib
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactshare import seal
from pactshare.errors import EnvelopeError
from tests.seal_support import AT, make_world, seal_bytes

WORLD = make_world()
SEEDS = [
    seal_bytes(WORLD, b"", chunk_size=16),
    seal_bytes(WORLD, bytes(100), to=("JPN", "USA"), chunk_size=32),
    b"".join(
        seal.forward(
            io.BytesIO(seal_bytes(WORLD, b"relayed", to=("USA", "JPN"))),
            WORLD.usa,
            WORLD.directory,
            to="JPN",
            at=AT,
        )
    ),
]
EXAMPLES = int(os.environ.get("PACTSHARE_FUZZ_EXAMPLES", "300"))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["set", "insert", "delete", "cut", "splice"]))
        if kind == "set" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=8))]
        elif kind == "cut":
            del data[at:]
        else:
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(min_value=0, max_value=len(other) - 1))
            data[at : at + 32] = other[start : start + 32]
    return bytes(data)


def _exercise(data: bytes) -> None:
    for action in (
        lambda: seal.inspect(io.BytesIO(data)),
        lambda: seal.verify(io.BytesIO(data), WORLD.directory),
        lambda: b"".join(seal.open(io.BytesIO(data), WORLD.jpn, WORLD.directory)[1]),
    ):
        with contextlib.suppress(EnvelopeError):  # any other exception fails the test
            action()


@given(data=st.one_of(st.binary(max_size=2048), mutated()))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_only_envelope_errors_escape_inspect_verify_and_open(data: bytes) -> None:
    _exercise(data)

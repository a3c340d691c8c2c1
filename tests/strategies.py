"""Hypothesis strategies shared by the property tests (one module, as attrs does)."""

from __future__ import annotations

from hypothesis import strategies as st

SMALL_CHUNK = 64

#: Payload sizes around chunk boundaries of a small chunk size: 0, k*chunk - 1, k*chunk,
#: k*chunk + 1, so that every framing case (empty, short last, full last) is drawn.
boundary_sizes = st.builds(
    lambda k, delta: max(0, k * SMALL_CHUNK + delta),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([-1, 0, 1]),
)

payload_sizes = st.one_of(boundary_sizes, st.integers(min_value=0, max_value=5 * SMALL_CHUNK))


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    size = draw(payload_sizes)
    seed = draw(st.binary(min_size=1, max_size=16))
    return (seed * (size // len(seed) + 1))[:size]

"""Hypothesis strategies shared by the property tests (one module, as attrs does)."""

from __future__ import annotations

from hypothesis import strategies as st

from pactshare.limits import ID_PATTERN

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


#: Text a label accepts: any Unicode scalar values (no lone surrogates), trimmed, non-empty.
label_text = (
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)

#: Ids of the one id grammar (pactshare.limits.ID_PATTERN).
ids = st.from_regex(ID_PATTERN, fullmatch=True)

party_codes = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=3, max_size=3)


@st.composite
def label_fields(draw: st.DrawFn) -> dict[str, object]:
    fields: dict[str, object] = {
        "policy": draw(label_text),
        "originator": draw(party_codes),
        "classification": draw(label_text),
        "topics": draw(st.lists(label_text, unique=True, max_size=4)),
        "releasable_to": draw(st.lists(party_codes, unique=True, min_size=1, max_size=4)),
        "caveats": draw(st.lists(label_text, unique=True, max_size=3)),
        "item_id": draw(ids),
        "created_at": "2026-11-23T09:00:00Z",
    }
    if draw(st.booleans()):
        fields["purpose"] = draw(label_text)
    return fields

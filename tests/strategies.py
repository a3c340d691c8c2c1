"""Hypothesis strategies shared by the property tests (one module, as attrs does)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

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


# JSON values for canonical JSON (pactshare.canonical): every corner where the standard
# library's encoder and RFC 8785 could part — escapes, astral characters against U+E000..U+FFFF
# in keys, lone surrogates, integers around 2**53, floats, enum subclasses, non-string keys.

#: Characters where escaping or key order could go wrong, beside any character at all.
_TRICKY = [
    *(chr(c) for c in range(0x20)),
    *'"\\/ Aa~\x7f\x80é\u2028\u2029€',
    "\ud7ff",
    "\ue000",
    "\ufb33",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
]
_valid_text = st.text(
    st.one_of(st.sampled_from(_TRICKY), st.characters(exclude_categories=["Cs"])), max_size=12
)
_surrogate_text = st.text(
    st.one_of(st.sampled_from(_TRICKY), st.characters(categories=["Cs"])), min_size=1, max_size=4
)
#: Keys from a few characters, so that one object often holds keys whose first difference
#: is an astral character against one in U+E000..U+FFFF (code points and UTF-16 disagree).
json_keys = st.one_of(
    st.text(st.sampled_from("a\u00e9\ue000\ufb33\uffff\U00010000\U0001f600"), max_size=3),
    _valid_text,
)


class _Colour(StrEnum):
    RED = "red"
    BLUE = "bl\u00fc\n"


class _Rank(IntEnum):
    ONE = 1
    BIG = 2**53


_SAFE = 2**53 - 1
json_integers = st.one_of(
    st.integers(min_value=-_SAFE, max_value=_SAFE),
    st.sampled_from([_SAFE, -_SAFE, _SAFE + 1, -_SAFE - 1, 2**64, -(2**64)]),
)

#: JSON scalars that canonical JSON accepts and the fast path can take.
provable_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-_SAFE, max_value=_SAFE),
    _valid_text,
    st.sampled_from(_Colour),
)


def provable_json() -> st.SearchStrategy[object]:
    """JSON values made of dicts (string keys), lists, tuples and :data:`provable_scalars`."""
    return st.recursive(
        provable_scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(json_keys, children, max_size=5),
        ),
        max_leaves=20,
    )


def any_json() -> st.SearchStrategy[object]:
    """Values of every kind canonical JSON is handed, valid or not: besides
    :func:`provable_json`'s, floats (NaN and infinities too), integers beyond 2**53, lone
    surrogates, enum integers and keys that are not strings."""
    scalars = st.one_of(
        provable_scalars,
        json_integers,
        st.floats(),
        _surrogate_text,
        st.sampled_from(_Rank),
    )
    keys = st.one_of(json_keys, _surrogate_text, st.integers(), st.none())
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(json_keys, children, max_size=5),
            st.dictionaries(keys, children, max_size=3),
        ),
        max_leaves=20,
    )

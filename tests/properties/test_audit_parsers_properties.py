"""Parsers of stored audit data refuse what is not their form, with only their own errors.

Each strategy draws input that cannot be valid (the reason is beside it), so every example
must be refused: a parser that accepted one, or failed with a foreign exception, fails here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from pactshare.audit.entries import ENTRY_DOMAIN, Entry, EntryKind
from pactshare.audit.heads import SignedTreeHead, TreeHead, sign_head
from pactshare.errors import AuditEntryError, InvalidTreeHeadError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
ENTRY_FIELDS = ("actor", "at", "details", "kind", "subject")
HEAD_KEYS = ("size", "root", "timestamp", "key_id", "signature", "cosignatures")

#: Never an entry's bytes, alone or after the entry tag: an entry's bytes start with the tag,
#: and its canonical JSON starts with "{".
not_entries = st.binary(max_size=200).filter(lambda data: not data.startswith((b"{", ENTRY_DOMAIN)))

#: JSON objects whose keys are not exactly an entry's fields.
wrong_fields = st.dictionaries(st.text(max_size=10), json_values, max_size=6).filter(
    lambda document: sorted(document) != sorted(ENTRY_FIELDS)
)

#: Objects with exactly an entry's fields, some of them valid, written by ``json.dumps`` with
#: its default separators (", " and ": "): never the canonical (RFC 8785) form.
spaced_entries = st.fixed_dictionaries(
    {
        "actor": st.just("KOR") | json_values,
        "at": st.just("2026-01-31T12:00:00.000000Z") | json_values,
        "details": st.just({}) | json_values,
        "kind": st.sampled_from([kind.value for kind in EntryKind]) | json_values,
        "subject": st.just("item-1") | json_values,
    }
)

#: A signed tree head's JSON is longer than this (a 64-digit root, a 128-digit signature).
SHORTER_THAN_A_HEAD = 200

#: Objects over a head's keys (and one more) whose values are never a 64-digit root.
head_like = st.dictionaries(
    st.sampled_from([*HEAD_KEYS, "other"]), json_values, min_size=5, max_size=7
)


def test_a_signed_tree_head_is_longer_than_the_short_texts_drawn_below() -> None:
    key = Ed25519PrivateKey.generate()
    head = TreeHead(0, bytes(32), datetime(2026, 1, 31, tzinfo=UTC))
    smallest = sign_head(head, key, "k").to_json()  # size 0, a one-letter key id
    assert SignedTreeHead.from_json(smallest).key_id == "k"
    assert len(smallest) > SHORTER_THAN_A_HEAD


@given(not_entries)
def test_entry_parser_refuses_arbitrary_bytes_with_its_own_error(data: bytes) -> None:
    for candidate in (data, ENTRY_DOMAIN + data):
        with pytest.raises(AuditEntryError):
            Entry.from_bytes(candidate)


@given(wrong_fields | spaced_entries)
def test_entry_parser_refuses_arbitrary_json_with_its_own_error(document: object) -> None:
    with pytest.raises(AuditEntryError):
        Entry.from_bytes(ENTRY_DOMAIN + json.dumps(document).encode())


@given(st.text(max_size=SHORTER_THAN_A_HEAD) | st.binary(max_size=SHORTER_THAN_A_HEAD))
def test_head_parser_refuses_arbitrary_text_with_its_own_error(text: str | bytes) -> None:
    with pytest.raises(InvalidTreeHeadError):
        SignedTreeHead.from_json(text)


@given(head_like)
def test_head_parser_refuses_arbitrary_objects_with_its_own_error(document: object) -> None:
    with pytest.raises(InvalidTreeHeadError):
        SignedTreeHead.from_json(json.dumps(document))

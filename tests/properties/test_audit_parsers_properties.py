"""Parsers of stored audit data raise only our own errors, whatever bytes they are given."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pactshare.audit.entries import ENTRY_DOMAIN, Entry
from pactshare.audit.heads import SignedTreeHead
from pactshare.errors import AuditEntryError, InvalidTreeHeadError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
head_keys = st.sampled_from(
    ["size", "root", "timestamp", "key_id", "signature", "cosignatures", "other"]
)


@given(st.binary(max_size=200))
def test_entry_parser_refuses_arbitrary_bytes_with_its_own_error(data: bytes) -> None:
    for candidate in (data, ENTRY_DOMAIN + data):
        try:
            Entry.from_bytes(candidate)
        except AuditEntryError:
            continue


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_entry_parser_refuses_arbitrary_json_with_its_own_error(document: object) -> None:
    try:
        Entry.from_bytes(ENTRY_DOMAIN + json.dumps(document).encode())
    except AuditEntryError:
        return


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_head_parser_refuses_arbitrary_text_with_its_own_error(text: str | bytes) -> None:
    try:
        SignedTreeHead.from_json(text)
    except InvalidTreeHeadError:
        return


@given(st.dictionaries(head_keys, json_values, min_size=5, max_size=7))
def test_head_parser_refuses_arbitrary_objects_with_its_own_error(document: object) -> None:
    try:
        SignedTreeHead.from_json(json.dumps(document))
    except InvalidTreeHeadError:
        return

"""Properties of audit entries over generated kinds, instants, names and details."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from pactshare.audit.entries import Entry, EntryKind, JsonValue

names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | names
details_values: st.SearchStrategy[JsonValue] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
entries = st.builds(
    Entry,
    kind=st.sampled_from(EntryKind),
    at=st.datetimes(
        min_value=datetime(1970, 1, 1),  # hypothesis bounds are naive; timezones= adds UTC
        max_value=datetime(9999, 1, 1),
        timezones=st.just(UTC),
    ),
    actor=names,
    subject=names,
    details=st.dictionaries(names, details_values, max_size=4),
)


@given(entries)
def test_bytes_round_trip_to_an_equal_entry(entry: Entry) -> None:
    assert Entry.from_bytes(entry.to_bytes()) == entry


@given(entries, entries)
def test_different_entries_have_different_bytes(first: Entry, second: Entry) -> None:
    assert (first == second) == (first.to_bytes() == second.to_bytes())

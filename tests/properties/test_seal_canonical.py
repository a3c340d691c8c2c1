"""Canonical bytes composed from parts equal the RFC 8785 library's output for the whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare.seal import Label
from pactshare.seal._encoding import canonical_string, is_canonical_json, utc_text
from pactshare.seal.header import Header, Stanza
from tests.strategies import label_fields, label_text, party_codes


@given(text=st.text(st.characters(exclude_categories=["Cs"])))
def test_canonical_string_is_rfc8785(text: str) -> None:
    assert canonical_string(text) == rfc8785.dumps(text)


@given(
    at=st.datetimes(
        min_value=datetime(1, 1, 2),  # a day from either end: the offset cannot leave the range
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=9, minutes=30))]),
    ),
)
def test_utc_text_is_the_text_strftime_writes(at: datetime) -> None:
    instant = at.astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if instant.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    assert utc_text(at) == instant.strftime(fmt)


@given(fields=label_fields())
@settings(max_examples=200)
def test_label_canonical_bytes_are_rfc8785_of_the_label(fields: dict[str, object]) -> None:
    label = Label.from_mapping(fields)
    assert label.canonical_bytes() == rfc8785.dumps(label.as_json())  # type: ignore[arg-type]
    assert Label.from_canonical_bytes(label.canonical_bytes()) == label


@given(
    fields=label_fields(),
    key_id=label_text,
    stanzas=st.lists(st.tuples(party_codes, label_text), min_size=1, max_size=3),
    chunk_size=st.integers(min_value=1, max_value=16 * 1024 * 1024),
    random=st.binary(min_size=16 + 7 + 32 + 3 * 80, max_size=16 + 7 + 32 + 3 * 80),
)
@settings(max_examples=100)
def test_header_bytes_are_rfc8785_of_the_header(
    fields: dict[str, object],
    key_id: str,
    stanzas: list[tuple[str, str]],
    chunk_size: int,
    random: bytes,
) -> None:
    unique = {stanza_key: party for party, stanza_key in stanzas}  # a key id at most once
    wrapped = [random[55 + 80 * i : 135 + 80 * i] for i in range(len(unique))]
    header = Header(
        envelope_id=random[:16],
        nonce_prefix=random[16:23],
        key_commitment=random[23:55],
        chunk_size=chunk_size,
        label=Label.from_mapping(fields),
        originator_key_id=key_id,
        recipients=tuple(
            Stanza(party, stanza_key, w)
            for (stanza_key, party), w in zip(unique.items(), wrapped, strict=True)
        ),
    )
    assert header.to_bytes() == rfc8785.dumps(header.as_json())  # type: ignore[arg-type]
    assert Header.from_bytes(header.to_bytes()) == header


@given(fields=label_fields())
@settings(max_examples=200)
def test_the_canonical_check_agrees_with_rfc8785(fields: dict[str, object]) -> None:
    label = Label.from_mapping(fields)
    obj = label.as_json()
    canonical = rfc8785.dumps(obj)  # type: ignore[arg-type]
    assert is_canonical_json(obj, canonical)
    assert not is_canonical_json(obj, canonical + b" ")

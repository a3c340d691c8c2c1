"""Audit entries: a closed set of kinds and one canonical, domain-separated encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pactshare.audit.entries import ENTRY_DOMAIN, Entry, EntryKind, JsonValue
from pactshare.audit.merkle import leaf_hash
from pactshare.errors import AuditEntryError

SEOUL = timezone(timedelta(hours=9))
AT = datetime(2019, 11, 22, 23, 59, 59, 500, tzinfo=SEOUL)


def _entry(**details: JsonValue) -> Entry:
    return Entry(
        EntryKind.DECISION,
        AT,
        "KOR",
        "item-7",
        details or {"outcome": "allowed", "rules": ["R-PRO-1", "R-MARK-1"], "hops": 1},
    )


def test_encoding_is_the_tag_then_rfc8785_json_with_the_instant_in_utc() -> None:
    assert _entry().to_bytes() == (
        b"pactshare/audit-entry/v1\x00"
        b'{"actor":"KOR","at":"2019-11-22T14:59:59.000500Z",'
        b'"details":{"hops":1,"outcome":"allowed","rules":["R-PRO-1","R-MARK-1"]},'
        b'"kind":"decision","subject":"item-7"}'
    )


def test_leaf_hash_is_the_rfc9162_hash_of_the_encoding() -> None:
    entry = _entry()
    assert entry.leaf_hash() == leaf_hash(entry.to_bytes())


def test_round_trip_returns_an_equal_entry() -> None:
    entry = _entry(nested={"list": [1, None, True, "ü"], "empty": {}})
    assert Entry.from_bytes(entry.to_bytes()) == entry


def test_equal_entries_built_in_different_zones_have_equal_bytes() -> None:
    in_utc = Entry(EntryKind.ACCESS, AT.astimezone(UTC), "JPN", "item-7", {"a": 1, "b": 2})
    in_seoul = Entry(EntryKind.ACCESS, AT, "JPN", "item-7", {"b": 2, "a": 1})
    assert in_utc.to_bytes() == in_seoul.to_bytes()


def test_details_are_a_read_only_copy() -> None:
    source: dict[str, JsonValue] = {"reasons": ["R-1"]}
    entry = Entry(EntryKind.REFUSAL, AT, "KOR", "item-7", source)
    source["reasons"] = ["changed"]
    assert entry.details["reasons"] == ("R-1",)
    with pytest.raises(TypeError):
        entry.details["reasons"] = ()  # type: ignore[index] # the point: details cannot change


def test_kind_given_as_text_becomes_the_enum() -> None:
    entry = Entry("receipt", AT, "JPN", "item-7")  # type: ignore[arg-type] # as parsed from JSON
    assert entry.kind is EntryKind.RECEIPT


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("promotion", AT, "KOR", "x", {}), "unknown kind 'promotion'; known: access"),
        (("access", datetime(2019, 1, 1), "KOR", "x", {}), "with a UTC offset"),
        (("access", AT, "", "x", {}), "'actor' must be a non-empty string"),
        (("access", AT, "KOR", 7, {}), "'subject' must be a non-empty string"),
        (("access", AT, "K\ud800", "x", {}), "actor is not valid Unicode"),
        (("access", AT, "KOR", "x", []), "'details' must be a mapping"),
        (("access", AT, "KOR", "x", {"amount": 1.5}), "details.amount is a float"),
        (("access", AT, "KOR", "x", {"n": 2**53}), "details.n = 9007199254740992 is not exact"),
        (("access", AT, "KOR", "x", {1: "a"}), "non-string key 1"),
        (("access", AT, "KOR", "x", {"a": [{"b": {1, 2}}]}), r"details.a\[0\].b is a set"),
    ],
)
def test_entries_that_cannot_be_encoded_are_refused(
    fields: tuple[object, ...], message: str
) -> None:
    with pytest.raises(AuditEntryError, match=message):
        Entry(*fields)  # type: ignore[arg-type] # bad values on purpose


def test_deeply_nested_details_are_refused() -> None:
    nested: dict[str, JsonValue] = {}
    for _ in range(40):
        nested = {"n": nested}
    with pytest.raises(AuditEntryError, match="nested deeper than 32"):
        _entry(deep=nested)


def _body(text: str) -> bytes:
    return ENTRY_DOMAIN + text.encode()


GOOD = (
    '{"actor":"KOR","at":"2019-11-22T14:59:59.000500Z","details":{},"kind":"access","subject":"x"}'
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD.encode(), "do not start with the audit-entry tag"),
        (b"pactshare/audit-entry/v2\x00" + GOOD.encode(), "audit-entry tag"),
        (_body(GOOD[:-1]), "not JSON"),
        (ENTRY_DOMAIN + b"\xff", "not JSON"),
        (_body(GOOD.replace('"details":{}', '"details":{"x":1.0}')), "no floats"),
        (_body(GOOD.replace('"details":{}', '"details":{"x":NaN}')), "no floats"),
        (_body(GOOD.replace('"details":{}', '"details":{"x":1,"x":2}')), "duplicate key"),
        (_body(GOOD.replace('"details":{},', "")), "exactly actor, at, details, kind, subject"),
        (_body(GOOD[:-1] + ',"extra":1}'), "exactly actor, at, details, kind, subject"),
        (_body("[]"), "must be an object"),
        (_body(GOOD.replace(".000500Z", "Z")), "'at' must be like"),
        (_body(GOOD.replace(".000500Z", ".000500+00:00")), "'at' must be like"),
        (_body(GOOD.replace(".000500Z", ".5Z")), "not in canonical"),
        (_body(GOOD.replace(",", ", ")), "not in canonical"),
        (_body(GOOD.replace('"actor":"KOR",', "")[:-1] + ',"actor":"KOR"}'), "not in canonical"),
        (_body(GOOD.replace('"x"', '"\\u0078"')), "not in canonical"),
        (_body(GOOD.replace('"kind":"access"', '"kind":"spying"')), "unknown kind 'spying'"),
    ],
)
def test_bytes_that_are_not_a_canonical_entry_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(AuditEntryError, match=message):
        Entry.from_bytes(data)


def test_canonical_bytes_parse() -> None:
    assert Entry.from_bytes(_body(GOOD)).subject == "x"

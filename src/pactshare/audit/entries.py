"""What a leaf of the audit log holds: one entry, in one canonical encoding.

An :class:`Entry` says what happened (``kind``, from a closed set), when (``at``), who did it
(``actor``), to what (``subject``) and the particulars (``details``, JSON values the node
defines per kind). Its bytes — the Merkle leaf data — are::

    b"pactshare/audit-entry/v1\\x00" + RFC 8785 JSON of
    {"actor": …, "at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "details": {…}, "kind": …, "subject": …}

RFC 8785 fixes key order, spacing and string escapes, so equal entries have equal bytes and a
stored row can be re-checked byte for byte. :meth:`Entry.from_bytes` accepts only bytes that
are exactly that encoding (parse, don't validate): anything else is an
:class:`~pactshare.errors.AuditEntryError`, never a silently re-serialised entry.

``details`` holds JSON values except floats (whose canonical text is easy to get wrong across
languages: write amounts as strings or integers); integers must be exact in JSON (|n| < 2**53).
The entry keeps a deep, read-only copy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pactshare import canonical
from pactshare.audit.merkle import leaf_hash
from pactshare.errors import AuditEntryError

__all__ = ["ENTRY_DOMAIN", "Entry", "EntryKind", "JsonValue"]

ENTRY_DOMAIN = b"pactshare/audit-entry/v1\x00"
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 32

JsonValue = None | bool | int | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
"""A JSON value an entry's details may hold (no floats)."""

_FIELDS = frozenset({"actor", "at", "details", "kind", "subject"})
_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class EntryKind(StrEnum):
    """What an entry records: a closed set, so that a verifier can read every entry."""

    ACCESS = "access"
    CONSENT = "consent"
    DECISION = "decision"
    DELIVERY = "delivery"
    EVENT = "event"
    INCIDENT = "incident"
    KEY = "key"
    NOTICE = "notice"
    PROVISION = "provision"
    RECEIPT = "receipt"
    REFUSAL = "refusal"
    REGISTRATION = "registration"


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit entry. Build it from values, or parse it with :meth:`from_bytes`.

    ``at`` must be timezone-aware; it is held in UTC (microsecond precision). ``actor`` and
    ``subject`` are non-empty identifiers the node chooses (a party, a person, an item id).
    """

    kind: EntryKind
    at: datetime
    actor: str
    subject: str
    details: Mapping[str, JsonValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        try:
            kind = EntryKind(self.kind)
        except ValueError:
            known = ", ".join(kind.value for kind in EntryKind)
            raise AuditEntryError(
                f"audit entry: unknown kind {self.kind!r}; known: {known}"
            ) from None
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise AuditEntryError("audit entry: 'at' must be a datetime with a UTC offset")
        for name in ("actor", "subject"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise AuditEntryError(f"audit entry: {name!r} must be a non-empty string")
            _require_text(value, name)
        if not isinstance(self.details, Mapping):
            raise AuditEntryError("audit entry: 'details' must be a mapping")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "details", _freeze(self.details, "details", 0))

    def to_bytes(self) -> bytes:
        """The canonical encoding: the leaf data of this entry in the Merkle log."""
        document: dict[str, JsonValue] = {
            "actor": self.actor,
            "at": self.at.strftime(_INSTANT_FORMAT),
            "details": _thaw(self.details),
            "kind": self.kind.value,
            "subject": self.subject,
        }
        return ENTRY_DOMAIN + canonical.dumps(document)

    def leaf_hash(self) -> bytes:
        """The RFC 9162 leaf hash of :meth:`to_bytes`."""
        return leaf_hash(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Parse an entry from its canonical encoding; refuse anything else, saying why."""
        if not data.startswith(ENTRY_DOMAIN):
            raise AuditEntryError("audit entry: bytes do not start with the audit-entry tag")
        try:
            text = data[len(ENTRY_DOMAIN) :].decode("utf-8")
            document = json.loads(
                text,
                object_pairs_hook=_no_duplicate_keys,
                parse_float=_no_float,
                parse_constant=_no_float,
            )
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise AuditEntryError(f"audit entry: not JSON ({exc})") from exc
        if not isinstance(document, dict) or document.keys() != _FIELDS:
            raise AuditEntryError(
                f"audit entry: must be an object with exactly {', '.join(sorted(_FIELDS))}"
            )
        at = document["at"]
        try:
            instant = datetime.strptime(at, _INSTANT_FORMAT).replace(tzinfo=UTC)
        except (TypeError, ValueError) as exc:
            raise AuditEntryError(
                f"audit entry: 'at' must be like 2026-01-31T12:00:00.000000Z, got {at!r}"
            ) from exc
        entry = cls(
            document["kind"],
            instant,
            document["actor"],
            document["subject"],
            document["details"],
        )
        if entry.to_bytes() != data:
            raise AuditEntryError("audit entry: bytes are not in canonical (RFC 8785) form")
        return entry


def _freeze(value: object, where: str, depth: int) -> JsonValue:
    """A deep read-only copy of a JSON value: mappings as proxies, sequences as tuples."""
    if depth > MAX_DEPTH:
        raise AuditEntryError(f"audit entry: {where} is nested deeper than {MAX_DEPTH}")
    if isinstance(value, str):
        _require_text(value, where)
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise AuditEntryError(f"audit entry: {where} = {value} is not exact in JSON (2**53)")
        return value
    if isinstance(value, Mapping):
        frozen: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditEntryError(f"audit entry: {where} has a non-string key {key!r}")
            _require_text(key, f"a key of {where}")
            frozen[key] = _freeze(item, f"{where}.{key}", depth + 1)
        return MappingProxyType(frozen)
    if isinstance(value, list | tuple):
        return tuple(
            _freeze(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)
        )
    raise AuditEntryError(
        f"audit entry: {where} is a {type(value).__name__}; use strings, integers, booleans, "
        "null, lists or objects"
    )


def _require_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AuditEntryError(f"audit entry: {where} is not valid Unicode text") from None


def _thaw(value: JsonValue) -> JsonValue:
    """The plain JSON value (dicts and lists) of a frozen one, for RFC 8785 encoding."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    return [_thaw(item) for item in value]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key in an object")
    return document


def _no_float(text: str) -> None:
    raise ValueError(f"{text} is not allowed: audit entries hold no floats")

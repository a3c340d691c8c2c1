"""The security label bound to every sealed item, in the spirit of STANAG 4774.

A label says under which policy the item travels (an agreement id or a national policy), who
originated it, at which of the originator's levels it is classified, its topics, to whom it is
releasable, its caveats and purpose, how many copies the originator allows (``copy_limit``,
R-REP-1), and the item's id and creation instant. Its canonical bytes are RFC 8785 JSON; a
:class:`Label` is only ever built from checked values.

A *derived* label is a holder's copy or translation of an item (R-REP-1, R-TRA-1): it carries
every field of the original's label and adds who made it (``derived_by``, the party whose key
signs it), from what (``derived_from``, the SHA-256 of the original's canonical label), how
(``derivation``: ``copy`` or ``translation``) and, for a translation, its ``language`` and the
``note`` in that language that it holds the originating party's information. A label without
these fields has the bytes it always had.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pactshare.errors import InputError, LabelError
from pactshare.files import read_regular
from pactshare.limits import MAX_SCENARIO_FILE, check_id, check_instant, parse_toml
from pactshare.seal._encoding import (
    canonical_array,
    canonical_string,
    is_party_code,
    parse_canonical_json,
    utc_text,
)

__all__ = ["DERIVATIONS", "MAX_COPY_LIMIT", "Label", "label_digest"]

_REQUIRED = ("policy", "originator", "classification", "topics", "releasable_to")
_OPTIONAL = (
    "caveats",
    "purpose",
    "item_id",
    "created_at",
    "copy_limit",
    "derived_from",
    "derived_by",
    "derivation",
    "language",
    "note",
)
_KNOWN = frozenset(_REQUIRED + _OPTIONAL)
_DERIVED_KEYS = ("derived_from", "derived_by", "derivation", "language", "note")
_NOT_DERIVED: dict[str, str | None] = dict.fromkeys(_DERIVED_KEYS)
_MAX_TEXT = 256
MAX_COPY_LIMIT = 1000  # copies an originator may allow of one item
DERIVATIONS = ("copy", "translation")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


def _text(value: object, key: str, source: str | None) -> str:
    if not isinstance(value, str) or not (stripped := value.strip()):
        raise LabelError("must be a non-empty string", file=source, key=key)
    if not value.isascii():  # only text beyond ASCII can hold a lone surrogate
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LabelError(
                "holds a lone surrogate (not Unicode text)", file=source, key=key
            ) from exc
    if len(value) > _MAX_TEXT or value != stripped:
        raise LabelError(
            f"must be at most {_MAX_TEXT} characters without outer spaces", file=source, key=key
        )
    return value


def _texts(value: object, key: str, source: str | None, *, parties: bool) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise LabelError("must be a list of strings", file=source, key=key)
    items = [_text(v, key, source) for v in value]
    if parties:
        for item in items:
            if not is_party_code(item):
                raise LabelError(f"{item!r} is not a three-letter party code", file=source, key=key)
    if len(set(items)) != len(items):
        raise LabelError("lists a value twice", file=source, key=key)
    return tuple(sorted(items))


def _strings(values: tuple[str, ...]) -> bytes:
    """The canonical JSON array of ``values``."""
    return canonical_array(canonical_string(v) for v in values)


def _member(key: str, value: str | int | None) -> bytes:
    """``,"key":value`` in canonical JSON, or nothing for an absent optional field."""
    if value is None:
        return b""
    text = str(value).encode("ascii") if isinstance(value, int) else canonical_string(value)
    return b',"' + key.encode("ascii") + b'":' + text


def _created_at(value: object, source: str | None) -> datetime:
    """An aware instant in the years 1900-2199 (a TOML date-time, or RFC 3339 text), in UTC."""
    at = value
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            at = None
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise LabelError(
            "must be an RFC 3339 instant with a time zone", file=source, key="created_at"
        )
    try:
        return check_instant(at, what="created_at").astimezone(UTC)
    except InputError as exc:
        raise LabelError(
            str(exc).removeprefix("created_at: "), file=source, key="created_at"
        ) from exc


def _item_id(value: object, source: str | None) -> str:
    try:
        return check_id(value, what="item_id")
    except InputError as exc:
        raise LabelError(str(exc).removeprefix("item_id: "), file=source, key="item_id") from exc


def label_digest(canonical: bytes) -> str:
    """What a derived label names its original by: ``sha256:`` and the hex SHA-256 of the
    original's canonical label."""
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _copy_limit(value: object, source: str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COPY_LIMIT:
        raise LabelError(
            f"must be a whole number from 0 to {MAX_COPY_LIMIT}", file=source, key="copy_limit"
        )
    return value


def _derived(
    data: Mapping[str, object], originator: str, source: str | None
) -> dict[str, str | None]:
    """The derivation fields: all of ``derived_from``, ``derived_by`` and ``derivation`` or
    none; ``language`` and ``note`` exactly on a translation."""
    if all(data.get(key) is None for key in _DERIVED_KEYS):  # the common case
        return _NOT_DERIVED
    keys = ("derived_from", "derived_by", "derivation")
    if all(data.get(key) is None for key in keys):
        return dict.fromkeys(keys) | _translation(data, translated=False, source=source)
    for key in keys:
        if data.get(key) is None:
            raise LabelError(
                "a derived label names derived_from, derived_by and derivation together",
                file=source,
                key=key,
            )
    digest = _text(data["derived_from"], "derived_from", source)
    if not _DIGEST.fullmatch(digest):
        raise LabelError(
            "must be sha256: and 64 lowercase hex digits (the original label's digest)",
            file=source,
            key="derived_from",
        )
    holder = _text(data["derived_by"], "derived_by", source)
    if not is_party_code(holder):
        raise LabelError("must be a three-letter party code", file=source, key="derived_by")
    if holder == originator:
        raise LabelError(
            "the originator copies under its own label; a derived label is a holder's",
            file=source,
            key="derived_by",
        )
    derivation = _text(data["derivation"], "derivation", source)
    if derivation not in DERIVATIONS:
        raise LabelError(f"must be one of {', '.join(DERIVATIONS)}", file=source, key="derivation")
    fields: dict[str, str | None] = {
        "derived_from": digest,
        "derived_by": holder,
        "derivation": derivation,
    }
    return fields | _translation(data, translated=derivation == "translation", source=source)


def _translation(
    data: Mapping[str, object], *, translated: bool, source: str | None
) -> dict[str, str | None]:
    """``language`` and ``note``: both on a translation's label, neither on a copy's."""
    fields: dict[str, str | None] = {}
    for key in ("language", "note"):
        value = data.get(key)
        if translated and value is None:
            raise LabelError("a translation's label needs it", file=source, key=key)
        if not translated and value is not None:
            raise LabelError("only a translation's label has it", file=source, key=key)
        fields[key] = None if value is None else _text(value, key, source)
    language = fields["language"]
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise LabelError(
            "must be an ISO 639 language code (two or three lowercase letters)",
            file=source,
            key="language",
        )
    return fields


@dataclass(frozen=True, slots=True)
class Label:
    """A checked security label. Lists are kept sorted, so equal labels have equal bytes."""

    policy: str
    originator: str
    classification: str
    topics: tuple[str, ...]
    releasable_to: tuple[str, ...]
    item_id: str
    created_at: datetime
    caveats: tuple[str, ...] = field(default=())
    purpose: str | None = None
    copy_limit: int | None = None
    derived_from: str | None = None
    derived_by: str | None = None
    derivation: str | None = None
    language: str | None = None
    note: str | None = None
    # Computed once and kept (a frozen value never changes); not part of its identity.
    _canonical: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Re-check through the same parser, so that a Label can never hold unchecked values.
        if not isinstance(self.created_at, datetime) or self.created_at.tzinfo is None:
            raise LabelError("must be a timezone-aware instant", key="created_at")
        Label.from_mapping(self.as_json(), source=None)

    def as_json(self) -> dict[str, object]:
        """The label as a JSON object (the input of its canonical bytes)."""
        obj: dict[str, object] = {
            "policy": self.policy,
            "originator": self.originator,
            "classification": self.classification,
            "topics": list(self.topics),
            "releasable_to": list(self.releasable_to),
            "caveats": list(self.caveats),
            "item_id": self.item_id,
            "created_at": utc_text(self.created_at),
        }
        optional = {
            "purpose": self.purpose,
            "copy_limit": self.copy_limit,
            "derived_from": self.derived_from,
            "derived_by": self.derived_by,
            "derivation": self.derivation,
            "language": self.language,
            "note": self.note,
        }
        obj.update((key, value) for key, value in optional.items() if value is not None)
        return obj

    @property
    def signer(self) -> str:
        """The party whose key signs this label: the holder of a derived item, else the
        originator."""
        return self.originator if self.derived_by is None else self.derived_by

    def canonical_digest(self) -> str:
        """``sha256:`` and the hex SHA-256 of the canonical bytes (what a copy names)."""
        return label_digest(self.canonical_bytes())

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`as_json`: the bytes that are signed.

        Composed from canonical values between the member keys, in their fixed order (RFC
        8785 sorts ASCII keys as plain strings); a property test holds it equal to the
        library's output.
        """
        cached = getattr(self, "_canonical", None)
        if cached is None:  # computed once: a frozen label never changes
            purpose = self.purpose
            cached = b"".join(
                (
                    b'{"caveats":',
                    _strings(self.caveats),
                    b',"classification":',
                    canonical_string(self.classification),
                    _member("copy_limit", self.copy_limit),
                    b',"created_at":',
                    canonical_string(utc_text(self.created_at)),
                    _member("derivation", self.derivation),
                    _member("derived_by", self.derived_by),
                    _member("derived_from", self.derived_from),
                    b',"item_id":',
                    canonical_string(self.item_id),
                    _member("language", self.language),
                    _member("note", self.note),
                    b',"originator":',
                    canonical_string(self.originator),
                    b',"policy":',
                    canonical_string(self.policy),
                    b"" if purpose is None else b',"purpose":' + canonical_string(purpose),
                    b',"releasable_to":',
                    _strings(self.releasable_to),
                    b',"topics":',
                    _strings(self.topics),
                    b"}",
                )
            )
            object.__setattr__(self, "_canonical", cached)
        return bytes(cached)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, object],
        *,
        source: str | None = None,
        item_id: str | None = None,
        created_at: datetime | None = None,
    ) -> Label:
        """Build a label from a mapping; ``item_id``/``created_at`` fill in missing fields."""
        unknown = data.keys() - _KNOWN
        if unknown:
            raise LabelError("unknown field", file=source, key=sorted(unknown)[0])
        for key in _REQUIRED:
            if key not in data:
                raise LabelError("required field is missing", file=source, key=key)
        originator = _text(data["originator"], "originator", source)
        if not is_party_code(originator):
            raise LabelError("must be a three-letter party code", file=source, key="originator")
        releasable = _texts(data["releasable_to"], "releasable_to", source, parties=True)
        if not releasable:
            raise LabelError("must name at least one party", file=source, key="releasable_to")
        raw_item = data.get("item_id", item_id)
        if raw_item is None:
            raise LabelError("required field is missing", file=source, key="item_id")
        at = _created_at(data.get("created_at", created_at), source)
        purpose = data.get("purpose")
        derived = _derived(data, originator, source)
        label = object.__new__(cls)
        values = {
            "policy": _text(data["policy"], "policy", source),
            "originator": originator,
            "classification": _text(data["classification"], "classification", source),
            "topics": _texts(data["topics"], "topics", source, parties=False),
            "releasable_to": releasable,
            "item_id": _item_id(raw_item, source),
            "created_at": at,
            "caveats": _texts(data.get("caveats", []), "caveats", source, parties=False),
            "purpose": None if purpose is None else _text(purpose, "purpose", source),
            "copy_limit": _copy_limit(data.get("copy_limit"), source),
            **derived,
        }
        for name, value in values.items():
            object.__setattr__(label, name, value)  # bypass __post_init__: values are checked
        return label

    def _adopt_canonical(self, data: bytes) -> None:
        """Cache ``data`` as this label's canonical bytes (the caller has checked them)."""
        object.__setattr__(self, "_canonical", data)

    @classmethod
    def from_toml_file(
        cls, path: Path, *, item_id: str | None = None, created_at: datetime | None = None
    ) -> Label:
        """Read a label file (TOML); the message of any error names the file and the key."""
        data = cls.read_toml(path)
        return cls.from_mapping(data, source=str(path), item_id=item_id, created_at=created_at)

    @staticmethod
    def read_toml(path: Path) -> dict[str, object]:
        """A label file's fields, not yet checked (see :meth:`from_mapping`)."""
        try:
            data = read_regular(path, MAX_SCENARIO_FILE)
        except InputError as exc:
            raise LabelError(f"label file: {exc}", file=str(path)) from exc
        try:
            return parse_toml(data.decode("utf-8"), what=str(path))
        except UnicodeDecodeError as exc:
            raise LabelError("not UTF-8 text", file=str(path)) from exc
        except InputError as exc:
            raise LabelError(str(exc).removeprefix(f"{path}: "), file=str(path)) from exc

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> Label:
        """Parse bytes produced by :meth:`canonical_bytes`; raise ``LabelError`` otherwise."""
        try:
            obj = parse_canonical_json(data)
        except ValueError as exc:
            raise LabelError(f"label is not canonical JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise LabelError("label is not a JSON object")
        label = cls.from_mapping(obj)
        if label.canonical_bytes() != data:
            raise LabelError("label bytes are not canonical")
        return label

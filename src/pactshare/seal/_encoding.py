"""Byte-level helpers shared by the seal modules: length prefixes, base64url, canonical JSON.

Everything that is signed or bound is built here from length-prefixed fields behind a
domain-separation string, so that no two different messages encode to the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pactshare.canonical import CanonicalizationError
from pactshare.canonical import dumps as canonical_json
from pactshare.errors import InputError
from pactshare.limits import parse_json as parse_bounded_json

# Domain-separation strings: each signed or bound structure has its own, NUL-terminated.
DOMAIN_KEY_ID = b"pactshare/key-id/v1\x00"
DOMAIN_RECORD = b"pactshare/public-key-record/v1\x00"
DOMAIN_SIGNATURE = b"pactshare/envelope/v1/signature\x00"
DOMAIN_HOP = b"pactshare/envelope/v1/hop\x00"
DOMAIN_WRAP = b"pactshare/envelope/v1/wrap\x00"
DOMAIN_CHUNK = b"pactshare/envelope/v1/chunk\x00"
DOMAIN_KEY_COMMITMENT = b"pactshare/envelope/v1/key-commitment\x00"


def lp(data: bytes) -> bytes:
    """``data`` prefixed with its length as a 32-bit big-endian integer."""
    return struct.pack(">I", len(data)) + data


def lp_list(items: list[bytes]) -> bytes:
    """A count (32-bit big-endian) followed by each item length-prefixed."""
    return struct.pack(">I", len(items)) + b"".join(lp(item) for item in items)


def b64e(data: bytes) -> str:
    """Unpadded base64url, the encoding of every binary value inside JSON."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    """Decode unpadded base64url strictly; raise ``ValueError`` on anything else."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    raw = b64d_unchecked(text)
    if b64e(raw) != text:  # reject non-canonical encodings (stray bits in the last char)
        raise ValueError("non-canonical base64url")
    return raw


def b64d_unchecked(text: str) -> bytes:
    """Decode base64url without checking that ``text`` is the canonical encoding of what it
    decodes to (it may hold padding, stray bits, even characters outside the alphabet, which
    are skipped). Only for a caller that then compares the bytes ``text`` came from with their
    recomposition from the decoded value (:meth:`pactshare.seal.header.Header.from_bytes`):
    equal bytes prove ``text`` canonical. ``ValueError`` if it cannot be decoded at all."""
    if not isinstance(text, str):
        raise ValueError("expected base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64url") from exc


def canonical_string(text: str) -> bytes:
    """RFC 8785 canonical JSON of one string value.

    Printable ASCII without a quote or backslash needs no escaping, so it is quoted directly
    (ids, base64url, party codes: the common case); anything else goes through
    :func:`pactshare.canonical.dumps`.
    """
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return b'"' + text.encode("ascii") + b'"'
    return canonical_json(text)


def canonical_array(items: Iterable[bytes]) -> bytes:
    """A JSON array from already-canonical item bytes."""
    return b"[" + b",".join(items) + b"]"


def is_canonical_json(obj: object, data: bytes) -> bool:
    """Whether ``data`` is the RFC 8785 form of ``obj`` (``False`` when ``obj`` has none)."""
    try:
        return canonical_json(obj) == data
    except ValueError:  # CanonicalizationError, or a key the library cannot sort
        return False


def first_difference(obj: object, data: bytes) -> str:
    """The path (``label.topics[1]``, ``chunk_size``) of the first member of ``obj`` whose
    RFC 8785 form ``data`` does not hold where it should, or ``""`` for the object's own
    frame (its braces, commas, or bytes after it): what to name when ``data`` is not
    canonical. Raises ``ValueError`` if ``obj`` has no canonical form."""
    canonical = canonical_json(obj)
    offset = next(
        (i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b),
        min(len(canonical), len(data)),
    )
    return _path_at(obj, offset)


def _path_at(value: object, offset: int) -> str:
    """The path of the member of ``value``'s canonical form that holds byte ``offset``."""
    if isinstance(value, dict):
        members = [(str(key), canonical_json(key) + b":", value[key]) for key in sorted(value)]
    elif isinstance(value, list):
        members = [(f"[{index}]", b"", item) for index, item in enumerate(value)]
    else:
        return ""
    position = 1  # after the opening bracket
    for name, prefix, member in members:
        end = position + len(prefix) + len(canonical_json(member))
        if offset < end:
            inner_offset = offset - position - len(prefix)
            inner = _path_at(member, inner_offset) if inner_offset >= 0 else ""
            if not inner:
                return name
            return name + inner if inner.startswith("[") else f"{name}.{inner}"
        position = end + 1  # past the comma
    return ""


def parse_json(data: bytes) -> Any:  # JSON values are untyped until checked
    """Parse UTF-8 JSON within pactshare's bounds (:func:`pactshare.limits.parse_json`);
    raise ``ValueError`` (only) on anything else."""
    try:
        return parse_bounded_json(data, what="JSON")
    except InputError as exc:
        raise ValueError(str(exc)) from exc


def parse_canonical_json(data: bytes) -> object:
    """Parse JSON and insist that ``data`` is exactly its RFC 8785 canonical form.

    Raises ``ValueError`` otherwise. Requiring canonical bytes means that no two byte strings
    parse to the same value, so a changed byte can never go unnoticed.
    """
    obj = parse_json(data)
    try:
        canonical = canonical_json(obj)
    except (CanonicalizationError, ValueError, TypeError) as exc:
        raise ValueError("JSON outside the RFC 8785 domain") from exc
    if canonical != data:
        raise ValueError("JSON is not in RFC 8785 canonical form")
    return obj


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def is_party_code(text: object) -> bool:
    """Whether ``text`` is an ISO 3166-1 alpha-3 style party code (three capital letters)."""
    return (
        isinstance(text, str)
        and len(text) == 3
        and text.isascii()
        and text.isalpha()
        and text.isupper()
    )


def utc_text(at: datetime) -> str:
    """An aware instant as RFC 3339 UTC text (``2026-11-23T10:40:20Z``, microseconds if any)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    at = at.astimezone(UTC)
    if at.year < 1000:  # strftime writes such a year unpadded, ISO 8601 would pad it
        return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ")
    # The same text as strftime's, without its cost: "+00:00" becomes "Z", and the
    # microseconds are written (six digits) only if there are any.
    return at.isoformat()[:-6] + "Z"


def parse_utc_text(text: object) -> datetime:
    """Parse the output of :func:`utc_text` (or any RFC 3339 instant with an offset)."""
    if not isinstance(text, str):
        raise ValueError("expected an RFC 3339 instant as text")
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("instant must carry a time zone (e.g. a trailing Z)")
    return at.astimezone(UTC)

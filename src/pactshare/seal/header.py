"""Format v1 of the envelope: its sections and header (what binds them and what is signed:
:mod:`pactshare.seal.binding`; hop records: :mod:`pactshare.seal.hops`).

::

    envelope  = preamble header hops chunk-record* trailer
    preamble  = "PSXE" version:u16
    header    = length:u32 canonical-JSON          (written once, by the originator)
    hops      = length:u32 canonical-JSON-array    (a hub appends its signed hop record)
    chunk     = flag:u8 length:u32 ciphertext-and-tag   (see :mod:`pactshare.seal.stream`)
    trailer   = originator's Ed25519 signature (64 bytes), then the end of the stream

``docs/envelope.md`` is the full specification.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pactshare.canonical import dumps as canonical_json
from pactshare.errors import (
    EnvelopeMalformedError,
    EnvelopeVersionError,
    LabelError,
)
from pactshare.seal._encoding import (
    b64d,
    b64d_unchecked,
    b64e,
    canonical_string,
    first_difference,
    is_canonical_json,
    is_party_code,
    parse_json,
    sha256,
)
from pactshare.seal.label import Label
from pactshare.seal.stream import MAX_CHUNK_SIZE, NONCE_PREFIX_SIZE, Readable, read_exact

__all__ = [
    "ENVELOPE_ID_SIZE",
    "KEY_COMMITMENT_SIZE",
    "MAGIC",
    "SIGNATURE_SIZE",
    "SUITE",
    "VERSION",
    "Header",
    "Stanza",
    "read_preamble",
    "read_section",
    "section",
    "stanzas",
]

MAGIC = b"PSXE"
VERSION = 1
SUITE = (
    "Ed25519; HPKE base DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM; "
    "AES-256-GCM STREAM; BLAKE3-256"
)
ENVELOPE_ID_SIZE = 16
SIGNATURE_SIZE = 64
KEY_COMMITMENT_SIZE = 32
WRAPPED_KEY_SIZE = 32 + 32 + 16  # HPKE enc || AES-256-GCM(data key) || tag
MAX_SECTION = 1024 * 1024
_PREAMBLE = struct.Struct(">4sH")
_LENGTH = struct.Struct(">I")


def read_preamble(source: Readable) -> int:
    """Check the magic and the version; return the version."""
    raw = read_exact(source, _PREAMBLE.size)
    if len(raw) < _PREAMBLE.size:
        raise EnvelopeMalformedError("too short to be an envelope (no preamble)")
    magic, version = _PREAMBLE.unpack(raw)
    if magic != MAGIC:
        raise EnvelopeMalformedError("not a pactshare envelope (bad magic bytes)")
    if version != VERSION:
        raise EnvelopeVersionError(
            f"envelope format version {version} is not supported (this build reads {VERSION})",
            version=version,
        )
    return int(version)


def preamble() -> bytes:
    return _PREAMBLE.pack(MAGIC, VERSION)


def section(data: bytes) -> bytes:
    """A length-prefixed section (header or hops)."""
    return _LENGTH.pack(len(data)) + data


def read_section(source: Readable, name: str) -> bytes:
    raw = read_exact(source, _LENGTH.size)
    if len(raw) < _LENGTH.size:
        raise EnvelopeMalformedError(f"envelope ends before its {name} (truncated)")
    (length,) = _LENGTH.unpack(raw)
    if length > MAX_SECTION:
        raise EnvelopeMalformedError(f"{name} declares {length} bytes, more than the format allows")
    data = read_exact(source, length)
    if len(data) < length:
        raise EnvelopeMalformedError(f"envelope ends inside its {name} (truncated)")
    return bytes(data)


@dataclass(frozen=True, slots=True)
class Stanza:
    """The data key wrapped with HPKE for one recipient key."""

    party: str
    key_id: str
    wrapped_key: bytes

    def as_json(self) -> dict[str, object]:
        return {"party": self.party, "key_id": self.key_id, "wrapped_key": b64e(self.wrapped_key)}

    @classmethod
    def from_json(cls, obj: object, *, decode: Callable[[str], bytes] = b64d) -> Stanza:
        """A stanza from its parsed JSON; ``decode``: how its base64url is decoded (strictly
        unless the caller compares the recomposed bytes, see :func:`b64d_unchecked`)."""
        if not isinstance(obj, dict) or set(obj) != {"party", "key_id", "wrapped_key"}:
            raise ValueError("a recipient must have exactly party, key_id, wrapped_key")
        party, key_id = obj["party"], obj["key_id"]
        if not is_party_code(party) or not isinstance(key_id, str):
            raise ValueError("a recipient has a bad party or key id")
        wrapped = decode(obj["wrapped_key"])
        if len(wrapped) != WRAPPED_KEY_SIZE:
            raise ValueError("a wrapped key has the wrong size")
        return cls(party, key_id, wrapped)


def stanzas(value: object, *, decode: Callable[[str], bytes] = b64d) -> tuple[Stanza, ...]:
    """The recipients' stanzas of a parsed header or hop record, each key id once."""
    if not isinstance(value, list):
        raise ValueError("recipients must be a list")
    stanzas = tuple(Stanza.from_json(item, decode=decode) for item in value)
    if len({s.key_id for s in stanzas}) != len(stanzas):
        raise ValueError("a recipient key id appears twice")
    return stanzas


_HEADER_KEYS = {
    "suite",
    "envelope_id",
    "nonce_prefix",
    "key_commitment",
    "chunk_size",
    "label",
    "originator_key_id",
    "recipients",
}


@dataclass(frozen=True, slots=True)
class Header:
    """The originator's header: what the trailer signature and every chunk are bound to."""

    envelope_id: bytes
    nonce_prefix: bytes
    key_commitment: bytes
    chunk_size: int
    label: Label
    originator_key_id: str
    recipients: tuple[Stanza, ...]
    # Computed once and kept (a frozen value never changes); not part of its identity.
    _bytes: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _digest: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def digest(self) -> bytes:
        """SHA-256 of :meth:`to_bytes`, which binds every header field (the chunks' associated
        data, the signed message and each hop record name it), computed once."""
        cached = getattr(self, "_digest", None)
        if cached is None:
            cached = sha256(self.to_bytes())
            object.__setattr__(self, "_digest", cached)
        return cached

    def to_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of the header, composed from canonical parts.

        This equals canonicalising :meth:`as_json` whole (a property test checks it). Its
        members have fixed ASCII keys, so their order is fixed: the bytes are the label's
        cached canonical bytes and a few values between constant parts (those around the
        key ids are made anew each time: a cache of them would grow with a hostile header's
        key ids, which are checked against the directory only after it is parsed).
        """
        cached = getattr(self, "_bytes", None)
        if cached is None:
            parts = [
                b'{"chunk_size":',
                str(self.chunk_size).encode("ascii"),
                b',"envelope_id":"',
                _b64(self.envelope_id),
                b'","key_commitment":"',
                _b64(self.key_commitment),
                b'","label":',
                self.label.canonical_bytes(),
                b',"nonce_prefix":"',
                _b64(self.nonce_prefix),
                _originator_part(self.originator_key_id),
            ]
            for index, stanza in enumerate(self.recipients):
                parts.append(_stanza_part(stanza.key_id, stanza.party, first=index == 0))
                parts.append(_b64(stanza.wrapped_key))
            if self.recipients:
                parts.append(b'"}')  # closes the last stanza
            parts.append(_SUITE_PART)
            cached = b"".join(parts)
            object.__setattr__(self, "_bytes", cached)
        return bytes(cached)

    def as_json(self) -> dict[str, object]:
        """The header as a JSON object (what :meth:`to_bytes` canonicalises)."""
        return {
            "suite": SUITE,
            "envelope_id": b64e(self.envelope_id),
            "nonce_prefix": b64e(self.nonce_prefix),
            "key_commitment": b64e(self.key_commitment),
            "chunk_size": self.chunk_size,
            "label": self.label.as_json(),
            "originator_key_id": self.originator_key_id,
            "recipients": [s.as_json() for s in self.recipients],
        }

    @classmethod
    def from_bytes(cls, data: bytes) -> Header:
        """Parse a header, insisting on its exact canonical bytes."""
        header = cls._recomposed(data)
        if header is not None:
            return header
        try:
            obj = parse_json(data)
            header = cls._from_json(obj)
        except (ValueError, LabelError) as exc:
            raise EnvelopeMalformedError(f"envelope header is malformed ({exc})") from exc
        _require_canonical(obj, data, header.label, header.recipients)
        # The label's canonical bytes are the ones inside the header (checked just above).
        header.label._adopt_canonical(canonical_json(obj["label"]))
        object.__setattr__(header, "_bytes", data)
        return header

    @classmethod
    def _recomposed(cls, data: bytes) -> Header | None:
        """The header if ``data`` are exactly the canonical bytes of a valid header, else
        ``None`` (then the full parse says what is wrong).

        The common case, checked once: a plain parse, the field checks, and one
        recomposition compared with ``data``. Equal bytes imply every bound the full parse
        enforces (no key twice, no lone surrogate, no float, integers in range, each binary
        value in canonical base64url: the recomposition encodes the decoded bytes anew, and
        the same bytes parse to the same text, so the text was that encoding; hence the
        base64url is decoded here without that check, which the full parse makes).
        """
        try:
            header = cls._from_json(json.loads(data), decode=b64d_unchecked)
            if header.to_bytes() != data:
                return None
        except (ValueError, TypeError, LabelError, RecursionError):
            return None
        object.__setattr__(header, "_bytes", data)
        return header

    @classmethod
    def _from_json(
        cls,
        obj: Any,  # a parsed header, untyped until checked
        *,
        decode: Callable[[str], bytes] = b64d,
    ) -> Header:
        """A header from its parsed JSON, every field checked (its base64url decoded with
        ``decode``); ``ValueError`` or :class:`LabelError` otherwise."""
        if not isinstance(obj, dict) or set(obj) != _HEADER_KEYS:
            raise ValueError("header fields are missing or unknown")
        if obj["suite"] != SUITE:
            raise ValueError("unknown algorithm suite")
        envelope_id, prefix = decode(obj["envelope_id"]), decode(obj["nonce_prefix"])
        if len(envelope_id) != ENVELOPE_ID_SIZE or len(prefix) != NONCE_PREFIX_SIZE:
            raise ValueError("envelope id or nonce prefix has the wrong size")
        commitment = decode(obj["key_commitment"])
        if len(commitment) != KEY_COMMITMENT_SIZE:
            raise ValueError("key commitment has the wrong size")
        chunk_size = obj["chunk_size"]
        if type(chunk_size) is not int or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError("chunk size out of range")
        if not isinstance(obj["label"], dict) or not isinstance(obj["originator_key_id"], str):
            raise ValueError("label or originator key id has the wrong type")
        label = Label.from_mapping(obj["label"])
        recipients = stanzas(obj["recipients"], decode=decode)
        if not recipients:
            raise ValueError("no recipients")
        return cls(
            envelope_id=envelope_id,
            nonce_prefix=prefix,
            key_commitment=commitment,
            chunk_size=chunk_size,
            label=label,
            originator_key_id=obj["originator_key_id"],
            recipients=recipients,
        )


def _b64(data: bytes) -> bytes:
    """Unpadded base64url as ASCII bytes (what :func:`b64e` gives as text)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_SUITE_PART = b'],"suite":' + canonical_string(SUITE) + b"}"


def _originator_part(key_id: str) -> bytes:
    """The header's constant bytes between the nonce prefix and the first stanza."""
    return b'","originator_key_id":' + canonical_string(key_id) + b',"recipients":['


def _stanza_part(key_id: str, party: str, *, first: bool) -> bytes:
    """A stanza's constant bytes up to its wrapped key (with what closes the one before)."""
    head = b'{"key_id":' + canonical_string(key_id) + b',"party":' + canonical_string(party)
    return (b"" if first else b'"},') + head + b',"wrapped_key":"'


def _require_canonical(
    obj: dict[str, Any], data: bytes, label: Label, recipients: tuple[Stanza, ...]
) -> None:
    """Canonical: the values survive a round trip through our types (a label's lists come
    back sorted, its instant as UTC text) and the bytes are RFC 8785 of the parsed JSON. A
    refusal names the first field that differs, as a path (``label.topics``)."""
    label_json = label.as_json()
    for key in sorted(set(label_json) | set(obj["label"])):
        if label_json.get(key) != obj["label"].get(key):
            raise _not_canonical(f"label.{key}")
    for index, (stanza, raw) in enumerate(zip(recipients, obj["recipients"], strict=True)):
        if stanza.as_json() != raw:
            raise _not_canonical(f"recipients[{index}]")
    if not is_canonical_json(obj, data):
        try:
            field = first_difference(obj, data)
        except ValueError:  # text that UTF-8 cannot encode (a lone surrogate): no path
            field = ""
        raise _not_canonical(field)


def _not_canonical(field: str) -> EnvelopeMalformedError:
    where = f" (at {field})" if field else ""
    return EnvelopeMalformedError(f"envelope header is not in canonical form{where}")

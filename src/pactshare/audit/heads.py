"""Signed tree heads: what a node commits to, signed with its Ed25519 key, co-signed by peers.

A :class:`TreeHead` is ``(size, root, timestamp)``. Its signing bytes are fixed-width and
domain-separated, never re-serialised JSON::

    b"pactshare/tree-head/v1\\x00"     23 bytes, the domain tag
    size                              8 bytes, unsigned big-endian
    root                              32 bytes, the RFC 9162 root hash
    timestamp                         8 bytes, unsigned big-endian milliseconds since
                                      1970-01-01T00:00:00Z (the head's time, in UTC)

A **cosignature** is a second party's (a witness's) Ed25519 signature over the same head
fields under its own tag, ``b"pactshare/tree-head-cosignature/v1\\x00"``, so that a log's
signature and a witness's cosignature can never stand in for one another even if a key served
both roles. A witness cosigns only a head whose log signature it has verified (:func:`cosign`
checks it) and which it has checked to extend the last head it cosigned (with
:func:`~pactshare.audit.merkle.verify_consistency`; that is the caller's state).

JSON (:meth:`SignedTreeHead.to_json`, :meth:`SignedTreeHead.from_json`; as a parsed object,
``to_dict`` and ``from_dict``) is only a transport form: RFC 8785 canonical, with ``root`` and
signatures in lowercase hex and ``timestamp`` as RFC 3339 UTC with milliseconds.
The parser returns only well-formed heads and says precisely what is wrong otherwise; it does
not check signatures (that needs a key: :func:`verify_head`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pactshare import canonical
from pactshare.audit.merkle import HASH_SIZE
from pactshare.errors import InputError, InvalidTreeHeadError, translated
from pactshare.limits import parse_json

__all__ = [
    "COSIGNATURE_DOMAIN",
    "HEAD_DOMAIN",
    "Cosignature",
    "HeadDict",
    "SignedTreeHead",
    "TreeHead",
    "cosign",
    "key_id_of",
    "sign_head",
    "verify_cosignature",
    "verify_head",
]

HEAD_DOMAIN = b"pactshare/tree-head/v1\x00"
COSIGNATURE_DOMAIN = b"pactshare/tree-head-cosignature/v1\x00"
SIGNATURE_SIZE = 64
MAX_SIZE = 2**53 - 1  # the largest integer JSON (RFC 8785) carries exactly
MAX_KEY_ID = 128

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A signed head as a JSON object: what :meth:`SignedTreeHead.to_dict` gives.
HeadDict = dict[str, int | str | list[dict[str, str]]]
_FIELDS = struct.Struct(">Q32sQ")


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A commitment to the first ``size`` entries of a log: their ``root``, at ``timestamp``.

    ``timestamp`` must be timezone-aware; it is held in UTC at millisecond precision (finer
    digits are dropped when the head is built, so that the head equals its encoding).
    """

    size: int
    root: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        size_ok = isinstance(self.size, int) and not isinstance(self.size, bool)
        if not size_ok or not 0 <= self.size <= MAX_SIZE:
            raise InvalidTreeHeadError(f"tree head: size must be 0 … 2**53-1, got {self.size!r}")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            got = f"{len(self.root)} bytes" if isinstance(self.root, bytes) else "no bytes"
            raise InvalidTreeHeadError(f"tree head: root must be {HASH_SIZE} bytes, got {got}")
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise InvalidTreeHeadError("tree head: the timestamp needs a UTC offset")
        utc = self.timestamp.astimezone(UTC)
        millis = (utc - _EPOCH) // timedelta(milliseconds=1)
        if millis < 0:
            raise InvalidTreeHeadError("tree head: the timestamp is before 1970")
        object.__setattr__(self, "timestamp", _EPOCH + timedelta(milliseconds=millis))

    @property
    def timestamp_ms(self) -> int:
        """Milliseconds since 1970-01-01T00:00:00Z, as signed."""
        return (self.timestamp - _EPOCH) // timedelta(milliseconds=1)

    def signing_bytes(self) -> bytes:
        """The bytes the log's key signs (see the module docstring)."""
        return HEAD_DOMAIN + self._fields()

    def cosigning_bytes(self) -> bytes:
        """The bytes a witness signs: the same fields under the cosignature tag."""
        return COSIGNATURE_DOMAIN + self._fields()

    def _fields(self) -> bytes:
        return _FIELDS.pack(self.size, self.root, self.timestamp_ms)


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's signature over a head's :meth:`TreeHead.cosigning_bytes`."""

    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        _check_key_id(self.key_id, "cosignature")
        _check_signature(self.signature, "cosignature")


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A tree head with the log's signature and any witnesses' cosignatures.

    Building one checks only the form (key ids, signature lengths, no witness twice); whether
    the signatures verify needs the keys: :func:`verify_head`, :func:`verify_cosignature`.
    """

    head: TreeHead
    key_id: str
    signature: bytes
    cosignatures: tuple[Cosignature, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_key_id(self.key_id, "signed tree head")
        _check_signature(self.signature, "signed tree head")
        witnesses = [cosignature.key_id for cosignature in self.cosignatures]
        if len(set(witnesses)) != len(witnesses):
            raise InvalidTreeHeadError("signed tree head: a witness cosigned twice")

    @property
    def size(self) -> int:
        return self.head.size

    @property
    def root(self) -> bytes:
        return self.head.root

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedTreeHead:
        """Parse a signed tree head from JSON; raise :class:`InvalidTreeHeadError` naming the fault.

        Only the form is checked (keys, types, lengths, encodings); verify the signature with
        :func:`verify_head`.
        """
        try:
            document = parse_json(text, what="signed tree head")
        except InputError as exc:
            raise InvalidTreeHeadError(f"signed tree head: not JSON ({exc})") from exc
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: object) -> SignedTreeHead:
        """The head of a parsed JSON object (untrusted: checked as :meth:`from_json` does)."""
        return _parse(document)

    def to_dict(self) -> HeadDict:
        """The JSON object of this head, its keys in RFC 8785 order (as :meth:`to_json`)."""
        return {
            "cosignatures": [
                {"key_id": c.key_id, "signature": c.signature.hex()} for c in self.cosignatures
            ],
            "key_id": self.key_id,
            "root": self.root.hex(),
            "signature": self.signature.hex(),
            "size": self.size,
            "timestamp": _format_instant(self.head.timestamp),
        }

    def to_json(self) -> str:
        """The RFC 8785 canonical JSON form of this signed tree head."""
        return canonical.dumps(self.to_dict()).decode("utf-8")

    def cosignature(self, key_id: str) -> Cosignature | None:
        """The cosignature by witness ``key_id``, if there is one."""
        return next((c for c in self.cosignatures if c.key_id == key_id), None)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A stable identifier for an Ed25519 key: ``ed25519:`` + SHA-256 of its raw bytes (hex)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()


def sign_head(head: TreeHead, private_key: Ed25519PrivateKey, key_id: str) -> SignedTreeHead:
    """Sign ``head`` with the log's key, identified as ``key_id``."""
    return SignedTreeHead(head, key_id, private_key.sign(head.signing_bytes()))


def verify_head(signed: SignedTreeHead, public_key: Ed25519PublicKey) -> None:
    """Check the log's signature on ``signed``; raise :class:`InvalidTreeHeadError` if wrong."""
    with translated(
        InvalidTreeHeadError,
        f"the signature of the tree head at size {signed.size} by {signed.key_id} does not verify",
    ):
        public_key.verify(signed.signature, signed.head.signing_bytes())


def cosign(
    signed: SignedTreeHead,
    private_key: Ed25519PrivateKey,
    key_id: str,
    *,
    log_key: Ed25519PublicKey,
) -> SignedTreeHead:
    """Witness ``signed``: verify the log's signature with ``log_key``, then add a cosignature.

    Fails closed: a head whose log signature does not verify is never cosigned. Checking that
    the head extends the last one this witness cosigned is the caller's part.
    """
    verify_head(signed, log_key)
    if signed.cosignature(key_id) is not None:
        raise InvalidTreeHeadError(
            f"the tree head at size {signed.size} is already cosigned by {key_id}"
        )
    cosignature = Cosignature(key_id, private_key.sign(signed.head.cosigning_bytes()))
    return replace(signed, cosignatures=(*signed.cosignatures, cosignature))


def verify_cosignature(signed: SignedTreeHead, key_id: str, public_key: Ed25519PublicKey) -> None:
    """Check that witness ``key_id`` cosigned ``signed``; raise if absent or wrong."""
    cosignature = signed.cosignature(key_id)
    if cosignature is None:
        raise InvalidTreeHeadError(
            f"the tree head at size {signed.size} has no cosignature by {key_id}"
        )
    with translated(
        InvalidTreeHeadError,
        f"the cosignature of the tree head at size {signed.size} by {key_id} does not verify",
    ):
        public_key.verify(cosignature.signature, signed.head.cosigning_bytes())


_HEAD_KEYS = frozenset({"size", "root", "timestamp", "key_id", "signature", "cosignatures"})
_COSIGNATURE_KEYS = frozenset({"key_id", "signature"})


def _parse(document: object) -> SignedTreeHead:
    head = _object(document, _HEAD_KEYS, "signed tree head")
    size = head["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidTreeHeadError(f"signed tree head: 'size' must be an integer, got {size!r}")
    cosignatures = head["cosignatures"]
    if not isinstance(cosignatures, list):
        raise InvalidTreeHeadError("signed tree head: 'cosignatures' must be a list")
    return SignedTreeHead(
        TreeHead(
            size,
            _hex(head["root"], "root", HASH_SIZE),
            _parse_instant(head["timestamp"]),
        ),
        _string(head["key_id"], "key_id"),
        _hex(head["signature"], "signature", SIGNATURE_SIZE),
        tuple(_parse_cosignature(raw, position) for position, raw in enumerate(cosignatures)),
    )


def _parse_cosignature(raw: object, position: int) -> Cosignature:
    where = f"cosignatures[{position}]"
    item = _object(raw, _COSIGNATURE_KEYS, where)
    return Cosignature(
        _string(item["key_id"], f"{where}.key_id"),
        _hex(item["signature"], f"{where}.signature", SIGNATURE_SIZE),
    )


def _object(value: object, keys: frozenset[str], where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise InvalidTreeHeadError(f"{where}: must be a JSON object")
    missing, unknown = sorted(keys - value.keys()), sorted(value.keys() - keys)
    if missing:
        raise InvalidTreeHeadError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise InvalidTreeHeadError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return value


def _string(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidTreeHeadError(f"signed tree head: {name!r} must be a string")
    return value


def _hex(value: object, name: str, size: int) -> bytes:
    text = _string(value, name)
    if len(text) != 2 * size or text != text.lower():
        raise InvalidTreeHeadError(
            f"signed tree head: {name!r} must be {2 * size} lowercase hex digits, "
            f"got {len(text)} characters"
        )
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidTreeHeadError(f"signed tree head: {name!r} is not hex") from exc


def _format_instant(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _parse_instant(value: object) -> datetime:
    text = _string(value, "timestamp")
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidTreeHeadError(
            "signed tree head: 'timestamp' must be RFC 3339 UTC with milliseconds, "
            f"like 2026-01-31T12:00:00.000Z, got {text!r}"
        ) from exc
    if _format_instant(parsed) != text:
        raise InvalidTreeHeadError(
            f"signed tree head: 'timestamp' must have exactly 3 fraction digits, got {text!r}"
        )
    return parsed


def _check_key_id(key_id: str, where: str) -> None:
    if (
        not isinstance(key_id, str)
        or not key_id
        or len(key_id) > MAX_KEY_ID
        or not key_id.isascii()
        or not key_id.isprintable()
    ):
        raise InvalidTreeHeadError(
            f"{where}: a key id is 1 to {MAX_KEY_ID} printable ASCII characters, got {key_id!r}"
        )


def _check_signature(signature: bytes, where: str) -> None:
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        got = f"{len(signature)}" if isinstance(signature, bytes) else "no bytes"
        raise InvalidTreeHeadError(
            f"{where}: an Ed25519 signature is {SIGNATURE_SIZE} bytes, got {got}"
        )

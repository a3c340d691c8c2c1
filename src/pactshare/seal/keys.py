"""A party's private keys: an Ed25519 signing key and an X25519 encryption key per generation.

A key folder holds ``party.json`` (the party and, for each generation, its key ids and
creation instant) and one PEM file per private key, written with permissions 0600 and
optionally encrypted with a passphrase. Rotation adds a generation; older generations stay so
that items sealed to them can still be opened, but only the newest one signs and is offered
to senders.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from pactshare.errors import EnvelopeKeyError
from pactshare.seal._encoding import (
    DOMAIN_KEY_ID,
    is_party_code,
    parse_utc_text,
    sha256,
    utc_text,
)

__all__ = [
    "KeyGeneration",
    "PartyKeys",
    "PublicKeys",
    "encryption_key_id",
    "init_keys",
    "load_keys",
    "rotate_keys",
    "signing_key_id",
]

_INDEX = "party.json"
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


def _key_id(kind: str, raw: bytes) -> str:
    digest = sha256(DOMAIN_KEY_ID + kind.encode("ascii") + b"\x00" + raw)
    return f"{kind}:{digest[:16].hex()}"


def signing_key_id(public_key: Ed25519PublicKey) -> str:
    """The fingerprint of an Ed25519 public key: ``ed25519:`` and 32 hex digits."""
    return _key_id("ed25519", public_key.public_bytes(_RAW, _RAW_PUB))


def encryption_key_id(public_key: X25519PublicKey) -> str:
    """The fingerprint of an X25519 public key: ``x25519:`` and 32 hex digits."""
    return _key_id("x25519", public_key.public_bytes(_RAW, _RAW_PUB))


@dataclass(frozen=True, slots=True)
class PublicKeys:
    """The public half of one key generation of a party: what a sender needs."""

    party: str
    generation: int
    created_at: datetime
    signing_key: Ed25519PublicKey
    encryption_key: X25519PublicKey
    # Computed once and kept (a frozen value never changes); not part of its identity.
    _key_ids: tuple[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def signing_key_id(self) -> str:
        return self._ids()[0]

    @property
    def encryption_key_id(self) -> str:
        return self._ids()[1]

    def _ids(self) -> tuple[str, str]:
        cached = getattr(self, "_key_ids", None)
        if cached is None:  # computed once: frozen keys never change
            cached = (signing_key_id(self.signing_key), encryption_key_id(self.encryption_key))
            object.__setattr__(self, "_key_ids", cached)
        return (str(cached[0]), str(cached[1]))


@dataclass(frozen=True, slots=True)
class KeyGeneration:
    """One generation of a party's private keys."""

    generation: int
    created_at: datetime
    signing_key: Ed25519PrivateKey
    encryption_key: X25519PrivateKey

    def public(self, party: str) -> PublicKeys:
        return PublicKeys(
            party=party,
            generation=self.generation,
            created_at=self.created_at,
            signing_key=self.signing_key.public_key(),
            encryption_key=self.encryption_key.public_key(),
        )


@dataclass(frozen=True, slots=True)
class PartyKeys:
    """All key generations of one party, newest last. Built by :func:`load_keys`."""

    party: str
    generations: tuple[KeyGeneration, ...]
    # Computed once and kept (a frozen value never changes); not part of its identity.
    _signing_key_id: str | None = field(default=None, init=False, repr=False, compare=False)
    _decryption_keys: dict[str, X25519PrivateKey] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not is_party_code(self.party):
            raise EnvelopeKeyError(f"party {self.party!r} is not a three-letter code")
        if not self.generations:
            raise EnvelopeKeyError(f"party {self.party} has no key generation")

    @property
    def current(self) -> KeyGeneration:
        return self.generations[-1]

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return self.current.signing_key

    @property
    def signing_key_id(self) -> str:
        cached = getattr(self, "_signing_key_id", None)
        if cached is None:  # computed once: frozen keys never change
            cached = signing_key_id(self.current.signing_key.public_key())
            object.__setattr__(self, "_signing_key_id", cached)
        return str(cached)

    def public(self) -> PublicKeys:
        """The current generation's public keys."""
        return self.current.public(self.party)

    def decryption_keys(self) -> dict[str, X25519PrivateKey]:
        """Every generation's encryption key by key id, so that old items still open."""
        cached = getattr(self, "_decryption_keys", None)
        if cached is None:
            cached = {
                encryption_key_id(g.encryption_key.public_key()): g.encryption_key
                for g in self.generations
            }
            object.__setattr__(self, "_decryption_keys", cached)
        return dict(cached)

    @classmethod
    def generate(cls, party: str, *, at: datetime) -> PartyKeys:
        """Fresh keys for ``party`` (in memory; :func:`init_keys` also writes them)."""
        return cls(party, (_new_generation(1, at),))


def _new_generation(number: int, at: datetime) -> KeyGeneration:
    return KeyGeneration(
        generation=number,
        created_at=at,
        signing_key=Ed25519PrivateKey.generate(),
        encryption_key=X25519PrivateKey.generate(),
    )


def _encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    if passphrase:
        return serialization.BestAvailableEncryption(passphrase)
    return serialization.NoEncryption()


def _write_private(path: Path, pem: bytes) -> None:
    """Create ``path`` with permissions 0600 from the start (never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _write_generation(folder: Path, gen: KeyGeneration, passphrase: bytes | None) -> None:
    enc = _encryption(passphrase)
    pkcs8 = serialization.PrivateFormat.PKCS8
    pem = serialization.Encoding.PEM
    _write_private(
        folder / f"signing-{gen.generation}.pem", gen.signing_key.private_bytes(pem, pkcs8, enc)
    )
    _write_private(
        folder / f"encryption-{gen.generation}.pem",
        gen.encryption_key.private_bytes(pem, pkcs8, enc),
    )


def _write_index(folder: Path, keys: PartyKeys, *, encrypted: bool) -> None:
    index = {
        "party": keys.party,
        "encrypted": encrypted,
        "generations": [
            {
                "generation": g.generation,
                "created_at": utc_text(g.created_at),
                "signing_key_id": signing_key_id(g.signing_key.public_key()),
                "encryption_key_id": encryption_key_id(g.encryption_key.public_key()),
            }
            for g in keys.generations
        ],
    }
    tmp = folder / f".{_INDEX}.tmp"
    tmp.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    tmp.replace(folder / _INDEX)


def init_keys(
    folder: Path, party: str, *, at: datetime, passphrase: bytes | None = None
) -> PartyKeys:
    """Create a key folder for ``party``; refuse to overwrite an existing one."""
    if not is_party_code(party):
        raise EnvelopeKeyError(f"party {party!r} is not a three-letter code such as KOR")
    if (folder / _INDEX).exists():
        raise EnvelopeKeyError(f"{folder}: already holds keys; use another folder or rotate")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = PartyKeys.generate(party, at=at)
    _write_generation(folder, keys.current, passphrase)
    _write_index(folder, keys, encrypted=bool(passphrase))
    return keys


def rotate_keys(folder: Path, *, at: datetime, passphrase: bytes | None = None) -> PartyKeys:
    """Add a new key generation; older ones are kept to open items sealed to them."""
    keys = load_keys(folder, passphrase=passphrase)
    gen = _new_generation(keys.current.generation + 1, at)
    _write_generation(folder, gen, passphrase)
    rotated = PartyKeys(keys.party, (*keys.generations, gen))
    _write_index(folder, rotated, encrypted=bool(passphrase))
    return rotated


def _load_private(path: Path, passphrase: bytes | None) -> object:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EnvelopeKeyError(f"{path}: cannot read private key ({exc.strerror})") from exc
    try:
        return serialization.load_pem_private_key(data, password=passphrase or None)
    except TypeError as exc:  # encrypted without a passphrase, or the converse
        raise EnvelopeKeyError(
            f"{path}: passphrase missing or not expected (set PACTSHARE_KEY_PASSPHRASE)"
        ) from exc
    except ValueError as exc:
        raise EnvelopeKeyError(f"{path}: wrong passphrase or not a private key") from exc


def load_keys(folder: Path, *, passphrase: bytes | None = None) -> PartyKeys:
    """Read a key folder written by :func:`init_keys`; check every key against its id."""
    index_path = folder / _INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        party = index["party"]
        entries = index["generations"]
        if not isinstance(entries, list):
            raise TypeError("generations must be a list")
    except OSError as exc:
        raise EnvelopeKeyError(f"{index_path}: no key folder here ({exc.strerror})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvelopeKeyError(f"{index_path}: not a pactshare key index") from exc
    generations = []
    for entry in entries:
        try:
            number = int(entry["generation"])
            created = parse_utc_text(entry["created_at"])
            want_sig, want_enc = str(entry["signing_key_id"]), str(entry["encryption_key_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EnvelopeKeyError(f"{index_path}: malformed generation entry") from exc
        sig = _load_private(folder / f"signing-{number}.pem", passphrase)
        enc = _load_private(folder / f"encryption-{number}.pem", passphrase)
        if not isinstance(sig, Ed25519PrivateKey) or not isinstance(enc, X25519PrivateKey):
            raise EnvelopeKeyError(f"{folder}: generation {number} has keys of the wrong type")
        if (
            signing_key_id(sig.public_key()) != want_sig
            or encryption_key_id(enc.public_key()) != want_enc
        ):
            raise EnvelopeKeyError(f"{folder}: generation {number} keys do not match their ids")
        generations.append(KeyGeneration(number, created, sig, enc))
    generations.sort(key=lambda g: g.generation)
    return PartyKeys(party, tuple(generations))

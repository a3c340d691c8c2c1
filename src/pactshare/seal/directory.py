"""The public directory: signed public-key records of parties, pinned by a node.

A record lists every key generation of one party (so that old signatures still verify) and is
signed by the party's newest signing key over domain-separated canonical JSON. A directory is
a folder of such records. Trust comes from the operator who put a record in the folder
(pinning); nothing is ever learnt from an envelope (no trust on first use).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from pactshare.canonical import dumps as canonical_json
from pactshare.errors import EnvelopeKeyError, translated
from pactshare.seal._encoding import (
    DOMAIN_RECORD,
    b64d,
    b64e,
    is_party_code,
    parse_canonical_json,
    parse_utc_text,
    utc_text,
)
from pactshare.seal.keys import PartyKeys, PublicKeys

__all__ = ["Directory", "PublicKeyRecord"]

_RECORD_VERSION = 1
_RECORD_SUFFIXES = (".json", ".key")  # the file names a folder's records may have


@dataclass(frozen=True, slots=True)
class PublicKeyRecord:
    """A party's public keys, all generations, newest last; built only from verified bytes."""

    party: str
    keys: tuple[PublicKeys, ...]

    @property
    def current(self) -> PublicKeys:
        return self.keys[-1]

    @classmethod
    def for_party(cls, keys: PartyKeys) -> PublicKeyRecord:
        return cls(keys.party, tuple(g.public(keys.party) for g in keys.generations))

    def _body(self) -> dict[str, object]:
        return {
            "version": _RECORD_VERSION,
            "party": self.party,
            "keys": [
                {
                    "generation": k.generation,
                    "created_at": utc_text(k.created_at),
                    "signing_key": b64e(k.signing_key.public_bytes_raw()),
                    "signing_key_id": k.signing_key_id,
                    "encryption_key": b64e(k.encryption_key.public_bytes_raw()),
                    "encryption_key_id": k.encryption_key_id,
                }
                for k in self.keys
            ],
        }

    @staticmethod
    def export(keys: PartyKeys) -> bytes:
        """The signed record of ``keys``' party, as canonical JSON bytes."""
        record = PublicKeyRecord.for_party(keys)
        body = record._body()
        signature = keys.signing_key.sign(DOMAIN_RECORD + canonical_json(body))
        return canonical_json(
            {"record": body, "signed_by": keys.signing_key_id, "signature": b64e(signature)}
        )

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "record") -> PublicKeyRecord:
        """Parse and verify a signed record; raise :class:`EnvelopeKeyError` if it is not one."""
        try:
            outer = parse_canonical_json(data)
            if not isinstance(outer, dict) or set(outer) != {"record", "signed_by", "signature"}:
                raise ValueError("expected record, signed_by and signature")
            body = outer["record"]
            if not isinstance(body, dict) or body.get("version") != _RECORD_VERSION:
                raise ValueError("unknown record version")
            party = body["party"]
            if not is_party_code(party):
                raise ValueError("party is not a three-letter code")
            keys = tuple(_parse_key(party, entry) for entry in body["keys"])
            if not keys:
                raise ValueError("no keys")
            signature = b64d(outer["signature"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EnvelopeKeyError(f"{source}: not a valid public key record ({exc})") from exc
        record = cls(party, keys)
        if record._body() != body:
            raise EnvelopeKeyError(f"{source}: record has fields out of order or unknown")
        signer = next((k for k in keys if k.signing_key_id == outer["signed_by"]), None)
        if signer is None or signer is not keys[-1]:
            raise EnvelopeKeyError(f"{source}: record must be signed by its newest signing key")
        with translated(EnvelopeKeyError, f"{source}: record signature does not verify"):
            signer.signing_key.verify(signature, DOMAIN_RECORD + canonical_json(body))
        return record


def _parse_key(party: str, entry: dict[str, object]) -> PublicKeys:
    sig_raw = b64d(str(entry["signing_key"]))
    enc_raw = b64d(str(entry["encryption_key"]))
    generation = entry["generation"]
    if not isinstance(generation, int) or isinstance(generation, bool):
        raise ValueError("generation must be an integer")
    try:
        keys = PublicKeys(
            party=party,
            generation=generation,
            created_at=parse_utc_text(entry["created_at"]),
            signing_key=Ed25519PublicKey.from_public_bytes(sig_raw),
            encryption_key=X25519PublicKey.from_public_bytes(enc_raw),
        )
    except ValueError as exc:
        raise ValueError("a key is not 32 bytes") from exc
    if (
        keys.signing_key_id != entry["signing_key_id"]
        or keys.encryption_key_id != entry["encryption_key_id"]
    ):
        raise ValueError("a key id does not match its key")
    return keys


@dataclass(frozen=True, slots=True)
class _Entry:
    party: str
    signing: Ed25519PublicKey | None
    encryption: X25519PublicKey | None


class Directory:
    """Pinned public keys of parties, looked up by key id or by party."""

    def __init__(self, records: Iterable[PublicKeyRecord], *, origin: str = "") -> None:
        self._origin = origin  # where the records came from, for errors: a folder and its files
        self._records: dict[str, PublicKeyRecord] = {}
        self._by_id: dict[str, _Entry] = {}
        for record in records:
            if record.party in self._records:
                raise EnvelopeKeyError(f"directory holds two records for {record.party}")
            self._records[record.party] = record
            for k in record.keys:
                for key_id, entry in (
                    (k.signing_key_id, _Entry(record.party, k.signing_key, None)),
                    (k.encryption_key_id, _Entry(record.party, None, k.encryption_key)),
                ):
                    if key_id in self._by_id:
                        raise EnvelopeKeyError(f"directory lists key id {key_id} twice")
                    self._by_id[key_id] = entry

    @classmethod
    def from_folder(cls, folder: Path) -> Directory:
        """Load every record in ``folder``: files named ``*.json`` (what ``directory add``
        writes) or ``*.key`` (what ``keys export`` and ``node init`` hand out), which hold the
        same signed bytes. A record names its party itself; the file name is not trusted.
        Other files are not read, and an error about a missing party lists them."""
        if not folder.is_dir():
            raise EnvelopeKeyError(f"{folder}: public directory not found")
        records: dict[str, tuple[str, PublicKeyRecord]] = {}
        ignored = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if path.suffix not in _RECORD_SUFFIXES:
                ignored.append(path.name)
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise EnvelopeKeyError(f"{path}: cannot read ({exc.strerror})") from exc
            record = PublicKeyRecord.from_bytes(data, source=str(path))
            if record.party in records:
                first = records[record.party][0]
                raise EnvelopeKeyError(
                    f"{folder}: {first} and {path.name} both hold a record for {record.party}"
                )
            records[record.party] = (path.name, record)
        found = ", ".join(f"{name} ({party})" for party, (name, _) in sorted(records.items()))
        looked = " and ".join(f"*{suffix}" for suffix in _RECORD_SUFFIXES)
        origin = f"{folder} (looked for {looked} files; found {found or 'none'}"
        origin += f"; not read: {', '.join(ignored)})" if ignored else ")"
        return cls((record for _, record in records.values()), origin=origin)

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(sorted(self._records))

    def current(self, party: str) -> PublicKeys:
        """The keys a sender should use for ``party`` now."""
        record = self._records.get(party)
        if record is None:
            where = f" {self._origin}" if self._origin else ""
            raise EnvelopeKeyError(f"party {party} is not in the public directory{where}")
        return record.current

    def signing_key(self, key_id: str) -> tuple[str, Ed25519PublicKey]:
        """The party and Ed25519 key behind a signing key id, or :class:`EnvelopeKeyError`."""
        entry = self._by_id.get(key_id)
        if entry is None or entry.signing is None:
            raise EnvelopeKeyError(f"signing key {key_id} is not in the public directory")
        return entry.party, entry.signing

    def encryption_key_party(self, key_id: str) -> str:
        """The party owning an encryption key id, or :class:`EnvelopeKeyError`."""
        entry = self._by_id.get(key_id)
        if entry is None or entry.encryption is None:
            raise EnvelopeKeyError(f"encryption key {key_id} is not in the public directory")
        return entry.party

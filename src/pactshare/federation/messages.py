"""The bodies of witnessing's signed documents, typed: what a log, a witness and an inspector
tell each other (see :mod:`pactshare.federation.witness` and
:mod:`pactshare.federation.attestation` for who sends which, and why).

Each class is the body of one document kind (the signed envelope ``{"kind", "body",
"signer_key_id", "signature"}`` is :mod:`pactshare.node.documents`'). ``to_dict`` gives the
JSON object signed and sent, byte for byte the form peers expect; ``from_dict`` reads one
from a peer, checking its form only (signatures are checked by the caller, against the pinned
directory), and raises our errors naming what is wrong:
:class:`~pactshare.errors.PackageError` for a malformed message,
:class:`~pactshare.errors.InvalidTreeHeadError` for a malformed head.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pactshare import audit
from pactshare.errors import InvalidTreeHeadError, PackageError

__all__ = [
    "COSIGNATURE",
    "COSIGNED_HEAD",
    "TREE_HEAD",
    "WITNESSED_HEADS",
    "CosignatureMessage",
    "CosignedHeadAnswer",
    "CosignedHeadQuery",
    "TreeHeadMessage",
    "WitnessProof",
    "WitnessedHeadsMessage",
    "parse_head",
]

TREE_HEAD = "tree-head"
COSIGNATURE = "cosignature"
WITNESSED_HEADS = "witnessed-heads"
COSIGNED_HEAD = "cosigned-head"

_HASH_HEX = 2 * audit.HASH_SIZE
_PARTY = re.compile(r"[A-Z]{3}")
_CHALLENGE = re.compile(r"[0-9a-f]{64}")


def parse_head(raw: object, where: str) -> audit.SignedTreeHead:
    """A signed head from its JSON object, its faults named after ``where``."""
    if not isinstance(raw, dict):
        raise InvalidTreeHeadError(f"{where}: the head must be a JSON object")
    try:
        return audit.SignedTreeHead.from_dict(raw)
    except InvalidTreeHeadError as exc:
        raise InvalidTreeHeadError(f"{where}: {exc}") from exc


def _text(body: Mapping[str, object], key: str, where: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise PackageError(f"{where}: {key!r} must be a string")
    return value


@dataclass(frozen=True, slots=True)
class WitnessProof:
    """The RFC 9162 consistency proof from the size a witness last cosigned to a new head."""

    from_size: int
    hashes: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"from_size": self.from_size, "hashes": [h.hex() for h in self.hashes]}

    @classmethod
    def from_dict(cls, raw: object, where: str) -> WitnessProof | None:
        """``{"from_size": int, "hashes": [hex…]}`` or None (null), checked for form only."""
        if raw is None:
            return None
        if not isinstance(raw, dict) or raw.keys() != {"from_size", "hashes"}:
            raise PackageError(
                f"{where}: 'proof' must be null or an object of from_size and hashes"
            )
        size, hashes = raw["from_size"], raw["hashes"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise PackageError(f"{where}: 'proof.from_size' must be a whole number, got {size!r}")
        if not isinstance(hashes, list) or not all(_is_hash_hex(h) for h in hashes):
            raise PackageError(f"{where}: 'proof.hashes' must be a list of {_HASH_HEX} hex digits")
        return cls(size, tuple(bytes.fromhex(h) for h in hashes))


def _is_hash_hex(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == _HASH_HEX
        and all(c in "0123456789abcdef" for c in value)
    )


@dataclass(frozen=True, slots=True)
class TreeHeadMessage:
    """``tree-head`` (log → witness): cosign ``head``, which ``proof`` shows extends the head
    you cosigned last (no proof the first time)."""

    log: str
    witness: str
    head: audit.SignedTreeHead
    proof: WitnessProof | None

    def to_dict(self) -> dict[str, Any]:
        proof = None if self.proof is None else self.proof.to_dict()
        return {
            "log": self.log,
            "witness": self.witness,
            "head": self.head.to_dict(),
            "proof": proof,
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, object], where: str) -> TreeHeadMessage:
        return cls(
            _text(body, "log", where),
            _text(body, "witness", where),
            parse_head(body.get("head"), where),
            WitnessProof.from_dict(body.get("proof"), where),
        )


@dataclass(frozen=True, slots=True)
class CosignatureMessage:
    """``cosignature`` (witness → log): ``head`` carrying the witness's cosignature."""

    log: str
    witness: str
    head: audit.SignedTreeHead

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log, "witness": self.witness, "head": self.head.to_dict()}

    @classmethod
    def from_dict(cls, body: Mapping[str, object], where: str) -> CosignatureMessage:
        return cls(
            _text(body, "log", where),
            _text(body, "witness", where),
            parse_head(body.get("head"), where),
        )


@dataclass(frozen=True, slots=True)
class WitnessedHeadsMessage:
    """``witnessed-heads`` (witness → witness): the latest head of each third party's log
    that ``witness`` cosigned, for ``to`` to compare with its own."""

    witness: str
    to: str
    heads: tuple[audit.SignedTreeHead, ...]

    def to_dict(self) -> dict[str, Any]:
        heads = [head.to_dict() for head in self.heads]
        return {"witness": self.witness, "to": self.to, "heads": heads}

    @classmethod
    def from_dict(cls, body: Mapping[str, object], where: str) -> WitnessedHeadsMessage:
        raw_heads = body.get("heads")
        if not isinstance(raw_heads, list):
            raise PackageError(f"{where}: 'heads' must be a list")
        return cls(
            _text(body, "witness", where),
            _text(body, "to", where),
            tuple(
                parse_head(raw, f"{where}, heads[{position}]")
                for position, raw in enumerate(raw_heads)
            ),
        )


@dataclass(frozen=True, slots=True)
class CosignedHeadQuery:
    """An inspector's question to a witness: the latest head of ``log`` you cosigned, bound
    to the fresh ``challenge`` (64 lower-case hex digits)."""

    log: str
    challenge: str

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log, "challenge": self.challenge}

    @classmethod
    def from_dict(cls, query: object, where: str) -> CosignedHeadQuery:
        if not isinstance(query, dict) or query.keys() != {"log", "challenge"}:
            raise PackageError(f"{where}: the body must be an object of log and challenge")
        log, challenge = query["log"], query["challenge"]
        if not isinstance(log, str) or not _PARTY.fullmatch(log):
            raise PackageError(f"{where}: 'log' must be a party code of three capital letters")
        if not isinstance(challenge, str) or not _CHALLENGE.fullmatch(challenge):
            raise PackageError(f"{where}: 'challenge' must be 64 lower-case hex digits")
        return cls(log, challenge)


@dataclass(frozen=True, slots=True)
class CosignedHeadAnswer:
    """``cosigned-head`` (witness → inspector): the answer to ``asked_by``'s query, ``head``
    being the latest head of ``log`` the witness cosigned (None if it never cosigned one)."""

    witness: str
    log: str
    asked_by: str
    challenge: str
    head: audit.SignedTreeHead | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "witness": self.witness,
            "log": self.log,
            "asked_by": self.asked_by,
            "challenge": self.challenge,
            "head": None if self.head is None else self.head.to_dict(),
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, object], where: str) -> CosignedHeadAnswer:
        raw = body.get("head")
        if raw is not None and not isinstance(raw, dict):
            raise PackageError(f"{where}: 'head' must be a head or null")
        return cls(
            _text(body, "witness", where),
            _text(body, "log", where),
            _text(body, "asked_by", where),
            _text(body, "challenge", where),
            None if raw is None else audit.SignedTreeHead.from_dict(raw),
        )

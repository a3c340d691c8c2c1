"""What a node speaks, and what its peers say they speak (``GET /federation/v1/info``).

A node answers its info as a signed ``node-info`` document (see
:mod:`pactshare.node.documents`): its party, the federation protocol version, the message
kinds it accepts (from the inbound dispatcher's handlers, so a new kind announces itself),
the envelope format versions it reads and the request-signature profile it verifies. The
asker sends a fresh ``nonce`` that the answer must sign back, so an old answer cannot be
replayed for a new question.

The sender trusts an info answer only if it is signed by the peer's key in the pinned
directory, names the peer and carries the nonce; anything else (unsigned, forged, stale,
malformed, too large, the peer down) leaves the peer's info *unknown*: its messages stay
pending and are retried, never refused. A verified answer is kept in ``peer_info`` for
:data:`INFO_MAX_AGE` seconds (re-verified against the pinned directory whenever read) and
forgotten on any failed delivery to that peer, so a peer's upgrade is seen at the next try.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from pactshare import __version__, seal
from pactshare.errors import FederationError, PactshareError, translated
from pactshare.federation.inbound import ITEM, message_kinds
from pactshare.federation.signatures import ALG, COVERED, MAX_AGE
from pactshare.federation.storage.peers import (
    KeptInfo,
    forget_peer_info,
    keep_peer_info,
    kept_peer_info,
)
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.service import Node

__all__ = [
    "INFO",
    "INFO_MAX_AGE",
    "INFO_PATH",
    "MAX_INFO_BYTES",
    "NONCE_PATTERN",
    "PROTOCOL_VERSION",
    "PeerInfo",
    "UnknownInfoError",
    "forget_info",
    "own_info",
    "peer_info_of",
    "signature_profile",
]

PROTOCOL_VERSION = 1
INFO = "node-info"
INFO_PATH = "/federation/v1/info"
INFO_MAX_AGE = 300.0  # seconds a peer's verified info is reused before it is asked again
MAX_INFO_BYTES = 64 << 10
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
_MAX_KINDS, _MAX_NAME = 256, 100
_MAX_AGE = timedelta(seconds=INFO_MAX_AGE)


class UnknownInfoError(FederationError):
    """What a peer speaks is unknown for now (no trustworthy answer): retry later."""


def signature_profile() -> dict[str, Any]:
    """The RFC 9421 profile this node signs and verifies federation requests with."""
    return {"standard": "RFC 9421", "alg": ALG, "covered": list(COVERED), "max_age": MAX_AGE}


def own_info(node: Node, *, nonce: str | None, now: datetime) -> dict[str, Any]:
    """This node's info, signed with its key (``now``: real time, as transport time is)."""
    body: dict[str, Any] = {
        "party": node.party_code,
        "protocol_version": PROTOCOL_VERSION,
        "message_kinds": list(message_kinds()),
        "envelope_versions": [seal.VERSION],
        "signature_profile": signature_profile(),
        "software": f"pactshare {__version__}",
        "issued_at": now.isoformat(),
    }
    if nonce is not None:
        body["nonce"] = nonce
    return sign_document(INFO, body, node.keys)


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """What a peer announced, from a verified ``node-info`` document."""

    party: str
    protocol_version: int
    message_kinds: frozenset[str]
    envelope_versions: frozenset[int]
    signature_alg: str
    signature_covered: tuple[str, ...]

    def refuses(self, kind: str) -> str | None:
        """Why a message of ``kind`` cannot go to this peer now, or None if it can."""
        if self.protocol_version != PROTOCOL_VERSION:
            return (
                f"peer {self.party} speaks federation protocol version "
                f"{self.protocol_version}, this node speaks {PROTOCOL_VERSION}"
            )
        if kind not in self.message_kinds:
            return f"peer {self.party} does not support kind {kind}"
        if kind == ITEM and seal.VERSION not in self.envelope_versions:
            return f"peer {self.party} does not read envelope version {seal.VERSION}"
        if (self.signature_alg, self.signature_covered) != (ALG, COVERED):
            return f"peer {self.party} verifies another request-signature profile than ours"
        return None


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
        raise UnknownInfoError(f"{what} is not a short text")
    return value


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1 << 31:
        raise UnknownInfoError(f"{what} is not a positive integer")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list) or len(value) > _MAX_KINDS:
        raise UnknownInfoError(f"{what} is not a list of at most {_MAX_KINDS} values")
    return value


def _parse(document: object, node: Node, *, party: str, nonce: str | None) -> PeerInfo:
    """A verified info document of ``party`` (and, if given, for ``nonce``); else why not."""
    try:
        signer, body = verify_document(document, node.directory, kind=INFO, where="info")
    except (PactshareError, ValueError, TypeError, KeyError, RecursionError) as exc:
        raise UnknownInfoError(f"not a node-info document signed by {party}: {exc}") from exc
    if signer != party or body.get("party") != party:
        raise UnknownInfoError(f"signed by {signer} for {body.get('party')!r}, not by {party}")
    if nonce is not None and body.get("nonce") != nonce:
        raise UnknownInfoError("not an answer to our question (another nonce)")
    profile = body.get("signature_profile")
    if not isinstance(profile, Mapping):
        raise UnknownInfoError("signature_profile is not an object")
    return PeerInfo(
        party=party,
        protocol_version=_integer(body.get("protocol_version"), "protocol_version"),
        message_kinds=frozenset(
            _text(kind, "a message kind") for kind in _list(body.get("message_kinds"), "kinds")
        ),
        envelope_versions=frozenset(
            _integer(v, "an envelope version")
            for v in _list(body.get("envelope_versions"), "envelope_versions")
        ),
        signature_alg=_text(profile.get("alg"), "signature_profile.alg"),
        signature_covered=tuple(
            _text(name, "a covered component")
            for name in _list(profile.get("covered"), "signature_profile.covered")
        ),
    )


def _ask(http: httpx.Client, base: str, party: str) -> tuple[object, str]:
    """GET the peer's info with a fresh nonce; the parsed JSON and the nonce."""
    nonce = secrets.token_urlsafe(24)
    raw = bytearray()
    with (
        translated(UnknownInfoError, lambda exc: f"{type(exc).__name__}: {exc}"),
        http.stream("GET", base + INFO_PATH, params={"nonce": nonce}) as answer,
    ):
        if answer.status_code != 200:
            raise UnknownInfoError(f"{party} answered {answer.status_code}")
        for chunk in answer.iter_bytes():
            raw += chunk
            if len(raw) > MAX_INFO_BYTES:
                raise UnknownInfoError(f"{party}'s answer is over {MAX_INFO_BYTES} bytes")
    try:
        return json.loads(raw), nonce
    except (ValueError, RecursionError) as exc:
        raise UnknownInfoError(f"{party}'s answer is not JSON") from exc


def peer_info_of(
    node: Node,
    http: httpx.Client,
    party: str,
    *,
    now: datetime,
    entry: tuple[str | None, KeptInfo | None] | None = None,
) -> PeerInfo:
    """What ``party`` speaks: the kept answer if fresh and still verified, else asked now.
    ``now`` is real time; ``entry``: the peer's URL and kept answer if the caller read them
    (:func:`~pactshare.federation.storage.peers.peer_entry`), else they are read here.
    Raises :class:`UnknownInfoError` with the reason to show."""
    base, kept = entry if entry is not None else kept_peer_info(node, party)
    if base is None:
        raise UnknownInfoError(f"no URL for {party}: add it with pactshare peer add")
    # Kept if asked within the last INFO_MAX_AGE seconds (an instant ahead of now, the real
    # clock having been set back, counts as stale).
    if kept is not None and timedelta(0) <= now - kept.fetched_at <= _MAX_AGE:
        try:
            return _parse(kept.document, node, party=party, nonce=None)
        except UnknownInfoError:
            pass  # e.g. the peer's key was rotated since: ask again
    try:
        document, nonce = _ask(http, base, party)
        info = _parse(document, node, party=party, nonce=nonce)
    except UnknownInfoError as exc:
        raise UnknownInfoError(f"peer {party}'s info is unknown ({exc}); retrying later") from exc
    keep_peer_info(node, party, document, now)
    return info


def forget_info(node: Node, party: str) -> None:
    """Drop what ``party`` said it speaks, so that the next delivery asks again."""
    forget_peer_info(node, party)

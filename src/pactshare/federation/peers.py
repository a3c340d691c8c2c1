"""Peers: where each party's node answers. A URL is only an address: what authenticates a
peer is its signing key in the pinned directory, so a peer can be added only once its key
is pinned (no trust on first use)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pactshare.audit import EntryKind
from pactshare.domain import normalise_party_code
from pactshare.errors import EnvelopeKeyError, InputError, NodeError
from pactshare.federation.storage.peers import Peer, list_peers, put_peer
from pactshare.node import journal
from pactshare.node.service import Node

__all__ = ["Peer", "add_peer", "checked_url", "list_peers"]


def checked_url(url: str, *, option: str = "--url") -> str:
    """``url`` without its trailing slash, if it is a plain http(s) URL; else InputError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{option}: {url!r} is not an http(s) URL, e.g. https://jpn.example:8443")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"{option}: {url!r} must not carry credentials, a query or a fragment")
    return url.strip().rstrip("/")


def add_peer(node: Node, party: str, url: str) -> Peer:
    """Record (or change) where ``party``'s node answers; its key must be pinned already."""
    code = normalise_party_code(party)
    if code == node.party_code:
        raise InputError(f"PARTY {party!r}: {code} is this node's own party, not a peer")
    try:
        node.directory.current(code)
    except EnvelopeKeyError as exc:
        raise NodeError(
            f"PARTY {party!r}: {code}'s public key is not pinned; "
            "pin it first with: pactshare directory add FILE"
        ) from exc
    address = checked_url(url)
    now = node.now()
    with node.db.atomic() as tx:
        put_peer(tx, code, address, now)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=node.party_code,
            subject="node",
            details={"event": "peer-added", "party": code, "url": address},
        )
    return Peer(code, address, now)

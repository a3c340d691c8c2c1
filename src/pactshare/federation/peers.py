"""Peers: where each party's node answers. A URL is only an address: what authenticates a
peer is its signing key in the pinned directory, so a peer can be added only once its key
is pinned (no trust on first use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select, update

from pactshare.audit import EntryKind
from pactshare.domain import normalise_party_code
from pactshare.errors import EnvelopeKeyError, InputError, NodeError
from pactshare.node import journal
from pactshare.node.service import Node
from pactshare.store.schema import peers

__all__ = ["Peer", "add_peer", "checked_url", "list_peers", "peer_url"]


@dataclass(frozen=True, slots=True)
class Peer:
    party: str
    url: str
    added_at: datetime


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
        known = tx.execute(select(peers.c.party).where(peers.c.party == code)).first()
        if known is None:
            tx.execute(insert(peers).values(party=code, url=address, added_at=now))
        else:
            tx.execute(update(peers).where(peers.c.party == code).values(url=address))
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=node.party_code,
            subject="node",
            details={"event": "peer-added", "party": code, "url": address},
        )
    return Peer(code, address, now)


def peer_url(tx: Connection, party: str) -> str | None:
    """The URL of ``party``'s node, or None if no peer was added for it."""
    return tx.execute(select(peers.c.url).where(peers.c.party == party)).scalar_one_or_none()


def list_peers(node: Node) -> list[Peer]:
    with node.db.atomic() as tx:
        rows = tx.execute(select(peers).order_by(peers.c.party)).all()
    return [Peer(r.party, r.url, r.added_at) for r in rows]

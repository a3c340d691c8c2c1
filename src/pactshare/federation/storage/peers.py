"""Peers: where each party's node answers, what it last said it speaks, and the nonces of
the signed requests it sent within the freshness window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from pactshare.errors import StorageError
from pactshare.node.service import Node
from pactshare.store import schema
from pactshare.store.rows import insert_new

__all__ = [
    "KeptInfo",
    "Peer",
    "forget_peer_info",
    "keep_peer_info",
    "kept_peer_info",
    "list_peers",
    "nonce_seen",
    "peer_entry",
    "peer_url",
    "put_peer",
    "remember_nonce",
]


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a party's node answers (its keys are in the pinned directory)."""

    party: str
    url: str
    added_at: datetime


def peer_url(tx: Connection, party: str) -> str | None:
    """The URL of ``party``'s node, or None if no peer was added for it."""
    table = schema.peers
    return tx.execute(select(table.c.url).where(table.c.party == party)).scalar_one_or_none()


def list_peers(node: Node) -> list[Peer]:
    """Every peer, by party."""
    table = schema.peers
    with node.db.atomic() as tx:
        rows = tx.execute(select(table).order_by(table.c.party)).all()
    return [Peer(r.party, r.url, r.added_at) for r in rows]


def put_peer(tx: Connection, party: str, url: str, at: datetime) -> None:
    """Record where ``party``'s node answers (added at ``at``), or change its URL."""
    table = schema.peers
    if peer_url(tx, party) is None:
        tx.execute(insert(table).values(party=party, url=url, added_at=at))
    else:
        tx.execute(update(table).where(table.c.party == party).values(url=url))


@dataclass(frozen=True, slots=True)
class KeptInfo:
    """The signed node-info document a peer last answered (unverified until read again), and
    when it was fetched (real time)."""

    document: Any
    fetched_at: datetime


def kept_peer_info(node: Node, party: str) -> tuple[str | None, KeptInfo | None]:
    """``party``'s URL, and the info it last answered, if kept."""
    with node.db.atomic() as tx:
        return peer_entry(tx, party)


_PEER_ENTRY = (
    select(schema.peers.c.url, schema.peer_info.c.document, schema.peer_info.c.fetched_at)
    .select_from(
        schema.peers.outerjoin(schema.peer_info, schema.peer_info.c.party == schema.peers.c.party)
    )
    .where(schema.peers.c.party == bindparam("party"))
)


def peer_entry(tx: Connection, party: str) -> tuple[str | None, KeptInfo | None]:
    """``party``'s URL, and the info it last answered if kept, in one read inside ``tx``
    (info kept for a party with no URL is not read: nothing can be sent to it)."""
    row = tx.execute(_PEER_ENTRY, {"party": party}).first()
    if row is None:
        return None, None
    kept = None if row.fetched_at is None else KeptInfo(row.document, row.fetched_at)
    return row.url, kept


def keep_peer_info(node: Node, party: str, document: Any, fetched_at: datetime) -> None:
    """Keep ``party``'s verified info document; a concurrent pass keeping its own wins."""
    table = schema.peer_info
    values = {"document": document, "fetched_at": fetched_at}
    try:
        with node.db.atomic() as tx:
            changed = tx.execute(
                update(table).where(table.c.party == party).values(**values)
            ).rowcount
            if not changed:
                tx.execute(insert(table).values(party=party, **values))
    except StorageError:
        pass  # another pass (the CLI's, the server's) kept its answer first: either will do


def forget_peer_info(node: Node, party: str) -> None:
    """Drop what ``party`` said it speaks."""
    table = schema.peer_info
    with node.db.atomic() as tx:
        tx.execute(delete(table).where(table.c.party == party))


# Read and written for every signed request: built once.
_NONCE_SEEN = select(schema.federation_nonces.c.nonce).where(
    schema.federation_nonces.c.nonce == bindparam("nonce"),
    schema.federation_nonces.c.seen_at >= bindparam("since"),
)
_PURGE_NONCES = delete(schema.federation_nonces).where(
    schema.federation_nonces.c.seen_at < bindparam("before")
)


def nonce_seen(node: Node, nonce: str, *, now: datetime, window: float) -> bool:
    """Whether a request's nonce was seen within ``window`` seconds before ``now`` (a read: the
    nonce is kept by :func:`remember_nonce`, in the transaction of what the request does)."""
    since = now - timedelta(seconds=window)
    with node.db.atomic() as tx:
        seen = tx.execute(_NONCE_SEEN, {"nonce": nonce, "since": since}).first()
    return seen is not None


def remember_nonce(
    tx: Connection, nonce: str, key_id: str, *, now: datetime, window: float
) -> bool:
    """Keep a request's nonce; False if it was kept already (seen within ``window`` seconds
    before ``now``). Older nonces are purged."""
    tx.execute(_PURGE_NONCES, {"before": now - timedelta(seconds=window)})
    return insert_new(
        tx, schema.federation_nonces, {"nonce": nonce, "key_id": key_id, "seen_at": now}
    )

"""The sealed envelopes a node keeps, by the SHA-256 of their bytes: each recorded once.

An envelope is kept whole in the object store (an item's: sealed here, or received), or, when
this node relayed it (a provision re-wraps the data key for the next hop), as its *front* in
the database — preamble, header and hop records, ours appended — followed by the chunk records
and trailer of the stored envelope it was relayed from, which are the same bytes. Providing
an item thus writes no second copy of its payload, and commits in one transaction with its
records; reading it back gives the relayed envelope byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from pactshare.errors import StorageError
from pactshare.limits import blocks
from pactshare.node.service import Node
from pactshare.store.rows import insert_new
from pactshare.store.schema import envelope_fronts, envelopes

__all__ = ["StoredEnvelope", "envelope_blocks", "find_envelope", "keep_front", "store_envelope"]


@dataclass(frozen=True, slots=True)
class StoredEnvelope:
    """A kept envelope: whole in the object store (``front`` None), or its ``front`` followed
    by the bytes of stored envelope ``payload_of`` from byte ``payload_at`` on."""

    digest: str
    size: int
    front: bytes | None = None
    payload_of: str | None = None
    payload_at: int = 0


def store_envelope(node: Node, tx: Connection, digest: str, size: int) -> None:
    """Record an envelope stored whole once (content-addressed: the same bytes, the same row)."""
    insert_new(tx, envelopes, {"digest": digest, "size": size, "stored_at": node.now()})


_INSERT_ENVELOPE, _INSERT_FRONT = insert(envelopes), insert(envelope_fronts)  # built once


def keep_front(
    tx: Connection,
    digest: str,
    size: int,
    *,
    front: bytes,
    payload_of: str,
    payload_at: int,
    at: datetime,
) -> None:
    """Record a relayed envelope (``digest``, ``size``: of its whole bytes) as its ``front``
    and the payload of ``payload_of``, which it follows from byte ``payload_at``. The digest
    is new: a relay's hop record is signed at its instant and wraps a fresh key."""
    tx.execute(_INSERT_ENVELOPE, {"digest": digest, "size": size, "stored_at": at})
    tx.execute(
        _INSERT_FRONT,
        {"digest": digest, "front": front, "payload_of": payload_of, "payload_at": payload_at},
    )


def find_envelope(tx: Connection, digest: str) -> StoredEnvelope:
    """The envelope kept under ``digest``; StorageError if none is."""
    row = tx.execute(
        select(
            envelopes.c.size,
            envelope_fronts.c.front,
            envelope_fronts.c.payload_of,
            envelope_fronts.c.payload_at,
        )
        .select_from(
            envelopes.outerjoin(envelope_fronts, envelope_fronts.c.digest == envelopes.c.digest)
        )
        .where(envelopes.c.digest == digest)
    ).first()
    if row is None:
        raise StorageError(f"no envelope {digest} is recorded on this node")
    if row.front is None:
        return StoredEnvelope(digest, row.size)
    return StoredEnvelope(digest, row.size, bytes(row.front), row.payload_of, row.payload_at)


def envelope_blocks(node: Node, envelope: StoredEnvelope) -> Iterator[bytes]:
    """The envelope's bytes, block by block (the file stays open while they are read)."""
    if envelope.front is None or envelope.payload_of is None:
        with node.objects.open(envelope.digest) as source:
            yield from blocks(source)
        return
    yield envelope.front
    with node.objects.open(envelope.payload_of) as source:
        source.seek(envelope.payload_at)
        yield from blocks(source)

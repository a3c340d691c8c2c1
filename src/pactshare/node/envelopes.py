"""The sealed envelopes a node keeps, by the SHA-256 of their bytes: each recorded once.

An envelope is kept whole in the object store (an item's: sealed here, or received), or, when
this node relayed it (a provision re-wraps the data key for the next hop), as its *front* in
the database — preamble, header and hop records, ours appended — followed by the chunk records
and trailer of the stored envelope it was relayed from, which are the same bytes. Providing
an item thus writes no second copy of its payload, and commits in one transaction with its
records; reading it back gives the relayed envelope byte for byte. A received envelope of at
most :data:`MAX_INLINE` bytes is kept whole in the database (``envelope_bytes``), in the
transaction that records its receipt, so that one commit makes it durable, instead of a file
and its folder synced on their own; the object store finds it there
(:meth:`pactshare.store.objects.ObjectStore.open`), so every reader of a stored envelope does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, insert, select

from pactshare.errors import StorageError
from pactshare.limits import blocks
from pactshare.store.rows import insert_new
from pactshare.store.schema import envelope_bytes, envelope_fronts, envelopes

if TYPE_CHECKING:  # the node opens its object store with kept_bytes: no import cycle
    from pactshare.node.service import Node

__all__ = [
    "MAX_INLINE",
    "StoredEnvelope",
    "envelope_blocks",
    "find_envelope",
    "keep_bytes",
    "keep_front",
    "kept_bytes",
    "store_envelope",
]

#: Bytes of the largest received envelope kept in the database rather than a file: an item of
#: a few pages (its envelope is its size plus about 1 KiB); anything larger is a file.
MAX_INLINE = 256 << 10


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


def keep_bytes(tx: Connection, digest: str, data: bytes) -> None:
    """Keep a received envelope's bytes (at most :data:`MAX_INLINE`) in the database, inside
    the transaction that records it (:func:`store_envelope` first)."""
    if len(data) > MAX_INLINE:
        raise StorageError(f"envelope {digest} is over {MAX_INLINE} bytes: keep it as a file")
    insert_new(tx, envelope_bytes, {"digest": digest, "data": data})


_KEPT_BYTES = select(envelope_bytes.c.data).where(envelope_bytes.c.digest == bindparam("digest"))


def kept_bytes(tx: Connection, digest: str) -> bytes | None:
    """The bytes of envelope ``digest`` if they are kept in the database, else None."""
    data = tx.execute(_KEPT_BYTES, {"digest": digest}).scalar_one_or_none()
    return None if data is None else bytes(data)


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


_FIND = (  # read for every message a delivery pass sends: built once
    select(
        envelopes.c.size,
        envelope_fronts.c.front,
        envelope_fronts.c.payload_of,
        envelope_fronts.c.payload_at,
    )
    .select_from(
        envelopes.outerjoin(envelope_fronts, envelope_fronts.c.digest == envelopes.c.digest)
    )
    .where(envelopes.c.digest == bindparam("digest"))
)


def find_envelope(tx: Connection, digest: str) -> StoredEnvelope:
    """The envelope kept under ``digest``; StorageError if none is."""
    row = tx.execute(_FIND, {"digest": digest}).first()
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

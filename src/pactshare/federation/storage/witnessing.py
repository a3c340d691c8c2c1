"""Witnessing's tables: the heads of peers' logs we know (``witnessed_heads``: cosigned by
us when ``via`` is the log's party, else told by witness ``via``), the witnesses'
cosignatures of our heads (``cosignatures``) and the forks detected (``forks``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from pactshare import audit
from pactshare.federation.messages import parse_head
from pactshare.node.service import Node
from pactshare.store import schema

__all__ = [
    "CosignatureRecord",
    "ForkRecord",
    "conflicting_head",
    "cosignatures",
    "direct_head",
    "fork_known",
    "forks",
    "insert_cosignature",
    "insert_fork",
    "insert_witnessed_head",
    "known_cosignature",
    "knows_head_size",
    "largest_head_above",
    "last_cosigned_size",
    "latest_cosigned_heads",
    "latest_direct_head",
]

_HEADS = schema.witnessed_heads


def _stored(raw: object, party: str) -> audit.SignedTreeHead:
    return parse_head(raw, f"stored head of {party}")


# --- the heads of peers' logs ---------------------------------------------------------------


def latest_direct_head(tx: Connection, party: str) -> audit.SignedTreeHead | None:
    """The largest head of ``party``'s log that we cosigned, if any."""
    stored = tx.execute(
        select(_HEADS.c.head)
        .where(_HEADS.c.party == party, _HEADS.c.via == party)
        .order_by(_HEADS.c.size.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if stored is None else _stored(stored, party)


def direct_head(tx: Connection, party: str, size: int) -> audit.SignedTreeHead | None:
    """The head of ``party`` at ``size`` that we cosigned, if any."""
    stored = tx.execute(
        select(_HEADS.c.head).where(
            _HEADS.c.party == party, _HEADS.c.via == party, _HEADS.c.size == size
        )
    ).scalar_one_or_none()
    return None if stored is None else _stored(stored, party)


def conflicting_head(
    tx: Connection, party: str, head: audit.SignedTreeHead
) -> tuple[str, audit.SignedTreeHead] | None:
    """A known head of ``party``'s log of ``head``'s size with another root, and who showed
    it to us."""
    row = tx.execute(
        select(_HEADS.c.via, _HEADS.c.head).where(
            _HEADS.c.party == party, _HEADS.c.size == head.size, _HEADS.c.root != head.root.hex()
        )
    ).first()
    return None if row is None else (row.via, _stored(row.head, party))


def largest_head_above(
    tx: Connection, party: str, size: int
) -> tuple[str, audit.SignedTreeHead] | None:
    """The largest known head of ``party``'s log if larger than ``size``, and who showed it."""
    row = tx.execute(
        select(_HEADS.c.via, _HEADS.c.head)
        .where(_HEADS.c.party == party, _HEADS.c.size > size)
        .order_by(_HEADS.c.size.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.via, _stored(row.head, party))


def knows_head_size(tx: Connection, party: str, size: int) -> bool:
    """Whether we know a head of ``party``'s log at ``size``, by any way."""
    found = tx.execute(
        select(_HEADS.c.party).where(_HEADS.c.party == party, _HEADS.c.size == size).limit(1)
    )
    return found.first() is not None


def latest_cosigned_heads(tx: Connection, *, besides: Iterable[str]) -> list[audit.SignedTreeHead]:
    """The largest head we cosigned of every party's log but those ``besides``, by party."""
    rows = tx.execute(
        select(_HEADS.c.party, _HEADS.c.head)
        .where(_HEADS.c.via == _HEADS.c.party, _HEADS.c.party.not_in(list(besides)))
        .order_by(_HEADS.c.party, _HEADS.c.size)
    ).all()
    latest = {row.party: row.head for row in rows}  # ordered by size: the last one wins
    return [_stored(head, party) for party, head in latest.items()]


def insert_witnessed_head(
    tx: Connection, head: audit.SignedTreeHead, *, party: str, via: str, at: datetime
) -> None:
    tx.execute(
        insert(_HEADS).values(
            party=party,
            size=head.size,
            via=via,
            root=head.root.hex(),
            head=head.to_dict(),
            seen_at=at,
        )
    )


# --- the witnesses' cosignatures of our heads -----------------------------------------------


@dataclass(frozen=True, slots=True)
class CosignatureRecord:
    """A witness's cosignature of one of our heads, as kept: ``head`` is the stored JSON
    object (shown as kept, even if altered: ``pactshare audit verify`` judges it)."""

    witness: str
    size: int
    root: str
    timestamp: str
    received_at: datetime
    head: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "witness": self.witness,
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
            "received_at": self.received_at.isoformat(),
            "head": self.head,
        }


def last_cosigned_size(tx: Connection, witness: str) -> int | None:
    """The size of the largest of our heads ``witness`` cosigned, if any."""
    table = schema.cosignatures
    largest: int | None = tx.execute(
        select(func.max(table.c.size)).where(table.c.witness == witness)
    ).scalar_one_or_none()
    return largest


def known_cosignature(tx: Connection, witness: str, size: int) -> bool:
    """Whether we keep ``witness``'s cosignature of our head at ``size``."""
    table = schema.cosignatures
    found = tx.execute(select(table.c.size).where(table.c.witness == witness, table.c.size == size))
    return found.first() is not None


def insert_cosignature(
    tx: Connection, witness: str, head: audit.SignedTreeHead, *, at: datetime
) -> None:
    tx.execute(
        insert(schema.cosignatures).values(
            witness=witness, size=head.size, head=head.to_dict(), received_at=at
        )
    )


def cosignatures(node: Node, size: int | None = None) -> list[CosignatureRecord]:
    """Witnesses' cosignatures of our heads (of the head at ``size`` only, if given), by size
    then witness."""
    table = schema.cosignatures
    query = select(table).order_by(table.c.size, table.c.witness)
    if size is not None:
        query = query.where(table.c.size == size)
    with node.db.atomic() as tx:
        rows = tx.execute(query).all()
    return [
        CosignatureRecord(
            row.witness,
            row.size,
            row.head["root"],
            row.head["timestamp"],
            row.received_at,
            row.head,
        )
        for row in rows
    ]


# --- forks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForkRecord:
    """A fork detected in ``party``'s log, with its evidence (both signed heads, any proof)."""

    id: str
    party: str
    reported_by: str
    reason: str
    detected_at: datetime
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "party": self.party,
            "reported_by": self.reported_by,
            "reason": self.reason,
            "detected_at": self.detected_at.isoformat(),
            "evidence": self.evidence,
        }


def fork_known(tx: Connection, fork_id: str) -> bool:
    table = schema.forks
    return tx.execute(select(table.c.id).where(table.c.id == fork_id)).first() is not None


def insert_fork(tx: Connection, fork: ForkRecord) -> None:
    tx.execute(
        insert(schema.forks).values(
            id=fork.id,
            party=fork.party,
            reported_by=fork.reported_by,
            reason=fork.reason,
            evidence=fork.evidence,
            detected_at=fork.detected_at,
        )
    )


def forks(node: Node) -> list[ForkRecord]:
    """Forks detected in peers' logs, oldest first, each with its evidence."""
    table = schema.forks
    with node.db.atomic() as tx:
        rows = tx.execute(select(table).order_by(table.c.detected_at, table.c.id)).all()
    return [
        ForkRecord(row.id, row.party, row.reported_by, row.reason, row.detected_at, row.evidence)
        for row in rows
    ]

"""The outbox: the messages workflows queued for peers (``pactshare.node.outbox``), their
delivery state and retries, and the waiter that wakes the delivery worker when a commit queues
one (:func:`outbox_waiter`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, update

from pactshare.node.outbox import WAKE_CHANNEL
from pactshare.node.service import Node
from pactshare.store import schema
from pactshare.store.wakeups import Waiter

__all__ = [
    "OutboxEntry",
    "OutboxState",
    "Waiter",
    "any_due",
    "due_messages",
    "finish_message",
    "mark_provision_delivered",
    "outbox_entries",
    "outbox_waiter",
    "pending_in",
    "pending_messages",
    "schedule_retry",
]


class OutboxState(StrEnum):
    """Where a queued message is: waiting to be (re)sent, or done one way or the other."""

    PENDING = "pending"
    DELIVERED = "delivered"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued message: its signed document (``payload``) and its retry state."""

    id: str
    kind: str
    recipient: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    state: OutboxState
    delivered_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The retry state as JSON (``pactshare outbox --json``), without the document."""
        return {
            "id": self.id,
            "kind": self.kind,
            "recipient": self.recipient,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_error": self.last_error,
            "state": self.state.value,
            "delivered_at": _iso(self.delivered_at),
        }


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def _entry(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        row.id,
        row.kind,
        row.recipient,
        row.payload,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        OutboxState(row.state),
        row.delivered_at,
    )


_OLDEST_FIRST = (schema.outbox.c.created_at, schema.outbox.c.id)


_PENDING = select(schema.outbox).where(schema.outbox.c.state == OutboxState.PENDING.value)
_DUE = (
    schema.outbox.c.state == OutboxState.PENDING.value,
    or_(schema.outbox.c.attempts == 0, schema.outbox.c.next_attempt_at <= bindparam("real")),
)
# Built once (a statement built per call costs its construction and its cache key each time).
_PENDING_OLDEST_FIRST = _PENDING.order_by(*_OLDEST_FIRST)
_ANY_DUE = select(schema.outbox.c.id).where(*_DUE).limit(1)


def outbox_entries(node: Node, *, pending_only: bool = True) -> list[OutboxEntry]:
    """The messages of the outbox, oldest first (only those pending, by default)."""
    with node.db.atomic() as tx:
        if pending_only:
            return pending_in(tx)
        return [_entry(row) for row in tx.execute(select(schema.outbox).order_by(*_OLDEST_FIRST))]


def pending_in(tx: Connection) -> list[OutboxEntry]:
    """The pending messages of the outbox, oldest first (inside ``tx``)."""
    return [_entry(row) for row in tx.execute(_PENDING_OLDEST_FIRST)]


def any_due(tx: Connection, real: datetime) -> bool:
    """Whether a pending message was never tried, or its next attempt is due at ``real``."""
    return tx.execute(_ANY_DUE, {"real": real}).first() is not None


def due_messages(node: Node, real: datetime) -> list[OutboxEntry]:
    """The pending messages never tried, or whose next attempt is due at ``real``."""
    table = schema.outbox
    with node.db.atomic() as tx:
        rows = tx.execute(select(table).where(*_DUE).order_by(*_OLDEST_FIRST), {"real": real})
        return [_entry(row) for row in rows]


def pending_messages(node: Node, *, kind: str, recipient: str) -> list[OutboxEntry]:
    """The messages of ``kind`` for ``recipient`` still pending."""
    table = schema.outbox
    with node.db.atomic() as tx:
        rows = tx.execute(
            select(table).where(
                table.c.kind == kind,
                table.c.recipient == recipient,
                table.c.state == OutboxState.PENDING.value,
            )
        )
        return [_entry(row) for row in rows]


# What every delivered message's outcome writes, built once.
_FINISH = (
    update(schema.outbox)
    .where(
        schema.outbox.c.id == bindparam("message"),
        schema.outbox.c.state == OutboxState.PENDING.value,
    )
    .values(
        state=bindparam("new_state"),
        receipt=bindparam("answer", type_=schema.outbox.c.receipt.type),
        last_error=bindparam("error"),
        attempts=bindparam("tried"),
        delivered_at=bindparam("delivered", type_=schema.outbox.c.delivered_at.type),
    )
)
_DELIVERED = (
    update(schema.provisions)
    .where(schema.provisions.c.id == bindparam("provision"))
    .values(state="delivered")
)


def finish_message(
    tx: Connection,
    entry: OutboxEntry,
    state: OutboxState,
    *,
    receipt: dict[str, Any] | None,
    error: str | None,
    at: datetime,
) -> bool:
    """Mark a pending message delivered (with its receipt) or refused; False if another
    pass finished it first."""
    changed = tx.execute(
        _FINISH,
        {
            "message": entry.id,
            "new_state": state.value,
            "answer": receipt,
            "error": error,
            "tried": entry.attempts + 1,
            "delivered": at if state is OutboxState.DELIVERED else None,
        },
    ).rowcount
    return bool(changed)


def mark_provision_delivered(tx: Connection, provision_id: str) -> None:
    """The provision whose package was delivered is delivered (the provision's own state)."""
    tx.execute(_DELIVERED, {"provision": provision_id})


def schedule_retry(node: Node, entry: OutboxEntry, error: str, next_at: datetime) -> None:
    """Count a failed attempt at ``entry`` and when to try it again."""
    table = schema.outbox
    with node.db.atomic() as tx:
        tx.execute(
            update(table)
            .where(table.c.id == entry.id)
            .values(attempts=entry.attempts + 1, next_attempt_at=next_at, last_error=error[:2000])
        )


def outbox_waiter(node: Node) -> Waiter:
    """What the delivery worker waits on: woken after every commit that queues a message, in
    this process or another (:mod:`pactshare.store.wakeups`)."""
    return Waiter(node.db, WAKE_CHANNEL)

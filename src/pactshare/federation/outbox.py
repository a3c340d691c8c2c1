"""What the outbox holds: pending, delivered and refused messages with their retry state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pactshare.node.service import Node
from pactshare.store.schema import outbox

__all__ = ["outbox_rows"]


def outbox_rows(node: Node, *, pending_only: bool = True) -> list[dict[str, Any]]:
    """One dict per message (oldest first): id, kind, recipient, attempts, next attempt,
    last error, state."""
    query = select(outbox).order_by(outbox.c.created_at, outbox.c.id)
    if pending_only:
        query = query.where(outbox.c.state == "pending")
    with node.db.atomic() as tx:
        rows = tx.execute(query).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "recipient": r.recipient,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
            "last_error": r.last_error,
            "state": r.state,
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        }
        for r in rows
    ]

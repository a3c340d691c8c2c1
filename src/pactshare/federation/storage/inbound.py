"""Messages received from peers and already applied, each with the answer it was given: one
effect per message id, and the same answer to a retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from pactshare.store import schema

__all__ = ["answered", "record_answered"]

_INBOUND = schema.inbound_messages


def answered(tx: Connection, message_id: str) -> dict[str, Any] | None:
    """The answer given to message ``message_id``, if it was applied already."""
    earlier = tx.execute(
        select(_INBOUND.c.receipt).where(_INBOUND.c.id == message_id)
    ).scalar_one_or_none()
    return None if earlier is None else dict(earlier)


def record_answered(
    tx: Connection,
    message_id: str,
    *,
    kind: str,
    sender: str,
    document: dict[str, Any],
    answer: dict[str, Any],
    at: datetime,
) -> None:
    """Keep that message ``message_id`` (``document``, signed by ``sender``) was applied at
    ``at`` and answered ``answer``."""
    tx.execute(
        insert(_INBOUND).values(
            id=message_id,
            kind=kind,
            sender=sender,
            document=document,
            receipt=answer,
            received_at=at,
        )
    )

"""Queuing a message for another party's node, inside the caller's transaction (the
transactional outbox): it commits with the decision and audit entry that caused it, or not
at all. ``pactshare.federation.delivery`` sends it later, with retries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from pactshare.store.schema import outbox

__all__ = ["queue_message"]


def queue_message(
    tx: Connection,
    *,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    at: datetime,
    message_id: str | None = None,
    envelope: str | None = None,
) -> str:
    """Queue ``payload`` (a signed document) for ``recipient``; return the message id."""
    ident = message_id or uuid.uuid4().hex
    tx.execute(
        insert(outbox),
        {
            "id": ident,
            "kind": kind,
            "recipient": recipient,
            "payload": payload,
            "envelope": envelope,
            "created_at": at,
            "attempts": 0,
            "next_attempt_at": at,
        },
    )
    return ident

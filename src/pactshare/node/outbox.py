"""Queuing a message for another party's node, inside the caller's transaction (the
transactional outbox): it commits with the decision and audit entry that caused it, or not
at all. ``pactshare.federation.delivery`` sends it later, with retries; the commit wakes its
worker, in this process or another (:data:`WAKE_CHANNEL`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from pactshare.store.schema import outbox
from pactshare.store.wakeups import wake_on_commit

__all__ = ["WAKE_CHANNEL", "queue_message"]

WAKE_CHANNEL = "outbox"  # what the delivery worker waits on (pactshare.store.wakeups)
_INSERT = insert(outbox)  # built once: every provision queues through it


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
        _INSERT,
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
    wake_on_commit(tx, WAKE_CHANNEL)
    return ident

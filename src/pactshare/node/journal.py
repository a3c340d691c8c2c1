"""The node's audit journal: every decision, refusal, access, consent, event, receipt and
incident becomes one entry of the append-only log, in the same transaction as the change it
records. Entries are canonical bytes (RFC 8785 JSON under a domain tag), never payloads or keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785
from sqlalchemy import Connection, func, insert, select

from pactshare.store.schema import audit_entries

__all__ = ["DOMAIN_TAG", "entry_bytes", "record"]

DOMAIN_TAG = b"pactshare/audit-entry/v1\x00"


def entry_bytes(
    *, kind: str, at: datetime, actor: str, subject: str, details: Mapping[str, Any]
) -> bytes:
    """The canonical bytes of one entry (the Merkle leaf's data)."""
    body: dict[str, Any] = {
        "kind": kind,
        "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "actor": actor,
        "subject": subject,
        "details": dict(details),
    }
    return DOMAIN_TAG + rfc8785.dumps(body)


def record(
    tx: Connection,
    *,
    kind: str,
    at: datetime,
    actor: str,
    subject: str,
    details: Mapping[str, Any],
) -> int:
    """Append one entry inside the caller's transaction; return its position."""
    position = int(tx.execute(select(func.count()).select_from(audit_entries)).scalar_one())
    data = entry_bytes(kind=kind, at=at, actor=actor, subject=subject, details=details)
    tx.execute(insert(audit_entries).values(position=position, kind=kind, at=at, data=data))
    return position

"""Diplomatic notes: an acting party's signed notice (of termination, suspension, withdrawal…)
that adds an event to an agreement. Status keeps being derived from the events; a party
records the notes it gives and the ones it receives, and every copy converges.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pactshare.domain import Event, EventKind, parse_instant
from pactshare.errors import InputError, PackageError
from pactshare.limits import check_id
from pactshare.node import journal
from pactshare.node.agreements import record_event
from pactshare.node.documents import read_document, sign_document, verify_document
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store.schema import agreement_events

__all__ = ["KIND", "give_note", "receive_note", "record_note"]

KIND = "diplomatic-note"


def give_note(
    node: Node,
    agreement_id: str,
    kind: str,
    *,
    effective: datetime | None = None,
    source: str = "",
) -> dict[str, Any]:
    """Give a note as this node's party: record its event and queue it for the other parties."""
    now = node.now()
    try:
        event_kind = EventKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in EventKind)
        raise InputError(f"--kind: {kind!r} is not one of {known}") from exc
    party = node.party_code
    event = Event(
        f"{party.lower()}-{event_kind.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
        event_kind,
        effective or now,
        party,
        source or f"note by {party}",
    )
    body = {
        "agreement": agreement_id,
        "event": {
            "id": event.id,
            "kind": event.kind.value,
            "party": party,
            "at": event.at.isoformat(),
            "source": event.source,
        },
        "issued_at": now.isoformat(),
    }
    note = sign_document(KIND, body, node.keys)
    with node.db.atomic() as tx:
        registry = node.registry(tx)
        record_event(tx, registry, agreement_id=agreement_id, event=event, note=note, at=now)
        for other in registry.agreement(agreement_id).parties:
            if other != party:
                queue_message(
                    tx,
                    kind="note",
                    recipient=other,
                    payload=note,
                    at=now,
                )
        journal.record(
            tx,
            kind="event",
            at=now,
            actor=party,
            subject=agreement_id,
            details={"note": body, "given": True},
        )
    return note


def receive_note(node: Node, path: Path) -> dict[str, Any]:
    """Record a note another party gave, read from a file, once; return its body."""
    return record_note(node, read_document(path), where=str(path))[1]


def record_note(node: Node, note: Any, *, where: str) -> tuple[str, dict[str, Any]]:
    """Record a note another party gave (by courier or over the network), once; return the
    signing party and the note's body."""
    now = node.now()
    party, body = verify_document(note, node.directory, kind=KIND, where=where)
    try:
        spec = body["event"]
        event = Event(
            check_id(spec["id"], what="event.id"),
            EventKind(spec["kind"]),
            parse_instant(str(spec["at"]), what="event.at"),
            str(spec["party"]),
            str(spec.get("source", "")),
        )
        agreement_id = str(body["agreement"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PackageError(f"{where}: malformed note ({exc})") from exc
    if event.party != party:
        raise PackageError(f"{where}: signed by {party} but acts for {event.party}")
    with node.db.atomic() as tx:
        seen = tx.execute(select(agreement_events.c.id).where(agreement_events.c.id == event.id))
        if seen.first() is not None:
            return party, body
        record_event(
            tx, node.registry(tx), agreement_id=agreement_id, event=event, note=note, at=now
        )
        journal.record(
            tx,
            kind="event",
            at=now,
            actor=party,
            subject=agreement_id,
            details={"note": body, "given": False},
        )
    return party, body

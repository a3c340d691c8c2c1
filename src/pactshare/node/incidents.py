"""Loss or compromise of an item (R-INC-1, AT-18).

A report opens an incident as ``suspected`` (or ``confirmed``) and notifies the originator at
once, before anything is confirmed; updates move it to ``confirmed`` or ``ruled-out`` and
notify again; it closes only with a close-out report of findings and measures taken to
prevent a recurrence, which goes to the originator too. Every step is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from pactshare.errors import InputError, NodeError, NotFoundError
from pactshare.node import journal
from pactshare.node.documents import sign_document
from pactshare.node.items import item_row
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store.schema import incidents

__all__ = ["IncidentState", "close_incident", "report_incident", "update_incident"]


class IncidentState(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RULED_OUT = "ruled-out"
    CLOSED = "closed"


_NEXT = {
    IncidentState.SUSPECTED: {IncidentState.CONFIRMED, IncidentState.RULED_OUT},
    IncidentState.CONFIRMED: set(),
    IncidentState.RULED_OUT: set(),
}


def _notify(
    node: Node, tx: Connection, originator: str, body: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """Sign an incident notice; queue it for the originator unless we are the originator."""
    notice = sign_document("incident-notice", body, node.keys)
    if originator != node.party_code:
        queue_message(
            tx,
            kind="incident",
            recipient=originator,
            payload=notice,
            at=at,
        )
    journal.record(
        tx,
        kind="incident",
        at=at,
        actor=node.party_code,
        subject=str(body["item_id"]),
        details=body,
    )
    return notice


def report_incident(
    node: Node, item_id: str, *, summary: str, confirmed: bool = False
) -> dict[str, Any]:
    """Open an incident and notify the originator immediately (on suspicion already)."""
    if not summary.strip():
        raise InputError("--summary: say what was lost or may have been compromised")
    now = node.now()
    state = IncidentState.CONFIRMED if confirmed else IncidentState.SUSPECTED
    incident_id = uuid.uuid4().hex
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        body = {
            "incident_id": incident_id,
            "item_id": item_id,
            "holder": node.party_code,
            "state": state.value,
            "summary": summary,
            "at": now.isoformat(),
        }
        notice = _notify(node, tx, row.originator, body, now)
        tx.execute(
            insert(incidents).values(
                id=incident_id,
                item_id=item_id,
                originator=row.originator,
                state=state.value,
                summary=summary,
                history=[notice],
                report=None,
                reported_at=now,
                closed_at=None,
            )
        )
    return notice


def _incident(tx: Connection, incident_id: str) -> Row[Any]:
    row = tx.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise NotFoundError(f"no incident {incident_id!r} on this node")
    return row


def update_incident(node: Node, incident_id: str, *, state: str, note: str) -> dict[str, Any]:
    """Move an open incident to ``confirmed`` or ``ruled-out``; notify the originator."""
    now = node.now()
    try:
        target = IncidentState(state)
    except ValueError as exc:
        raise InputError(f"--state: {state!r} is not confirmed or ruled-out") from exc
    with node.db.atomic() as tx:
        row = _incident(tx, incident_id)
        current = IncidentState(row.state)
        if target not in _NEXT.get(current, set()):
            raise NodeError(
                f"incident {incident_id} is {current.value}; it cannot become {target.value}"
            )
        body = {
            "incident_id": incident_id,
            "item_id": row.item_id,
            "holder": node.party_code,
            "state": target.value,
            "note": note,
            "at": now.isoformat(),
        }
        notice = _notify(node, tx, row.originator, body, now)
        tx.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(state=target.value, history=[*row.history, notice])
        )
    return notice


def close_incident(node: Node, incident_id: str, *, findings: str, measures: str) -> dict[str, Any]:
    """Close with the close-out report (findings and measures); refused without either."""
    if not findings.strip() or not measures.strip():
        raise InputError(
            "an incident closes only with a report: --findings and --measures (R-INC-1)"
        )
    now = node.now()
    with node.db.atomic() as tx:
        row = _incident(tx, incident_id)
        if row.state == IncidentState.CLOSED.value:
            raise NodeError(f"incident {incident_id} is already closed")
        body = {
            "incident_id": incident_id,
            "item_id": row.item_id,
            "holder": node.party_code,
            "state": IncidentState.CLOSED.value,
            "previous_state": row.state,
            "findings": findings,
            "measures": measures,
            "at": now.isoformat(),
        }
        report = _notify(node, tx, row.originator, body, now)
        tx.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(
                state=IncidentState.CLOSED.value,
                history=[*row.history, report],
                report=report,
                closed_at=now,
            )
        )
    return report

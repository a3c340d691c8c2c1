"""Loss or compromise of an item (R-INC-1, AT-18).

A report opens an incident as ``suspected`` (or ``confirmed``) and notifies the originator at
once, before anything is confirmed; updates move it to ``confirmed`` or ``ruled-out`` and
notify again; it closes only with a close-out report of findings and measures taken to
prevent a recurrence, which goes to the originator too. Every step is audited.

The originator files the notices it receives (by the network or by courier,
:func:`receive_notice`) as incidents of its own item, so that it sees them where it looks: the
item's page, the incident list, its holdings. A notice is a peer's word, hostile until
checked: signed by the party it names as holder, about an item this node originated and
provided to that party, for an incident that party opened, moving only as the states allow.
Only the holder updates or closes an incident; the originator keeps the record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from pactshare import canonical
from pactshare.audit import EntryKind
from pactshare.domain import ApprovalKind
from pactshare.errors import InputError, NodeError, NotFoundError, PackageError
from pactshare.node import journal
from pactshare.node.copies import original_of
from pactshare.node.documents import read_document, sign_document, verify_document
from pactshare.node.dossier import IncidentRecord, holder_of, incident_records
from pactshare.node.holdings import item_if_visible, visible_holdings
from pactshare.node.items import item_row
from pactshare.node.outbox import queue_message
from pactshare.node.people import PersonRecord
from pactshare.node.service import Node
from pactshare.store.schema import approvals, incidents, items, provisions

__all__ = [
    "NOTICE",
    "IncidentState",
    "close_incident",
    "list_incidents",
    "receive_notice",
    "receive_notice_file",
    "report_incident",
    "seen_incident",
    "update_incident",
]

NOTICE = "incident-notice"
_MAX_NOTICE = 1 << 20  # bytes of a notice file: its texts are bounded, far below this
_MAX_BODY = 64 << 10  # bytes of a notice's canonical body, kept in the log as it came
_MAX_TEXT = 8000
_MAX_ID = 64  # the width of incidents.id


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
    notice = sign_document(NOTICE, body, node.keys)
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
        kind=EntryKind.INCIDENT,
        at=at,
        actor=node.party_code,
        subject=str(body["item_id"]),
        details=body,
    )
    return notice


def report_incident(
    node: Node, item_id: str, *, summary: str, confirmed: bool = False
) -> dict[str, Any]:
    """Open an incident and notify the originator immediately (on suspicion already).

    An incident about a copy or translation is an incident about its original, which is
    what the originator knows: it is recorded and notified under the original's id, the
    notice naming the copy (``derived_item``).
    """
    if not summary.strip():
        raise InputError("--summary: say what was lost or may have been compromised")
    now = node.now()
    state = IncidentState.CONFIRMED if confirmed else IncidentState.SUSPECTED
    incident_id = uuid.uuid4().hex
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        original = original_of(tx, item_id)
        body = {
            "incident_id": incident_id,
            "item_id": item_id if original is None else original,
            "holder": node.party_code,
            "state": state.value,
            "summary": summary,
            "at": now.isoformat(),
        }
        if original is not None:  # the originator knows the original, not the copy (R-REP-1)
            body["derived_item"] = item_id
        notice = _notify(node, tx, row.originator, body, now)
        tx.execute(
            insert(incidents).values(
                id=incident_id,
                item_id=body["item_id"],
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


def _incident(tx: Connection, incident_id: str, party: str) -> Row[Any]:
    """An incident this node reported (only the holder updates or closes one), its row
    locked until the transaction ends: see :func:`_locked`."""
    row = _locked(tx, incident_id)
    if row is None:
        raise NotFoundError(f"no incident {incident_id!r} on this node")
    if holder_of(row) != party:
        raise NodeError(
            f"incident {incident_id} was reported by {holder_of(row)}: only they update or close it"
        )
    return row


def _locked(tx: Connection, incident_id: str) -> Row[Any] | None:
    """The incident's row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite's write lock is the whole database): two steps of one incident taken at once are
    checked one after the other, so they cannot both leave the same state (confirmed and
    ruled out) nor one overwrite the other's history."""
    query = select(incidents).where(incidents.c.id == incident_id).with_for_update()
    return tx.execute(query).first()


def update_incident(node: Node, incident_id: str, *, state: str, note: str) -> dict[str, Any]:
    """Move an open incident to ``confirmed`` or ``ruled-out``; notify the originator."""
    now = node.now()
    try:
        target = IncidentState(state)
    except ValueError as exc:
        raise InputError(f"--state: {state!r} is not confirmed or ruled-out") from exc
    with node.db.atomic() as tx:
        row = _incident(tx, incident_id, node.party_code)
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
        row = _incident(tx, incident_id, node.party_code)
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


def list_incidents(
    node: Node, *, seen_by: PersonRecord | None = None
) -> tuple[IncidentRecord, ...]:
    """Every incident on this node: reported here, and received about our items (only those
    about items ``seen_by`` may see, if given)."""
    seen = None if seen_by is None else {h.item_id for h in visible_holdings(node, seen_by)}
    with node.db.atomic() as tx:
        found = incident_records(tx, node.party_code)
    return found if seen is None else tuple(r for r in found if r.item_id in seen)


def seen_incident(node: Node, person: PersonRecord, incident_id: str) -> IncidentRecord:
    """The incident, if it concerns an item ``person`` may see; otherwise NotFoundError, as
    if it did not exist."""
    with node.db.atomic() as tx:
        item_id = tx.execute(
            select(incidents.c.item_id).where(incidents.c.id == incident_id)
        ).scalar_one_or_none()
        if item_id is None or item_if_visible(node, tx, person, item_id) is None:
            raise NotFoundError(f"no incident {incident_id!r} on this node")
        return _record(tx, node.party_code, item_id, incident_id)


def receive_notice_file(node: Node, path: Path) -> IncidentRecord:
    """File an incident notice brought by courier (the file ``incident report -o`` wrote)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PackageError(f"{path}: cannot read ({exc.strerror})") from exc
    if size > _MAX_NOTICE:
        raise PackageError(f"{path}: {size} bytes; an incident notice is at most {_MAX_NOTICE}")
    return receive_notice(node, read_document(path), where=str(path))


def receive_notice(node: Node, document: Any, *, where: str) -> IncidentRecord:
    """File a holder's signed incident notice about an item we originated (see the module);
    the same notice twice has one effect. ``where`` names the notice in errors."""
    signer, body = verify_document(document, node.directory, kind=NOTICE, where=where)
    if len(canonical.dumps(body)) > _MAX_BODY:
        raise PackageError(f"{where}: a notice's body is at most {_MAX_BODY} bytes")
    holder, incident_id, item_id = (
        _text(body, key, where) for key in ("holder", "incident_id", "item_id")
    )
    if holder != signer:
        raise PackageError(f"{where}: signed by {signer}, but names {holder} as the holder")
    if len(incident_id) > _MAX_ID:
        raise PackageError(f"{where}: incident_id longer than {_MAX_ID} characters")
    try:
        state = IncidentState(_text(body, "state", where))
    except ValueError as exc:
        raise PackageError(f"{where}: state {body['state']!r} is not an incident state") from exc
    now = node.now()
    with node.db.atomic() as tx:
        _check_provided(tx, node.party_code, item_id, signer, where)
        row = _locked(tx, incident_id)
        if row is None:
            if state not in (IncidentState.SUSPECTED, IncidentState.CONFIRMED):
                raise PackageError(f"{where}: incident {incident_id} is unknown here; a first "
                                   "notice reports it suspected or confirmed")  # fmt: skip
            tx.execute(insert(incidents).values(
                id=incident_id, item_id=item_id, originator=node.party_code, state=state.value,
                summary=_text(body, "summary", where), history=[document], report=None,
                reported_at=now, closed_at=None,
            ))  # fmt: skip
        elif any(step["signature"] == document["signature"] for step in row.history):
            return _record(tx, node.party_code, item_id, incident_id)  # one effect
        else:
            _check_step(row, signer, item_id, state, where)
            closing = state is IncidentState.CLOSED
            tx.execute(update(incidents).where(incidents.c.id == incident_id).values(
                state=state.value, history=[*row.history, document],
                **({"report": document, "closed_at": now} if closing else {}),
            ))  # fmt: skip
        journal.record(tx, kind=EntryKind.INCIDENT, at=now, actor=signer, subject=item_id,
                       details={"received": NOTICE, "notice": body})  # fmt: skip
        return _record(tx, node.party_code, item_id, incident_id)


def _text(body: dict[str, Any], key: str, where: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise PackageError(f"{where}: {key} must be text of 1 to {_MAX_TEXT} characters")
    return value


def _check_provided(tx: Connection, party: str, item_id: str, holder: str, where: str) -> None:
    """Refuse a notice unless we originated the item and it reached ``holder`` with our
    leave: provided to it (as the recipient or a hop), or released onward to it with our
    written approval (R-PRO-1)."""
    item = tx.execute(select(items.c.originator).where(items.c.id == item_id)).first()
    if item is None or item.originator != party:
        raise PackageError(f"{where}: item {item_id} is not an item {party} originated")
    given = tx.execute(
        select(provisions.c.decision).where(
            provisions.c.item_id == item_id, provisions.c.outcome != "refused"
        )
    ).scalars()
    approved = tx.execute(
        select(approvals.c.id).where(
            approvals.c.item_id == item_id,
            approvals.c.kind == ApprovalKind.RELEASE.value,
            approvals.c.subject == holder,
        )
    ).first()
    if approved is None and not any(
        holder in {hop.get("to") for hop in decision.get("route", ())} for decision in given
    ):
        raise PackageError(f"{where}: item {item_id} was never provided to {holder}")


def _check_step(row: Row[Any], signer: str, item_id: str, state: IncidentState, where: str) -> None:
    if holder_of(row) != signer or row.item_id != item_id:
        raise PackageError(
            f"{where}: incident {row.id} is {holder_of(row)}'s, about item {row.item_id}"
        )
    current = IncidentState(row.state)
    allowed = _NEXT.get(current, set()) | (
        {IncidentState.CLOSED} if current is not IncidentState.CLOSED else set()
    )
    if state not in allowed:
        raise PackageError(
            f"{where}: incident {row.id} is {current.value}; it cannot become {state.value}"
        )


def _record(tx: Connection, party: str, item_id: str, incident_id: str) -> IncidentRecord:
    found = incident_records(tx, party, item_id=item_id)
    return next(r for r in found if r.incident_id == incident_id)

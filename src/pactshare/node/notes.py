"""Diplomatic notes: a party's signed notice (of termination, suspension, withdrawal…) or
proposal (entry into force, amendment, termination by mutual consent) that adds an event to
an agreement. Status keeps being derived from the events; a party records the notes it gives
and the ones it receives, and :func:`pactshare.domain.authority.settle` decides which take
effect: a proposal once every other party accepted it (:mod:`pactshare.node.answers`), a
notice only if its giver may give it.

Time comes from the receiver (§5.1): a note received over the network counts from the instant
the receiver recorded it, which its signed acknowledgement returns to the giver
(:func:`acknowledged`); a courier's note counts from when it is recorded. A note whose instant
is before its signing instant by more than :data:`~pactshare.domain.authority.TOLERANCE` is
refused by giver and receiver.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pactshare.audit import EntryKind
from pactshare.domain import Amendment, Event, EventKind, parse_instant
from pactshare.domain.authority import (
    JOINT_KINDS,
    EventState,
    Settled,
    authority_problem,
    timing_problem,
)
from pactshare.domain.wire import amendment_json
from pactshare.errors import InputError, InvariantError, PackageError, RefusedError
from pactshare.limits import check_id
from pactshare.node import journal
from pactshare.node.agreements import amendment_problem, note_terms, record_event
from pactshare.node.answers import (
    ACCEPTANCE,
    REJECTION,
    answer_acknowledged,
    count_from_receipt,
    document_digest,
    receipt_instant,
    record_answer,
    strings,
    text_problem,
)
from pactshare.node.documents import (
    ACKNOWLEDGEMENT,
    read_document,
    sign_document,
    verify_document,
    write_document,
)
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store.schema import agreement_events, event_answers, outbox

__all__ = [
    "KIND",
    "NoteRecord",
    "acknowledged",
    "give_note",
    "list_notes",
    "receive_note",
    "record_note",
]

KIND = "diplomatic-note"
MAX_ID, MAX_SOURCE = 100, 2000  # the widths of agreement_events.id and of a note's text


def _event_kind(kind: str) -> EventKind:
    try:
        return EventKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in EventKind)
        raise InputError(f"--kind: {kind!r} is not one of {known}") from exc


def give_note(
    node: Node,
    agreement_id: str,
    kind: str,
    *,
    effective: datetime | None = None,
    source: str = "",
    terms: Amendment | None = None,
) -> dict[str, Any]:
    """Give a note as this node's party (a notice, or a proposal of a joint event): record it
    and queue it for the other parties. Refused if it is backdated, or if this party may not
    give that notice now under any interpretation. A proposed amendment may carry the
    ``terms`` it changes (R-AMD-1), signed with the note and checked against the agreement."""
    now = node.now()
    event_kind = _event_kind(kind)
    if terms is not None and event_kind is not EventKind.AMENDMENT:
        raise InputError(f"--terms: only an amendment carries terms, not a {event_kind.value}")
    party = node.party_code
    when = effective or now
    late = timing_problem(when, now, now)
    if late is not None:
        raise InputError(f"--effective: {late}")
    problem = text_problem(source, MAX_SOURCE) if source else None
    if problem:
        raise InputError(f"--source: {problem}")
    event = Event(
        f"{party.lower()}-{event_kind.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
        event_kind,
        when,
        party,
        source or f"note by {party}",
        terms,
    )
    described: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind.value,
        "party": party,
        "at": event.at.isoformat(),
        "source": event.source,
    }
    if terms is not None:
        described["amendment"] = amendment_json(terms)
    body = {"agreement": agreement_id, "event": described, "issued_at": now.isoformat()}
    note = sign_document(KIND, body, node.keys)
    with node.db.atomic() as tx:
        registry = node.registry(tx)
        agreement = registry.agreement(agreement_id)
        if party not in agreement.parties:
            raise InputError(f"{party} is not a party to {agreement_id}")
        why = amendment_problem(registry, agreement_id, event)
        if why is not None:
            raise InputError(f"--terms: {why}")
        if event_kind not in JOINT_KINDS:
            counted = Event(event.id, event.kind, max(when, now, key=_utc), party, event.source)
            why = authority_problem(agreement, counted)
            if why is not None:
                refused = f"{agreement_id}: {party} may not give this note"
                raise RefusedError(refused, reasons=(why,))
        record_event(tx, registry, agreement_id=agreement_id, event=event, note=note, at=now)
        for other in agreement.parties:
            if other != party:
                queue_message(tx, kind="note", recipient=other, payload=note, at=now)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=party,
            subject=agreement_id,
            details={"note": body, "given": True},
        )
    return note


def receive_note(node: Node, path: Path, *, acknowledgement: Path | None = None) -> dict[str, Any]:
    """Record what a courier brought, once: a note another party gave or a party's answer to
    a note (it counts from now; with ``acknowledgement``, the signed acknowledgement of its
    receipt is written there for the courier to take back), or such an acknowledgement of a
    note or acceptance we gave (our copy then counts it from the receipt it names). Return
    the document's body."""
    document = read_document(path)
    where, now = str(path), node.now()
    kind = document.get("kind") if isinstance(document, dict) else None
    if kind == ACKNOWLEDGEMENT:
        return _file_acknowledgement(node, document, where=where)
    if kind in (ACCEPTANCE, REJECTION):
        body = record_answer(node, document, where=where, received_at=now)
        message_id = f"{body['event_id']}/{body['party']}"
        sender = str(body["party"])
    else:
        sender, body = record_note(node, document, where=where, received_at=now)
        message_id = str(body["event"]["id"])
    if acknowledgement is not None:
        receipt = {
            "message_id": message_id,
            "kind": str(document["kind"]),
            "sender": sender,
            "receiver": node.party_code,
            "document_digest": document_digest(document),
            "received_at": now.isoformat(),
        }
        write_document(acknowledgement, sign_document(ACKNOWLEDGEMENT, receipt, node.keys))
    return body


def _file_acknowledgement(node: Node, document: Any, *, where: str) -> dict[str, Any]:
    """A party's acknowledgement, by courier, of a note or acceptance we gave."""
    signer, body = verify_document(document, node.directory, kind=ACKNOWLEDGEMENT, where=where)
    try:
        kind, message_id, digest, receiver = strings(
            body, "kind", "message_id", "document_digest", "receiver"
        )
    except (KeyError, TypeError) as exc:
        raise PackageError(f"{where}: malformed acknowledgement ({exc})") from exc
    with node.db.atomic() as tx:
        if kind == KIND:
            given = tx.execute(
                select(agreement_events.c.note, agreement_events.c.agreement_id).where(
                    agreement_events.c.id == message_id,
                    agreement_events.c.party == node.party_code,
                )
            ).first()
        elif kind == ACCEPTANCE:
            given = tx.execute(
                select(event_answers.c.document, event_answers.c.agreement_id).where(
                    event_answers.c.event_id == message_id.rpartition("/")[0],
                    event_answers.c.party == node.party_code,
                    event_answers.c.accepted.is_(True),
                )
            ).first()
        else:
            given = None
        parties = node.registry(tx).agreement(given[1]).parties if given else ()
        if given is None or document_digest(given[0]) != digest:
            raise PackageError(f"{where}: acknowledges nothing we gave")
        if receiver != signer or signer not in parties or signer == node.party_code:
            raise PackageError(f"{where}: an acknowledgement by {signer}, not by a receiver")
        (acknowledged if kind == KIND else answer_acknowledged)(node, given[0], signer, body)
    return body


def _parse(note: Any, directory: Any, where: str) -> tuple[str, str, Event, datetime]:
    party, body = verify_document(note, directory, kind=KIND, where=where)
    try:
        ident, kind, when, acting, source = strings(
            {"source": "", **body["event"]}, "id", "kind", "at", "party", "source"
        )
        event = Event(
            check_id(ident, what=f"{where}: event.id"),
            EventKind(kind),
            parse_instant(when, what=f"{where}: event.at"),
            acting,
            source,
            note_terms(note, where=where),  # R-AMD-1: the terms are signed with the note
        )
        agreement_id, issued = strings(body, "agreement", "issued_at")
        issued_at = parse_instant(issued, what=f"{where}: issued_at")
    except (KeyError, TypeError, ValueError, InputError, InvariantError) as exc:
        raise PackageError(f"{where}: malformed note ({exc})") from exc
    if event.party != party:
        raise PackageError(f"{where}: signed by {party} but acts for {event.party}")
    bounded = (
        ("event.id", event.id, MAX_ID),
        ("agreement", agreement_id, MAX_ID),
        ("event.source", event.source, MAX_SOURCE),
    )
    for what, text, longest in bounded:
        problem = text_problem(text, longest)
        if problem:
            raise PackageError(f"{where}: {what} {problem}")
    return party, agreement_id, event, issued_at


def record_note(
    node: Node, note: Any, *, where: str, received_at: datetime
) -> tuple[str, dict[str, Any]]:
    """Record a note another party gave (by courier or over the network), once, as received
    at ``received_at``; return the signing party and the note's body. A note from a
    non-party, or one whose instants cannot be trusted, is refused; a notice its giver may not
    give is recorded and ignored (a later note may make it valid: notes can cross)."""
    party, agreement_id, event, issued_at = _parse(note, node.directory, where)
    late = timing_problem(event.at, issued_at, received_at)
    if late is not None:
        raise RefusedError(f"{where}: note {event.id} refused", reasons=(late,))
    with node.db.atomic() as tx:
        seen = tx.execute(
            select(agreement_events.c.note).where(agreement_events.c.id == event.id)
        ).first()
        if seen is not None:
            if seen.note != note:
                raise PackageError(f"{where}: event id {event.id!r} is another note's")
            return party, dict(note["body"])
        registry = node.registry(tx)
        if party == node.party_code:
            raise PackageError(f"{where}: a note of our own party comes from us, not a peer")
        if agreement_id in registry.agreements:
            why = amendment_problem(registry, agreement_id, event)
            if why is not None:
                raise RefusedError(f"{where}: note {event.id} refused", reasons=(why,))
        record_event(
            tx,
            registry,
            agreement_id=agreement_id,
            event=event,
            note=note,
            at=received_at,
            received_at=received_at,
        )
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=received_at,
            actor=party,
            subject=agreement_id,
            details={"note": note["body"], "given": False, "received_at": received_at.isoformat()},
        )
    return party, dict(note["body"])


def acknowledged(
    node: Node, payload: dict[str, Any], recipient: str, receipt: dict[str, Any]
) -> None:
    """A peer acknowledged a note we gave: it counts from the receipt instant the peer signed
    (the latest, when several parties received it), bounded by the note's signing instant and
    our clock. Runs inside the delivery's transaction."""
    body = payload["body"]
    event_id = str(body["event"]["id"])
    received = receipt_instant(node, body, receipt)
    if received is None:
        return
    count_from_receipt(
        node,
        agreement_events.c.received_at,
        agreement_events.c.id == event_id,
        received,
        recipient=recipient,
        agreement=str(body["agreement"]),
        detail={"note_received": event_id},
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """One event of one of the node's agreements, as this node sees it."""

    agreement_id: str
    event_id: str
    kind: str
    party: str | None
    origin: str  # "file": the agreement file's own event (authoritative); "note": a note
    at: datetime  # the instant the event names
    state: str  # proposed | in_effect | rejected | ignored
    effective_at: datetime | None = None
    issued_at: datetime | None = None
    received_at: datetime | None = None
    accepted_by: tuple[str, ...] = ()
    rejected_by: dict[str, str] | None = None  # party → reason
    refused_on_receipt: dict[str, str] | None = None  # party → why its node answered 422
    waiting_for: tuple[str, ...] = ()
    why: str = ""

    @property
    def summary(self) -> str:
        """The state in words: "in effect", "proposed, waiting for JPN", "rejected by JPN"."""
        if self.rejected_by:
            return "rejected by " + ", ".join(sorted(self.rejected_by))
        if self.refused_on_receipt:
            by = ", ".join(sorted(self.refused_on_receipt))
            return f"{self.state.replace('_', ' ')} here, refused on receipt by {by}"
        if self.state == EventState.PROPOSED and self.waiting_for:
            return "proposed, waiting for " + ", ".join(self.waiting_for)
        return self.state.replace("_", " ")


def _record(settled: Settled, refused: dict[str, dict[str, str]]) -> NoteRecord:
    proposal = settled.proposal
    event = proposal.event
    return NoteRecord(
        agreement_id=proposal.agreement_id,
        event_id=event.id,
        kind=event.kind.value,
        party=event.party,
        origin="note",
        at=event.at,
        state=settled.state.value,
        effective_at=settled.effective_at,
        issued_at=proposal.issued_at,
        received_at=proposal.received_at,
        accepted_by=tuple(a.party for a in proposal.answers if a.accepted),
        rejected_by={a.party: a.reason for a in proposal.answers if not a.accepted} or None,
        refused_on_receipt=refused.get(event.id),
        waiting_for=settled.waiting_for,
        why=settled.why,
    )


def list_notes(node: Node, agreement_id: str | None = None) -> list[NoteRecord]:
    """Every event of the node's agreements (or of one), files' and notes', with its state."""
    with node.db.atomic() as tx:
        registry, states = node.registry(tx), node.settled(tx)
        if agreement_id is not None:
            registry.agreement(agreement_id)  # PolicyError if unknown
        refused: dict[str, dict[str, str]] = {}
        rows = tx.execute(
            select(outbox.c.payload, outbox.c.recipient, outbox.c.last_error).where(
                outbox.c.kind == "note", outbox.c.state == "refused"
            )
        )
        for row in rows:  # the receiver answered 422 (unsigned): shown, our copy unchanged
            event_id = str(row.payload["body"]["event"]["id"])
            refused.setdefault(event_id, {})[row.recipient] = str(row.last_error or "")
    result: list[NoteRecord] = []
    for agreement in sorted(registry.agreements.values(), key=lambda a: a.id):
        if agreement_id is not None and agreement.id != agreement_id:
            continue
        noted = {s.proposal.event.id for s in states.get(agreement.id, ())}
        result.extend(
            NoteRecord(agreement.id, e.id, e.kind.value, e.party, "file", e.at, "in_effect", e.at)
            for e in agreement.events
            if e.id not in noted
        )
        result.extend(_record(s, refused) for s in states.get(agreement.id, ()))
    return result

"""Parties' answers to notes: a signed acceptance of a joint proposal, or a signed rejection
(of a proposal, or of a note that breaks the rules), sent to every other party of the
agreement as notes are, and filed by each of them under the same rules.

* Only a party other than the giver answers, once, and only a note (an agreement file's own
  events are authoritative: they are never answered).
* An acceptance answers a joint proposal still waiting for it. It counts from when it is
  received, like a note: the receiver's acknowledgement brings the instant back to us.
* A rejection refuses a joint proposal still waiting for this party, or a notice that does not
  take effect on this copy (its giver had no standing to give it). A valid notice cannot be
  rejected: that would let the parties' copies diverge.

Each answer names the note it answers by the digest of the signed note, so an answer to one
proposal never counts for another with the same id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, insert, select, update

from pactshare import canonical
from pactshare.audit import EntryKind
from pactshare.domain import parse_instant
from pactshare.domain.authority import TOLERANCE, EventState, Settled
from pactshare.errors import InputError, NotFoundError, PackageError, RefusedError
from pactshare.node import journal
from pactshare.node.agreements import amendment_problem, bump
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store.schema import agreement_events, event_answers

__all__ = [
    "ACCEPTANCE",
    "MAX_REASON",
    "REJECTION",
    "accept_note",
    "answer_acknowledged",
    "checked_reason",
    "count_from_receipt",
    "document_digest",
    "receipt_instant",
    "record_answer",
    "reject_note",
    "strings",
    "text_problem",
]

ACCEPTANCE, REJECTION = "note-acceptance", "note-rejection"
MAX_REASON = 2000


def checked_reason(reason: str) -> str:
    """An officer's reason for an audited change (``--reason``): required, 1 to
    :data:`MAX_REASON` characters of text; InputError otherwise."""
    problem = text_problem(reason, MAX_REASON) if reason.strip() else "give the reason"
    if problem:
        raise InputError(f"--reason: {problem}")
    return reason


def text_problem(text: str, longest: int) -> str | None:
    """Why a peer's text cannot be stored as it is (None: it can): empty, too long, control
    characters (NUL included) or a lone surrogate."""
    if not text or len(text) > longest:
        return f"must have 1 to {longest} characters"
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return "holds control characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


def strings(mapping: Any, *keys: str) -> tuple[str, ...]:
    """The values of ``keys`` in a peer's JSON object, each a string (KeyError, TypeError)."""
    values = tuple(mapping[key] for key in keys)
    wrong = [key for key, value in zip(keys, values, strict=True) if not isinstance(value, str)]
    if wrong:
        raise TypeError(f"{wrong[0]} is not a string")
    return values


def document_digest(document: Any) -> str:
    """SHA-256 (hex) of a signed document's RFC 8785 form: how answers name a note."""
    return hashlib.sha256(canonical.dumps(document)).hexdigest()


def _find(
    node: Node, tx: Connection, agreement_id: str, event_id: str
) -> tuple[Settled, Any, tuple[str, ...]]:
    """The note's state on this copy, the signed note and the agreement's parties;
    NotFoundError, or InputError for an agreement file's own event."""
    registry, states = node.registry(tx), node.settled(tx)
    agreement = registry.agreement(agreement_id)
    for settled in states.get(agreement_id, ()):
        if settled.proposal.event.id == event_id:
            note = tx.execute(
                select(agreement_events.c.note).where(agreement_events.c.id == event_id)
            ).scalar_one()
            return settled, note, agreement.parties
    if agreement.event(event_id) is not None:
        raise InputError(
            f"{agreement_id}: {event_id} is an event of the agreement's file: it is "
            "authoritative and cannot be accepted or rejected"
        )
    raise NotFoundError(f"{agreement_id}: no note {event_id!r}")


def _refusal(  # noqa: PLR0911 - one return per rule
    settled: Settled, party: str, parties: tuple[str, ...], *, accepting: bool
) -> str | None:
    """Why ``party`` may not give this answer to this note (None: it may)."""
    proposal = settled.proposal
    event = proposal.event
    if party not in parties:
        return f"{party} is not a party to {proposal.agreement_id}"
    if party == event.party:
        return f"{party} gave {event.id}: a party does not answer its own note"
    if proposal.answer_of(party) is not None:
        return f"{party} has already answered {event.id}"
    if accepting:
        if not proposal.joint:
            return f"{event.id} is a {event.kind.value}: a notice takes no acceptance"
        if settled.state is not EventState.PROPOSED or party not in settled.waiting_for:
            return f"{event.id} is {settled.state.value}, not waiting for {party}"
        return None
    if proposal.joint:
        if settled.state is not EventState.PROPOSED:
            return f"{event.id} is {settled.state.value}: only a pending proposal can be refused"
        return None
    if settled.state is EventState.IN_EFFECT:
        return f"{event.id} is a valid {event.kind.value} by {event.party}: it cannot be rejected"
    return None


def _answer(
    node: Node, agreement_id: str, event_id: str, *, accepted: bool, reason: str
) -> dict[str, Any]:
    now = node.now()
    party = node.party_code
    kind = ACCEPTANCE if accepted else REJECTION
    with node.db.atomic() as tx:
        settled, note, parties = _find(node, tx, agreement_id, event_id)
        why = _refusal(settled, party, parties, accepting=accepted)
        if why is None and accepted:  # the terms must still fit the agreement here (R-AMD-1)
            registry = node.registry(tx)
            why = amendment_problem(registry, agreement_id, settled.proposal.event)
        if why is not None:
            raise RefusedError(f"{agreement_id}: {party} cannot answer {event_id}", reasons=(why,))
        body = {
            "agreement": agreement_id,
            "event_id": event_id,
            "party": party,
            "note_digest": document_digest(note),
            "reason": reason,
            "issued_at": now.isoformat(),
        }
        document = sign_document(kind, body, node.keys)
        _store(tx, body, document, accepted=accepted, at=now)
        for other in parties:
            if other != party:
                queue_message(tx, kind=kind, recipient=other, payload=document, at=now)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=party,
            subject=agreement_id,
            details={"answer": kind, "event_id": event_id, "reason": reason, "given": True},
        )
    return document


def accept_note(node: Node, agreement_id: str, event_id: str) -> dict[str, Any]:
    """Accept another party's joint proposal as this node's party; queue it for the others."""
    return _answer(node, agreement_id, event_id, accepted=True, reason="")


def reject_note(node: Node, agreement_id: str, event_id: str, *, reason: str) -> dict[str, Any]:
    """Refuse a proposal, or reject a note that breaks the rules, with a signed reason."""
    text = reason.strip()
    problem = text_problem(text, MAX_REASON)
    if problem:
        raise InputError(f"--reason: {problem}")
    return _answer(node, agreement_id, event_id, accepted=False, reason=text)


def _store(
    tx: Connection, body: dict[str, Any], document: dict[str, Any], *, accepted: bool, at: datetime
) -> None:
    tx.execute(
        insert(event_answers).values(
            event_id=body["event_id"],
            party=body["party"],
            agreement_id=body["agreement"],
            accepted=accepted,
            reason=body["reason"],
            at=at,
            document=document,
            recorded_at=at,
        )
    )
    bump(tx)


def record_answer(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File a peer's acceptance or rejection, once, as received at ``received_at``; return
    its body."""
    kind = str(document.get("kind")) if isinstance(document, dict) else ""
    if kind not in (ACCEPTANCE, REJECTION):
        raise PackageError(f"{where}: not a note answer")
    signer, body = verify_document(document, node.directory, kind=kind, where=where)
    try:
        agreement_id, event_id, party, digest, reason, issued = strings(
            body, "agreement", "event_id", "party", "note_digest", "reason", "issued_at"
        )
        issued_at = parse_instant(issued, what=f"{where}: issued_at")
    except (KeyError, TypeError, InputError) as exc:
        raise PackageError(f"{where}: malformed answer ({exc})") from exc
    if party != signer:
        raise PackageError(f"{where}: signed by {signer} but answers for {party}")
    if kind == REJECTION and (not reason.strip() or text_problem(reason, MAX_REASON)):
        raise PackageError(f"{where}: a rejection gives a reason of 1 to {MAX_REASON} characters")
    if kind == ACCEPTANCE and reason:
        raise PackageError(f"{where}: an acceptance gives no reason")
    if issued_at.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise RefusedError(f"{where}: answer refused", reasons=("signed after it was received",))
    with node.db.atomic() as tx:
        earlier = tx.execute(
            select(event_answers.c.document).where(
                event_answers.c.event_id == event_id, event_answers.c.party == party
            )
        ).scalar_one_or_none()
        if earlier is not None and earlier == document:
            return body  # the same answer again: one effect
        try:
            settled, note, parties = _find(node, tx, agreement_id, event_id)
        except NotFoundError as exc:  # the note may still be on its way to us: retryable
            raise PackageError(f"{where}: {exc}") from exc
        except InputError as exc:
            raise RefusedError(f"{where}: answer refused", reasons=(str(exc),)) from exc
        if digest != document_digest(note):
            raise RefusedError(f"{where}: answer refused", reasons=("it answers another note",))
        why = _refusal(settled, party, parties, accepting=kind == ACCEPTANCE)
        if why is not None:
            raise RefusedError(f"{where}: answer refused", reasons=(why,))
        _store(tx, body, document, accepted=kind == ACCEPTANCE, at=received_at)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=received_at,
            actor=party,
            subject=agreement_id,
            details={"answer": kind, "event_id": event_id, "reason": reason, "given": False},
        )
    return body


def receipt_instant(node: Node, body: dict[str, Any], receipt: dict[str, Any]) -> datetime | None:
    """The receipt instant a peer's acknowledgement signed for a document we gave, bounded by
    the document's signing instant and our clock (None if it names none): the receiver's
    clock decides, within what ours can believe."""
    try:
        issued = parse_instant(str(body["issued_at"]), what="issued_at")
        received = parse_instant(str(receipt["received_at"]), what="acknowledgement.received_at")
    except (KeyError, InputError):
        return None
    return min(max(received, issued, key=_utc), node.now() + TOLERANCE, key=_utc)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def count_from_receipt(
    node: Node,
    column: Column[datetime],
    condition: ColumnElement[bool],
    received: datetime,
    *,
    recipient: str,
    agreement: str,
    detail: dict[str, str],
) -> None:
    """Move the instant in ``column`` (of the row ``condition`` selects) to ``received``, the
    receipt a peer acknowledged, if that is later (when several parties received it, the
    latest counts); bump the registry's version and audit it."""
    with node.db.atomic() as tx:
        known = tx.execute(select(column).where(condition)).first()
        if known is None or (known[0] is not None and _utc(known[0]) >= _utc(received)):
            return
        tx.execute(update(column.table).where(condition).values({column.name: received}))
        bump(tx)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=node.now(),
            actor=recipient,
            subject=agreement,
            details={**detail, "received_at": received.isoformat()},
        )


def answer_acknowledged(
    node: Node, payload: dict[str, Any], recipient: str, receipt: dict[str, Any]
) -> None:
    """A peer acknowledged our acceptance: it counts from the receipt instant the peer signed
    (the latest, when several parties received it), bounded by its signing and our clock."""
    body = payload["body"]
    received = receipt_instant(node, body, receipt)
    if received is None:
        return
    count_from_receipt(
        node,
        event_answers.c.at,
        (event_answers.c.event_id == body["event_id"]) & (event_answers.c.party == node.party_code),
        received,
        recipient=recipient,
        agreement=str(body["agreement"]),
        detail={"answer_received": str(body["event_id"])},
    )

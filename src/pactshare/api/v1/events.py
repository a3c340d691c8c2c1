"""An agreement's events, and diplomatic notes given by this node's party (the security officer
records them): the note adds an event (or proposes a joint one) and is queued for the other
parties; the officer accepts or rejects other parties' notes; every event's state is listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.agreements import EventOut, find_agreement
from pactshare.api.v1.documents import SignedDocument
from pactshare.domain import EventKind, parse_instant
from pactshare.domain.wire import agreement_json
from pactshare.node.answers import MAX_REASON, accept_note, reject_note
from pactshare.node.notes import NoteRecord, give_note, list_notes
from pactshare.node.people import PersonRecord, Role
from pactshare.scenarios import amendment_from_data

__all__ = ["router"]

router = APIRouter(tags=["events"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class NoteIn(BaseModel):
    kind: EventKind
    effective: str | None = Field(
        default=None, description="When the event takes effect (instant; default: now)."
    )
    source: str = Field(default="", max_length=2000, description="The note's reference.")
    amendment: dict[str, Any] | None = Field(
        default=None,
        description=(
            "An amendment's new terms (R-AMD-1), as an agreement file's "
            "[agreement.events.amendment] table: equivalence, scope, classification_cap, "
            "term_years, notice_days (each left out stays as it was)."
        ),
    )


@router.get("/agreements/{agreement_id}/events", summary="An agreement's events")
def list_events(agreement_id: str, node: NodeDep, person: CurrentPerson) -> list[EventOut]:
    agreement = find_agreement(node, agreement_id)
    return [EventOut.model_validate(e) for e in agreement_json(agreement)["events"]]


@router.post(
    "/agreements/{agreement_id}/notes",
    status_code=201,
    summary="Give a diplomatic note (security officer): records the event, notifies peers",
)
def give(agreement_id: str, body: NoteIn, node: NodeDep, person: Officer) -> SignedDocument:
    find_agreement(node, agreement_id)
    effective = parse_instant(body.effective, what="effective") if body.effective else None
    terms = None
    if body.amendment is not None:
        terms = amendment_from_data(body.amendment, name="body")
    note = give_note(
        node, agreement_id, body.kind.value, effective=effective, source=body.source, terms=terms
    )
    return SignedDocument.model_validate(note)


class RejectionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="Why (signed).")


class NoteOut(BaseModel):
    """One event of an agreement with its state on this node."""

    agreement: str
    event_id: str
    kind: str
    party: str | None
    origin: str = Field(description="file (authoritative) or note")
    at: str = Field(description="The instant the event names.")
    state: str = Field(description="proposed, in_effect, rejected or ignored")
    summary: str = Field(description='In words, e.g. "rejected by JPN".')
    effective_at: str | None
    issued_at: str | None
    received_at: str | None
    accepted_by: list[str]
    rejected_by: dict[str, str]
    refused_on_receipt: dict[str, str] = Field(
        description="Parties whose node refused the note on receipt (422), with its answer."
    )
    waiting_for: list[str]
    why: str

    @classmethod
    def of(cls, record: NoteRecord) -> NoteOut:
        def instant(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return cls(
            agreement=record.agreement_id,
            event_id=record.event_id,
            kind=record.kind,
            party=record.party,
            origin=record.origin,
            at=record.at.isoformat(),
            state=record.state,
            summary=record.summary,
            effective_at=instant(record.effective_at),
            issued_at=instant(record.issued_at),
            received_at=instant(record.received_at),
            accepted_by=list(record.accepted_by),
            rejected_by=dict(record.rejected_by or {}),
            refused_on_receipt=dict(record.refused_on_receipt or {}),
            waiting_for=list(record.waiting_for),
            why=record.why,
        )


@router.get("/notes", summary="Every event of the node's agreements, with its state")
def all_notes(node: NodeDep, person: CurrentPerson) -> list[NoteOut]:
    return [NoteOut.of(record) for record in list_notes(node)]


@router.get("/agreements/{agreement_id}/notes", summary="An agreement's events, with their state")
def agreement_notes(agreement_id: str, node: NodeDep, person: CurrentPerson) -> list[NoteOut]:
    find_agreement(node, agreement_id)
    return [NoteOut.of(record) for record in list_notes(node, agreement_id)]


@router.post(
    "/agreements/{agreement_id}/notes/{event_id}/acceptance",
    status_code=201,
    summary="Accept another party's proposal (security officer); sent to every other party",
)
def accept(agreement_id: str, event_id: str, node: NodeDep, person: Officer) -> SignedDocument:
    find_agreement(node, agreement_id)
    return SignedDocument.model_validate(accept_note(node, agreement_id, event_id))


@router.post(
    "/agreements/{agreement_id}/notes/{event_id}/rejection",
    status_code=201,
    summary="Refuse a proposal or reject a note breaking the rules (security officer)",
)
def reject(
    agreement_id: str, event_id: str, body: RejectionIn, node: NodeDep, person: Officer
) -> SignedDocument:
    find_agreement(node, agreement_id)
    document = reject_note(node, agreement_id, event_id, reason=body.reason)
    return SignedDocument.model_validate(document)

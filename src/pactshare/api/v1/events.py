"""An agreement's events, and diplomatic notes given by this node's party (the security officer
records them): the note adds an event and is queued for the other parties.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.agreements import EventOut, find_agreement
from pactshare.api.v1.documents import SignedDocument
from pactshare.domain import EventKind, parse_instant
from pactshare.domain.wire import agreement_json
from pactshare.node.notes import give_note
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["events"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class NoteIn(BaseModel):
    kind: EventKind
    effective: str | None = Field(
        default=None, description="When the event takes effect (instant; default: now)."
    )
    source: str = Field(default="", max_length=2000, description="The note's reference.")


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
    note = give_note(node, agreement_id, body.kind.value, effective=effective, source=body.source)
    return SignedDocument.model_validate(note)

"""Assurances before hand-over (R-ACC-4, Art. 7(5); AT-16): a security officer of the
receiving party gives one from its competent authority (R-DEF-3) to the party that will
provide, or withdraws one; anyone with a token lists those given and received. Each is a
signed document queued for the other party, whose node hands over only within it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.domain import normalise_party_code, parse_instant
from pactshare.node.assurances import (
    MAX_DAYS,
    MAX_NAME,
    MAX_TEXT,
    MAX_TOPICS,
    give_assurance,
    list_assurances,
    withdraw_assurance,
)
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["assurances"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class AssuranceIn(BaseModel):
    """The assurance of Art. 7(5): (a) the recipient's clearance, (b) its official need,
    (c) equivalent protection (always undertaken), valid until an instant or for days."""

    to: str = Field(pattern=r"^[A-Za-z]{3}$", description="The party that will provide.")
    agreement: str = Field(max_length=100, description="e.g. gsomia-kor-jpn-2016")
    authority: str = Field(max_length=100, description="Our competent authority (R-DEF-3).")
    recipient: str = Field(min_length=1, max_length=MAX_NAME, description="(a) Who receives.")
    level: str = Field(max_length=100, description="(a) Our highest level it is cleared for.")
    topics: list[str] = Field(min_length=1, max_length=MAX_TOPICS, description="(b) '*': all.")
    purpose: str = Field(min_length=1, max_length=MAX_TEXT, description="(b) Official purpose.")
    valid_from: str | None = Field(default=None, max_length=64, description="Default: now.")
    until: str | None = Field(default=None, max_length=64, description="Or give days.")
    days: int | None = Field(default=None, ge=1, le=MAX_DAYS)


class AssuranceOut(BaseModel):
    """One assurance given or received, with its state on this node now."""

    id: str
    agreement: str
    receiving: str
    originating: str
    authority: str
    recipient: str
    level: str
    topics: list[str]
    purpose: str
    equivalent_protection: bool
    valid_from: str
    valid_until: str
    issued_at: str
    recorded_at: str | None
    withdrawn_at: str | None
    state: str = Field(description="in effect, not yet valid, expired or withdrawn")


@router.get("/assurances", summary="Every assurance before hand-over given or received")
def assurances(node: NodeDep, person: CurrentPerson) -> list[AssuranceOut]:
    return [AssuranceOut.model_validate(r.to_dict()) for r in list_assurances(node)]


@router.post(
    "/assurances",
    status_code=201,
    summary="Assure the providing party before a hand-over (security officer; R-ACC-4)",
)
def give(body: AssuranceIn, node: NodeDep, person: Officer) -> SignedDocument:
    document = give_assurance(
        node,
        to=normalise_party_code(body.to),
        agreement_id=body.agreement,
        authority=body.authority,
        recipient=body.recipient,
        level=body.level,
        topics=body.topics,
        purpose=body.purpose,
        until=parse_instant(body.until, what="until") if body.until else None,
        days=body.days,
        valid_from=parse_instant(body.valid_from, what="valid_from") if body.valid_from else None,
        by=person.name,
    )
    return SignedDocument.model_validate(document)


@router.post(
    "/assurances/{assurance_id}/withdrawal",
    status_code=201,
    summary="Withdraw an assurance this party gave (security officer)",
)
def withdraw(assurance_id: str, node: NodeDep, person: Officer) -> SignedDocument:
    return SignedDocument.model_validate(withdraw_assurance(node, assurance_id, by=person.name))

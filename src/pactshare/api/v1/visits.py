"""Visits between parties (R-VIS-1, R-SEC-1): a security officer requests a visit from the
party's competent authority to the host's (R-DEF-3), approves or refuses one; anyone with a
token lists them. Each request and answer is a signed document queued for the other party.
The competent authorities themselves are listed, and changed by a security officer's notice.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.domain import normalise_party_code, parse_instant
from pactshare.domain.visits import VisitKind
from pactshare.node.authorities import MAX_NAME, list_authorities, notify_authority
from pactshare.node.people import PersonRecord, Role
from pactshare.node.visits import (
    MAX_TEXT,
    MAX_TOPICS,
    MAX_VISITORS,
    VisitRecord,
    answer_visit,
    list_visits,
    request_visit,
)

__all__ = ["router"]

router = APIRouter(tags=["visits"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class VisitIn(BaseModel):
    """A visit request (R-VIS-1): its purpose, the host's facility, dates, topics and the
    highest level the visitors may be given."""

    host: str = Field(pattern=r"^[A-Za-z]{3}$", description="The host party, e.g. JPN.")
    agreement: str = Field(max_length=100, description="e.g. gsomia-kor-jpn-2016")
    kind: VisitKind = VisitKind.CMI_ACCESS
    from_authority: str = Field(max_length=100, description="Our competent authority.")
    to_authority: str = Field(max_length=100, description="The host's competent authority.")
    purpose: str = Field(min_length=1, max_length=MAX_TEXT)
    facility: str = Field(max_length=100, description="A facility id of the host.")
    starts: str = Field(max_length=64, description="First instant of the visit.")
    ends: str = Field(max_length=64, description="The instant it ends (exclusive).")
    topics: list[str] = Field(min_length=1, max_length=MAX_TOPICS)
    highest_level: str | None = Field(default=None, max_length=100)
    visitors: list[str] = Field(default_factory=list, max_length=MAX_VISITORS)


class RefusalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="Why (signed).")


class VisitOut(BaseModel):
    """One visit with its state on this node."""

    id: str
    kind: str
    rule: str = Field(description="R-VIS-1 or R-SEC-1")
    agreement: str
    visiting: str
    host: str
    from_authority: str
    to_authority: str
    purpose: str
    facility: str
    starts: str
    ends: str
    topics: list[str]
    highest_level: str | None
    visitors: list[str]
    issued_at: str
    state: str = Field(description="requested, approved or refused")
    waiting_for: list[str]
    approved_by: list[str]
    refused_by: dict[str, str]
    facility_told_at: str | None

    @classmethod
    def of(cls, r: VisitRecord) -> VisitOut:
        return cls.model_validate(r.to_dict())


@router.get("/visits", summary="Every visit requested or received, with its state")
def visits(node: NodeDep, person: CurrentPerson) -> list[VisitOut]:
    return [VisitOut.of(record) for record in list_visits(node)]


@router.post(
    "/visits",
    status_code=201,
    summary="Request a visit (security officer): from our competent authority to the host's",
)
def request(body: VisitIn, node: NodeDep, person: Officer) -> SignedDocument:
    document = request_visit(
        node,
        agreement_id=body.agreement,
        host=normalise_party_code(body.host),
        from_authority=body.from_authority,
        to_authority=body.to_authority,
        purpose=body.purpose,
        facility=body.facility,
        starts=parse_instant(body.starts, what="starts"),
        ends=parse_instant(body.ends, what="ends"),
        topics=body.topics,
        highest_level=body.highest_level,
        visitors=body.visitors,
        kind=body.kind,
        by=person.name,
    )
    return SignedDocument.model_validate(document)


@router.post(
    "/visits/{visit_id}/approval",
    status_code=201,
    summary="Approve a visit (security officer): the host alone for R-VIS-1, both for R-SEC-1",
)
def approve(visit_id: str, node: NodeDep, person: Officer) -> SignedDocument:
    document = answer_visit(node, visit_id, approve=True, by=person.name)
    return SignedDocument.model_validate(document)


@router.post(
    "/visits/{visit_id}/refusal",
    status_code=201,
    summary="Refuse a visit with a signed reason (security officer)",
)
def refuse(visit_id: str, body: RefusalIn, node: NodeDep, person: Officer) -> SignedDocument:
    document = answer_visit(node, visit_id, approve=False, reason=body.reason, by=person.name)
    return SignedDocument.model_validate(document)


class AuthorityNoticeIn(BaseModel):
    """Designate (or withdraw) one of this party's competent authorities (R-DEF-3)."""

    authority: str = Field(max_length=100, description="The authority's id, e.g. jpn-mod.")
    name: str = Field(default="", max_length=MAX_NAME, description="Its name (to designate).")
    withdraw: bool = False
    effective: str | None = Field(default=None, max_length=64, description="Default: now.")


class AuthorityOut(BaseModel):
    party: str
    id: str
    name: str
    effective_from: str
    effective_until: str | None
    origin: str = Field(description="file, or notice")


@router.get("/authorities", summary="Every party's competent authorities (R-DEF-3)")
def authorities(node: NodeDep, person: CurrentPerson) -> list[AuthorityOut]:
    return [
        AuthorityOut(
            party=r.party,
            id=r.id,
            name=r.name,
            effective_from=r.effective_from.isoformat(),
            effective_until=r.effective_until.isoformat() if r.effective_until else None,
            origin=r.origin,
        )
        for r in list_authorities(node)
    ]


@router.post(
    "/authorities",
    status_code=201,
    summary="Designate or withdraw a competent authority of ours by notice (security officer)",
)
def notify(body: AuthorityNoticeIn, node: NodeDep, person: Officer) -> SignedDocument:
    effective = parse_instant(body.effective, what="effective") if body.effective else None
    document = notify_authority(
        node,
        body.authority,
        name=body.name,
        withdraw=body.withdraw,
        effective=effective,
        by=person.name,
    )
    return SignedDocument.model_validate(document)

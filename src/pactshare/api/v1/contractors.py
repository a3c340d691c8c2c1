"""Contractor facilities of the node's party (R-CON-1), for a security officer: record one, its
inspections and staff, and hand an item over — refused (422) naming each condition of Art. 16
not on file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from pactshare.api.auth import NodeDep, require
from pactshare.node.answers import MAX_REASON
from pactshare.node.contractors import (
    MAX_TEXT,
    Contractor,
    add_contractor,
    attach,
    designate_custodian,
    hand_over,
    inspect,
    list_contractors,
)
from pactshare.node.holdings import item_for
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["contractors"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class StaffOut(BaseModel):
    person: str
    briefed: bool


class ContractorOut(BaseModel):
    id: str
    name: str
    facility: str
    protects: bool = Field(description="(b) able to protect the information.")
    registry: bool = Field(description="(i) keeps an access registry.")
    custodian: str | None = Field(description="(j) the designated custodian.")
    last_inspection: datetime | None
    last_passed: bool | None
    next_due: datetime | None
    initial_passed: bool
    staff: list[StaffOut]


def _out(contractor: Contractor) -> ContractorOut:
    return ContractorOut(
        id=contractor.id,
        name=contractor.name,
        facility=contractor.facility,
        protects=contractor.protects,
        registry=contractor.registry,
        custodian=contractor.custodian,
        last_inspection=contractor.last_inspection,
        last_passed=contractor.last_passed,
        next_due=contractor.next_due,
        initial_passed=contractor.initial_passed,
        staff=[StaffOut(person=p, briefed=b) for p, b in contractor.staff],
    )


class ContractorIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=MAX_TEXT)
    facility: str = Field(min_length=1, max_length=MAX_TEXT)
    protects: bool = False
    registry: bool = False
    custodian: str | None = Field(default=None, max_length=100)


class InspectionIn(BaseModel):
    initial: bool = False
    passed: bool
    next_due: AwareDatetime


class StaffIn(BaseModel):
    person: str = Field(min_length=1, max_length=100)
    briefed: bool = False


class HandoverIn(BaseModel):
    contractor: str = Field(min_length=1, max_length=64)


@router.get("/contractors", summary="The contractor facilities (security officer)")
def contractors(node: NodeDep, officer: Officer) -> list[ContractorOut]:
    return [_out(c) for c in list_contractors(node)]


@router.post("/contractors", status_code=201, summary="Record a contractor facility (audited)")
def add(body: ContractorIn, node: NodeDep, officer: Officer) -> ContractorOut:
    added = add_contractor(
        node, body.id, name=body.name, facility=body.facility, protects=body.protects,
        registry=body.registry, custodian=body.custodian, by=officer.name,
    )  # fmt: skip
    return _out(added)


@router.post(
    "/contractors/{contractor_id}/inspections",
    summary="Record a security inspection of the facility, R-CON-1 (g) (audited)",
)
def inspection(
    contractor_id: str, body: InspectionIn, node: NodeDep, officer: Officer
) -> ContractorOut:
    inspected = inspect(
        node, contractor_id, initial=body.initial, passed=body.passed, next_due=body.next_due,
        by=officer.name,
    )  # fmt: skip
    return _out(inspected)


@router.post(
    "/contractors/{contractor_id}/staff",
    summary="Attach a person to the facility, or record their briefing, R-CON-1 (f) (audited)",
)
def staff(contractor_id: str, body: StaffIn, node: NodeDep, officer: Officer) -> ContractorOut:
    return _out(attach(node, contractor_id, body.person, briefed=body.briefed, by=officer.name))


class CustodianIn(BaseModel):
    custodian: str | None = Field(
        min_length=1, max_length=100, description="(j) the new custodian; null: none."
    )
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="Why (audited).")


@router.post(
    "/contractors/{contractor_id}/custodian",
    summary="Designate another custodian of the facility, R-CON-1 (j), or none (audited)",
)
def custodian(
    contractor_id: str, body: CustodianIn, node: NodeDep, officer: Officer
) -> ContractorOut:
    changed = designate_custodian(
        node, contractor_id, body.custodian, reason=body.reason, by=officer.name
    )
    return _out(changed)


@router.post(
    "/items/{item_id}/handover",
    summary="Hand an item to a contractor facility (422 naming each missing condition)",
)
def handover(item_id: str, body: HandoverIn, node: NodeDep, officer: Officer) -> ContractorOut:
    item_for(node, officer, item_id)  # what the officer may not see answers 404
    return _out(hand_over(node, item_id, body.contractor, by=officer.name))

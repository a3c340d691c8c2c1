"""Incidents (R-INC-1): report a suspected or confirmed loss, update it, close it with the
close-out report; each step notifies the originator. Listed only for items the person sees.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.api.v1.items import IncidentRecord, SeenItem
from pactshare.node.incidents import (
    close_incident,
    report_incident,
    seen_incident,
    update_incident,
)
from pactshare.node.incidents import list_incidents as incidents_seen
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["incidents"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class ReportIn(BaseModel):
    summary: str = Field(min_length=1, max_length=4000)
    confirmed: bool = False


class UpdateIn(BaseModel):
    state: Literal["confirmed", "ruled-out"]
    note: str = Field(default="", max_length=4000)


class CloseIn(BaseModel):
    findings: str = Field(min_length=1, max_length=8000)
    measures: str = Field(min_length=1, max_length=8000)


@router.get(
    "/incidents",
    summary="Incidents about items the person may see: reported here, and received from the "
    "holders of items we originated",
)
def list_incidents(node: NodeDep, person: CurrentPerson) -> list[IncidentRecord]:
    return [IncidentRecord.model_validate(r) for r in incidents_seen(node, seen_by=person)]


@router.post("/items/{item_id}/incidents", status_code=201, summary="Report an incident (notifies)")
def report(person: Officer, item_id: SeenItem, body: ReportIn, node: NodeDep) -> SignedDocument:
    notice = report_incident(node, item_id, summary=body.summary, confirmed=body.confirmed)
    return SignedDocument.model_validate(notice)


@router.patch("/incidents/{incident_id}", summary="Confirm or rule out an incident")
def update(incident_id: str, body: UpdateIn, node: NodeDep, person: Officer) -> SignedDocument:
    seen_incident(node, person, incident_id)  # 404, as if absent, unless the person sees it
    notice = update_incident(node, incident_id, state=body.state, note=body.note)
    return SignedDocument.model_validate(notice)


@router.post("/incidents/{incident_id}/close", summary="Close with the close-out report")
def close(incident_id: str, body: CloseIn, node: NodeDep, person: Officer) -> SignedDocument:
    seen_incident(node, person, incident_id)
    report = close_incident(node, incident_id, findings=body.findings, measures=body.measures)
    return SignedDocument.model_validate(report)

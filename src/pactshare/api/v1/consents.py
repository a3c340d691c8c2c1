"""Originators' written approvals for an item: requested by a holder, granted or revoked by the
originator (R-PRO-1/2, R-TISA-6); the security officer acts for the party (or an originator).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.api.v1.items import ConsentRecord, SeenItem
from pactshare.node.consents import (
    MAX_SUBJECT,
    grant_consent,
    request_consent,
    revoke_consent,
)
from pactshare.node.dossier import consents_on_file
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["consents"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER, Role.ORIGINATOR))]


class ConsentIn(BaseModel):
    """What is approved: a release to a party (``to``) or a use for a purpose — one of them."""

    to: str | None = Field(default=None, min_length=1, max_length=3)
    purpose: str | None = Field(default=None, min_length=1, max_length=MAX_SUBJECT)


@router.get("/items/{item_id}/consents", summary="The approvals on file for an item")
def list_consents(item_id: SeenItem, node: NodeDep) -> list[ConsentRecord]:
    return [ConsentRecord.model_validate(r) for r in consents_on_file(node, item_id)]


@router.post(
    "/items/{item_id}/consent-requests",
    status_code=201,
    summary="Ask the originator for an approval (signed request)",
)
def ask(person: Officer, item_id: SeenItem, body: ConsentIn, node: NodeDep) -> SignedDocument:
    document = request_consent(node, item_id, release_to=body.to, purpose=body.purpose)
    return SignedDocument.model_validate(document)


@router.post(
    "/items/{item_id}/consents",
    status_code=201,
    summary="Grant an approval as the originator (signed)",
)
def grant(person: Officer, item_id: SeenItem, body: ConsentIn, node: NodeDep) -> SignedDocument:
    document = grant_consent(node, item_id, release_to=body.to, purpose=body.purpose)
    return SignedDocument.model_validate(document)


@router.delete("/consents/{approval_id}", summary="Revoke an approval before it is used (signed)")
def revoke(approval_id: str, node: NodeDep, person: Officer) -> SignedDocument:
    return SignedDocument.model_validate(revoke_consent(node, approval_id, seen_by=person))

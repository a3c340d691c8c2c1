"""Accountability (R-PRO-6, R-STO-1, R-FAC-1): a security officer records where a holding is
kept and its custodian, and takes the periodic inventory, signed by the node and recorded in
its audit log with the differences from the last one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from pactshare.api.auth import NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.node.holdings import item_for
from pactshare.node.inventory import MAX_PLACE, list_inventories, locate, take_inventory
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["inventory"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class LocationIn(BaseModel):
    facility: str = Field(min_length=1, max_length=MAX_PLACE)
    container: str = Field(min_length=1, max_length=MAX_PLACE)
    custodian: str = Field(min_length=1, max_length=100, description="A person cleared for it.")


class LocationOut(BaseModel):
    item_id: str
    facility: str
    container: str
    custodian: str
    set_by: str
    at: datetime


class InventoryOut(BaseModel):
    taken_at: datetime
    at: str = Field(description="The instant the inventory lists.")
    taken_by: str
    items: int
    differences: list[dict[str, str]] = Field(description="From the inventory before it.")
    digest: str = Field(description="SHA-256 of the signed document, as in the audit log.")


class InventoryIn(BaseModel):
    at: AwareDatetime | None = Field(default=None, description="The instant (default: now).")


@router.post(
    "/items/{item_id}/location",
    summary="Record where a holding is kept and its custodian (security officer; audited)",
)
def set_location(item_id: str, body: LocationIn, node: NodeDep, officer: Officer) -> LocationOut:
    item_for(node, officer, item_id)  # what the officer may not see answers 404
    place = locate(
        node,
        item_id,
        facility=body.facility,
        container=body.container,
        custodian=body.custodian,
        by=officer.name,
    )
    return LocationOut.model_validate(place, from_attributes=True)


@router.post(
    "/inventories",
    status_code=201,
    summary="Take the periodic inventory (security officer): signed, audited, differences flagged",
)
def inventory(body: InventoryIn, node: NodeDep, officer: Officer) -> SignedDocument:
    taken = take_inventory(node, at=body.at, by=officer.name)
    return SignedDocument.model_validate(taken.document)


@router.get("/inventories", summary="Every inventory taken, the latest first (security officer)")
def inventories(node: NodeDep, officer: Officer) -> list[InventoryOut]:
    return [InventoryOut.model_validate(r, from_attributes=True) for r in list_inventories(node)]

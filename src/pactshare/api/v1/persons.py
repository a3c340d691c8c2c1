"""Who the caller is: their party, clearance, need-to-know and roles (never their token)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from pactshare.api.auth import CurrentPerson, NodeDep

__all__ = ["router"]

router = APIRouter(tags=["persons"])


class Me(BaseModel):
    name: str
    party: str
    clearance: str | None
    need_to_know: list[str]
    roles: list[str]
    clearance_expires: datetime | None


@router.get("/me", summary="The person the token belongs to")
def me(node: NodeDep, person: CurrentPerson) -> Me:
    return Me(
        name=person.name,
        party=node.party_code,
        clearance=person.clearance,
        need_to_know=list(person.need_to_know),
        roles=[role.value for role in person.roles],
        clearance_expires=person.clearance_expires,
    )

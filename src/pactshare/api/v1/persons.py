"""Who the caller is: their party, clearance, need-to-know, roles and when their token expires
(never the token); and, for an admin or security officer, revoking or rotating a person's
token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.node.people import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    PersonRecord,
    Role,
    revoke_token,
    rotate_token,
)

__all__ = ["router"]

router = APIRouter(tags=["persons"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class Me(BaseModel):
    name: str
    party: str
    clearance: str | None
    need_to_know: list[str]
    roles: list[str]
    clearance_expires: datetime | None
    token_expires: datetime


class Revoked(BaseModel):
    name: str
    revoked: bool


class Rotated(BaseModel):
    name: str
    token: str
    token_expires: datetime


@router.get("/me", summary="The person the token belongs to")
def me(node: NodeDep, person: CurrentPerson) -> Me:
    return Me(
        name=person.name,
        party=node.party_code,
        clearance=person.clearance,
        need_to_know=list(person.need_to_know),
        roles=[role.value for role in person.roles],
        clearance_expires=person.clearance_expires,
        token_expires=person.token_expires,
    )


@router.post(
    "/persons/{name}/revoke",
    summary="Revoke a person's token now (admin or security officer); their sessions end",
)
def revoke(name: str, node: NodeDep, officer: Officer) -> Revoked:
    revoke_token(node, name, by=officer.name)
    return Revoked(name=name, revoked=True)


@router.post(
    "/persons/{name}/token-rotate",
    summary="Give a person a new token in place of the old one (shown once)",
)
def token_rotate(
    name: str,
    node: NodeDep,
    officer: Officer,
    expires_in_days: Annotated[
        int, Body(embed=True, ge=1, le=MAX_TOKEN_DAYS, description="Days until it expires.")
    ] = DEFAULT_TOKEN_DAYS,
) -> Rotated:
    token, expires = rotate_token(node, name, by=officer.name, expires_in_days=expires_in_days)
    return Rotated(name=name, token=token, token_expires=expires)

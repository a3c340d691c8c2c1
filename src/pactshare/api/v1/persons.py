"""Who the caller is: their party, clearance, need-to-know, roles and when their token expires
(never the token); and, for an admin or security officer, revoking or rotating a person's
token, changing their clearance or need-to-know, recording that they left, and the periodic
access review (R-ACC-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import AwareDatetime, BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.node.answers import MAX_REASON
from pactshare.node.people import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    PersonRecord,
    Role,
    revoke_token,
    rotate_token,
)
from pactshare.node.personnel import (
    NO_CLEARANCE,
    access_review,
    change_clearance,
    change_need_to_know,
    leave,
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


class PersonOut(BaseModel):
    name: str
    clearance: str | None
    clearance_expires: datetime | None
    need_to_know: list[str]
    roles: list[str]


def _out(record: PersonRecord) -> PersonOut:
    return PersonOut(
        name=record.name,
        clearance=record.clearance,
        clearance_expires=record.clearance_expires,
        need_to_know=list(record.need_to_know),
        roles=[role.value for role in record.roles],
    )


Reason = Field(min_length=1, max_length=MAX_REASON, description="Why (in the audit log).")


class ClearanceIn(BaseModel):
    clearance: str | None = Field(
        max_length=200, description="A level of the node's scheme; null revokes it."
    )
    expires: AwareDatetime | None = Field(
        default=None, description="End of its validity (an instant with its UTC offset)."
    )
    reason: str = Reason


class NeedToKnowIn(BaseModel):
    topics: list[str] = Field(max_length=100, description="Topics; empty: no need to know.")
    reason: str = Reason


class LeaveIn(BaseModel):
    reason: str = Reason


class ReviewOut(BaseModel):
    person: PersonOut
    may_open: list[str] = Field(description="The items the person may open now.")


@router.post(
    "/persons/{name}/clearance",
    summary="Grant, change or revoke a person's clearance (admin or security officer; audited)",
)
def clearance(name: str, body: ClearanceIn, node: NodeDep, officer: Officer) -> PersonOut:
    level = NO_CLEARANCE if body.clearance is None else body.clearance
    changed = change_clearance(
        node, name, level, expires=body.expires, reason=body.reason, by=officer.name
    )
    return _out(changed)


@router.post(
    "/persons/{name}/need-to-know",
    summary="Replace a person's need-to-know (admin or security officer; audited)",
)
def need_to_know(name: str, body: NeedToKnowIn, node: NodeDep, officer: Officer) -> PersonOut:
    return _out(change_need_to_know(node, name, body.topics, reason=body.reason, by=officer.name))


@router.post(
    "/persons/{name}/leave",
    summary="A person leaves: clearance withdrawn, token revoked, sessions ended (audited)",
)
def person_leaves(name: str, body: LeaveIn, node: NodeDep, officer: Officer) -> PersonOut:
    return _out(leave(node, name, reason=body.reason, by=officer.name))


@router.get("/access-review", summary="Every person and what they may open now (officer)")
def review(node: NodeDep, officer: Officer) -> list[ReviewOut]:
    return [
        ReviewOut(person=_out(row.person), may_open=[h.item_id for h in row.holdings])
        for row in access_review(node)
    ]

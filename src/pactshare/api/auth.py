"""Who is asking: a person of the node's party, by their API token.

The token comes as ``Authorization: Bearer pst_…`` (API) or in the ``pactshare_token``
cookie (dashboard, set at sign-in). Tokens are compared by hash and never logged. What a
person may see is decided elsewhere (clearance, need-to-know); anything they may not see
answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pactshare.api.problems import ProblemError
from pactshare.node.people import PersonRecord, Role, person_by_token
from pactshare.node.service import Node

__all__ = ["COOKIE", "CurrentPerson", "NodeDep", "current_node", "current_person", "require"]

COOKIE = "pactshare_token"


def current_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(current_node)]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


# Declares the token in /openapi.json (securitySchemes, and ``security`` on every operation that
# needs a person) so that generated clients send it; the token itself is read by ``_token``.
_BEARER = HTTPBearer(
    scheme_name="personToken",
    description="A person's API token (pst_…), from `pactshare user add`.",
    auto_error=False,
)


def current_person(
    request: Request,
    node: NodeDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> PersonRecord:
    token = _token(request)
    person = None
    if token:
        with node.db.atomic() as tx:
            person = person_by_token(tx, token)
    if person is None:
        raise ProblemError(
            401,
            "Unauthorized",
            "sign in with a person's API token (Authorization: Bearer pst_…)",
            headers={"WWW-Authenticate": 'Bearer realm="pactshare"'},
        )
    return person


CurrentPerson = Annotated[PersonRecord, Depends(current_person)]


def require(*roles: Role) -> Callable[[PersonRecord], PersonRecord]:
    """A dependency: the person must hold one of ``roles`` (admin holds them all)."""

    def check(person: CurrentPerson) -> PersonRecord:
        if Role.ADMIN in person.roles or any(role in person.roles for role in roles):
            return person
        wanted = " or ".join(role.value for role in roles)
        raise ProblemError(403, "Forbidden", f"{person.name} lacks the role {wanted}")

    return check

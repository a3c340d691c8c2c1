"""Who is asking: a person of the node's party, by their API token or dashboard session.

The API takes ``Authorization: Bearer pst_…``; the dashboard's ``pactshare_session`` cookie
(set at sign-in, :mod:`pactshare.web.session`) holds a random session id, never the token.
A token that expired or was revoked, or a session that ended, is no one. Tokens are compared
by hash and never logged. A request authenticated by the cookie that changes something
(any method but GET, HEAD and OPTIONS) must carry the session's CSRF token in
``X-CSRF-Token``. What a person may see is decided elsewhere (clearance, need-to-know);
anything they may not see answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pactshare.api.problems import ProblemError
from pactshare.node.people import PersonRecord, Role, authenticate
from pactshare.node.service import Node
from pactshare.node.sessions import Session, find_session

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "CurrentPerson",
    "NodeDep",
    "current_node",
    "current_person",
    "current_session",
    "require",
]

COOKIE = "pactshare_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSEEN = object()  # request.state.session before the cookie is looked up


def current_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(current_node)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_session(request: Request) -> Session | None:
    """The dashboard session the request's cookie names, if it is live (looked up once)."""
    if getattr(request.state, "session", _UNSEEN) is _UNSEEN:
        session_id = request.cookies.get(COOKIE)
        session = None
        if session_id:
            session = find_session(current_node(request), session_id)
        request.state.session = session
    found: Session | None = request.state.session
    return found


# Declares the token in /openapi.json (securitySchemes, and ``security`` on every operation that
# needs a person) so that generated clients send it; the token itself is read by ``_bearer``.
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
    token = _bearer(request)
    person = None
    if token:
        person = authenticate(node, token)
    elif (session := current_session(request)) is not None:
        sent = request.headers.get(CSRF_HEADER, "")
        if request.method not in _SAFE and not secrets.compare_digest(sent, session.csrf):
            raise ProblemError(
                403, "Forbidden", f"a signed-in browser's change needs its {CSRF_HEADER} header"
            )
        person = session.person
    if person is None:
        raise ProblemError(
            401,
            "Unauthorized",
            "sign in with a person's API token (Authorization: Bearer pst_…); "
            "an expired or revoked token is no longer valid",
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

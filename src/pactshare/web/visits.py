"""The visits page: every visit this node requested or received (R-VIS-1, R-SEC-1) with its
state, and every party's competent authorities with their effective dates (R-DEF-3). For a
signed-in person; changes are made on the command line or the API by a security officer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pactshare.api.auth import current_node
from pactshare.node.authorities import list_authorities
from pactshare.node.visits import list_visits
from pactshare.web.rendering import page
from pactshare.web.session import person_or_redirect

__all__ = ["router"]

router = APIRouter()


@router.get("/visits", response_model=None)
def visits_page(request: Request) -> Response:
    person = person_or_redirect(request)
    if isinstance(person, Response):
        return person
    node = current_node(request)
    context = {"visits": list_visits(node), "authorities": list_authorities(node)}
    return page(request, "visits.html", context, person=person)

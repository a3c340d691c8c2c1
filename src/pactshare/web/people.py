"""The people page: the periodic access review (R-ACC-3) — every person of the node's party,
their clearance and its validity, their need-to-know, and the holdings they may open now —
and the contractor facilities with their inspections and staff (R-CON-1). For a security
officer (or an admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pactshare.api.auth import current_node
from pactshare.node.contractors import list_contractors
from pactshare.node.people import Role
from pactshare.node.personnel import access_review
from pactshare.web.rendering import page
from pactshare.web.session import person_in_role

__all__ = ["router"]

router = APIRouter()


@router.get("/people", response_model=None)
def people_page(request: Request) -> Response:
    person = person_in_role(request, Role.SECURITY_OFFICER)
    if isinstance(person, Response):
        return person
    node = current_node(request)
    context = {
        "rows": access_review(node),
        "contractors": list_contractors(node),
        "now": node.now(),
    }
    return page(request, "people.html", context, person=person)

"""The inventory page (R-PRO-6, R-STO-1, R-FAC-1): every holding held now with where it is
kept and its custodian, and the inventories taken, each with the differences it flagged and
the digest its audit entry holds. For a security officer (or an admin); an inventory is taken
with ``pactshare inventory`` or ``POST /api/v1/inventories``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pactshare.api.auth import current_node
from pactshare.node.inventory import holdings_now, list_inventories
from pactshare.node.people import Role
from pactshare.web.rendering import page
from pactshare.web.session import person_in_role

__all__ = ["router"]

router = APIRouter()


@router.get("/inventory", response_model=None)
def inventory_page(request: Request) -> Response:
    person = person_in_role(request, Role.SECURITY_OFFICER)
    if isinstance(person, Response):
        return person
    node = current_node(request)
    context = {
        "lines": holdings_now(node),
        "inventories": list_inventories(node),
        "now": node.now(),
    }
    return page(request, "inventory.html", context, person=person)

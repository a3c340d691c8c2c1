"""The signed-in person's holdings and one item's page: label, marking, custody, the access
registry, consents and incidents. What the person may not see answers the friendly 404,
exactly as if it did not exist (``visible_item``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pactshare.api.auth import current_node
from pactshare.domain.obligations import receipt_obligations
from pactshare.errors import NotFoundError
from pactshare.node.dossier import item_dossier
from pactshare.node.holdings import visible_holdings
from pactshare.web.rendering import not_found, page
from pactshare.web.session import person_or_redirect

__all__ = ["router"]

router = APIRouter()


@router.get("/items", response_class=HTMLResponse, response_model=None)
def holdings(request: Request) -> Response:
    person = person_or_redirect(request)
    if isinstance(person, Response):
        return person
    node = current_node(request)
    held = visible_holdings(node, person)
    context = {"holdings": held, "received": sum(1 for h in held if h.origin == "received")}
    return page(request, "items.html", context, person=person)


@router.get("/items/{item_id}", response_class=HTMLResponse, response_model=None)
def item_page(request: Request, item_id: str) -> Response:
    person = person_or_redirect(request)
    if isinstance(person, Response):
        return person
    node = current_node(request)
    try:
        record = item_dossier(node, person, item_id)
    except NotFoundError:
        return not_found(request, f"There is no item {item_id!r} you may see on this node.")
    item = record.item
    agreements = node.prepared_now().registry.agreements
    under = agreements.get(item.received_under or "")
    owed = () if under is None else receipt_obligations(under, item.originator, node.party_code)
    context = {"item": item, "dossier": record, "obligations": owed}
    return page(request, "item.html", context, person=person)

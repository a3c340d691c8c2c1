"""``/api/v1``: the node's HTTP API for its own people, one module per concept.

Every operation needs a person's token; what a person may not see answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter

from pactshare.api.v1 import (
    agreements,
    assurances,
    audit,
    consents,
    contractors,
    copies,
    decisions,
    events,
    incidents,
    inventory,
    items,
    laws,
    persons,
    visits,
)
from pactshare.api.v1.problems import RESPONSES

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=RESPONSES)
for part in (
    persons,
    agreements,
    events,
    decisions,
    items,
    inventory,
    contractors,
    copies,
    consents,
    incidents,
    audit,
    visits,
    laws,
    assurances,
):
    router.include_router(part.router)

"""The node's dashboard: server-rendered pages (Jinja2) with a little plain JavaScript.

``router`` serves the pages; ``STATIC_DIR`` holds the CSS and scripts the server mounts at
``/static``. Nothing is fetched from elsewhere, so the dashboard works without a network.
"""

from __future__ import annotations

from fastapi import APIRouter

from pactshare.web import (
    agreements,
    audit,
    explorer,
    holdings,
    inventory,
    network,
    people,
    session,
    visits,
)
from pactshare.web.rendering import STATIC_DIR

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)
for part in (network, agreements, explorer, session, holdings, audit, people, inventory, visits):
    router.include_router(part.router)

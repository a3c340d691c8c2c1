"""Rendering pages: one Jinja2 environment, the signed-in person in every page's header, and
security headers (no inline script, nothing from elsewhere: the dashboard works offline).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pactshare.api.auth import current_node, current_person, current_session
from pactshare.api.problems import ProblemError
from pactshare.limits import in_range
from pactshare.node.people import PersonRecord

__all__ = [
    "SEOUL",
    "STATIC_DIR",
    "local_time",
    "not_found",
    "page",
    "signed_in_person",
]

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
SEOUL = ZoneInfo("Asia/Seoul")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def local_time(value: datetime | None, zone: str = "Asia/Seoul") -> str:
    """An instant as a reader of the story thinks of it: wall clock in Seoul, with the zone."""
    if value is None:
        return "—"
    if not in_range(value):  # a stored instant from before the bounds: shown as it is
        return value.isoformat()
    shown = value.astimezone(ZoneInfo(zone))
    seconds = ":%S" if shown.second else ""
    return shown.strftime(f"%Y-%m-%d %H:%M{seconds} %Z")


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["local"] = local_time
templates.env.filters["iso"] = lambda value: value.isoformat() if value else ""


def signed_in_person(request: Request) -> PersonRecord | None:
    """The person whose token the request carries (cookie or bearer), as the API sees them."""
    try:
        return current_person(request, current_node(request))
    except ProblemError:
        return None


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    person: PersonRecord | None = None,
) -> HTMLResponse:
    """Render ``template`` with the node, the signed-in person and the current path."""
    node = current_node(request)
    shown = person if person is not None else signed_in_person(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "party": node.party_code,
            "person": shown,
            "path": request.url.path,
            "csrf": session.csrf if (session := current_session(request)) else "",
            **context,
        },
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def not_found(request: Request, what: str) -> HTMLResponse:
    """The friendly 404: what was not found, and where to go instead."""
    return page(request, "not_found.html", {"what": what}, status=404)

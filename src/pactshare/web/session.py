"""Signing in with a person's API token: the token goes into an HttpOnly, SameSite=Strict
cookie that the API's own authentication reads (``pactshare.api.auth.COOKIE``), so pages and
API see the same person with the same rights. Pages that need a person redirect to /signin.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pactshare.api.auth import COOKIE, current_node
from pactshare.node.people import PersonRecord, person_by_token
from pactshare.web.rendering import page, signed_in_person

__all__ = ["person_or_redirect", "router"]

router = APIRouter()

SESSION_SECONDS = 8 * 3600  # a working day; the token itself does not expire


def _safe_next(target: str | None) -> str:
    """Only a path on this node: never an open redirect to elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/items"


def person_or_redirect(request: Request) -> PersonRecord | RedirectResponse:
    """The signed-in person, or a redirect to the sign-in page that comes back here."""
    person = signed_in_person(request)
    if person is not None:
        return person
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(
        f"/signin?next={quote(target, safe='/')}",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "signin.html", {"next": _safe_next(next), "error": None})


@router.post("/signin", response_model=None)
def signin(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/items",
) -> Response:
    node = current_node(request)
    person = None
    if token.strip():
        with node.db.atomic() as tx:
            person = person_by_token(tx, token.strip())
    if person is None:
        error = "That token is not valid on this node." if token.strip() else "Enter your token."
        context = {"next": _safe_next(next), "error": error}
        return page(request, "signin.html", context, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def signout() -> RedirectResponse:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response

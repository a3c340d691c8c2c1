"""Signing in and out of the dashboard, with server-side sessions and CSRF tokens.

Signing in with a person's API token opens a session in the database
(:mod:`pactshare.node.sessions`); the HttpOnly, SameSite=Strict ``pactshare_session`` cookie
holds its random id, never the token, so pages and API see the same person with the same
rights, and signing out, revoking or rotating the token ends it everywhere. Every form that
posts carries a CSRF token: the session's own once signed in; on the sign-in form, one also
set in a short-lived cookie (double submit), so another site cannot sign a browser in as
someone else. Pages that need a person redirect to /signin.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pactshare.api.auth import COOKIE, current_node, current_session, require
from pactshare.api.problems import ProblemError
from pactshare.node.clock import real_now
from pactshare.node.people import PersonRecord, Role
from pactshare.node.sessions import end_session, start_session
from pactshare.web.rendering import page, signed_in_person

__all__ = ["SIGNIN_CSRF_COOKIE", "person_or_redirect", "router"]

router = APIRouter()

SIGNIN_CSRF_COOKIE = "pactshare_signin_csrf"
_SIGNIN_CSRF_SECONDS = 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this node: never an open redirect to elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/items"


def _same(sent: str, expected: str | None) -> bool:
    return bool(sent) and expected is not None and secrets.compare_digest(sent, expected)


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


def person_in_role(request: Request, *roles: Role) -> PersonRecord | Response:
    """The signed-in person if they hold one of ``roles`` (admin holds them all); otherwise a
    redirect to the sign-in page, or the 403 page saying which role is wanted."""
    person = person_or_redirect(request)
    if isinstance(person, Response):
        return person
    try:
        require(*roles)(person)
    except ProblemError as exc:
        return page(request, "forbidden.html", {"why": exc.detail}, status=403, person=person)
    return person


def _signin_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    """The sign-in form with a fresh CSRF token, also set in its cookie."""
    csrf = secrets.token_urlsafe(32)
    context = {"next": _safe_next(next_path), "error": error, "signin_csrf": csrf}
    response = page(request, "signin.html", context, status=status)
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        csrf,
        max_age=_SIGNIN_CSRF_SECONDS,
        path="/signin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> Response:
    return _signin_page(request, next or "/items", None, 200)


@router.post("/signin", response_model=None)
def signin(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/items",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not _same(csrf, request.cookies.get(SIGNIN_CSRF_COOKIE)):
        error = "This form has expired or did not come from this node; please sign in again."
        return _signin_page(request, next, error, 403)
    node = current_node(request)
    session = None
    if token.strip():
        session = start_session(node, token.strip())
    if session is None:
        error = (
            "That token is not valid on this node (unknown, expired or revoked)."
            if token.strip()
            else "Enter your token."
        )
        return _signin_page(request, next, error, 401)
    previous = current_session(request)
    if previous is not None:
        end_session(node, previous.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session.id,
        max_age=max(1, int((session.expires_at - real_now()).total_seconds())),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/signin", httponly=True, samesite="strict")
    return response


@router.post("/signout", response_model=None)
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    session = current_session(request)
    if session is not None:
        if not _same(csrf, session.csrf):
            error = "That sign-out did not come from this node's own page: you are still signed in."
            return _signin_page(request, "/items", error, 403)
        end_session(current_node(request), session.id)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response

"""Errors as RFC 9457 problem details: what went wrong and where, never a traceback or a 500
for bad input. Our own exceptions map to statuses by kind; request validation names the field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from pactshare.errors import (
    AuditIntegrityError,
    EnvelopeError,
    InputError,
    NotFoundError,
    PackageError,
    PactshareError,
    PolicyError,
    RefusedError,
    ScenarioError,
    StorageError,
    TooLargeError,
)

__all__ = ["PROBLEM_JSON", "ProblemError", "install_handlers", "problem", "problem_document"]

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://pactshare.dev/problems/"
log = logging.getLogger(__name__)
_UNEXPECTED = "an unexpected error; see the node's log"


class ProblemError(PactshareError):
    """Raise to answer with a problem document (status, a short title, the detail)."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = _document(status, title, detail, instance=instance, **extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _document(
    status: int, title: str, detail: str, *, instance: str | None = None, **extensions: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return body


_STATUS: tuple[tuple[type[PactshareError], int, str], ...] = (
    (NotFoundError, 404, "Not found"),
    (RefusedError, 422, "Refused"),
    (InputError, 400, "Bad input"),
    (ScenarioError, 400, "Bad input"),
    (PolicyError, 400, "Bad input"),
    (EnvelopeError, 400, "Bad envelope"),
    (TooLargeError, 413, "Too large"),
    (PackageError, 400, "Malformed message"),
    (AuditIntegrityError, 409, "Audit integrity"),
    (StorageError, 503, "Storage unavailable"),
    (PactshareError, 409, "Cannot be done"),
)


def _local(request: Request, text: str) -> str:
    """``text`` without the node's directory: a problem never shows a local path (errors name
    what they are about; this is the last guard, should one name a file of ours)."""
    node = getattr(request.app.state, "node", None)
    if node is None:
        return text
    for root in {str(node.home.root.absolute()), str(node.home.root.resolve())}:
        text = text.replace(root, "<node>")
    return text


def problem_document(request: Request, exc: Exception) -> dict[str, Any]:
    """The problem document answering ``exc`` (its ``status`` included), as a handler would
    (500 for anything not ours): also how one message of a batch is answered."""
    if not isinstance(exc, PactshareError):
        return _document(500, "Internal error", _UNEXPECTED)
    status, title = next((s, t) for kind, s, t in _STATUS if isinstance(exc, kind))
    extra: dict[str, Any] = {}
    if isinstance(exc, RefusedError):
        extra["reasons"] = list(exc.reasons)
    detail = _local(request, " ".join(str(exc).splitlines()))
    return _document(status, title, detail, instance=request.url.path, **extra)


def _ours(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PactshareError)  # noqa: S101 - registered for PactshareError only
    body = problem_document(request, exc)
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON)


def _raised(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    detail = _local(request, exc.detail)
    return problem(exc.status, exc.title, detail, instance=request.url.path, headers=exc.headers)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = [
        {"where": ".".join(str(part) for part in error.get("loc", ())), "what": error.get("msg")}
        for error in exc.errors()
    ]
    detail = "; ".join(f"{e['where']}: {e['what']}" for e in errors) or "invalid request"
    return problem(422, "Invalid request", detail, instance=request.url.path, errors=errors)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    title = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}.get(
        exc.status_code, "HTTP error"
    )
    return problem(
        exc.status_code,
        title,
        str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


def _gone(request: Request, exc: Exception) -> Response:
    """The client went away (or was cut by a read timeout) while its body was read: nobody
    is there to answer, and it is not worth a line in the log (an attacker could repeat it)."""
    return Response(status_code=400)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "Internal error", _UNEXPECTED)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PactshareError, _ours)
    app.add_exception_handler(ProblemError, _raised)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ClientDisconnect, _gone)
    app.add_exception_handler(Exception, _unexpected)

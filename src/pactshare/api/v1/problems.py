"""The problem documents (RFC 9457) every ``/api/v1`` operation may answer, documented in the
OpenAPI schema so clients (and schemathesis) know every status and its body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pactshare.api.problems import PROBLEM_JSON

__all__ = ["RESPONSES", "Problem"]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    reasons: list[str] | None = None
    errors: list[dict[str, str]] | None = None  # each names ``where`` and ``what``


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad input: the detail names what and where"),
    401: _problem("No valid token (see WWW-Authenticate)"),
    403: _problem("The person lacks the role"),
    404: _problem("Absent, or not for this person to see (the same answer)"),
    409: _problem("Cannot be done in the current state"),
    422: _problem("Invalid request (errors name where), or refused (with reasons)"),
    429: _problem("Too many requests: wait the seconds Retry-After says"),
    503: _problem("Storage unavailable"),
}

"""The audit page: the node's latest signed tree head, a button that recomputes the whole log
(``journal.verify``), and the co-signatures witnesses gave the head.

Co-signatures are verified by the federation's witnessing (``pactshare.federation.witness``);
until it supplies them, the page lists those stored on the head as *not yet verified*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pactshare import audit
from pactshare.api.auth import current_node, require
from pactshare.api.problems import ProblemError
from pactshare.node import journal
from pactshare.node.people import Role
from pactshare.web.rendering import page
from pactshare.web.session import person_or_redirect

__all__ = ["CosignatureView", "render_audit", "router"]

router = APIRouter()

AUDIT_ROLES = (Role.AUDITOR, Role.SECURITY_OFFICER)


@dataclass(frozen=True, slots=True)
class CosignatureView:
    """A witness's co-signature of a head, as the page shows it."""

    witness: str
    size: int
    verified: bool | None  # None: not checked yet


def stored_cosignatures(head: audit.SignedTreeHead | None) -> list[CosignatureView]:
    """The co-signatures stored on ``head``; the witness module verifies them."""
    if head is None:
        return []
    return [CosignatureView(c.key_id, head.head.size, None) for c in head.cosignatures]


def render_audit(
    request: Request, *, verify: bool, cosignatures: Sequence[CosignatureView] | None = None
) -> HTMLResponse:
    """The audit page; ``cosignatures`` (from witnessing) replaces those stored on the head."""
    node = current_node(request)
    with node.db.atomic() as tx:
        head = journal.latest_head(tx)
        entries = journal.size(tx)
        report = journal.verify(tx, node.keys.signing_key.public_key()) if verify else None
    failures = (
        [p for p in report.problems if p.kind is not audit.ProblemKind.UNCOVERED] if report else []
    )
    context = {
        "head": head,
        "entries": entries,
        "report": report,
        "failures": failures,
        "cosignatures": list(cosignatures)
        if cosignatures is not None
        else stored_cosignatures(head),
        "key_id": node.keys.signing_key_id,
    }
    return page(request, "audit.html", context)


@router.get("/audit", response_class=HTMLResponse, response_model=None)
def audit_page(request: Request, verify: str | None = None) -> Response:
    person = person_or_redirect(request)
    if isinstance(person, Response):
        return person
    try:
        require(*AUDIT_ROLES)(person)
    except ProblemError as exc:
        return page(request, "forbidden.html", {"why": exc.detail}, status=403, person=person)
    return render_audit(request, verify=verify == "1")

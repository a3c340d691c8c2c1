"""The audit page: the node's latest signed tree head, a button that recomputes the whole log
(``journal.verify``), the co-signatures peers gave our heads and any fork detected in a
peer's log. Co-signatures are verified by witnessing (``pactshare.federation.witness``) before
they are kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pactshare.api.auth import current_node
from pactshare.federation.storage import cosignatures, forks
from pactshare.node import auditing
from pactshare.node.people import Role
from pactshare.web.rendering import page
from pactshare.web.session import person_in_role

__all__ = ["render_audit", "router"]

router = APIRouter()

AUDIT_ROLES = (Role.AUDITOR, Role.SECURITY_OFFICER)


def render_audit(request: Request, *, verify: bool) -> HTMLResponse:
    node = current_node(request)
    state = auditing.log_state(node, verify=verify)
    report = state.report
    cosigned = [c.to_dict() for c in cosignatures(node)]
    detected = [f.to_dict() for f in forks(node)]
    failures = report.failures if report else ()
    context = {
        "head": state.head,
        "entries": state.entries,
        "report": report,
        "failures": failures,
        "cosignatures": list(reversed(cosigned))[:20],  # the newest first
        "forks": detected,
        "key_id": node.keys.signing_key_id,
    }
    return page(request, "audit.html", context)


@router.get("/audit", response_class=HTMLResponse, response_model=None)
def audit_page(request: Request, verify: str | None = None) -> Response:
    person = person_in_role(request, *AUDIT_ROLES)
    if isinstance(person, Response):
        return person
    return render_audit(request, verify=verify == "1")

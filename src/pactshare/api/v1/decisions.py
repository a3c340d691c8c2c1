"""Decisions as a dry run: may an item with these facts go from A to B at an instant, by which
route, and why — against the node's own registry, recording nothing. The response has the
shape of ``pactshare.domain.wire.decision_json`` (shared with ``provide``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pactshare.api.auth import CurrentPerson, NodeDep
from pactshare.api.v1._query import instant, reading
from pactshare.domain import ApprovalKind, LateNotice, Profile, decide, parse_instant
from pactshare.domain.questions import AskedApproval, Question, build_request
from pactshare.domain.wire import decision_json
from pactshare.errors import InputError

__all__ = ["DecisionOut", "router"]

router = APIRouter(tags=["decisions"])


class MarkingDetail(BaseModel):
    originator: str
    party: str
    level: str
    name: str
    equivalent: str


class HopOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    sender: str = Field(alias="from")
    recipient: str = Field(alias="to")
    agreement: str
    marking: str
    marking_detail: MarkingDetail
    protected_under: str | None


class ConsentNeeded(BaseModel):
    originator: str
    hub: str
    release_to: str
    rule: str
    on_file: bool


class ReasonOut(BaseModel):
    rule: str
    text: str
    effect: str
    citation: str


class RouteOut(BaseModel):
    kind: str
    summary: str
    route: list[HopOut]
    consents: list[ConsentNeeded]


class DecisionOut(BaseModel):
    outcome: str
    at: str
    interpretation: str
    route: list[HopOut]
    consents: list[ConsentNeeded]
    reasons: list[ReasonOut]
    alternatives: list[RouteOut]
    conflict: bool


class ApprovalIn(BaseModel):
    kind: Literal["release", "purpose"]
    subject: str = Field(min_length=1, max_length=200)
    at: str = Field(description="When the approval was put on file (instant with offset).")


class DecisionIn(BaseModel):
    """The facts of an item and of the provision asked about (``pactshare check``'s options)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    sender: str = Field(alias="from", min_length=1, max_length=3, description="The originator.")
    recipient: str = Field(alias="to", min_length=1, max_length=3)
    classification: str = Field(min_length=1, max_length=200)
    topics: list[str] = Field(min_length=1)
    at: str | None = None
    interpretation: Profile = Profile.TREATY_TEXT
    late_notice: LateNotice = LateNotice.ROLL_OVER
    holder: str | None = Field(default=None, max_length=3)
    purpose: str | None = None
    provided_for: str | None = None
    releasable_to: list[str] = []
    approvals: list[ApprovalIn] = []
    received_under: str | None = None
    drop_event: list[str] = Field(default=[], description="What if these events had not happened.")


@router.post("/decisions", summary="Decide a provision (dry run; nothing is recorded)")
def dry_run(body: DecisionIn, node: NodeDep, person: CurrentPerson) -> DecisionOut:
    when = instant(node, body.at)
    question = Question(
        sender=body.sender,
        recipient=body.recipient,
        classification=body.classification,
        topics=tuple(body.topics),
        holder=body.holder,
        purpose=body.purpose,
        provided_for=body.provided_for,
        releasable_to=tuple(body.releasable_to),
        approvals=tuple(
            AskedApproval(
                ApprovalKind(a.kind), a.subject, parse_instant(a.at, what=f"approvals[{i}].at")
            )
            for i, a in enumerate(body.approvals)
        ),
        received_under=body.received_under,
        drop_events=tuple(body.drop_event),
    )
    held = node.prepared_now()
    asked = build_request(question, held.registry)
    if asked.request is None:
        problem = asked.problems[0]
        raise InputError(f"{problem.field}: {problem.text}")
    against = held if asked.registry is held.registry else asked.registry
    try:
        decision = decide(
            asked.request, against, when, reading(body.interpretation, body.late_notice)
        )
    except ValueError as exc:
        raise InputError(f"body: {exc}") from exc
    return DecisionOut.model_validate(decision_json(decision))

"""Agreements as this node knows them (its files plus the notes recorded since): their terms,
their status at an instant and their timeline. Shapes are those of ``pactshare.domain.wire``.
A security officer sets the node's local classification cap on an agreement (AT-26).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1._query import AtQuery, LateNoticeQuery, ProfileQuery, instant, reading
from pactshare.domain import (
    Agreement,
    LateNotice,
    Profile,
    bands,
    status_at,
)
from pactshare.domain.topics import ALL_TOPICS, parent
from pactshare.domain.wire import agreement_json, band_json, status_json
from pactshare.errors import NotFoundError
from pactshare.node.answers import MAX_REASON
from pactshare.node.local_policy import NO_CAP, set_cap
from pactshare.node.people import PersonRecord, Role
from pactshare.node.service import Node

__all__ = ["AgreementOut", "EventOut", "find_agreement", "router"]

router = APIRouter(tags=["agreements"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class AgreementSummary(BaseModel):
    id: str
    title: str
    kind: str
    parties: list[str]
    status: str
    at: str
    interpretation: str


class Terms(BaseModel):
    timezone: str
    term_years: int | None
    auto_renew: bool
    notice_days: int | None


class EquivalenceRow(BaseModel):
    label: str
    levels: dict[str, list[str]]


class EventOut(BaseModel):
    id: str
    kind: str
    party: str | None
    at: str
    source: str
    amendment: dict[str, Any] | None = Field(
        default=None, description="The terms an amendment changes (R-AMD-1), if it carries any."
    )


class AgreementOut(BaseModel):
    """The agreement's terms as signed (scope, terms, cap, equivalence; the cap is the node's
    local one when an officer set it); an amendment in ``events`` carries the terms it
    changes from its instant on (R-AMD-1)."""

    id: str
    title: str
    kind: str
    parties: list[str]
    hub: str | None
    binding: bool
    scope: list[str]
    terms: Terms
    third_party_release_needs_approval: bool
    purpose_change_needs_approval: bool
    relay_needs_originator_consent: bool
    assurance_before_provision: bool
    protection_from: list[str]
    classification_cap: str | None
    articles: dict[str, str]
    equivalence: list[EquivalenceRow]
    events: list[EventOut]


class Term(BaseModel):
    number: int
    start: str
    end: str


class StatusNote(BaseModel):
    rule: str
    text: str


class Conflict(BaseModel):
    interpretation: str
    status: str
    terminates_at: str | None


class StatusOut(BaseModel):
    agreement: str
    at: str
    interpretation: str
    status: str
    terminates_at: str | None
    next_anniversary: str | None
    notice_deadline: str | None
    earliest_termination: str | None
    term: Term | None
    applied_events: list[str]
    notes: list[StatusNote]
    conflict: Conflict | None


class BandOut(BaseModel):
    status: str
    start: str
    end: str | None


class TimelineOut(BaseModel):
    model_config = ConfigDict(title="Timeline")

    agreement: str
    interpretation: str
    events: list[EventOut]
    bands: list[BandOut]


def find_agreement(node: Node, agreement_id: str) -> Agreement:
    """The agreement, or 404 (every person of the party may know the party's agreements)."""
    found = node.prepared_now().registry.agreements.get(agreement_id)
    if found is None:
        raise NotFoundError(f"no agreement {agreement_id!r} on this node")
    return found


@router.get("/agreements", summary="The agreements with their status at an instant")
def list_agreements(
    node: NodeDep,
    person: CurrentPerson,
    at: AtQuery = None,
    interpretation: ProfileQuery = Profile.TREATY_TEXT,
    late_notice: LateNoticeQuery = LateNotice.ROLL_OVER,
) -> list[AgreementSummary]:
    when, how = instant(node, at), reading(interpretation, late_notice)
    return [
        AgreementSummary(
            id=a.id,
            title=a.title,
            kind=a.kind.value,
            parties=list(a.parties),
            status=status_at(a, when, how).status.value,
            at=when.isoformat(),
            interpretation=how.profile.value,
        )
        for a in node.prepared_now().registry.agreements.values()
    ]


@router.get("/agreements/{agreement_id}", summary="An agreement: terms, equivalence, events")
def show_agreement(agreement_id: str, node: NodeDep, person: CurrentPerson) -> AgreementOut:
    return AgreementOut.model_validate(agreement_json(find_agreement(node, agreement_id)))


@router.get("/agreements/{agreement_id}/status", summary="An agreement's status at an instant")
def agreementstatus_at(
    agreement_id: str,
    *,
    node: NodeDep,
    person: CurrentPerson,
    at: AtQuery = None,
    interpretation: ProfileQuery = Profile.TREATY_TEXT,
    late_notice: LateNoticeQuery = LateNotice.ROLL_OVER,
) -> StatusOut:
    agreement = find_agreement(node, agreement_id)
    when, how = instant(node, at), reading(interpretation, late_notice)
    report = status_at(agreement, when, how)
    other = status_at(agreement, when, how.other_profile())
    payload: dict[str, Any] = status_json(report, other)
    return StatusOut.model_validate(payload)


@router.get("/agreements/{agreement_id}/timeline", summary="Events and the status bands")
def agreement_timeline(
    agreement_id: str,
    node: NodeDep,
    person: CurrentPerson,
    interpretation: ProfileQuery = Profile.TREATY_TEXT,
    late_notice: LateNoticeQuery = LateNotice.ROLL_OVER,
) -> TimelineOut:
    agreement = find_agreement(node, agreement_id)
    how = reading(interpretation, late_notice)
    return TimelineOut(
        agreement=agreement.id,
        interpretation=how.profile.value,
        events=[EventOut.model_validate(e) for e in agreement_json(agreement)["events"]],
        bands=[BandOut.model_validate(band_json(b)) for b in bands(agreement, how)],
    )


class TopicOut(BaseModel):
    topic: str
    description: str
    parent: str | None


@router.get("/topics", summary="The topic vocabulary: what labels and decisions may name")
def list_topics(node: NodeDep, person: CurrentPerson) -> list[TopicOut]:
    vocabulary = node.prepared_now().registry.topics
    known = vocabulary.topics if vocabulary is not None else {}
    return [
        TopicOut(
            topic=topic,
            description=text,
            parent=None if (up := parent(topic)) == ALL_TOPICS else up,
        )
        for topic, text in known.items()
    ]


class CapIn(BaseModel):
    classification_cap: str | None = Field(
        max_length=100, description="An equivalence row's label, e.g. TOP SECRET; null: no cap."
    )
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="Why (audited).")


class CapOut(BaseModel):
    agreement: str
    previous: str | None
    classification_cap: str | None
    reason: str
    set_by: str
    at: str


@router.post(
    "/agreements/{agreement_id}/cap",
    summary="Set the local classification cap (security officer; not a treaty rule, audited)",
)
def set_classification_cap(
    agreement_id: str, body: CapIn, node: NodeDep, person: Officer
) -> CapOut:
    find_agreement(node, agreement_id)
    wanted = NO_CAP if body.classification_cap is None else body.classification_cap
    change = set_cap(node, agreement_id, wanted, reason=body.reason, by=person.name)
    return CapOut(
        agreement=change.agreement,
        previous=change.previous,
        classification_cap=change.cap,
        reason=change.reason,
        set_by=change.set_by,
        at=change.at.isoformat(),
    )

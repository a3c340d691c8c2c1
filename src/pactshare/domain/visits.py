"""Visits between parties: a request, the answers that decide it, and what a visitor may open.

Two kinds (RULES.md §4):

- **R-VIS-1 (Art. 8) [H]**, a visit that needs access to classified military information: the
  request goes from the visiting party's competent authority to the host's (AT-20), names its
  purpose, the host's facility, the dates, the topics and the **highest level** the visitor
  may be given; permission is granted **only by the host party**, which tells the facility.
- **R-SEC-1 (Art. 18) [H/M]**, security representatives observing how the other party applies
  its security procedures: the place and manner are **agreed by both sides**, so it is agreed
  once both parties approved it. Reading Art. 8 and Art. 18 together, a security
  representatives' visit gives no access to classified information of its own (it names no
  level); an access needs an R-VIS-1 visit [M: an inference].

Everything here is pure: the instant is ``at``, the answers are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pactshare.domain.access import AccessDecision, Holding
from pactshare.domain.agreements import Agreement
from pactshare.domain.decision import Effect, Reason
from pactshare.domain.designations import designated
from pactshare.domain.lifecycle import status_at
from pactshare.domain.parties import ClassificationLevel, Party
from pactshare.domain.topics import uncovered

__all__ = [
    "Visit",
    "VisitKind",
    "VisitState",
    "answer_problem",
    "request_problems",
    "visit_state",
    "visitor_access",
]


class VisitKind(StrEnum):
    CMI_ACCESS = "visit"  # R-VIS-1: needs access to classified information
    SECURITY_REPRESENTATIVE = "security-representative"  # R-SEC-1

    @property
    def rule(self) -> str:
        return "R-VIS-1" if self is VisitKind.CMI_ACCESS else "R-SEC-1"


class VisitState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Visit:
    """A visit request as the visiting party signed it."""

    id: str
    kind: VisitKind
    agreement_id: str
    visiting: str
    host: str
    from_authority: str
    to_authority: str
    purpose: str
    facility: str
    starts: datetime
    ends: datetime
    topics: tuple[str, ...]
    highest_level: str | None  # a level of the host's scheme (R-VIS-1); None for R-SEC-1
    visitors: tuple[str, ...]
    issued_at: datetime

    def approvers(self) -> tuple[str, ...]:
        """Who must approve: the host alone (R-VIS-1), or both parties (R-SEC-1)."""
        if self.kind is VisitKind.CMI_ACCESS:
            return (self.host,)
        return (self.visiting, self.host)


def _deny(rule: str, text: str) -> Reason:
    return Reason(rule, text, Effect.DENY)


def request_problems(
    visit: Visit,
    agreement: Agreement,
    visiting: Party,
    host: Party,
    *,
    at: datetime | None = None,
) -> tuple[Reason, ...]:
    """Why this request may not be made (empty: it may), each reason naming its rule; checked
    at the instant it was signed, by the requester and again by the host, against the terms
    in force then (R-AMD-1); and at ``at``, when given, against the terms in force at that
    instant (an approval: an amendment since may have narrowed them)."""
    rule, at = visit.kind.rule, visit.issued_at if at is None else at
    agreement = agreement.as_of(at)
    problems: list[Reason] = []
    if visit.visiting == visit.host:
        problems.append(_deny(rule, f"{visit.visiting} cannot visit itself"))
    for party in (visit.visiting, visit.host):
        if party not in agreement.parties:
            problems.append(_deny(rule, f"{party} is not a party to {agreement.id}"))
    if not status_at(agreement, at).status.allows_new_provision:
        problems.append(_deny("R-EIF-1", f"{agreement.id} is not in force at {at.isoformat()}"))
    for side_party, authority, side in (
        (visiting, visit.from_authority, "from"),
        (host, visit.to_authority, "to"),
    ):
        if not designated(side_party.authorities, authority, at):
            known = ", ".join(a.id for a in side_party.authorities if a.in_effect(at)) or "none"
            problems.append(
                _deny(
                    "R-DEF-3",
                    f"a visit request goes {side} a competent authority of {side_party.code}: "
                    f"{authority!r} is not one at {at.isoformat()} (designated: {known})",
                )
            )
    if host.facility(visit.facility) is None:
        known = ", ".join(f.id for f in host.facilities) or "none"
        problems.append(
            _deny(rule, f"{visit.facility!r} is not a facility of {host.code} (known: {known})")
        )
    if visit.starts.astimezone(UTC) >= visit.ends.astimezone(UTC):
        problems.append(_deny(rule, "the visit's dates are reversed: it ends before it starts"))
    elif visit.ends.astimezone(UTC) <= at.astimezone(UTC):
        when = "the request was made" if at == visit.issued_at else at.isoformat()
        problems.append(_deny(rule, f"the visit ends before {when}"))
    if not visit.purpose.strip():
        problems.append(_deny(rule, "permission is limited to an official purpose: name it"))
    if not visit.topics:
        problems.append(_deny(rule, "a visit names the topics it covers"))
    outside = uncovered(agreement.scope, visit.topics)
    if outside:
        problems.append(_deny(rule, f"outside {agreement.id}'s scope: {', '.join(outside)}"))
    problems.extend(_level_problems(visit, agreement, host))
    return tuple(problems)


def _level_problems(  # noqa: PLR0911 - one return per rule
    visit: Visit, agreement: Agreement, host: Party
) -> list[Reason]:
    if visit.kind is VisitKind.SECURITY_REPRESENTATIVE:
        if visit.highest_level is not None:
            text = "a security representatives' visit gives no access: request an R-VIS-1 visit"
            return [_deny("R-SEC-1", text)]
        return []
    if not visit.visitors:
        return [_deny("R-VIS-1", "a visit request names its visitors")]
    if visit.highest_level is None:
        return [_deny("R-VIS-1", "a visit request names the highest level the visitor may see")]
    level = host.scheme.find(visit.highest_level)
    if level is None:
        return [_deny("R-VIS-1", f"{visit.highest_level!r} is not a level of {host.code}")]
    if agreement.row_of(host.code, level.id) is None:
        text = (
            f"{level.id} ({level.name}) is above what {agreement.id} allows: no equivalence "
            "row holds it"
        )
        return [_deny("R-CLS-2", text)]
    return []


def visit_state(visit: Visit, answers: Mapping[str, bool]) -> tuple[VisitState, tuple[str, ...]]:
    """The visit's state from the parties' answers (party → approved), and who it waits for."""
    if any(not approved for approved in answers.values()):
        return VisitState.REFUSED, ()
    waiting = tuple(p for p in visit.approvers() if p not in answers)
    return (VisitState.REQUESTED if waiting else VisitState.APPROVED), waiting


def answer_problem(visit: Visit, answers: Mapping[str, bool], party: str) -> str | None:
    """Why ``party`` may not answer this request now (None: it may)."""
    if party not in visit.approvers():
        if visit.kind is VisitKind.CMI_ACCESS:
            host = visit.host
            return f"R-VIS-1: permission to visit {host}'s facility is granted only by {host}"
        return f"R-SEC-1: {party} is not a party to visit {visit.id}"
    if party in answers:
        return f"{party} has already answered visit {visit.id}"
    state, _ = visit_state(visit, answers)
    if state is not VisitState.REQUESTED:
        return f"visit {visit.id} is {state.value}"
    return None


def visitor_access(
    visit: Visit,
    state: VisitState,
    highest: ClassificationLevel | None,
    *,
    visitor: str,
    holding: Holding,
    facility: str | None,
    at: datetime,
) -> AccessDecision:
    """Whether ``visitor`` may open ``holding``, kept at ``facility`` (None: placed nowhere),
    at ``at`` under ``visit`` (R-VIS-1): only an approved visit, a visitor it names, an item
    kept at the visit's facility, within its dates, at or below its highest level and within
    its topics; every reason names its rule."""
    reasons: list[Reason] = []
    if facility != visit.facility:
        kept = f"kept at {facility}" if facility else "placed at no facility (see: locate)"
        text = f"{holding.item_id} is {kept}, not at visit {visit.id}'s {visit.facility}"
        reasons.append(_deny("R-VIS-1", text))
    if visit.kind is not VisitKind.CMI_ACCESS or highest is None:
        text = f"visit {visit.id} is a security representatives' visit: it gives no access"
        reasons.append(_deny("R-SEC-1", text))
    if state is not VisitState.APPROVED:
        reasons.append(_deny("R-VIS-1", f"visit {visit.id} is {state.value}, not approved"))
    if visitor not in visit.visitors:
        reasons.append(_deny("R-VIS-1", f"visit {visit.id} names no visitor {visitor!r}"))
    if holding.holder != visit.host:
        reasons.append(
            _deny("R-VIS-1", f"visit {visit.id} is to {visit.host}, not {holding.holder}")
        )
    moment = at.astimezone(UTC)
    if not visit.starts.astimezone(UTC) <= moment < visit.ends.astimezone(UTC):
        span = f"{visit.starts.isoformat()} to {visit.ends.isoformat()}"
        reasons.append(_deny("R-VIS-1", f"{at.isoformat()} is outside visit {visit.id} ({span})"))
    if highest is not None and highest.rank > holding.level.rank:
        text = f"the item's {holding.level.name} is above the visit's highest level {highest.name}"
        reasons.append(_deny("R-VIS-1", text))
    missing = uncovered(visit.topics, holding.topics)
    if missing:
        reasons.append(_deny("R-VIS-1", f"outside visit {visit.id}'s topics: {', '.join(missing)}"))
    if not reasons:
        text = (
            f"{visitor} visits {visit.facility} under approved visit {visit.id}: "
            f"{holding.level.name} within {highest.name if highest else '-'}, topics "
            f"{', '.join(holding.topics)}"
        )
        reasons.append(Reason("R-VIS-1", text, Effect.PERMIT))
    granted = all(r.effect is not Effect.DENY for r in reasons)
    return AccessDecision(granted, tuple(reasons))

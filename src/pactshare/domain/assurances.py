"""The assurance before hand-over (R-ACC-4, Art. 7(5) [H]; AT-16).

Before a representative of one party provides classified military information to a
representative of the other, the Receiving Party assures the Originating Party that (a) the
recipient holds the necessary personnel security clearance, (b) the recipient needs access
for official purposes, and (c) the Receiving Party will give the information substantially
equivalent protection. An agreement whose file sets ``assurance_before_provision`` makes that
a gate: :func:`assured` refuses a hand-over under it unless an assurance on record covers the
recipient party, a level at or above the item's equivalent for it, the item's topics and the
instant.

Readings of the text, marked as the rulebook marks them:

* The assurance is given by one of the Receiving Party's competent authorities (R-DEF-3)
  [M: an inference; the article names the party, and R-DEF-3 makes its competent authorities
  responsible for protecting the information].
* An item provided by a holder that is not its originator is assured to the party that
  hands it over [M]; an item handed back to its originator needs no assurance [M].
* An official need may be given for ``*``, every topic within the agreement's scope: a
  standing assurance [M].
* An assurance counts from when the providing party recorded it, until its ``valid_until``
  or its withdrawal, whichever is first; it cannot be backdated [H for the gate; M for the
  withdrawal, which the article does not mention].

Everything here is pure: the instant is ``at``, the assurances on record are given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from pactshare.domain.agreements import Agreement
from pactshare.domain.authority import TOLERANCE
from pactshare.domain.decision import Decision, Effect, Hop, Outcome, Reason
from pactshare.domain.designations import designated
from pactshare.domain.parties import Party
from pactshare.domain.registry import Registry
from pactshare.domain.topics import uncovered

__all__ = ["RULE", "Assurance", "AssuranceState", "assurance_problems", "assured"]

RULE = "R-ACC-4"


class AssuranceState(StrEnum):
    IN_EFFECT = "in effect"
    NOT_ON_RECORD = "not yet on record"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Assurance:
    """What ``receiving`` assured ``originating`` under ``agreement_id`` (Art. 7(5)): that
    ``recipient`` is cleared up to ``level`` (a level id of the receiving party), needs access
    to ``topics`` for ``purpose``, and that the information gets equivalent protection, from
    ``valid_from`` until ``valid_until``. ``recorded_at`` is when the providing party recorded
    it (None: not on its record), ``withdrawn_at`` when it learnt of its withdrawal."""

    id: str
    agreement_id: str
    receiving: str
    originating: str
    authority: str
    recipient: str
    level: str
    topics: tuple[str, ...]
    purpose: str
    equivalent_protection: bool
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    recorded_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def state(self, at: datetime) -> AssuranceState:
        """Where the assurance stands at ``at`` (compared in UTC)."""
        moment = at.astimezone(UTC)
        if self.recorded_at is None or moment < self.recorded_at.astimezone(UTC):
            return AssuranceState.NOT_ON_RECORD
        if self.withdrawn_at is not None and moment >= self.withdrawn_at.astimezone(UTC):
            return AssuranceState.WITHDRAWN
        if moment < self.valid_from.astimezone(UTC):
            return AssuranceState.NOT_YET_VALID
        if moment >= self.valid_until.astimezone(UTC):
            return AssuranceState.EXPIRED
        return AssuranceState.IN_EFFECT

    def lapse(self, at: datetime) -> str | None:
        """Why the assurance does not hold at ``at`` (None: it is on record by then, valid
        then and not withdrawn)."""
        state = self.state(at)
        if state is AssuranceState.WITHDRAWN:
            assert self.withdrawn_at is not None  # noqa: S101 - the state says it is
            return f"withdrawn at {self.withdrawn_at.isoformat()}"
        if state is AssuranceState.NOT_YET_VALID:
            return f"valid only from {self.valid_from.isoformat()}"
        if state is AssuranceState.EXPIRED:
            return f"expired at {self.valid_until.isoformat()}"
        return None if state is AssuranceState.IN_EFFECT else state.value


def _deny(text: str, cite: str = "") -> Reason:
    return Reason(RULE, text, Effect.DENY, cite)


def assurance_problems(
    assurance: Assurance, agreement: Agreement, receiving: Party
) -> tuple[Reason, ...]:
    """Why ``assurance`` may not be given (empty: it may), each reason naming its rule;
    checked by the giver when it signs and by the providing party when it receives it, at the
    instant it was signed, against the terms in force then (R-AMD-1). ``receiving`` is the
    giver with its authorities at that instant."""
    cite, at = agreement.article("assurance"), assurance.issued_at
    agreement = agreement.as_of(at)
    problems: list[Reason] = []
    if not agreement.assurance_before_provision:
        problems.append(_deny(f"{agreement.id} asks for no assurance before provision", cite))
    if assurance.receiving == assurance.originating:
        problems.append(_deny(f"{assurance.receiving} cannot assure itself", cite))
    for party in (assurance.receiving, assurance.originating):
        if party not in agreement.parties:
            problems.append(_deny(f"{party} is not a party to {agreement.id}", cite))
    if not designated(receiving.authorities, assurance.authority, at):
        known = ", ".join(a.id for a in receiving.authorities if a.in_effect(at)) or "none"
        problems.append(
            Reason(
                "R-DEF-3",
                f"an assurance is given by a competent authority of {receiving.code}: "
                f"{assurance.authority!r} is not one at {at.isoformat()} (designated: {known})",
                Effect.DENY,
            )
        )
    if not assurance.recipient.strip():
        problems.append(_deny("(a) name the representative who receives it", cite))
    problems.extend(_level_problems(assurance, agreement, receiving, cite))
    if not assurance.topics:
        problems.append(_deny("(b) name the topics the recipient needs for official purposes"))
    outside = uncovered(agreement.scope, assurance.topics)
    if outside:
        problems.append(_deny(f"outside {agreement.id}'s scope: {', '.join(outside)}", cite))
    if not assurance.purpose.strip():
        problems.append(_deny("(b) name the official purpose the recipient needs it for", cite))
    if not assurance.equivalent_protection:
        problems.append(_deny("(c) the receiving party must undertake equivalent protection", cite))
    problems.extend(_validity_problems(assurance, cite))
    return tuple(problems)


def _level_problems(
    assurance: Assurance, agreement: Agreement, receiving: Party, cite: str
) -> list[Reason]:
    level = receiving.scheme.find(assurance.level)
    if level is None:
        return [_deny(f"(a) {assurance.level!r} is not a level of {receiving.code}", cite)]
    if agreement.row_of(receiving.code, level.id) is None:
        text = f"(a) {level.id} ({level.name}) is not in {agreement.id}'s equivalence table"
        return [Reason("R-CLS-2", text, Effect.DENY, agreement.article("classification"))]
    return []


def _validity_problems(assurance: Assurance, cite: str) -> list[Reason]:
    starts, ends = assurance.valid_from.astimezone(UTC), assurance.valid_until.astimezone(UTC)
    issued = assurance.issued_at.astimezone(UTC)
    if starts >= ends:
        return [_deny("its validity is reversed: it ends before it starts", cite)]
    if ends <= issued:
        return [_deny("it expires before it was given", cite)]
    if starts < issued - TOLERANCE:
        text = (
            f"it takes effect at {assurance.valid_from.isoformat()}, before it was given "
            f"({assurance.issued_at.isoformat()}); an assurance cannot be backdated"
        )
        return [_deny(text, cite)]
    return []


def assured(
    decision: Decision,
    registry: Registry,
    topics: tuple[str, ...],
    assurances: Iterable[Assurance],
    at: datetime,
) -> Decision:
    """``decision`` gated by R-ACC-4: unchanged unless it allows a hand-over whose first hop
    is under an agreement that asks for an assurance; then allowed (with a reason citing the
    assurance that covers it) or refused (with a reason saying what is missing)."""
    if not decision.allowed:
        return decision
    hop = decision.route[0]
    agreement = registry.agreement(hop.agreement)
    if not agreement.assurance_before_provision or hop.recipient == hop.marking.originator:
        return decision
    recipient = registry.parties[hop.recipient]
    reason = _cover(hop, agreement, recipient, topics=topics, assurances=assurances, at=at)
    if reason.effect is Effect.PERMIT:
        return replace(decision, reasons=(*decision.reasons, reason))
    return Decision(
        Outcome.REFUSED,
        decision.at,
        decision.interpretation,
        (),
        (),
        (*decision.reasons, reason),
        conflict=decision.conflict,
    )


def _cover(
    hop: Hop,
    agreement: Agreement,
    recipient: Party,
    *,
    topics: tuple[str, ...],
    assurances: Iterable[Assurance],
    at: datetime,
) -> Reason:
    """The reason an assurance on record covers ``hop`` at ``at``, or the one saying why none
    does (each candidate's shortfall)."""
    cite = agreement.article("assurance")
    needed = recipient.scheme.find(hop.marking.level)
    assert needed is not None  # noqa: S101 - the decision marked it with a level of the party
    wanted = (
        f"(a) a clearance at or above {needed.id} ({needed.name}), (b) an official need for "
        f"{', '.join(topics)}, (c) equivalent protection"
    )
    shortfalls = []
    for assurance in assurances:
        if (assurance.agreement_id, assurance.receiving, assurance.originating) != (
            agreement.id,
            hop.recipient,
            hop.sender,
        ):
            continue
        missing = _shortfall(assurance, recipient, needed.rank, topics, at)
        if missing is None:
            text = (
                f"{hop.recipient} assured {hop.sender} before the hand-over ({assurance.id}, "
                f"by {assurance.authority}): {assurance.recipient} is cleared up to "
                f"{assurance.level}, needs {', '.join(assurance.topics)} for an official "
                f"purpose, and the item gets equivalent protection "
                f"(until {assurance.valid_until.isoformat()})"
            )
            return Reason(RULE, text, Effect.PERMIT, cite)
        shortfalls.append(f"{assurance.id}: {missing}")
    if not shortfalls:
        text = (
            f"no assurance from {hop.recipient} is on record: before the hand-over under "
            f"{agreement.id} ({cite}), {hop.recipient} must assure {hop.sender} of {wanted} "
            "(AT-16)"
        )
        return _deny(text, cite)
    text = (
        f"no assurance from {hop.recipient} on record covers this hand-over under "
        f"{agreement.id} ({cite}), which needs {wanted} (AT-16): {'; '.join(shortfalls)}"
    )
    return _deny(text, cite)


def _shortfall(
    assurance: Assurance, recipient: Party, rank: int, topics: tuple[str, ...], at: datetime
) -> str | None:
    """What ``assurance`` lacks to cover an item of level rank ``rank`` and ``topics`` at
    ``at`` (None: nothing)."""
    lapse = assurance.lapse(at)
    if lapse is not None:
        return lapse
    level = recipient.scheme.find(assurance.level)
    if level is None or level.rank > rank:  # rank 1 is the highest
        return f"(a) covers only up to {assurance.level}"
    missing = uncovered(assurance.topics, topics)
    if missing:
        return f"(b) no official need for {', '.join(missing)}"
    if not assurance.equivalent_protection:
        return "(c) no undertaking of equivalent protection"
    return None

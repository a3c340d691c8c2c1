"""Who may make which event: the rules that turn diplomatic notes into an agreement's events.

* **Joint events** (signature, entry into force, amendment, termination by mutual consent,
  the settlement of a dispute by consultation: R-EIF-1, R-AMD-1, R-DSP-1) are *proposed* by
  one party and take effect only when every other party has accepted the proposal, at the
  later of the proposed instant and the last acceptance (R-EIF-1: "the later of the two
  dates"). Until then the engine ignores them; one refusal ends the proposal.
* **Unilateral events** (notice of termination; suspension, resumption or withdrawal of one's
  own notice: R-DUR-1, R-STATE-2..4; raising a dispute: R-DSP-1; notice of a change in one's
  law: R-LAW-2) are the act of the party that gives them, and count only where the
  agreement's state allows them under at least one interpretation (a dispute or a law change,
  at any time: protection outlives the agreement). A suspension,
  resumption or withdrawal acts on the running notice, so only the party that gave that
  notice may make it.
* **Time comes from the receiver.** A notice counts from when it is received (§5.1), never
  from before it was signed: ``counts_from`` is the later of the instant the note names and
  its receipt (or, until a receipt is known, its signing instant). A note naming an instant
  more than :data:`TOLERANCE` before its signing instant is refused (:func:`timing_problem`).

The agreement files' own events are authoritative: they are not notes and are never answered.
Everything here is pure: :func:`settle` turns the recorded notes and answers into the events
the engine sees, and says for each note what state it is in and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pactshare.domain.agreements import Agreement, Event, EventKind
from pactshare.domain.lifecycle import Interpretation, LateNotice, NoteKind, Profile, status_at
from pactshare.errors import InvariantError

__all__ = [
    "JOINT_KINDS",
    "TOLERANCE",
    "UNILATERAL_KINDS",
    "Answer",
    "EventState",
    "Proposal",
    "Settled",
    "authority_problem",
    "settle",
    "timing_problem",
]

JOINT_KINDS = frozenset(
    {
        EventKind.SIGNATURE,
        EventKind.ENTRY_INTO_FORCE,
        EventKind.AMENDMENT,
        EventKind.TERMINATION,
        EventKind.DISPUTE_SETTLED,
    }
)
UNILATERAL_KINDS = frozenset(
    {
        EventKind.NOTICE_OF_TERMINATION,
        EventKind.NOTICE_SUSPENSION,
        EventKind.NOTICE_RESUMPTION,
        EventKind.NOTICE_WITHDRAWAL,
        EventKind.DISPUTE,
        EventKind.LAW_CHANGE_NOTICE,
    }
)
#: How far a note's instant may lie before its signing instant (and its signing instant after
#: its receipt): clocks of two nodes are never exactly alike. The same bound as the freshness
#: of a federation request's signature.
TOLERANCE = timedelta(minutes=5)

_READINGS = tuple(Interpretation(p, late) for p in Profile for late in LateNotice)
_ACTS_ON_NOTICE = frozenset(
    {EventKind.NOTICE_SUSPENSION, EventKind.NOTICE_RESUMPTION, EventKind.NOTICE_WITHDRAWAL}
)
_NOTICES = (EventKind.NOTICE_OF_TERMINATION,)


class EventState(StrEnum):
    """Where a note stands on this copy of its agreement."""

    PROPOSED = "proposed"  # a joint event waiting for the other parties' acceptance
    IN_EFFECT = "in_effect"  # the engine applies it
    REJECTED = "rejected"  # refused by a party (a joint proposal, or a note breaking the rules)
    IGNORED = "ignored"  # a unilateral note its giver had no standing to give


@dataclass(frozen=True, slots=True)
class Answer:
    """A party's signed acceptance or rejection of a note, and the instant it counts from."""

    party: str
    accepted: bool
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Proposal:
    """An event carried by a note: given by ``event.party`` at ``issued_at`` (its signing
    instant), naming ``event.at``, received at ``received_at`` (None: no receipt known yet),
    with the other parties' answers."""

    agreement_id: str
    event: Event
    issued_at: datetime
    received_at: datetime | None = None
    answers: tuple[Answer, ...] = ()

    @property
    def joint(self) -> bool:
        return self.event.kind in JOINT_KINDS

    def answer_of(self, party: str) -> Answer | None:
        return next((a for a in self.answers if a.party == party), None)

    def counts_from(self) -> datetime:
        """The later of the named instant and the receipt (or the signing, until received)."""
        return _latest(self.event.at, self.received_at or self.issued_at)


@dataclass(frozen=True, slots=True)
class Settled:
    """A note's state on this copy, the instant it takes effect (if it does) and why not."""

    proposal: Proposal
    state: EventState
    effective_at: datetime | None = None
    why: str = ""
    waiting_for: tuple[str, ...] = ()


def _latest(*moments: datetime) -> datetime:
    return max(moments, key=lambda moment: moment.astimezone(UTC))


def timing_problem(event_at: datetime, issued_at: datetime, received_at: datetime) -> str | None:
    """Why a note's instants cannot be trusted (backdated, or signed after it arrived)."""
    if event_at.astimezone(UTC) < issued_at.astimezone(UTC) - TOLERANCE:
        return (
            f"the note takes effect at {event_at.isoformat()}, before it was signed "
            f"({issued_at.isoformat()}); a note cannot be backdated"
        )
    if issued_at.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        return (
            f"the note says it was signed at {issued_at.isoformat()}, after it was received "
            f"({received_at.isoformat()})"
        )
    return None


def authority_problem(agreement: Agreement, event: Event) -> str | None:
    """Why ``event.party`` may not make ``event`` alone on ``agreement`` as it stands (None: it
    may). Only unilateral events can be made alone; each must be allowed by the state of the
    agreement under at least one interpretation, and acts on a notice only by its giver."""
    if event.party is None or event.party not in agreement.parties:
        return f"{event.party} is not a party to {agreement.id}"
    if event.kind in JOINT_KINDS:
        return f"a {event.kind.value} needs every party's acceptance; it is proposed, not given"
    try:
        candidate = agreement.with_event(event)
    except InvariantError as exc:
        return str(exc)
    why = ""
    for reading in _READINGS:
        report = status_at(candidate, event.at, reading)
        if event.id not in report.applied_events:
            why = next(
                (
                    n.text
                    for n in report.notes
                    if n.event == event.id and n.kind is NoteKind.IGNORED
                ),
                why,
            )
            continue
        owner = _notice_owner(candidate, report.applied_events, event.id)
        if event.kind not in _ACTS_ON_NOTICE or owner == event.party:
            return None
        why = f"{event.id}: the running notice was given by {owner}, not {event.party}"
    return why or f"{event.id}: the agreement's state does not allow it"


def _notice_owner(agreement: Agreement, applied: tuple[str, ...], event_id: str) -> str | None:
    """The party that gave the last notice of termination applied before ``event_id``."""
    owner = None
    for applied_id in applied[: applied.index(event_id)]:
        found = agreement.event(applied_id)
        if found is not None and found.kind in _NOTICES:
            owner = found.party
    return owner


def settle(
    agreement: Agreement, proposals: Iterable[Proposal]
) -> tuple[Agreement, tuple[Settled, ...]]:
    """``agreement`` (its files' events) with the notes that take effect added, and every
    note's state. Joint proposals are settled by their answers; unilateral notes are taken in
    time order, each checked against the agreement as the notes before it left it."""
    settled: dict[str, Settled] = {}
    timed: list[tuple[datetime, Proposal]] = []
    for proposal in proposals:
        if not proposal.joint:
            timed.append((proposal.counts_from(), proposal))
            continue
        result = _settle_joint(agreement, proposal)
        settled[proposal.event.id] = result
        if result.state is EventState.IN_EFFECT and result.effective_at is not None:
            timed.append((result.effective_at, proposal))
    timed.sort(key=lambda pair: (pair[0].astimezone(UTC), pair[1].event.id))
    current = agreement
    for when, proposal in timed:
        given = proposal.event
        event = replace(given, at=when)  # with the terms an amendment carries (R-AMD-1)
        why = None if proposal.joint else authority_problem(current, event)
        if why is None:
            try:
                current = current.with_event(event)
            except InvariantError as exc:
                why = str(exc)
        if why is None:
            settled[given.id] = Settled(proposal, EventState.IN_EFFECT, when)
            continue
        refusals = [a for a in proposal.answers if not a.accepted]
        if refusals:
            by = ", ".join(a.party for a in refusals)
            why = f"rejected by {by}: {why}"
            settled[given.id] = Settled(proposal, EventState.REJECTED, why=why)
        else:
            settled[given.id] = Settled(proposal, EventState.IGNORED, why=why)
    ordered = sorted(
        settled.values(),
        key=lambda s: (
            (s.effective_at or s.proposal.counts_from()).astimezone(UTC),
            s.proposal.event.id,
        ),
    )
    return current, tuple(ordered)


def _settle_joint(agreement: Agreement, proposal: Proposal) -> Settled:
    proposer = proposal.event.party
    if proposer is None or proposer not in agreement.parties:
        return Settled(proposal, EventState.IGNORED, why=f"{proposer} is not a party")
    required = [p for p in agreement.parties if p != proposer]
    answers: Mapping[str, Answer] = {a.party: a for a in proposal.answers if a.party in required}
    refused = [a for a in answers.values() if not a.accepted]
    if refused:
        by = ", ".join(a.party for a in refused)
        reasons = "; ".join(a.reason for a in refused if a.reason)
        return Settled(proposal, EventState.REJECTED, why=f"rejected by {by}: {reasons}")
    waiting = tuple(p for p in required if p not in answers)
    if waiting:
        return Settled(
            proposal,
            EventState.PROPOSED,
            why=f"waiting for {', '.join(waiting)} to accept",
            waiting_for=waiting,
        )
    when = _latest(proposal.event.at, *(a.at for a in answers.values()))
    return Settled(proposal, EventState.IN_EFFECT, when)

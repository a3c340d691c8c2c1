"""The checks a route is made of, each a small function of the decision's facts and the route
being drafted that says what it found as :class:`~pactshare.domain.decision.Reason` values.

A check reads :class:`Facts` (one decision: the request, its parties, the instant) and a
:class:`Draft` (one route: its agreement, sender and recipient), and may record what later
checks and the hops need on the draft: the equivalence row, the bilateral protecting each hub
leg, the consent a relay needs. :mod:`pactshare.domain.routes` lists which checks make each
route and runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pactshare.domain.agreements import Agreement, AgreementKind, EquivalenceRow
from pactshare.domain.approvals import Approval, ApprovalKind
from pactshare.domain.decision import Consent, Effect, Marking, Reason, Request
from pactshare.domain.lifecycle import Interpretation, Status
from pactshare.domain.parties import ClassificationLevel, Party
from pactshare.domain.prepared import Prepared
from pactshare.domain.registry import Registry
from pactshare.domain.timelines import Snapshot
from pactshare.domain.topics import uncovered

__all__ = [
    "Check",
    "Draft",
    "Facts",
    "assurance_note",
    "cap",
    "equivalence",
    "hub_release_note",
    "in_force",
    "marking_note",
    "protection",
    "relay_consent",
    "relay_note",
    "releasable",
    "scope",
    "voluntary",
]


@dataclass(slots=True)
class Facts:
    """What every check of one decision reads: ``when`` is the instant's text, as reasons
    cite it. And what the checks consulted: the agreements looked up, with their notes (each
    agreement's once, in the order they were first looked at)."""

    prepared: Prepared
    request: Request
    at: datetime
    interpretation: Interpretation
    originator: Party
    holder: Party
    recipient: Party
    level: ClassificationLevel
    when: str
    notes: list[Reason] = field(default_factory=list)
    consulted: set[str] = field(default_factory=set)

    @property
    def registry(self) -> Registry:
        return self.prepared.registry

    def status(self, agreement: Agreement) -> Snapshot:
        """``agreement`` at the decision's instant; the decision cites its notes."""
        found = self.prepared.snapshot(agreement, self.at, self.interpretation)
        if agreement.id not in self.consulted:
            self.consulted.add(agreement.id)
            self.notes.extend(found.notes)
        return found

    def terms(self, agreement: Agreement) -> Agreement:
        """``agreement`` with the terms in force at the decision's instant (R-AMD-1): what
        every check of a route reads its equivalence table, scope and cap from."""
        return self.status(agreement).agreement

    def approval(self, kind: ApprovalKind, subject: str) -> tuple[bool, Approval | None]:
        """Whether an approval is in effect now, and the matching one (maybe recorded too late)."""
        found = None
        for approval in self.request.approvals:
            if approval.matches(self.originator.code, kind, subject, self.request.item_id):
                if approval.in_effect(self.at):
                    return True, approval
                found = approval
        return False, found

    def level_of(self, party: str, level_id: str) -> ClassificationLevel:
        """A level of a party by id (both known to the registry: it checked its agreements),
        found without normalising names as a level given by a person is."""
        for level in self.registry.parties[party].scheme.levels:
            if level.id == level_id:
                return level
        return self.registry.party(party).level(level_id)

    def marking(self, row: EquivalenceRow, party: str) -> Marking:
        """How ``party`` marks the item: its level in ``row`` (which holds the party)."""
        level_id = row.marking_level(party)
        assert level_id is not None  # noqa: S101 - the equivalence check found the party in row
        level = self.level_of(party, level_id)
        return Marking(self.originator.code, party, level.id, level.name, row.label)


@dataclass(slots=True)
class Draft:
    """One route under evaluation: who sends to whom under which agreement, and what its
    checks found so far.

    ``classified`` is the party and level whose equivalence row the route uses;
    ``marked_by`` the parties that need an equivalent level in that row; ``receivers`` the
    parties the label must be releasable to; ``legs`` the hub legs that need a protecting
    bilateral (R-TISA-4), whose findings go to ``protected`` in the same order.
    """

    facts: Facts
    agreement: Agreement
    sender: str
    recipient: str
    classified: tuple[str, str]
    marked_by: tuple[str, ...]
    receivers: tuple[str, ...]
    legs: tuple[tuple[str, str], ...] = ()
    row: EquivalenceRow | None = None
    protected: list[str | None] = field(default_factory=list)
    consents: tuple[Consent, ...] = ()

    @property
    def hub(self) -> str:
        return self.agreement.hub or ""


Check = Callable[[Draft], Iterator[Reason]]


def in_force(rule: str) -> Check:
    """The route's agreement allows new provision now; ``rule`` is the rule cited when it is
    plainly in force (R-DUR-1 for a bilateral, R-TISA-1 for an arrangement)."""

    def check(draft: Draft) -> Iterator[Reason]:
        yield _in_force(draft.facts, draft.agreement, rule)

    return check


def _in_force(facts: Facts, agreement: Agreement, rule: str) -> Reason:
    report = facts.status(agreement)
    cite = agreement.article("duration")
    when = facts.when
    if report.status is Status.NOT_IN_FORCE:
        return Reason("R-EIF-1", f"{agreement.id} is not in force at {when}", Effect.DENY, cite)
    if report.status is Status.TERMINATED:
        ended = report.terminates_at.isoformat() if report.terminates_at else "earlier"
        return Reason(
            "R-SURV-1",
            f"{agreement.id} terminated at {ended}: no new provision under it (items already "
            "provided stay protected)",
            Effect.DENY,
            agreement.article("survival") if "survival" in agreement.articles else cite,
        )
    if report.status is Status.TERMINATION_PENDING:
        ends = report.terminates_at.isoformat() if report.terminates_at else "?"
        text = f"{agreement.id}: notice of termination given; provision continues until {ends}"
        return Reason("R-STATE-1", text, Effect.PERMIT, cite)
    if report.status is Status.NOTICE_SUSPENDED:
        text = f"{agreement.id}: the notice of termination is suspended; the agreement continues"
        return Reason("R-STATE-2", text, Effect.PERMIT, cite)
    return Reason(rule, f"{agreement.id} is in force at {when}", Effect.PERMIT, cite)


def equivalence(draft: Draft) -> Iterator[Reason]:
    """The level has a row in the agreement's equivalence table, holding every party that
    must mark the item (R-CLS-1/2); the row is recorded on the draft."""
    agreement, (party, level_id) = draft.agreement, draft.classified
    cite = agreement.article("classification")
    row = agreement.row_of(party, level_id)
    name = draft.facts.level_of(party, level_id).name
    if row is None:
        text = f"{party} {name} is outside {agreement.id}: not in its equivalence table"
        yield Reason("R-CLS-2", text, Effect.DENY, cite)
        return
    missing = [p for p in draft.marked_by if p not in row.levels]
    if missing:
        text = f"{agreement.id} gives no {', '.join(missing)} level equivalent to {party} {name}"
        yield Reason("R-CLS-1", text, Effect.DENY, cite)
        return
    draft.row = row
    text = f"{party} {name} is {row.label}-equivalent under {agreement.id}"
    yield Reason("R-CLS-1", text, Effect.PERMIT, cite)


def scope(draft: Draft) -> Iterator[Reason]:
    """Every topic is within the agreement's scope (R-DEF-1; R-TISA-2 for an arrangement)."""
    agreement = draft.agreement
    rule = "R-TISA-2" if agreement.kind is AgreementKind.HUB else "R-DEF-1"
    cite = agreement.article("scope")
    outside = uncovered(agreement.scope, draft.facts.request.topics)
    if outside:
        text = f"{', '.join(outside)} outside {agreement.id} scope ({', '.join(agreement.scope)})"
        yield Reason(rule, text, Effect.DENY, cite)
    else:
        yield Reason(rule, f"topics within {agreement.id} scope", Effect.PERMIT, cite)


def releasable(draft: Draft) -> Iterator[Reason]:
    """The label is releasable to every receiver, when it says to whom (R-PRO-1)."""
    allowed = draft.facts.request.releasable_to
    if not allowed:
        return
    barred = [p for p in draft.receivers if p not in allowed]
    if barred:
        text = (
            f"the label is not releasable to {', '.join(barred)} "
            f"(releasable to {', '.join(allowed)})"
        )
        yield Reason("R-PRO-1", text, Effect.DENY)
    else:
        yield Reason("R-PRO-1", f"the label is releasable to {', '.join(allowed)}", Effect.PERMIT)


def protection(draft: Draft) -> Iterator[Reason]:
    """Each hub leg is protected by a listed bilateral in force (R-TISA-4)."""
    for a, b in draft.legs:
        under, reason = _protection(draft.facts, draft.agreement, a, b)
        draft.protected.append(under)
        yield reason


def _protection(facts: Facts, arrangement: Agreement, a: str, b: str) -> tuple[str | None, Reason]:
    """The borrowed bilateral that protects the a↔b leg: the first listed one between a and b
    that is in force; the leg is unprotected only if none is."""
    cite = arrangement.article("protection")
    matching = [
        agreement
        for agreement_id in arrangement.protection_from
        if (agreement := facts.registry.agreements.get(agreement_id)) is not None
        and set(agreement.parties) == {a, b}
    ]
    for agreement in matching:
        if facts.status(agreement).status.allows_new_provision:
            text = f"the {a}–{b} leg is protected under {agreement.id}"
            return agreement.id, Reason("R-TISA-4", text, Effect.PERMIT, cite)
    if len(matching) == 1:
        text = f"{matching[0].id}, which protects the {a}–{b} leg, is not in force"
        return None, Reason("R-TISA-4", text, Effect.DENY, cite)
    if matching:
        ids = ", ".join(agreement.id for agreement in matching)
        text = f"none of {ids}, which protect the {a}–{b} leg, is in force"
        return None, Reason("R-TISA-4", text, Effect.DENY, cite)
    if not arrangement.protection_from:
        return None, Reason("R-TISA-4", f"{arrangement.id} carries its own protection", Effect.NOTE)
    text = f"{arrangement.id} names no agreement protecting the {a}–{b} leg"
    return None, Reason("R-TISA-4", text, Effect.DENY, cite)


def cap(draft: Draft) -> Iterator[Reason]:
    """The row is not above the agreement's local classification cap (R-TISA-10)."""
    agreement, row, limit = draft.agreement, draft.row, draft.agreement.classification_cap
    if row is None or limit is None:
        return
    cap_row = next(r for r in agreement.equivalence if r.label == limit)
    if agreement.row_index(row) < agreement.row_index(cap_row):
        text = (
            f"{row.label} is above the {limit} cap on {agreement.id}: "
            "local policy cap (not a treaty rule)"
        )
        yield Reason("R-TISA-10", text, Effect.DENY, f"{agreement.id} local policy")


def relay_consent(draft: Draft) -> Iterator[Reason]:
    """The originator's consent to the hub's release to the recipient (R-TISA-6): the hub
    itself may release only once it is on file; the route lists the consent it needs."""
    facts, arrangement, hub = draft.facts, draft.agreement, draft.hub
    if not arrangement.relay_needs_originator_consent:
        return
    recipient, originator = facts.recipient.code, facts.originator.code
    on_file, approval = facts.approval(ApprovalKind.RELEASE, recipient)
    draft.consents = (Consent(originator, hub, recipient, "R-TISA-6", on_file),)
    cite = arrangement.article("relay")
    if facts.holder.code == hub and not on_file:
        late = (
            f" (the approval on file was recorded at {approval.recorded_at.isoformat()}, "
            "not before)"
            if approval
            else ""
        )
        text = (
            f"{hub} may release to {recipient} only after {originator}'s approval is recorded{late}"
        )
        yield Reason("R-TISA-6", text, Effect.DENY, cite)
        return
    state = "on file" if on_file else "needed before the hub releases it"
    text = f"{originator}'s consent to {hub}'s release to {recipient}: {state}"
    yield Reason("R-TISA-6", text, Effect.NOTE, cite)


def voluntary(draft: Draft) -> Iterator[Reason]:
    """A non-binding arrangement: every relay is a discrete, approvable action (R-TISA-8)."""
    arrangement = draft.agreement
    if arrangement.binding:
        return
    text = (
        f"{arrangement.id} is voluntary and not legally binding: every relay is a discrete, "
        "approvable action, never automatic, and declining is no breach"
    )
    yield Reason("R-TISA-8", text, Effect.NOTE, arrangement.article("binding"))


def marking_note(draft: Draft) -> Iterator[Reason]:
    """How the recipient marks the item (R-MARK-1)."""
    assert draft.row is not None  # noqa: S101 - run only once the row is found
    marking = draft.facts.marking(draft.row, draft.recipient)
    cite = draft.agreement.article("marking")
    yield Reason("R-MARK-1", f"{draft.recipient} marks it {marking.text}", Effect.NOTE, cite)


def assurance_note(draft: Draft) -> Iterator[Reason]:
    """Under an agreement that asks for it, the recipient assures the sender before the
    hand-over (R-ACC-4, Art. 7(5); AT-16): the sending node checks its record of assurances
    (:func:`pactshare.domain.assurances.assured`). None for an item handed back to its
    originator."""
    agreement, recipient = draft.agreement, draft.recipient
    if not agreement.assurance_before_provision or recipient == draft.facts.originator.code:
        return
    assert draft.row is not None  # noqa: S101 - run only once the row is found
    level = draft.facts.marking(draft.row, recipient)
    text = (
        f"before the hand-over, {recipient} assures {draft.sender} of (a) its recipient's "
        f"clearance at or above {level.level} ({level.name}), (b) an official need for "
        f"{', '.join(draft.facts.request.topics)}, (c) equivalent protection (AT-16)"
    )
    yield Reason("R-ACC-4", text, Effect.NOTE, agreement.article("assurance"))


def relay_note(draft: Draft) -> Iterator[Reason]:
    """The hub designates the item in its own scheme before sharing it (R-TISA-7)."""
    assert draft.row is not None  # noqa: S101 - run only once the row is found
    row, hub, recipient = draft.row, draft.hub, draft.recipient
    to_hub, to_recipient = draft.facts.marking(row, hub), draft.facts.marking(row, recipient)
    text = (
        f"{hub} designates it {to_hub.name} ({row.label}) before sharing; "
        f"{recipient} marks it {to_recipient.text}"
    )
    yield Reason("R-TISA-7", text, Effect.NOTE, draft.agreement.article("protection"))


def hub_release_note(draft: Draft) -> Iterator[Reason]:
    """A hub releasing an item it holds: its equivalent level, and the recipient's (R-TISA-7)."""
    assert draft.row is not None  # noqa: S101 - run only once the row is found
    row, sender, recipient = draft.row, draft.sender, draft.recipient
    hub_level = draft.facts.marking(row, sender)
    marking = draft.facts.marking(row, recipient)
    under = draft.protected[0] or draft.agreement.id
    text = (
        f"it carries the {sender}-equivalent classification {hub_level.name} and "
        f"{recipient} handles it under {under} as {marking.text}"
    )
    yield Reason("R-TISA-7", text, Effect.NOTE, draft.agreement.article("protection"))

"""Onward routes: a holder other than the originator releases (or uses) the item
(R-PRO-1/2, R-SURV-1).

Unless the request names the agreement the item was received under, every agreement between
the originator and the holder binds the holder's copy (fail closed). Each onward route starts
with the conditions those agreements set, then the route's own checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pactshare.domain.agreements import Agreement
from pactshare.domain.approvals import ApprovalKind
from pactshare.domain.checks import Facts
from pactshare.domain.decision import Effect, Hop, Reason, Route, RouteKind
from pactshare.domain.lifecycle import Status
from pactshare.domain.routes import direct, hub_leg

__all__ = ["onward"]


def onward(facts: Facts) -> Iterator[Route]:
    """Every onward route from the holder to the recipient."""
    originator, holder, recipient = facts.originator.code, facts.holder.code, facts.recipient.code
    governing = _governing(facts)
    conditions = tuple(c for agreement in governing for c in _conditions(facts, agreement))
    holder_row = next(
        (
            (agreement, row)
            for agreement in governing
            if (row := facts.terms(agreement).row_of(originator, facts.level.id))
            and holder in row.levels
        ),
        None,
    )
    if holder_row is None:
        text = f"no agreement gives {holder} an equivalent of {originator} {facts.level.name}"
        if not governing:
            text = f"no agreement under which {holder} holds {originator}'s item"
        yield Route(
            RouteKind.ONWARD, (), reasons=(*conditions, Reason("R-DEF-2", text, Effect.DENY))
        )
        return
    received, row = holder_row
    if recipient in (holder, originator):
        if recipient == holder:
            last = Reason("R-PRO-2", f"use by {holder} itself", Effect.NOTE)
        else:
            text = f"return to the originating party {originator} at the end of need"
            last = Reason("R-PRO-8", text, Effect.PERMIT)
        hop = Hop(holder, recipient, received.id, facts.marking(row, recipient))
        yield Route(RouteKind.ONWARD, (hop,), reasons=(*conditions, last))
        return
    for arrangement in governing:
        if arrangement.hub == holder and recipient in arrangement.parties:
            route = hub_leg(facts, arrangement)
            yield Route(RouteKind.ONWARD, route.hops, route.consents, (*conditions, *route.reasons))
    for carrier in facts.registry.bilaterals(holder, recipient):
        route = direct(facts, carrier, holder, row.marking_level(holder) or "")
        yield Route(RouteKind.ONWARD, route.hops, reasons=(*conditions, *route.reasons))


def _governing(facts: Facts) -> tuple[Agreement, ...]:
    """The agreements whose protection binds the holder's copy (R-SURV-1: even terminated).

    An item received under an arrangement is also protected by the bilateral agreement the
    arrangement borrows its rules from (R-TISA-4): a hub's onward release through any channel
    is a third-party release under that agreement.
    """
    holder, originator, registry = facts.holder.code, facts.originator.code, facts.registry
    if facts.request.received_under:
        received = registry.agreement(facts.request.received_under)
        borrowed = tuple(
            agreement
            for agreement_id in received.protection_from
            if (agreement := registry.agreements.get(agreement_id)) is not None
            and {originator, holder} <= set(agreement.parties)
        )
        return (received, *borrowed)
    return (
        *registry.bilaterals(originator, holder),
        *registry.hub_arrangements(originator, holder),
    )


def _conditions(facts: Facts, agreement: Agreement) -> Iterable[Reason]:
    """What ``agreement`` sets on the holder's copy: its protection survives termination, a
    third-country release or a change of purpose needs the originator's approval."""
    originator, holder, recipient = facts.originator.code, facts.holder.code, facts.recipient.code
    if facts.status(agreement).status is Status.TERMINATED:
        yield Reason(
            "R-SURV-1",
            f"{agreement.id} has terminated, but its protection still binds {holder}'s copy",
            Effect.NOTE,
            agreement.article("survival"),
        )
    third = recipient not in (originator, holder) and recipient not in agreement.parties
    if third and agreement.third_party_release_needs_approval:
        yield _approval(
            facts,
            agreement,
            ApprovalKind.RELEASE,
            recipient,
            rule="R-PRO-1",
            clause="third_party",
            what=f"release to {recipient}, a third country to {agreement.id},",
        )
    purpose, before = facts.request.purpose, facts.request.provided_for
    if purpose and before and purpose != before and agreement.purpose_change_needs_approval:
        yield _approval(
            facts,
            agreement,
            ApprovalKind.PURPOSE,
            purpose,
            rule="R-PRO-2",
            clause="purpose",
            what=f"use for {purpose!r} (provided for {before!r})",
        )


def _approval(
    facts: Facts,
    agreement: Agreement,
    kind: ApprovalKind,
    subject: str,
    *,
    rule: str,
    clause: str,
    what: str,
) -> Reason:
    """The originator's prior written approval of ``what`` is on file (and not revoked)."""
    on_file, approval = facts.approval(kind, subject)
    cite = agreement.article(clause)
    originator = facts.originator.code
    if approval is None:
        text = f"{what} needs {originator}'s prior written approval: none on file"
        return Reason(rule, text, Effect.DENY, cite)
    recorded = approval.recorded_at.isoformat()
    if on_file:
        text = f"{what} approved in writing by {originator} at {recorded}"
        return Reason(rule, text, Effect.PERMIT, cite)
    if approval.revoked_at is not None and approval.revoked_at <= facts.at:
        revoked = approval.revoked_at.isoformat()
        text = f"{what} needs {originator}'s approval; the approval was revoked at {revoked}"
    else:
        text = (
            f"{what} needs {originator}'s prior written approval; the one on file was recorded "
            f"at {recorded}, not before the release, and does not cure it"
        )
    return Reason(rule, text, Effect.DENY, cite)

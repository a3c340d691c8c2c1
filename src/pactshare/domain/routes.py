"""The routes an item can take, each a short sequence of checks run by one evaluator.

A :class:`Plan` lists a route's checks (:mod:`pactshare.domain.checks`) in the order its
reasons are given: those that run on every route, then those that need the equivalence row.
:func:`evaluate` runs them on a :class:`~pactshare.domain.checks.Draft`; a route is viable
only if it has hops and no check denied it (fail closed). Every route reads its agreement's
terms in force at the decision's instant (R-AMD-1, :meth:`~pactshare.domain.checks.Facts.terms`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pactshare.domain.agreements import Agreement
from pactshare.domain.checks import (
    Check,
    Draft,
    Facts,
    assurance_note,
    cap,
    equivalence,
    hub_release_note,
    in_force,
    marking_note,
    protection,
    relay_consent,
    relay_note,
    releasable,
    scope,
    voluntary,
)
from pactshare.domain.decision import Effect, Hop, Reason, Route, RouteKind

__all__ = ["Plan", "direct", "evaluate", "hub_leg", "no_direct_channel", "relay"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A route's checks: ``checks`` always run; ``with_row`` run only if the equivalence
    check found a row, and then ``hops`` builds the route's hops from the draft."""

    kind: RouteKind
    checks: tuple[Check, ...]
    with_row: tuple[Check, ...]
    hops: Callable[[Draft], tuple[Hop, ...]]


def evaluate(plan: Plan, draft: Draft) -> Route:
    """Run ``plan``'s checks on ``draft``, in order, into a route."""
    reasons = [reason for check in plan.checks for reason in check(draft)]
    if draft.row is None:
        return Route(plan.kind, (), draft.consents, tuple(reasons))
    reasons.extend(reason for check in plan.with_row for reason in check(draft))
    return Route(plan.kind, plan.hops(draft), draft.consents, tuple(reasons))


def _one_hop(draft: Draft) -> tuple[Hop, ...]:
    assert draft.row is not None  # noqa: S101 - hops are built only once the row is found
    marking = draft.facts.marking(draft.row, draft.recipient)
    under = draft.protected[0] if draft.protected else None
    return (Hop(draft.sender, draft.recipient, draft.agreement.id, marking, under),)


def _two_hops(draft: Draft) -> tuple[Hop, ...]:
    assert draft.row is not None  # noqa: S101 - hops are built only once the row is found
    row, hub, agreement_id = draft.row, draft.hub, draft.agreement.id
    to_hub, to_recipient = draft.facts.marking(row, hub), draft.facts.marking(row, draft.recipient)
    first, second = draft.protected
    return (
        Hop(draft.sender, hub, agreement_id, to_hub, first),
        Hop(hub, draft.recipient, agreement_id, to_recipient, second),
    )


_DIRECT = Plan(
    RouteKind.DIRECT,
    checks=(in_force("R-DUR-1"), equivalence, scope, releasable),
    with_row=(cap, marking_note, assurance_note),
    hops=_one_hop,
)
_RELAY = Plan(
    RouteKind.RELAY,
    checks=(in_force("R-TISA-1"), equivalence, scope, releasable, protection),
    with_row=(cap, relay_consent, relay_note, voluntary),
    hops=_two_hops,
)
_LEG = Plan(
    RouteKind.DIRECT,
    checks=(in_force("R-TISA-1"), equivalence, scope, releasable, protection, cap, voluntary),
    with_row=(),
    hops=_one_hop,
)
_HUB_RELEASE = Plan(
    RouteKind.DIRECT,
    checks=(
        in_force("R-TISA-1"),
        equivalence,
        scope,
        releasable,
        protection,
        cap,
        relay_consent,
        voluntary,
    ),
    with_row=(hub_release_note,),
    hops=_one_hop,
)


def direct(facts: Facts, agreement: Agreement, sender: str, level_id: str) -> Route:
    """``sender`` (holding the item at ``level_id``) to the recipient under a bilateral."""
    recipient, terms = facts.recipient.code, facts.terms(agreement)
    draft = Draft(facts, terms, sender, recipient, (sender, level_id), (recipient,), (recipient,))
    return evaluate(_DIRECT, draft)


def hub_leg(facts: Facts, arrangement: Agreement) -> Route:
    """A single leg to or from the hub under the arrangement: the originator's own provision,
    or the hub's release of an item it holds (which needs the originator's consent)."""
    sender, recipient, originator = facts.holder.code, facts.recipient.code, facts.originator.code
    hub_releases = sender == arrangement.hub and originator != sender
    draft = Draft(
        facts,
        facts.terms(arrangement),
        sender,
        recipient,
        classified=(originator, facts.level.id),
        marked_by=(recipient, sender),
        receivers=(recipient,),
        legs=((sender, recipient),),
    )
    return evaluate(_HUB_RELEASE if hub_releases else _LEG, draft)


def relay(facts: Facts, arrangement: Agreement) -> Route:
    """Originator → hub → recipient under a hub arrangement (R-TISA-5/6/7)."""
    originator, recipient, hub = facts.originator.code, facts.recipient.code, arrangement.hub or ""
    draft = Draft(
        facts,
        facts.terms(arrangement),
        originator,
        recipient,
        classified=(originator, facts.level.id),
        marked_by=(hub, recipient),
        receivers=(hub, recipient),
        legs=((originator, hub), (hub, recipient)),
    )
    return evaluate(_RELAY, draft)


def no_direct_channel(arrangement: Agreement, sender: str, recipient: str) -> Route:
    """An arrangement offers no channel between two of its members that are not its hub
    (R-TISA-5): that pair goes through the hub or not at all."""
    text = (
        f"{arrangement.id} has no direct {sender} → {recipient} channel: "
        f"it passes only through {arrangement.hub}"
    )
    reason = Reason("R-TISA-5", text, Effect.DENY, arrangement.article("relay"))
    return Route(RouteKind.DIRECT, (), reasons=(reason,))

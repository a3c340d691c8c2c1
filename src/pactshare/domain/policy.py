"""The policy: may this item go from its holder to a recipient at instant ``at``, and why?

:func:`decide` weighs every route the registry offers — directly under a bilateral agreement,
to or from a hub under an arrangement, through a hub, or onward by a holder who is not the
originator (:mod:`pactshare.domain.routes`, :mod:`pactshare.domain.onward`) — and returns a
:class:`~pactshare.domain.decision.Decision`. Each route is a short sequence of checks, each
giving a :class:`~pactshare.domain.decision.Reason`; a route is viable only if no check denies
it (fail closed), and the shortest viable route wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from pactshare.domain.checks import Facts
from pactshare.domain.compiled import MARKER, Plan, question
from pactshare.domain.decision import Decision, Effect, Outcome, Reason, Request, Route, RouteKind
from pactshare.domain.instants import require_aware
from pactshare.domain.lifecycle import DEFAULT_INTERPRETATION, Interpretation
from pactshare.domain.obligations import receipt_obligations
from pactshare.domain.onward import onward
from pactshare.domain.prepared import Prepared
from pactshare.domain.registry import Registry
from pactshare.domain.routes import direct, hub_leg, no_direct_channel, relay
from pactshare.errors import PolicyError

__all__ = ["decide", "decide_many"]


def decide(
    request: Request,
    registry: Registry | Prepared,
    at: datetime,
    interpretation: Interpretation = DEFAULT_INTERPRETATION,
) -> Decision:
    """Decide ``request`` against ``registry`` at instant ``at``.

    Pass the :class:`~pactshare.domain.prepared.Prepared` registry when deciding more than
    once against the same registry (a node holds one per registry version): its timelines and
    compiled decisions (:mod:`pactshare.domain.compiled`) are shared. A bare registry is
    prepared for this decision alone, and decided by the plain engine.
    """
    require_aware(at, what="decision instant")
    if isinstance(registry, Prepared):
        return _compiled(request, registry, at, interpretation)
    return _plain(request, Prepared(registry), at, interpretation, at.isoformat())[0]


def decide_many(
    requests: Sequence[Request],
    registry: Registry | Prepared,
    at: datetime,
    interpretation: Interpretation = DEFAULT_INTERPRETATION,
) -> list[Decision]:
    """Decide each request at the same instant against one prepared registry: the same
    decisions as :func:`decide`, one at a time (the same object for a question asked twice)."""
    require_aware(at, what="decision instant")
    when = at.isoformat()
    if not isinstance(registry, Prepared):
        prepared = Prepared(registry)
        return [_plain(request, prepared, at, interpretation, when)[0] for request in requests]
    built: dict[Plan, Decision] = {}
    return [
        _compiled(request, registry, at, interpretation, when=when, built=built)
        for request in requests
    ]


def _compiled(
    request: Request,
    prepared: Prepared,
    at: datetime,
    interpretation: Interpretation,
    *,
    when: str | None = None,
    built: dict[Plan, Decision] | None = None,
) -> Decision:
    """The decision of the plan covering ``at``, if one is kept; otherwise the plain engine's,
    and a plan made for the next time. A request with a holder or approvals (whose effect
    depends on the instant and the item) is always decided by the plain engine.

    ``built`` holds the decisions a batch (one instant) has already built, by plan.
    """
    try:
        moment = at.astimezone(UTC)
    except OverflowError:  # the plain engine says what is wrong (with this instant or first)
        moment = None
    if moment is None or request.holder is not None or request.approvals:
        return _plain(request, prepared, at, interpretation, when or at.isoformat())[0]
    asked = question(request, interpretation)
    plan = prepared.plans.find(asked, moment)
    if plan is None:
        when = when or at.isoformat()
        decision, facts = _plain(request, prepared, at, interpretation, when)
        template, _ = _plain(request, prepared, at, interpretation, MARKER)
        start, until = prepared.span(facts.consulted, moment, interpretation)
        plan = Plan(template, until)
        if plan.decision(at, when) == decision:  # the marker stood only for the instant
            prepared.plans.keep(asked, start, plan)
        return decision
    if built is None:
        return plan.decision(at, when)
    found = built.get(plan)
    if found is None:
        found = built[plan] = plan.decision(at, when)
    return found


def _plain(
    request: Request, prepared: Prepared, at: datetime, interpretation: Interpretation, when: str
) -> tuple[Decision, Facts]:
    """The plain engine: every route weighed, each check run; ``when`` is the instant's text
    in the reasons. Also what it consulted, in the facts."""
    facts = _facts(request, prepared, at, interpretation, when)
    return _choose(facts, list(_candidates(facts))), facts


def _facts(
    request: Request, prepared: Prepared, at: datetime, interpretation: Interpretation, when: str
) -> Facts:
    """The request's parties and level, checked against the registry."""
    registry = prepared.registry
    originator = registry.party(request.originator)
    holder = registry.party(request.holder or request.originator)
    recipient = registry.party(request.recipient)
    if not request.topics:
        raise PolicyError("an item needs at least one topic (e.g. dprk-missile)")
    registry.check_topics(request.topics)
    level = originator.level(request.classification)
    if recipient.code == holder.code and holder.code == originator.code:
        raise PolicyError(f"{recipient.code} is both the originator and the recipient")
    return Facts(prepared, request, at, interpretation, originator, holder, recipient, level, when)


def _candidates(facts: Facts) -> Iterator[Route]:
    """Every route from the holder to the recipient, in the order their reasons are cited."""
    holder, recipient = facts.holder.code, facts.recipient.code
    if holder != facts.originator.code:
        yield from onward(facts)
        return
    registry = facts.registry
    for agreement in registry.bilaterals(holder, recipient):
        yield direct(facts, agreement, holder, facts.level.id)
    for arrangement in registry.hub_arrangements(holder, recipient):
        if arrangement.hub in (holder, recipient):
            yield hub_leg(facts, arrangement)
        else:
            yield no_direct_channel(arrangement, holder, recipient)
            yield relay(facts, arrangement)


def _choose(facts: Facts, routes: list[Route]) -> Decision:
    """The shortest viable route wins; a relay explains why no direct route was possible."""
    viable = [route for route in routes if route.viable]
    notes = tuple(facts.notes)
    conflict = any(note.rule == "R-STATE-3" for note in notes)
    if not viable:
        denials = tuple(r for route in routes for r in route.reasons if r.effect is Effect.DENY)
        if not routes:
            text = f"no agreement lets {facts.holder.code} provide to {facts.recipient.code}"
            denials = (Reason("R-DEF-2", text, Effect.DENY),)
        return Decision(
            Outcome.REFUSED, facts.at, facts.interpretation, (), (), _unique(*denials, *notes),
            conflict=conflict,
        )  # fmt: skip
    chosen = min(viable, key=lambda route: len(route.hops))
    outcome = Outcome.ALLOWED if len(chosen.hops) == 1 else Outcome.RELAY
    why_not_direct = tuple(
        reason
        for route in routes
        if outcome is Outcome.RELAY and not route.viable and route.kind is RouteKind.DIRECT
        for reason in route.reasons
        if reason.effect is Effect.DENY
    )
    return Decision(
        outcome=outcome,
        at=facts.at,
        interpretation=facts.interpretation,
        route=chosen.hops,
        consents=chosen.consents,
        reasons=_unique(*why_not_direct, *chosen.reasons, *notes, *_obligations(facts, chosen)),
        alternatives=tuple(route for route in viable if route is not chosen),
        conflict=conflict,
    )


def _obligations(facts: Facts, route: Route) -> Iterator[Reason]:
    """What each receiving party owes with its receipt, under the agreement that protects the
    item on that hop (:func:`~pactshare.domain.obligations.receipt_obligations`)."""
    for hop in route.hops:
        agreement = facts.registry.agreement(hop.protected_under or hop.agreement)
        yield from receipt_obligations(agreement, facts.originator.code, hop.recipient)


def _unique(*reasons: Reason) -> tuple[Reason, ...]:
    """Each reason once, in first-seen order (several agreements may state the same rule)."""
    return tuple(dict.fromkeys(reasons))

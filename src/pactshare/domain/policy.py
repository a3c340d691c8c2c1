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
from datetime import datetime

from pactshare.domain.checks import Facts
from pactshare.domain.decision import Decision, Effect, Outcome, Reason, Request, Route, RouteKind
from pactshare.domain.instants import require_aware
from pactshare.domain.lifecycle import DEFAULT_INTERPRETATION, Interpretation
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
    once against the same registry (a node holds one per registry version): a bare registry
    is prepared for this decision alone.
    """
    require_aware(at, what="decision instant")
    prepared = registry if isinstance(registry, Prepared) else Prepared(registry)
    facts = _facts(request, prepared, at, interpretation)
    return _choose(facts, list(_candidates(facts)))


def decide_many(
    requests: Sequence[Request],
    registry: Registry | Prepared,
    at: datetime,
    interpretation: Interpretation = DEFAULT_INTERPRETATION,
) -> list[Decision]:
    """Decide each request at the same instant against one prepared registry: the same
    decisions as :func:`decide`, one at a time."""
    require_aware(at, what="decision instant")
    prepared = registry if isinstance(registry, Prepared) else Prepared(registry)
    return [decide(request, prepared, at, interpretation) for request in requests]


def _facts(
    request: Request, prepared: Prepared, at: datetime, interpretation: Interpretation
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
    return Facts(prepared, request, at, interpretation, originator, holder, recipient, level)


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
        reasons=_unique(*why_not_direct, *chosen.reasons, *notes),
        alternatives=tuple(route for route in viable if route is not chosen),
        conflict=conflict,
    )


def _unique(*reasons: Reason) -> tuple[Reason, ...]:
    """Each reason once, in first-seen order (several agreements may state the same rule)."""
    return tuple(dict.fromkeys(reasons))

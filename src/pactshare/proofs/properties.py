"""The properties proved over every instant and request, and the solving.

Each property lists, for every case of the translation (:mod:`pactshare.proofs.translation`)
and every reading of the uncertain rules, the formulas that would violate it; z3 is asked
whether any of them can hold in the domain of instants and items. None can: the property is
proved, of the translation. One can: z3's model is a concrete counterexample (an instant and
a request), which is then decided by the plain engine (:func:`~pactshare.domain.decide` on
the bare registry) to show whether the engine agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import z3

from pactshare.domain.agreements import AgreementKind
from pactshare.domain.decision import Decision, Hop, Outcome, Request
from pactshare.domain.lifecycle import Interpretation, LateNotice, Profile
from pactshare.domain.policy import decide
from pactshare.domain.registry import Registry
from pactshare.domain.topics import covers
from pactshare.errors import InputError, PolicyError
from pactshare.proofs.translation import (
    Case,
    Formula,
    SymbolicRoute,
    Symbols,
    Translation,
    instant,
    request_for,
)
from pactshare.proofs.translation import Hop as SymbolicHop

__all__ = [
    "INTERPRETATIONS",
    "MAX_SIZE",
    "PROPERTIES",
    "RULEBOOK_SCOPES",
    "Counterexample",
    "Property",
    "Verdict",
    "verify",
]

#: Every reading of the uncertain rules (R-STATE-3, §5.1): each property holds under all.
INTERPRETATIONS = tuple(
    Interpretation(profile=profile, late_notice=late) for profile in Profile for late in LateNotice
)

#: Scopes the rulebook states, which an agreement file must not widen: TISA covers only the
#: nuclear and missile threats posed by North Korea (R-TISA-2, para. 1). Every other
#: agreement is held to the scope its file declares.
RULEBOOK_SCOPES = {"tisa-2014": ("dprk-nuclear", "dprk-missile")}

Confirm = Callable[[Decision, Request], bool]


@dataclass(frozen=True, slots=True)
class _Violation:
    """A formula that would break a property in one case, the route it is about, and how a
    decision of the engine shows the same breach."""

    formula: Formula
    case: Case
    route: SymbolicRoute
    subject: str
    confirm: Confirm


Violations = Callable[[Translation, Case], Iterator[_Violation]]


@dataclass(frozen=True, slots=True)
class Property:
    """A property of the registry, the rules it checks, and what it states."""

    id: str
    rules: tuple[str, ...]
    statement: str
    violations: Violations
    what_ifs: bool = False  # also over each registry one recorded event short of this one


@dataclass(frozen=True, slots=True)
class Counterexample:
    """An instant and a request that break a property in the translation, and what the plain
    engine decides for them (``confirmed``: the decision shows the same breach)."""

    interpretation: Interpretation
    without_event: str | None
    at: datetime
    request: Request
    route: tuple[SymbolicHop, ...]
    subject: str
    decision: Decision
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """A property (its ``claim``), how many (case, route, reading) formulas it was checked
    over, and its counterexample, if any."""

    claim: Property
    checked: int
    counterexample: Counterexample | None

    @property
    def proved(self) -> bool:
        return self.counterexample is None


def _viable_hops(decision: Decision) -> Iterator[tuple[Hop, ...]]:
    """The hops of every viable route of a decision: the chosen one and the alternatives."""
    if decision.route:
        yield decision.route
    for route in decision.alternatives:
        yield route.hops


def _after_termination(translation: Translation, case: Case) -> Iterator[_Violation]:
    """R-SURV-1, R-DUR-1, R-TISA-12: from an agreement's termination instant on, no direct
    provision between the parties of a bilateral (under any agreement), and no route under
    an arrangement (returning an item to its originator stays allowed, R-PRO-8)."""
    held = case.holder == case.originator
    for agreement, after in translation.ended():
        if agreement.kind is AgreementKind.BILATERAL:
            if not held or {case.originator, case.recipient} != set(agreement.parties):
                continue

            def direct(decision: Decision, _: Request) -> bool:
                return decision.outcome is Outcome.ALLOWED

            for route in translation.routes(case):
                if len(route.hops) == 1:
                    yield _Violation(z3.And(after, route.viable), case, route, agreement.id, direct)
            continue

        def carried(decision: Decision, _: Request, under: str = agreement.id) -> bool:
            return any(hop.agreement == under for hops in _viable_hops(decision) for hop in hops)

        for route in translation.routes(case):
            if route.under(agreement.id) and not route.returning:
                yield _Violation(z3.And(after, route.viable), case, route, agreement.id, carried)


def _released_without_consent(translation: Translation, case: Case) -> Iterator[_Violation]:
    """R-TISA-6 (and R-PRO-1): a hub releases an item it holds to another participant only
    with the originator's written approval in effect."""
    symbols = translation.symbols
    for arrangement in translation.registry.hub_arrangements(case.originator, case.recipient):
        hub = arrangement.hub
        if case.holder != hub or case.originator in (hub, case.recipient):
            continue

        def released(decision: Decision, request: Request) -> bool:
            return decision.outcome is Outcome.ALLOWED and not request.approvals

        for route in translation.routes(case):
            formula = z3.And(z3.Not(symbols.approved), route.viable)
            yield _Violation(formula, case, route, arrangement.id, released)


def _marked_below(translation: Translation, case: Case) -> Iterator[_Violation]:
    """R-CLS-1, R-CLS-3, R-MARK-1, R-TISA-7: every party that receives the item marks it at a
    level of the same rank as the originator's level or higher, never lower."""
    registry = translation.registry

    def rank(party: str, level: str) -> int:
        return next(lv.rank for lv in registry.parties[party].scheme.levels if lv.id == level)

    ceiling = rank(case.originator, case.level)

    def below(decision: Decision, _: Request) -> bool:
        return any(
            rank(hop.recipient, hop.marking.level) > ceiling
            for hops in _viable_hops(decision)
            for hop in hops
        )

    for route in translation.routes(case):
        low = [hop for hop in route.hops if rank(hop.recipient, hop.level) > ceiling]
        subject = ", ".join(sorted({hop.agreement for hop in low or route.hops}))
        formula = route.viable if low else z3.BoolVal(val=False)
        yield _Violation(formula, case, route, subject, below)


def _outside_scope(translation: Translation, case: Case) -> Iterator[_Violation]:
    """R-TISA-2, R-DEF-1: no agreement carries an item with a topic outside its scope in
    force (R-AMD-1; for TISA, the rulebook's)."""
    symbols = translation.symbols
    for agreement in translation.registry.agreements.values():
        pieces = []
        for window, terms in translation.epochs:
            scope = RULEBOOK_SCOPES.get(agreement.id, terms.agreement(agreement.id).scope)
            outside = [topic for topic in symbols.topics if not covers(scope, topic)]
            if outside:
                any_outside = z3.Or(*(symbols.topics[topic] for topic in outside))
                pieces.append(any_outside if window is None else z3.And(window, any_outside))
        if not pieces:
            continue

        def carried(decision: Decision, request: Request, under: str = agreement.id) -> bool:
            terms = translation.registry.agreement(under).as_of(decision.at)
            scope = RULEBOOK_SCOPES.get(under, terms.scope)
            used = any(hop.agreement == under for hops in _viable_hops(decision) for hop in hops)
            return used and any(not covers(scope, topic) for topic in request.topics)

        any_outside = z3.Or(*pieces)
        for route in translation.routes(case):
            if route.under(agreement.id) and not route.returning:
                formula = z3.And(any_outside, route.viable)
                yield _Violation(formula, case, route, agreement.id, carried)


PROPERTIES = (
    Property(
        "no-direct-provision-after-termination",
        ("R-SURV-1", "R-DUR-1", "R-TISA-12"),
        "at or after an agreement's termination instant, no direct provision between the "
        "parties of a bilateral (e.g. KOR→JPN after GSOMIA ends), and nothing carried under "
        "an arrangement",
        _after_termination,
        what_ifs=True,
    ),
    Property(
        "no-relay-without-consent",
        ("R-TISA-6", "R-PRO-1"),
        "a hub releases an item it holds to another participant only with the originator's "
        "written approval on file",
        _released_without_consent,
    ),
    Property(
        "no-marking-below-equivalent",
        ("R-CLS-1", "R-CLS-3", "R-MARK-1", "R-TISA-7"),
        "no receiving party marks an item at a level ranked below the originator's level",
        _marked_below,
    ),
    Property(
        "no-topic-outside-scope",
        ("R-TISA-2", "R-DEF-1"),
        "no agreement carries an item with a topic outside its scope (TISA: DPRK nuclear and "
        "missile topics only, as the rulebook states)",
        _outside_scope,
    ),
)

_SOLVER_MILLISECONDS = 60_000  # a bound on one solver call; beyond it, an error (exit 2)


def _counterexample(
    translation: Translation, violations: list[_Violation], without_event: str | None
) -> Counterexample | None:
    """Ask z3 whether any violation can hold; if one can, its concrete instant and request,
    decided by the plain engine."""
    symbols = translation.symbols
    solver = z3.Optimize()
    solver.set("timeout", _SOLVER_MILLISECONDS)
    solver.add(symbols.domain, z3.Or(*(violation.formula for violation in violations)))
    # The plainest counterexample: no approval, no releasable-to list and the fewest topics
    # that show it, at the earliest instant (for a termination, the termination instant).
    for plain in (symbols.approved, *symbols.releasable.values(), *symbols.topics.values()):
        solver.add_soft(z3.Not(plain))
    solver.minimize(symbols.t)
    answer = solver.check()
    if answer == z3.unsat:
        return None
    if answer != z3.sat:
        raise PolicyError(f"the solver could not decide ({solver.reason_unknown()})")
    model = solver.model()

    def holds(formula: Formula) -> bool:
        return bool(z3.is_true(model.eval(formula, model_completion=True)))

    found = next(violation for violation in violations if holds(violation.formula))
    case, registry = found.case, translation.registry
    at = instant(model.eval(symbols.t, model_completion=True).as_long())
    request = request_for(
        case,
        at,
        tuple(topic for topic, has in symbols.topics.items() if holds(has)),
        tuple(party for party, has in symbols.releasable.items() if holds(has)),
        holds(symbols.approved),
    )
    decision = decide(request, registry, at, translation.interpretation)
    return Counterexample(
        translation.interpretation,
        without_event,
        at,
        request,
        found.route.hops,
        found.subject,
        decision,
        found.confirm(decision, request),
    )


#: The largest registry verified: requests × registries (itself and one per recorded event)
#: × (agreements + topics), which the time to translate it grows with. The reference
#: registry's is 25,272 (about a second); one near the bound takes tens of seconds.
MAX_SIZE = 2_000_000


def _check_size(registry: Registry) -> None:
    """Refuse a registry too large to translate in reasonable time (hostile files)."""
    parties = registry.parties.values()
    requests = sum(len(party.scheme.levels) for party in parties) * len(parties) ** 2
    registries = 1 + sum(len(agreement.events) for agreement in registry.agreements.values())
    width = len(registry.agreements) + len(registry.topics.topics if registry.topics else ())
    size = requests * registries * width
    if size > MAX_SIZE:
        raise InputError(
            f"the registry is too large to verify: {requests} requests × {registries} "
            f"registries (itself and one per recorded event) × {width} agreements and topics "
            f"= {size:,}, more than {MAX_SIZE:,}"
        )


class _World:
    """One registry (the one verified, or a what-if of it) translated under every reading."""

    def __init__(self, registry: Registry, without_event: str | None) -> None:
        self.without_event = without_event
        symbols = Symbols(registry)
        self.translations = [Translation(registry, reading, symbols) for reading in INTERPRETATIONS]


def _what_if(registry: Registry, event_id: str) -> _World | None:
    """The registry had ``event_id`` not happened; None when there is no such registry: a
    later amendment builds on that event's terms (R-AMD-1), as ``check --drop-event`` says."""
    try:
        without = registry.without_events([event_id])
    except PolicyError:
        return None
    return _World(without, event_id)


def verify(registry: Registry) -> tuple[Verdict, ...]:
    """Each property of :data:`PROPERTIES`, proved or with a counterexample, over every
    instant in the years 1900 to 2199, every request of the translation's domain and every
    reading in :data:`INTERPRETATIONS`; a property about what events do (``what_ifs``) also
    over each registry one recorded event short of this one (``check --drop-event``)."""
    _check_size(registry)
    world = _World(registry, None)
    dropped = dict.fromkeys(  # an id two agreements record is dropped from both, as in check
        event.id for agreement in registry.agreements.values() for event in agreement.events
    )
    what_ifs = [w for event_id in dropped if (w := _what_if(registry, event_id)) is not None]
    verdicts = []
    for prop in PROPERTIES:
        checked, found = 0, None
        for each in [world, *what_ifs] if prop.what_ifs else [world]:
            for translation in each.translations:
                violations = [
                    violation
                    for case in translation.cases()
                    for violation in prop.violations(translation, case)
                ]
                checked += len(violations)
                if found is None and violations:
                    found = _counterexample(translation, violations, each.without_event)
        verdicts.append(Verdict(prop, checked, found))
    return tuple(verdicts)

"""The proofs' translation (:mod:`pactshare.proofs.translation`) against the plain engine.

What ``verify-agreements`` proves is the translation; this ties it to ``decide``. For the
reference registry, its counterfactual without Seoul's suspension, a variant where only
TISA's consent guards the hub, and random registries (given a topic vocabulary), a random
case and values of the symbolic item are taken at instants that straddle every breakpoint
of every timeline (and at random instants); the translation's formulas, evaluated there,
must give the engine's outcome and exactly the engine's viable routes (the chosen one and
the alternatives), hop by hop with each marking. A sweep asks every case of the fixed
registries at one instant besides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare.domain import Amendment, Event, EventKind, Outcome, Registry, decide
from pactshare.domain.timelines import compile_timeline
from pactshare.domain.topics import TopicVocabulary
from pactshare.limits import EARLIEST, LATEST
from pactshare.proofs.properties import INTERPRETATIONS
from pactshare.proofs.translation import (
    Case,
    Formula,
    Symbols,
    Translation,
    instant,
    micros,
    request_for,
)
from pactshare.scenarios import load_registry
from tests.properties.conftest import examples
from tests.strategies import TOPICS, interpretations, registries

REFERENCE = load_registry()
WITHOUT_SUSPENSION = REFERENCE.without_events(["kor-suspension-2019"])
# Without the US bilaterals' third-party rule, only TISA's consent (R-TISA-6) guards the hub.
WITHOUT_THIRD_PARTY_RULE = REFERENCE
for _bilateral in ("gsomia-usa-kor-1987", "gsomia-usa-jpn-2007"):
    WITHOUT_THIRD_PARTY_RULE = WITHOUT_THIRD_PARTY_RULE.with_agreement(
        replace(REFERENCE.agreement(_bilateral), third_party_release_needs_approval=False)
    )
_VOCABULARY = TopicVocabulary({topic: topic for topic in TOPICS})
# R-AMD-1: GSOMIA amended in 2024 to missile topics and its SECRET row only, then in 2025 to
# two-year terms with a 30-day notice: three epochs of terms.
_GSOMIA = REFERENCE.agreement("gsomia-kor-jpn-2016")
AMENDED = REFERENCE.with_agreement(
    _GSOMIA.with_event(
        Event(
            "narrowed-2024",
            EventKind.AMENDMENT,
            datetime(2024, 3, 1, tzinfo=ZoneInfo("Asia/Seoul")),
            amendment=Amendment(equivalence=_GSOMIA.equivalence[:1], scope=("dprk-missile",)),
        )
    ).with_event(
        Event(
            "longer-2025",
            EventKind.AMENDMENT,
            datetime(2025, 3, 1, tzinfo=ZoneInfo("Asia/Seoul")),
            amendment=Amendment(term_years=2, notice_days=30),
        )
    )
)

HopKey = tuple[str, str, str, str]


def _holds(formula: Formula, values: list[tuple[Formula, Formula]]) -> bool:
    return bool(z3.is_true(z3.simplify(z3.substitute(formula, *values))))


@st.composite
def _moment(draw: st.DrawFn, translation: Translation) -> int:
    """Microseconds: a breakpoint of some timeline, a microsecond either side, or anywhere."""
    points = [
        micros(point)
        for agreement in translation.registry.agreements.values()
        for point in compile_timeline(agreement, translation.interpretation).points
    ]
    anywhere = st.integers(micros(EARLIEST), micros(LATEST) - 1)
    if not points or draw(st.integers(0, 4)) == 0:
        return draw(anywhere)
    return draw(st.sampled_from(points)) + draw(st.sampled_from((-1, 0, 1)))


def _agree(
    translation: Translation,
    case: Case,
    *,
    moment: int,
    topics: tuple[str, ...],
    releasable: tuple[str, ...],
    approved: bool,
) -> None:
    """The translation, evaluated at these values, gives ``decide``'s outcome and routes."""
    symbols = translation.symbols
    values = [
        (symbols.t, z3.IntVal(moment)),
        (symbols.approved, z3.BoolVal(approved)),
        *((has, z3.BoolVal(topic in topics)) for topic, has in symbols.topics.items()),
        *((has, z3.BoolVal(party in releasable)) for party, has in symbols.releasable.items()),
    ]
    viable = [route for route in translation.routes(case) if _holds(route.viable, values)]
    predicted = Outcome.REFUSED
    if any(len(route.hops) == 2 for route in viable):
        predicted = Outcome.RELAY
    if any(len(route.hops) == 1 for route in viable):
        predicted = Outcome.ALLOWED
    at: datetime = instant(moment)
    request = request_for(case, at, topics, releasable, approved)
    decision = decide(request, translation.registry, at, translation.interpretation)
    assert decision.outcome is predicted, (request, decision.reasons)
    engine: list[tuple[HopKey, ...]] = [
        tuple((h.sender, h.recipient, h.agreement, h.marking.level) for h in hops)
        for hops in (decision.route, *(route.hops for route in decision.alternatives))
        if hops
    ]
    ours = [
        tuple((h.sender, h.recipient, h.agreement, h.level) for h in route.hops) for route in viable
    ]
    assert sorted(engine) == sorted(ours), request


@given(data=st.data())
@settings(max_examples=examples(150, 60))
def test_the_translation_gives_the_engines_outcome_and_viable_routes(data: st.DataObject) -> None:
    registry: Registry = data.draw(
        st.sampled_from((REFERENCE, WITHOUT_SUSPENSION, WITHOUT_THIRD_PARTY_RULE, AMENDED))
        | registries().map(lambda drawn: replace(drawn, topics=_VOCABULARY)),
        label="registry",
    )
    symbols = Symbols(registry)
    translation = Translation(registry, data.draw(interpretations()), symbols)
    cases = translation.cases()
    hubs = {agreement.hub for agreement in registry.agreements.values()}
    kinds = {  # drawn evenly, so that hubs releasing what they hold are often asked
        "held by the originator": [c for c in cases if c.holder == c.originator],
        "held by a hub": [c for c in cases if c.holder != c.originator and c.holder in hubs],
        "held by another party": [c for c in cases if c.holder not in (c.originator, *hubs)],
    }
    kind = data.draw(st.sampled_from([k for k, found in kinds.items() if found]), label="kind")
    case = data.draw(st.sampled_from(kinds[kind]), label="case")
    moment = data.draw(_moment(translation), label="instant")
    vocabulary = sorted(symbols.topics)
    topics = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=3, unique=True))
    releasable = data.draw(st.lists(st.sampled_from(sorted(symbols.releasable)), unique=True))
    approved = data.draw(st.booleans(), label="approved")
    _agree(
        translation,
        case,
        moment=moment,
        topics=tuple(sorted(topics)),
        releasable=tuple(sorted(releasable)),
        approved=approved,
    )


@pytest.mark.parametrize(
    "registry",
    [REFERENCE, WITHOUT_SUSPENSION, WITHOUT_THIRD_PARTY_RULE],
    ids=["reference", "without-suspension", "without-third-party-rule"],
)
def test_every_case_agrees_at_midnight_on_23_november_2019(registry: Registry) -> None:
    """GSOMIA's scheduled expiry; a TISA topic, with and without the originator's approval."""
    translation = Translation(registry, INTERPRETATIONS[0], Symbols(registry))
    moment = micros(datetime(2019, 11, 23, tzinfo=ZoneInfo("Asia/Seoul")))
    for case in translation.cases():
        for approved in (False, True):
            _agree(
                translation,
                case,
                moment=moment,
                topics=("dprk-missile/slbm",),
                releasable=(),
                approved=approved,
            )

"""Properties of the lifecycle and of decisions, over generated agreements and instants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare.domain import (
    Agreement,
    Amendment,
    Event,
    EventKind,
    Interpretation,
    Outcome,
    Registry,
    Request,
    Status,
    decide,
    status_at,
)
from pactshare.domain.topics import covers
from tests.strategies import interpretations
from tests.support import GSOMIA, reference

START = datetime(2014, 1, 1, tzinfo=UTC)
SPAN_DAYS = 12 * 366

instants = st.integers(min_value=0, max_value=SPAN_DAYS * 24).map(
    lambda hours: START + timedelta(hours=hours)
)
LIFECYCLE_KINDS = [
    EventKind.NOTICE_OF_TERMINATION,
    EventKind.NOTICE_SUSPENSION,
    EventKind.NOTICE_RESUMPTION,
    EventKind.NOTICE_WITHDRAWAL,
    EventKind.TERMINATION,
    EventKind.AMENDMENT,
    EventKind.ENTRY_INTO_FORCE,
]


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    """GSOMIA with random terms and a random history of events after its entry into force."""
    base = reference().agreement(GSOMIA)
    terms = base.terms.__class__(
        timezone=draw(st.sampled_from(["Asia/Seoul", "America/New_York", "Europe/London"])),
        term_years=draw(st.integers(1, 3)),
        auto_renew=draw(st.booleans()),
        notice_days=draw(st.integers(0, 200)),
    )
    entry = draw(instants)
    offsets = draw(st.lists(st.integers(0, SPAN_DAYS * 24), max_size=6))
    kinds = draw(
        st.lists(st.sampled_from(LIFECYCLE_KINDS), min_size=len(offsets), max_size=len(offsets))
    )
    events = [Event("entry", EventKind.ENTRY_INTO_FORCE, entry)]
    for index, (hours, kind) in enumerate(sorted(zip(offsets, kinds, strict=True))):
        change = None
        if kind is EventKind.AMENDMENT and draw(st.booleans()):  # R-AMD-1: new duration terms
            years, notice = draw(st.none() | st.integers(1, 3)), draw(st.integers(0, 200))
            change = Amendment(term_years=years, notice_days=notice)
        at = entry + timedelta(hours=hours)
        events.append(Event(f"e{index}", kind, at, "KOR", amendment=change))
    return replace(base, terms=terms, events=tuple(events))


@given(agreements(), instants, interpretations())
def test_status_depends_only_on_events_up_to_the_instant(
    agreement: Agreement, when: datetime, reading: Interpretation
) -> None:
    earlier = tuple(event for event in agreement.events if event.at <= when)
    truncated = replace(agreement, events=earlier)
    assert status_at(agreement, when, reading) == status_at(truncated, when, reading)


@given(agreements(), instants, instants, interpretations())
def test_no_instant_in_force_after_termination_without_a_later_event(
    agreement: Agreement, first: datetime, second: datetime, reading: Interpretation
) -> None:
    first, second = min(first, second), max(first, second)
    if status_at(agreement, first, reading).status is not Status.TERMINATED:
        return
    if any(first < event.at <= second for event in agreement.events):
        return
    assert status_at(agreement, second, reading).status is Status.TERMINATED


@given(agreements(), instants)
def test_renewal_leaves_no_gap_between_terms(agreement: Agreement, when: datetime) -> None:
    report = status_at(agreement, when)
    entries = [e for e in agreement.events if e.kind is EventKind.ENTRY_INTO_FORCE]
    if report.term is None or len(entries) > 1:
        return  # a second entry into force starts a new calendar: a new life, not a renewal
    assert report.term.start <= when < report.term.end
    following = status_at(agreement, report.term.end)
    if following.term is not None:
        assert following.term.start == report.term.end
        assert following.term.number == report.term.number + 1


@given(instants, st.integers(1, 3), st.integers(0, 200))
def test_an_auto_renewing_agreement_with_no_notice_is_always_in_force(
    entry: datetime, years: int, notice_days: int
) -> None:
    base = reference().agreement(GSOMIA)
    agreement = replace(
        base,
        terms=base.terms.__class__("Asia/Seoul", years, auto_renew=True, notice_days=notice_days),
        events=(Event("entry", EventKind.ENTRY_INTO_FORCE, entry),),
    )
    for offset_days in (0, 1, 365, 3 * 365 + 17, 20 * 365):
        when = entry + timedelta(days=offset_days)
        assert status_at(agreement, when).status is Status.IN_FORCE


LEVELS = {
    "KOR": ["kor-mil-1", "kor-mil-2", "kor-mil-3", "kor-daeoebi"],
    "JPN": ["jpn-kimitsu", "jpn-gokuhi", "jpn-tokutei-himitsu", "jpn-hi", "jpn-toriatsukai-chui"],
    "USA": ["usa-top-secret", "usa-secret", "usa-confidential"],
}
TOPICS = ["dprk-missile", "dprk-missile/slbm", "dprk-nuclear", "dprk-conventional", "prc-naval"]


@st.composite
def requests(draw: st.DrawFn) -> Request:
    originator, recipient = draw(st.permutations(sorted(LEVELS)))[:2]
    return Request(
        originator=originator,
        recipient=recipient,
        classification=draw(st.sampled_from(LEVELS[originator])),
        topics=tuple(draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2, unique=True))),
        releasable_to=tuple(
            draw(st.lists(st.sampled_from(sorted(LEVELS)), max_size=3, unique=True))
        ),
    )


@settings(max_examples=300)
@given(agreements(), requests(), instants, interpretations())
def test_an_allowed_transfer_always_has_an_agreement_in_force_covering_it(
    gsomia: Agreement, request: Request, when: datetime, reading: Interpretation
) -> None:
    registry: Registry = reference().with_agreement(gsomia)
    decision = decide(request, registry, when, reading)
    if decision.outcome is Outcome.REFUSED:
        assert not decision.route
        return
    level = registry.party(request.originator).level(request.classification).id
    for hop in decision.route:
        agreement = registry.agreement(hop.agreement)
        assert status_at(agreement, when, reading).status.allows_new_provision
        assert {hop.sender, hop.recipient} <= set(agreement.parties)
        row = agreement.row_of(request.originator, level)
        assert row is not None
        assert hop.recipient in row.levels
        assert all(covers(agreement.scope, topic) for topic in request.topics)
        if request.releasable_to:
            assert hop.recipient in request.releasable_to

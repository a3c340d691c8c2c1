"""``status_at`` (O(events)) agrees with a naive day-by-day reference on random agreements.

Instants are drawn near what matters — event instants, anniversaries, notice deadlines, each
± a second, an hour or a day — and anywhere, in zones with and without daylight saving.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from pactshare.domain import (
    Agreement,
    AgreementKind,
    Amendment,
    Event,
    EventKind,
    Interpretation,
    Registry,
    bands,
    status_at,
)
from pactshare.domain.timelines import compile_timeline, compute_snapshot
from tests.properties.conftest import examples
from tests.properties.reference_lifecycle import reference_status
from tests.strategies import agreements, instants, instants_for, interpretations, parties

_YEAR = 365 * 86_400


@st.composite
def _agreement_and_instants(
    draw: st.DrawFn,
) -> tuple[Agreement, Interpretation, list[datetime]]:
    known = {code: draw(parties(code)) for code in ("KOR", "JPN")}
    agreement = draw(agreements("a", known, kind=AgreementKind.BILATERAL))
    registry = Registry(parties=known, agreements={"a": agreement})
    moments = draw(st.lists(instants_for(registry), min_size=1, max_size=12))
    return agreement, draw(interpretations()), moments


@pytest.mark.slow
@settings(max_examples=examples(400, 200))
@given(_agreement_and_instants())
def test_status_at_agrees_with_the_day_by_day_reference(
    case: tuple[Agreement, Interpretation, list[datetime]],
) -> None:
    agreement, interpretation, moments = case
    for at in moments:
        note(f"at {at.isoformat()}")
        expected = reference_status(agreement, at, interpretation)
        assert status_at(agreement, at, interpretation).status is expected


@settings(max_examples=examples(200, 100))
@given(_agreement_and_instants())
def test_bands_agree_with_status_at_inside_each_band(
    case: tuple[Agreement, Interpretation, list[datetime]],
) -> None:
    agreement, interpretation, moments = case
    timeline = bands(agreement, interpretation)
    for at in moments:
        inside = [b for b in timeline if b.start <= at and (b.end is None or at < b.end)]
        if inside:
            assert status_at(agreement, at, interpretation).status is inside[0].status


@settings(max_examples=examples(200, 100))
@given(_agreement_and_instants())
def test_compiled_snapshots_agree_with_replaying_the_events(
    case: tuple[Agreement, Interpretation, list[datetime]],
) -> None:
    """The decision engine's O(log events) lookup (tested here because the differential tests
    rely on it) gives what replaying the events gives."""
    agreement, interpretation, moments = case
    timeline = compile_timeline(agreement, interpretation)
    for at in moments:
        note(f"at {at.isoformat()}")
        fast = timeline.at(at)
        slow = compute_snapshot(agreement, at, interpretation)
        assert (fast.agreement, fast.status, fast.terminates_at, fast.notes) == (
            slow.agreement,  # the terms in force (R-AMD-1)
            slow.status,
            slow.terminates_at,
            slow.notes,
        )


@st.composite
def _amended_durations(draw: st.DrawFn) -> tuple[Agreement, Interpretation, list[datetime]]:
    """An agreement in force with fixed terms, amended (R-AMD-1) to another term length or
    notice period, then given notices: instants near the dates status_at reports after each
    event, and near the termination it schedules."""
    known = {code: draw(parties(code)) for code in ("KOR", "JPN")}
    base = draw(agreements("a", known, kind=AgreementKind.BILATERAL))
    terms = replace(
        base.terms,
        term_years=draw(st.integers(1, 3)),
        auto_renew=draw(st.booleans()),
        notice_days=draw(st.sampled_from((0, 30, 90, 180))),
    )
    entry = draw(instants())
    offsets = sorted(draw(st.lists(st.integers(0, 6 * _YEAR), min_size=2, max_size=4)))
    events = [Event("entry", EventKind.ENTRY_INTO_FORCE, entry)]
    for index, offset in enumerate(offsets):
        when = entry + timedelta(seconds=offset)
        if index == 0 or draw(st.booleans()):
            change = Amendment(
                term_years=draw(st.none() | st.integers(1, 3)),
                notice_days=draw(st.sampled_from((0, 1, 30, 90, 200))),
            )
            events.append(Event(f"a{index}", EventKind.AMENDMENT, when, None, "", change))
        else:
            kind = draw(
                st.sampled_from((EventKind.NOTICE_OF_TERMINATION, EventKind.NOTICE_WITHDRAWAL))
            )
            events.append(Event(f"n{index}", kind, when, "KOR"))
    agreement = replace(base, terms=terms, events=tuple(events))
    reading = draw(interpretations())
    points = []
    for event in agreement.events:
        report = status_at(agreement, event.at, reading)
        dates = (report.next_anniversary, report.notice_deadline, report.terminates_at)
        points += [date for date in dates if date is not None]
    nudges = st.sampled_from((0, -1, 1, -86_400, 86_400)).map(lambda s: timedelta(seconds=s))
    moments = [
        draw(st.sampled_from(points)) + draw(nudges) if points else draw(instants())
        for _ in range(draw(st.integers(1, 6)))
    ]
    return agreement, reading, moments


@settings(max_examples=examples(200, 100))
@given(_amended_durations())
def test_amended_durations_agree_with_the_day_by_day_reference(
    case: tuple[Agreement, Interpretation, list[datetime]],
) -> None:
    agreement, interpretation, moments = case
    for at in moments:
        note(f"at {at.isoformat()}")
        expected = reference_status(agreement, at, interpretation)
        assert status_at(agreement, at, interpretation).status is expected

"""``status_at`` (O(events)) agrees with a naive day-by-day reference on random agreements.

Instants are drawn near what matters — event instants, anniversaries, notice deadlines, each
± a second, an hour or a day — and anywhere, in zones with and without daylight saving.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, note, settings
from hypothesis import strategies as st

from pactshare.domain import (
    Agreement,
    AgreementKind,
    Interpretation,
    Registry,
    bands,
    status_at,
)
from pactshare.domain.timelines import compile_timeline, compute_snapshot
from tests.properties.conftest import examples
from tests.properties.reference_lifecycle import reference_status
from tests.strategies import agreements, instants_for, interpretations, parties


@st.composite
def _agreement_and_instants(
    draw: st.DrawFn,
) -> tuple[Agreement, Interpretation, list[datetime]]:
    known = {code: draw(parties(code)) for code in ("KOR", "JPN")}
    agreement = draw(agreements("a", known, kind=AgreementKind.BILATERAL))
    registry = Registry(parties=known, agreements={"a": agreement})
    moments = draw(st.lists(instants_for(registry), min_size=1, max_size=12))
    return agreement, draw(interpretations()), moments


@settings(max_examples=examples(700, 200))
@given(_agreement_and_instants())
def test_status_at_agrees_with_the_day_by_day_reference(
    case: tuple[Agreement, Interpretation, list[datetime]],
) -> None:
    agreement, interpretation, moments = case
    for at in moments:
        note(f"at {at.isoformat()}")
        expected = reference_status(agreement, at, interpretation)
        assert status_at(agreement, at, interpretation).status is expected


@settings(max_examples=examples(300, 100))
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


@settings(max_examples=examples(300, 100))
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
        assert (fast.status, fast.terminates_at, fast.notes) == (
            slow.status,
            slow.terminates_at,
            slow.notes,
        )

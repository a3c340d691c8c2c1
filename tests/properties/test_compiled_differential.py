"""Compiled decisions (:mod:`pactshare.domain.compiled`) against the plain engine.

For random registries and readings, requests are asked at instants that straddle every
breakpoint of every agreement's timeline (the breakpoint itself and a microsecond either
side, in several UTC offsets) and at random instants, in random order, against one
:class:`~pactshare.domain.Prepared` registry that keeps its plans. Each must get what the
plain engine gives: the same decision, byte for byte in its JSON, or the same error. The
plain engine is a ``Prepared`` that keeps no plan (every question is then decided afresh).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from pactshare.domain import (
    Decision,
    Interpretation,
    Prepared,
    Registry,
    Request,
    decide,
    decide_many,
)
from pactshare.domain.timelines import compile_timeline
from pactshare.domain.wire import decision_json
from tests.properties.conftest import examples
from tests.strategies import TIMEZONES, instants, interpretations, registries, requests

_MICROSECOND = timedelta(microseconds=1)
_NUDGES = (-_MICROSECOND, timedelta(0), _MICROSECOND)

Scenario = tuple[Registry, Interpretation, list[datetime], list[Request]]


def _breakpoints(registry: Registry, interpretation: Interpretation) -> list[datetime]:
    return sorted(
        {
            point
            for agreement in registry.agreements.values()
            for point in compile_timeline(agreement, interpretation).points
        }
    )


@st.composite
def _request(draw: st.DrawFn, registry: Registry, at: datetime) -> Request:
    """Mostly a compiled question (no holder, no approvals); sometimes one the plain engine
    keeps (a holder, approvals), or one it refuses as an error."""
    request = draw(requests(registry, at))
    codes = sorted(registry.parties)
    return draw(
        st.sampled_from(
            (
                replace(request, holder=None, approvals=()),
                replace(request, holder=None, approvals=()),
                replace(request, holder=None, approvals=(), received_under=None),
                request,
                replace(request, holder=None, approvals=(), recipient=request.originator),
                replace(request, holder=None, approvals=(), classification="no-such-level"),
                replace(request, holder=None, approvals=(), topics=()),
                replace(request, holder=None, approvals=(), releasable_to=tuple(codes)),
            )
        )
    )


@st.composite
def _scenarios(draw: st.DrawFn) -> Scenario:
    registry = draw(registries())
    interpretation = draw(interpretations())
    points = _breakpoints(registry, interpretation)
    near = st.builds(
        lambda point, nudge, zone: (point + nudge).astimezone(ZoneInfo(zone)),
        st.sampled_from(points),
        st.sampled_from(_NUDGES),
        st.sampled_from(TIMEZONES),
    )
    moments = draw(st.lists(near | instants() if points else instants(), min_size=1, max_size=8))
    asked = draw(st.lists(_request(registry, moments[0]), min_size=1, max_size=5))
    return registry, interpretation, moments, asked


def _answer(run: Callable[[], Decision | list[Decision]]) -> object:
    """The decisions' JSON, or the error raised (its type and message)."""
    try:
        found = run()
    except Exception as exc:  # every error must be the same error
        return (type(exc).__name__, str(exc))
    if isinstance(found, Decision):
        return decision_json(found)
    return [decision_json(decision) for decision in found]


@pytest.mark.slow
@settings(max_examples=examples(120, 40))
@given(_scenarios())
def test_compiled_decisions_are_the_plain_engines(scenario: Scenario) -> None:
    registry, interpretation, moments, asked = scenario
    compiled, plain = Prepared(registry), Prepared(registry)
    plain.plans.limit = 0  # keeps no plan: every question goes to the plain engine
    decided = False
    for at in moments:
        for request in (*asked, *asked):  # the second time from the plan, if one was kept
            note(f"at {at.isoformat()}: {request}")
            expected = _answer(partial(decide, request, plain, at, interpretation))
            assert _answer(partial(decide, request, compiled, at, interpretation)) == expected
            decided |= isinstance(expected, dict) and not (request.holder or request.approvals)
        note(f"at {at.isoformat()}: the batch")
        expected = _answer(partial(decide_many, asked, plain, at, interpretation))
        assert _answer(partial(decide_many, asked, compiled, at, interpretation)) == expected
    assert len(plain.plans) == 0
    assert len(compiled.plans) > 0 or not decided

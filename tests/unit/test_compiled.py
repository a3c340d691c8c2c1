"""Compiled decisions: what a kept plan must never do (the differential property in
``tests/properties/test_compiled_differential.py`` checks that plans decide as the plain
engine does)."""

from __future__ import annotations

from dataclasses import replace

from pactshare.domain import Prepared, decide
from pactshare.domain.compiled import MARKER
from pactshare.domain.wire import decision_json
from tests.support import at, kor_to_jpn, reference

WHEN = at("2019-11-22T23:59:59+09:00")


def test_a_question_is_decided_from_its_plan_the_second_time() -> None:
    prepared = Prepared(reference())
    first = decide(kor_to_jpn(), prepared, WHEN)
    assert len(prepared.plans) == 1
    later = at("2019-11-22T09:59:59-05:00")  # the same instant, shown in another offset
    assert decision_json(decide(kor_to_jpn(), prepared, later)) == decision_json(
        decide(kor_to_jpn(), reference(), later)
    )
    assert decide(kor_to_jpn(), prepared, WHEN) == first
    assert len(prepared.plans) == 1


def test_no_plan_is_kept_when_the_request_holds_the_marker() -> None:
    """A request whose text holds the instant's stand-in would rebuild wrongly: not kept."""
    request = replace(kor_to_jpn(), releasable_to=("JPN", f"X{MARKER}Y"))
    prepared = Prepared(reference())
    decision = decide(request, prepared, WHEN)
    assert decision == decide(request, reference(), WHEN)
    assert MARKER in "".join(reason.text for reason in decision.reasons)
    assert len(prepared.plans) == 0


def test_requests_with_a_holder_or_approvals_are_not_compiled() -> None:
    prepared = Prepared(reference())
    decide(replace(kor_to_jpn(), holder="KOR"), prepared, WHEN)
    assert len(prepared.plans) == 0


def test_the_plans_are_bounded() -> None:
    prepared = Prepared(reference())
    prepared.plans.limit = 2
    for level in ("군사 I급 비밀", "군사 II급 비밀", "군사 III급 비밀"):
        decide(kor_to_jpn(level), prepared, WHEN)
    assert len(prepared.plans) == 2

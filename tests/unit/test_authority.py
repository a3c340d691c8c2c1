"""Who may make which event: joint proposals, unilateral notices, time from the receiver."""

from __future__ import annotations

from datetime import timedelta

from pactshare.domain import Agreement, Event, EventKind, Status, status_at
from pactshare.domain.authority import (
    TOLERANCE,
    Answer,
    EventState,
    Proposal,
    authority_problem,
    settle,
    timing_problem,
)
from tests.support import GSOMIA, at, reference

BEFORE = at("2016-09-09T10:00:00+09:00")  # before GSOMIA existed
EIF = EventKind.ENTRY_INTO_FORCE


def _gsomia_without_file_events() -> Agreement:
    agreement = reference().agreement(GSOMIA)
    for event in agreement.events:
        agreement = agreement.without_event(event.id)
    return agreement


def _proposal(kind: EventKind, party: str, when: str, *answers: Answer) -> Proposal:
    moment = at(when)
    return Proposal(
        GSOMIA, Event(f"{party}-{kind.value}", kind, moment, party), moment, None, answers
    )


def test_a_joint_proposal_alone_changes_nothing() -> None:
    base = reference().agreement(GSOMIA)
    proposal = _proposal(EIF, "JPN", "2016-09-09T10:00:00+09:00")
    agreement, [settled] = settle(base, [proposal])
    assert agreement == base
    assert settled.state is EventState.PROPOSED
    assert settled.waiting_for == ("KOR",)


def test_a_joint_proposal_takes_effect_at_the_later_of_the_proposal_and_the_last_acceptance() -> (
    None
):
    base = _gsomia_without_file_events()
    accepted = Answer("KOR", True, at("2016-09-10T09:00:00+09:00"))
    proposal = _proposal(EIF, "JPN", "2016-09-09T10:00:00+09:00", accepted)
    agreement, [settled] = settle(base, [proposal])
    assert settled.state is EventState.IN_EFFECT
    assert settled.effective_at == accepted.at
    assert status_at(agreement, at("2016-09-10T08:59:59+09:00")).status is Status.NOT_IN_FORCE
    assert status_at(agreement, accepted.at).status is Status.IN_FORCE


def test_one_refusal_ends_a_proposal_and_an_answer_by_the_proposer_counts_for_nothing() -> None:
    base = _gsomia_without_file_events()
    own = Answer("JPN", True, BEFORE)
    refused = _proposal(
        EIF, "JPN", "2016-09-09T10:00:00+09:00", own, Answer("KOR", False, BEFORE, "no")
    )
    self_accepted = _proposal(EventKind.AMENDMENT, "JPN", "2016-09-09T10:00:00+09:00", own)
    agreement, states = settle(base, [refused, self_accepted])
    assert agreement == base
    assert {s.proposal.event.kind: s.state for s in states} == {
        EIF: EventState.REJECTED,
        EventKind.AMENDMENT: EventState.PROPOSED,
    }
    assert "rejected by KOR: no" in next(s.why for s in states if s.proposal.event.kind is EIF)


def test_a_non_party_proposes_nothing() -> None:
    agreement, [settled] = settle(
        reference().agreement(GSOMIA),
        [_proposal(EIF, "USA", "2016-09-09T10:00:00+09:00", Answer("KOR", True, BEFORE))],
    )
    assert settled.state is EventState.IGNORED
    assert agreement == reference().agreement(GSOMIA)


def test_a_notice_is_the_act_of_a_party_where_the_state_allows_it() -> None:
    gsomia = reference().agreement(GSOMIA)
    notice = Event("n", EventKind.NOTICE_OF_TERMINATION, at("2026-01-10T10:00:00+09:00"), "JPN")
    assert authority_problem(gsomia, notice) is None
    usa = Event("u", EventKind.NOTICE_OF_TERMINATION, notice.at, "USA")
    assert "USA is not a party" in (authority_problem(gsomia, usa) or "")
    joint = Event("t", EventKind.TERMINATION, notice.at, "JPN")
    assert "proposed, not given" in (authority_problem(gsomia, joint) or "")


def test_nobody_suspends_a_notice_nobody_gave() -> None:
    suspension = Event("s", EventKind.NOTICE_SUSPENSION, at("2026-01-10T10:00:00+09:00"), "KOR")
    assert "no running notice" in (
        authority_problem(reference().agreement(GSOMIA), suspension) or ""
    )


def test_only_the_giver_of_the_running_notice_suspends_or_withdraws_it() -> None:
    gsomia = reference().agreement(GSOMIA).without_event("kor-suspension-2019")
    when = at("2019-10-01T10:00:00+09:00")
    for kind in (EventKind.NOTICE_SUSPENSION, EventKind.NOTICE_WITHDRAWAL):
        by_jpn = Event("j", kind, when, "JPN")
        assert "given by KOR, not JPN" in (authority_problem(gsomia, by_jpn) or "")
        assert authority_problem(gsomia, Event("k", kind, when, "KOR")) is None


def test_a_notice_the_state_does_not_allow_is_ignored_by_settle() -> None:
    base = reference().agreement(GSOMIA)
    moment = at("2019-10-01T10:00:00+09:00")
    suspension = Proposal(GSOMIA, Event("j", EventKind.NOTICE_SUSPENSION, moment, "JPN"), moment)
    agreement, [settled] = settle(base, [suspension])
    assert settled.state is EventState.IGNORED
    assert agreement == base


def test_a_notice_counts_from_its_receipt_never_from_before_it_was_signed() -> None:
    signed = at("2019-08-24T23:00:00+09:00")
    received = at("2019-08-25T01:00:00+09:00")  # after the deadline: the next anniversary
    event = Event("n", EventKind.NOTICE_OF_TERMINATION, at("2019-08-01T00:00:00+09:00"), "JPN")
    base = reference().agreement(GSOMIA).without_event("kor-notice-2019")
    base = base.without_event("kor-suspension-2019").without_event("kor-withdrawal-2023")
    proposal = Proposal(GSOMIA, event, signed, received)
    agreement, [settled] = settle(base, [proposal])
    assert settled.effective_at == received
    report = status_at(agreement, at("2019-09-01T00:00:00+09:00"))
    assert report.terminates_at == at("2020-11-23T00:00:00+09:00")


def test_a_backdated_note_or_one_signed_after_its_receipt_is_refused() -> None:
    signed = at("2019-08-24T23:00:00+09:00")
    assert timing_problem(signed - TOLERANCE, signed, signed) is None
    assert "backdated" in (
        timing_problem(signed - TOLERANCE - timedelta(seconds=1), signed, signed) or ""
    )
    later = signed + TOLERANCE + timedelta(seconds=1)
    assert "after it was received" in (timing_problem(later, later, signed) or "")

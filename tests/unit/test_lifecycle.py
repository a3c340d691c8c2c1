"""Agreement status over time: R-DUR-1, §5.1, R-STATE-1…5 and AT-4…AT-8."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pactshare.domain import (
    Agreement,
    AgreementKind,
    EquivalenceRow,
    Event,
    EventKind,
    Interpretation,
    LateNotice,
    Profile,
    Status,
    Terms,
    bands,
    status_at,
)
from pactshare.errors import InputError
from tests.support import (
    GSOMIA,
    NOTICE,
    SUSPENSION,
    WITHDRAWAL,
    at,
    reference,
    with_gsomia_events,
    without,
)

KR_ANYTIME = Interpretation(profile=Profile.KR_ANYTIME)


def gsomia() -> Agreement:
    return reference().agreement(GSOMIA)


def test_R_EIF_1_not_in_force_before_entry_into_force() -> None:
    assert status_at(gsomia(), at("2016-11-22T23:59:59+09:00")).status is Status.NOT_IN_FORCE
    assert status_at(gsomia(), at("2016-11-23T00:00:00+09:00")).status is Status.IN_FORCE


def test_AT_6_auto_renewal_keeps_it_in_force_without_any_action() -> None:
    report = status_at(gsomia(), at("2018-11-23T00:00:00+09:00"))
    assert report.status is Status.IN_FORCE
    assert report.term is not None
    assert report.term.number == 3
    assert report.next_anniversary == at("2019-11-23T00:00:00+09:00")


def test_R_DUR_1_deadline_2019_is_exclusive_bound_25_august_kst() -> None:
    report = status_at(gsomia(), at("2019-06-01T00:00:00+09:00"))
    assert report.notice_deadline == at("2019-08-25T00:00:00+09:00")
    assert report.earliest_termination == at("2019-11-23T00:00:00+09:00")


def test_R_STATE_1_notice_makes_termination_pending_until_anniversary() -> None:
    report = status_at(gsomia(), at("2019-09-01T00:00:00+09:00"))
    assert report.status is Status.TERMINATION_PENDING
    assert report.terminates_at == at("2019-11-23T00:00:00+09:00")
    assert report.notice_deadline is None


def test_AT_4_with_the_suspension_it_is_suspended_at_midnight() -> None:
    report = status_at(gsomia(), at("2019-11-23T00:00:00+09:00"))
    assert report.status is Status.NOTICE_SUSPENDED
    assert report.terminates_at is None


def test_AT_2_without_the_suspension_it_terminates_at_midnight_kst() -> None:
    agreement = without(SUSPENSION).agreement(GSOMIA)
    before = status_at(agreement, at("2019-11-22T23:59:59+09:00"))
    assert before.status is Status.TERMINATION_PENDING
    for instant in (
        "2019-11-23T00:00:00+09:00",
        "2019-11-22T15:00:00Z",
        "2019-11-22T10:00:00-05:00",
    ):
        report = status_at(agreement, at(instant))
        assert report.status is Status.TERMINATED, instant
        assert report.terminates_at == at("2019-11-23T00:00:00+09:00")


def test_AT_5_notice_on_the_last_second_of_24_august_ends_it_in_2019() -> None:
    registry = with_gsomia_events(
        without(NOTICE, SUSPENSION, WITHDRAWAL),
        ("late", EventKind.NOTICE_OF_TERMINATION, "2019-08-24T23:59:59+09:00"),
    )
    report = status_at(registry.agreement(GSOMIA), at("2019-09-01T00:00:00+09:00"))
    assert report.terminates_at == at("2019-11-23T00:00:00+09:00")
    assert not report.notes


def test_AT_5_notice_at_midnight_25_august_rolls_over_to_2020_and_says_so() -> None:
    registry = with_gsomia_events(
        without(NOTICE, SUSPENSION, WITHDRAWAL),
        ("late", EventKind.NOTICE_OF_TERMINATION, "2019-08-25T00:00:00+09:00"),
    )
    report = status_at(registry.agreement(GSOMIA), at("2019-09-01T00:00:00+09:00"))
    assert report.status is Status.TERMINATION_PENDING
    assert report.terminates_at == at("2020-11-23T00:00:00+09:00")
    assert any("interpretation: late notice roll-over" in note.text for note in report.notes)


def test_AT_5_under_the_ineffective_reading_a_late_notice_changes_nothing() -> None:
    registry = with_gsomia_events(
        without(NOTICE, SUSPENSION, WITHDRAWAL),
        ("late", EventKind.NOTICE_OF_TERMINATION, "2019-08-25T00:00:00+09:00"),
    )
    reading = Interpretation(late_notice=LateNotice.INEFFECTIVE)
    report = status_at(registry.agreement(GSOMIA), at("2019-09-01T00:00:00+09:00"), reading)
    assert report.status is Status.IN_FORCE
    assert any("late notice ineffective" in note.text for note in report.notes)


def _resumed_2021() -> Agreement:
    registry = with_gsomia_events(
        without(WITHDRAWAL),
        ("kor-resumption-2021", EventKind.NOTICE_RESUMPTION, "2021-01-10T12:00:00+09:00"),
    )
    return registry.agreement(GSOMIA)


def test_AT_7_kr_anytime_reading_ends_it_the_same_day() -> None:
    agreement = _resumed_2021()
    assert status_at(agreement, at("2020-08-25T00:00:00+09:00"), KR_ANYTIME).status is (
        Status.NOTICE_SUSPENDED
    )
    report = status_at(agreement, at("2021-01-10T12:00:00+09:00"), KR_ANYTIME)
    assert report.status is Status.TERMINATED
    assert report.terminates_at == at("2021-01-10T12:00:00+09:00")


def test_AT_7_treaty_text_reading_keeps_it_until_the_next_anniversary() -> None:
    agreement = _resumed_2021()
    report = status_at(agreement, at("2021-11-22T23:59:59+09:00"))
    assert report.status is Status.TERMINATION_PENDING
    assert report.terminates_at == at("2021-11-23T00:00:00+09:00")
    assert status_at(agreement, at("2021-11-23T00:00:00+09:00")).status is Status.TERMINATED


def test_AT_8_after_withdrawal_normal_cycle_with_deadline_25_august_2023() -> None:
    report = status_at(gsomia(), at("2023-03-21T09:00:00+09:00"))
    assert report.status is Status.IN_FORCE
    assert report.next_anniversary == at("2023-11-23T00:00:00+09:00")
    assert report.notice_deadline == at("2023-08-25T00:00:00+09:00")


def test_R_STATE_4_withdrawal_returns_to_in_force_from_suspended() -> None:
    assert status_at(gsomia(), at("2023-03-21T08:59:59+09:00")).status is Status.NOTICE_SUSPENDED
    assert status_at(gsomia(), at("2023-03-21T09:00:00+09:00")).status is Status.IN_FORCE


def test_R_STATE_5_deadline_after_the_2023_anniversary_moves_to_2024() -> None:
    report = status_at(gsomia(), at("2023-09-01T00:00:00+09:00"))
    assert report.next_anniversary == at("2023-11-23T00:00:00+09:00")
    assert report.notice_deadline == at("2024-08-25T00:00:00+09:00")
    assert report.earliest_termination == at("2024-11-23T00:00:00+09:00")


def test_R_STATE_3_kr_anytime_suspended_notice_can_end_at_any_instant() -> None:
    report = status_at(gsomia(), at("2020-08-25T00:00:00+09:00"), KR_ANYTIME)
    assert report.status is Status.NOTICE_SUSPENDED
    assert report.earliest_termination == at("2020-08-25T00:00:00+09:00")
    assert report.notice_deadline is None


def test_R_SURV_1_events_after_termination_have_no_effect() -> None:
    registry = with_gsomia_events(
        without(SUSPENSION, WITHDRAWAL),
        ("too-late", EventKind.NOTICE_WITHDRAWAL, "2019-12-01T00:00:00+09:00"),
    )
    report = status_at(registry.agreement(GSOMIA), at("2020-01-01T00:00:00+09:00"))
    assert report.status is Status.TERMINATED
    assert "too-late" not in report.applied_events


def test_termination_event_ends_the_agreement_at_its_instant() -> None:
    registry = with_gsomia_events(
        reference(), ("mutual", EventKind.TERMINATION, "2024-02-01T00:00:00+09:00")
    )
    agreement = registry.agreement(GSOMIA)
    assert status_at(agreement, at("2024-01-31T23:59:59+09:00")).status is Status.IN_FORCE
    assert status_at(agreement, at("2024-02-01T00:00:00+09:00")).status is Status.TERMINATED


def _kor_jpn(terms: Terms, *events: Event) -> Agreement:
    """A minimal KOR–JPN agreement with the given terms and events."""
    row = EquivalenceRow("SECRET", {"KOR": ("kor-mil-2",), "JPN": ("jpn-gokuhi",)})
    return Agreement(
        id="test-agreement",
        title="Test agreement",
        kind=AgreementKind.BILATERAL,
        parties=("KOR", "JPN"),
        terms=terms,
        equivalence=(row,),
        events=events,
    )


def test_status_of_an_indefinite_agreement_ends_notice_days_after_notice() -> None:
    agreement = _kor_jpn(
        Terms(timezone="Asia/Seoul", notice_days=180),
        Event("eif", EventKind.ENTRY_INTO_FORCE, at("2000-01-01T00:00:00+09:00")),
        Event("notice", EventKind.NOTICE_OF_TERMINATION, at("2020-01-01T00:00:00+09:00"), "KOR"),
    )
    report = status_at(agreement, at("2020-02-01T00:00:00+09:00"))
    assert report.status is Status.TERMINATION_PENDING
    assert report.terminates_at == at("2020-06-29T00:00:00+09:00")
    assert report.next_anniversary is None


def test_a_fixed_term_without_renewal_expires_at_its_first_anniversary() -> None:
    agreement = _kor_jpn(
        Terms(timezone="Asia/Tokyo", term_years=1),
        Event("eif", EventKind.ENTRY_INTO_FORCE, at("2020-02-29T00:00:00+09:00")),
    )
    assert status_at(agreement, at("2021-02-27T23:59:59+09:00")).status is Status.IN_FORCE
    assert status_at(agreement, at("2021-02-28T00:00:00+09:00")).status is Status.TERMINATED


def test_naive_instant_is_an_input_error() -> None:
    with pytest.raises(InputError, match="naive date-time"):
        status_at(gsomia(), datetime(2019, 11, 23))


def test_instants_are_compared_in_utc_whatever_their_offset() -> None:
    kst = status_at(gsomia(), at("2019-11-22T23:59:59+09:00"))
    utc = status_at(gsomia(), at("2019-11-22T23:59:59+09:00").astimezone() + timedelta(0))
    assert kst.status is utc.status


def test_events_in_one_zone_are_ordered_as_instants_across_the_repeated_hour() -> None:
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - only this test builds fold instants

    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 45, tzinfo=new_york)  # EDT, 05:45Z
    second = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=new_york)  # EST, 06:15Z: later
    agreement = _kor_jpn(
        Terms(timezone="America/New_York", notice_days=0),
        Event("eif", EventKind.ENTRY_INTO_FORCE, first),
        Event("end", EventKind.TERMINATION, second),
    )
    assert [band.status for band in bands(agreement)] == [Status.IN_FORCE, Status.TERMINATED]
    with_late = agreement.without_event("end").with_event(
        Event("end", EventKind.TERMINATION, second)
    )
    assert [event.id for event in with_late.events] == ["eif", "end"]

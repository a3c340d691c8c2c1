"""Regressions found by the differential and reference tests (tests/properties), one per bug,
each named after the rule it breaks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pactshare.domain import (
    DEFAULT_INTERPRETATION,
    Agreement,
    AgreementKind,
    Approval,
    ApprovalKind,
    Event,
    EventKind,
    Outcome,
    Registry,
    Request,
    Status,
    Terms,
    decide,
    parse_instant,
    status_at,
)
from pactshare.scenarios import load_registry

NEW_YORK = ZoneInfo("America/New_York")


def _six_year_agreement() -> Agreement:
    entry = datetime(2020, 11, 1, 1, 30, tzinfo=NEW_YORK)  # fold=0: 01:30 EDT = 05:30Z
    return Agreement(
        id="ny-six-years",
        title="A six-year agreement in New York time",
        kind=AgreementKind.BILATERAL,
        parties=("KOR", "USA"),
        terms=Terms(timezone="America/New_York", term_years=6, auto_renew=False),
        equivalence=(),
        events=(Event("entry", EventKind.ENTRY_INTO_FORCE, entry),),
    )


def test_at_2_status_compares_instants_in_utc_even_in_the_agreements_own_zone() -> None:
    """The term ends 2026-11-01 01:30 EDT (05:30Z). 01:15 EST on the same night (fold=1, the
    repeated hour) is 06:15Z, after the end; written in the agreement's own zone object it
    used to be compared by wall clock (01:15 < 01:30) and reported in force."""
    agreement = _six_year_agreement()
    repeated_hour = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NEW_YORK)
    in_utc = repeated_hour.astimezone(UTC)
    assert status_at(agreement, in_utc).status is Status.TERMINATED
    assert status_at(agreement, repeated_hour).status is Status.TERMINATED


def test_r_pro_1_approval_compares_instants_in_utc() -> None:
    """An approval recorded at 01:30 EDT (05:30Z) is in effect at 01:15 EST (06:15Z)."""
    recorded = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
    approval = Approval("KOR", ApprovalKind.RELEASE, "USA", recorded)
    later = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NEW_YORK)
    assert approval.in_effect(later) is approval.in_effect(later.astimezone(UTC)) is True


def _tisa_with_a_superseded_protection() -> Registry:
    registry = load_registry()
    current = registry.agreement("gsomia-usa-kor-1987")
    ended = Event("ended", EventKind.TERMINATION, parse_instant("1990-01-01T00:00Z", what="t"))
    superseded = replace(current, id="usa-kor-superseded", events=(*current.events, ended))
    tisa = replace(
        registry.agreement("tisa-2014"),
        protection_from=("usa-kor-superseded", "gsomia-usa-kor-1987", "gsomia-usa-jpn-2007"),
    )
    return replace(
        registry,
        agreements={**registry.agreements, superseded.id: superseded, tisa.id: tisa},
    )


def test_r_tisa_4_a_leg_is_protected_by_any_listed_bilateral_in_force() -> None:
    """TISA names a terminated US–ROK agreement before the one in force: the KOR–USA leg is
    still protected (R-TISA-4), so AT-9's pre-GSOMIA relay stays possible. The engine used to
    stop at the first matching agreement and refuse."""
    registry = _tisa_with_a_superseded_protection()
    at = parse_instant("2016-11-22T12:00:00+09:00", what="t")
    request = Request("KOR", "JPN", "군사 II급 비밀", ("dprk-missile",))
    decision = decide(request, registry, at, DEFAULT_INTERPRETATION)
    assert decision.outcome is Outcome.RELAY
    assert decision.route[0].protected_under == "gsomia-usa-kor-1987"

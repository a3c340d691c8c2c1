"""The JSON forms of decisions, statuses, bands and agreements keep the fields their contract
names (domain.wire): fields may be added, never renamed."""

from __future__ import annotations

from pactshare.domain import EventKind, Interpretation, Profile, decide, status_at
from pactshare.domain.timeline import bands
from pactshare.domain.wire import agreement_json, band_json, decision_json, iso, status_json
from tests.support import (
    GSOMIA,
    TISA,
    WITHDRAWAL,
    at,
    kor_to_jpn,
    reference,
    with_gsomia_events,
    without,
)

BEFORE_MIDNIGHT = at("2019-11-22T23:59:59+09:00")


def test_a_decision_has_its_outcome_route_reasons_and_alternatives() -> None:
    payload = decision_json(decide(kor_to_jpn(), reference(), BEFORE_MIDNIGHT))
    assert {"outcome", "at", "interpretation", "route", "consents", "reasons",
            "alternatives", "conflict"} <= payload.keys()  # fmt: skip
    assert payload["at"] == BEFORE_MIDNIGHT.isoformat()
    hop = payload["route"][0]
    assert (hop["from"], hop["to"], hop["agreement"]) == ("KOR", "JPN", GSOMIA)
    assert {"marking", "marking_detail", "protected_under"} <= hop.keys()
    assert {"originator", "party", "level", "name", "equivalent"} == hop["marking_detail"].keys()
    for reason in payload["reasons"]:
        assert {"rule", "text", "effect", "citation"} == reason.keys()
    for route in payload["alternatives"]:
        assert {"kind", "summary", "route", "consents"} == route.keys()


def test_a_status_names_its_dates_and_a_conflict_between_the_profiles() -> None:
    """Had KOR resumed its 2019 notice in 2021 (and not withdrawn it in 2023), the treaty text
    and KOR's reading disagree: the agreement is terminated under the latter."""
    resumed = with_gsomia_events(
        without(WITHDRAWAL), ("resume", EventKind.NOTICE_RESUMPTION, "2021-01-10T12:00:00+09:00")
    ).agreement(GSOMIA)
    moment = at("2021-06-01T00:00:00+09:00")
    treaty, anytime = (status_at(resumed, moment, Interpretation(p)) for p in Profile)
    payload = status_json(treaty, anytime)
    assert {"agreement", "at", "interpretation", "status", "terminates_at", "next_anniversary",
            "notice_deadline", "earliest_termination", "term", "applied_events", "notes",
            "conflict"} <= payload.keys()  # fmt: skip
    assert (payload["agreement"], payload["interpretation"]) == (GSOMIA, "treaty-text")
    assert payload["terminates_at"] == "2021-11-23T00:00:00+09:00"
    assert payload["conflict"]["status"] == "terminated"
    assert status_json(treaty)["conflict"] is None


def test_bands_and_agreements_keep_their_fields() -> None:
    tisa = reference().agreement(TISA)
    first = band_json(bands(tisa)[0])
    assert first.keys() == {"status", "start", "end"}
    payload = agreement_json(tisa)
    assert payload["id"] == TISA
    assert payload["hub"] == tisa.hub
    assert payload["parties"] == list(tisa.parties)
    assert payload["terms"].keys() == {"timezone", "term_years", "auto_renew", "notice_days"}
    assert [e["id"] for e in payload["events"]] == [e.id for e in tisa.events]
    assert iso(None) is None

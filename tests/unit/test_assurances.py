"""The gate of R-ACC-4 (Art. 7(5); AT-16), pure: a decision under an agreement that asks for
an assurance is refused unless one covers the recipient party, the item's level and topics and
the instant; other decisions pass unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pactshare.domain import Effect, Outcome, decide
from pactshare.domain.assurances import Assurance, AssuranceState, assurance_problems, assured
from tests.support import GSOMIA, at, kor_to_jpn, reference, without

NOW = at("2020-02-03T10:00:00+09:00")
TOPICS = ("dprk-missile/slbm",)
JPN = Assurance(
    id="assurance-jpn-1",
    agreement_id=GSOMIA,
    receiving="JPN",
    originating="KOR",
    authority="jpn-mod",
    recipient="JPN MOD registry",
    level="jpn-gokuhi",
    topics=("dprk-missile",),
    purpose="DPRK missile warning",
    equivalent_protection=True,
    valid_from=NOW,
    valid_until=NOW + timedelta(days=7),
    issued_at=NOW,
    recorded_at=NOW,
)


def gated(*assurances: Assurance, at_: timedelta = timedelta(hours=1)) -> tuple[Outcome, str]:
    moment = NOW + at_
    decision = decide(kor_to_jpn("군사 II급 비밀", *TOPICS), reference(), moment)
    result = assured(decision, reference(), TOPICS, assurances, moment)
    note, *gate = [r for r in result.reasons if r.rule == "R-ACC-4"]
    assert note.effect is Effect.NOTE  # the decision itself says an assurance comes first
    [reason] = gate
    return result.outcome, reason.text


def test_AT_16_no_assurance_no_hand_over_and_the_reason_names_what_is_missing() -> None:
    outcome, text = gated()
    assert outcome is Outcome.REFUSED
    assert "(a) a clearance at or above jpn-gokuhi (極秘)" in text
    assert "(b) an official need for dprk-missile/slbm, (c) equivalent protection" in text


def test_an_assurance_covers_its_parties_level_topics_and_dates_only() -> None:
    assert gated(JPN)[0] is Outcome.ALLOWED
    assert gated(replace(JPN, topics=("*",)))[0] is Outcome.ALLOWED  # a standing assurance
    outcome, text = gated(replace(JPN, level="jpn-hi"))
    assert outcome is Outcome.REFUSED
    assert "assurance-jpn-1: (a) covers only up to jpn-hi" in text
    assert "(b) no official need" in gated(replace(JPN, topics=("dprk-nuclear",)))[1]
    assert "expired at" in gated(JPN, at_=timedelta(days=7))[1]
    withdrawn = replace(JPN, withdrawn_at=NOW + timedelta(minutes=30))
    assert "withdrawn at" in gated(withdrawn)[1]
    assert "not yet on record" in gated(replace(JPN, recorded_at=NOW + timedelta(hours=2)))[1]
    assert gated(replace(JPN, receiving="USA"))[1].startswith("no assurance from JPN")
    assert JPN.state(NOW - timedelta(seconds=1)) is AssuranceState.NOT_ON_RECORD


def test_a_relay_under_tisa_and_a_refusal_pass_unchanged() -> None:
    before_gsomia = at("2016-06-01T10:00:00+09:00")
    relay = decide(kor_to_jpn("군사 II급 비밀", *TOPICS), reference(), before_gsomia)
    assert relay.outcome is Outcome.RELAY
    assert assured(relay, reference(), TOPICS, (), before_gsomia) is relay
    lapsed = without("kor-suspension-2019")
    refused = decide(kor_to_jpn("군사 II급 비밀", *TOPICS), lapsed, at("2021-01-01T00:00:00+09:00"))
    assert assured(refused, lapsed, TOPICS, (), refused.at) is refused


def test_the_rules_of_giving_one_are_checked_at_its_signing() -> None:
    agreement, jpn = reference().agreement(GSOMIA), reference().party("JPN")
    assert assurance_problems(JPN, agreement, jpn) == ()
    early = replace(JPN, issued_at=at("2016-01-01T00:00:00+09:00"))
    assert [r.rule for r in assurance_problems(early, agreement, jpn)] == ["R-DEF-3"]

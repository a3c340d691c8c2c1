"""The decision engine against the rulebook's acceptance scenarios (§10)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pactshare.domain import (
    Approval,
    ApprovalKind,
    ClassificationLevel,
    ClassificationScheme,
    Decision,
    Effect,
    EventKind,
    Interpretation,
    Outcome,
    Party,
    Profile,
    Registry,
    Request,
    decide,
)
from pactshare.errors import InputError, PolicyError
from tests.support import (
    GSOMIA,
    SUSPENSION,
    TISA,
    WITHDRAWAL,
    at,
    kor_to_jpn,
    reference,
    with_gsomia_events,
    without,
)


def rules(decision: Decision, effect: Effect | None = None) -> set[str]:
    return {r.rule for r in decision.reasons if effect is None or r.effect is effect}


def texts(decision: Decision) -> str:
    return "\n".join(r.text for r in decision.reasons)


def test_AT_1_last_second_in_history_is_allowed_and_marked_kor_gokuhi() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2019-11-22T23:59:59+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    (hop,) = decision.route
    assert (hop.sender, hop.recipient, hop.agreement) == ("KOR", "JPN", GSOMIA)
    assert hop.marking.text == "KOR / 極秘 (SECRET)"
    assert "R-MARK-1" in rules(decision)


def test_AT_2_without_suspension_midnight_kst_is_refused_directly() -> None:
    registry = without(SUSPENSION)
    for instant in ("2019-11-23T00:00:00+09:00", "2019-11-22T10:00:00-05:00"):
        decision = decide(kor_to_jpn("군사 II급 비밀", "prc-naval"), registry, at(instant))
        assert decision.outcome is Outcome.REFUSED, instant
        assert "R-SURV-1" in rules(decision, Effect.DENY)


def test_AT_2_without_suspension_the_last_second_is_still_allowed() -> None:
    decision = decide(kor_to_jpn(), without(SUSPENSION), at("2019-11-22T23:59:59+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    assert decision.route[0].agreement == GSOMIA


@pytest.mark.parametrize("topic", ["dprk-missile/slbm", "dprk-nuclear"])
def test_AT_3_tisa_relay_offered_for_dprk_nuclear_or_missile(topic: str) -> None:
    decision = decide(
        kor_to_jpn("군사 II급 비밀", topic), without(SUSPENSION), at("2019-11-23T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.RELAY
    assert [(h.sender, h.recipient) for h in decision.route] == [("KOR", "USA"), ("USA", "JPN")]
    assert {h.agreement for h in decision.route} == {TISA}
    assert "R-SURV-1" in rules(decision, Effect.DENY)  # why not directly


@pytest.mark.parametrize("topic", ["prc-naval", "dprk-conventional/artillery"])
def test_AT_3_no_tisa_relay_for_other_topics(topic: str) -> None:
    decision = decide(
        kor_to_jpn("군사 II급 비밀", topic), without(SUSPENSION), at("2019-11-23T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.REFUSED
    assert not decision.alternatives
    assert "R-TISA-2" in rules(decision, Effect.DENY)


def test_AT_3_when_direct_is_allowed_the_relay_is_listed_as_alternative() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2019-11-22T23:59:59+09:00"))
    (alternative,) = decision.alternatives
    assert [h.recipient for h in alternative.hops] == ["USA", "JPN"]


def test_AT_4_with_suspension_midnight_is_allowed() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2019-11-23T00:00:00+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    assert "R-STATE-2" in rules(decision, Effect.PERMIT)


def test_AT_7_interpretations_disagree_and_the_decision_says_so() -> None:
    registry = with_gsomia_events(
        without(WITHDRAWAL), ("resume", EventKind.NOTICE_RESUMPTION, "2021-01-10T12:00:00+09:00")
    )
    when = at("2021-02-01T00:00:00+09:00")
    treaty = decide(kor_to_jpn("군사 II급 비밀", "prc-naval"), registry, when)
    anytime = decide(
        kor_to_jpn("군사 II급 비밀", "prc-naval"),
        registry,
        when,
        Interpretation(Profile.KR_ANYTIME),
    )
    assert treaty.outcome is Outcome.ALLOWED
    assert anytime.outcome is Outcome.REFUSED
    assert treaty.conflict
    assert anytime.conflict
    assert "R-STATE-3" in rules(treaty, Effect.NOTE)


def test_AT_9_before_gsomia_direct_refused_but_tisa_relay_possible() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2016-11-22T12:00:00+09:00"))
    assert decision.outcome is Outcome.RELAY
    assert "R-EIF-1" in rules(decision, Effect.DENY)


def test_AT_9_before_tisa_no_path_at_all() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2014-12-28T23:59:59+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert not decision.route


@pytest.mark.parametrize(
    ("originator", "recipient", "level", "marking"),
    [
        ("JPN", "KOR", "特定秘密", "JPN / 군사 II급 비밀 (SECRET)"),
        ("JPN", "KOR", "秘", "JPN / 군사 III급 비밀 (CONFIDENTIAL)"),
        ("KOR", "JPN", "군사III급비밀", "KOR / 秘 (CONFIDENTIAL)"),
        ("KOR", "JPN", "kor-mil-2", "KOR / 極秘 (SECRET)"),
    ],
)
def test_AT_10_R_CLS_3_recipient_marks_with_its_equivalent(
    originator: str, recipient: str, level: str, marking: str
) -> None:
    request = Request(originator, recipient, level, ("dprk-missile",))
    decision = decide(request, reference(), at("2018-01-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    assert decision.route[0].marking.text == marking


@pytest.mark.parametrize(
    ("originator", "recipient", "level"), [("KOR", "JPN", "군사 I급 비밀"), ("JPN", "KOR", "機密")]
)
def test_AT_11_R_CLS_2_top_secret_class_is_outside_gsomia(
    originator: str, recipient: str, level: str
) -> None:
    request = Request(originator, recipient, level, ("dprk-missile",))
    decision = decide(request, reference(), at("2018-01-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "R-CLS-2" in rules(decision, Effect.DENY)


def test_below_confidential_is_outside_gsomia() -> None:
    decision = decide(
        kor_to_jpn("대외비", "prc-naval"), reference(), at("2018-01-01T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.REFUSED


def _jpn_holds_kor_item(**extra: object) -> Request:
    return Request("KOR", "USA", "kor-mil-2", ("dprk-missile",), holder="JPN", **extra)  # type: ignore[arg-type]


def test_AT_13_R_PRO_1_third_country_release_refused_without_approval() -> None:
    decision = decide(_jpn_holds_kor_item(), reference(), at("2018-01-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "R-PRO-1" in rules(decision, Effect.DENY)


def test_AT_13_prior_written_approval_allows_the_release() -> None:
    approval = Approval("KOR", ApprovalKind.RELEASE, "USA", at("2017-12-01T00:00:00+09:00"))
    decision = decide(
        _jpn_holds_kor_item(approvals=(approval,)), reference(), at("2018-01-01T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.ALLOWED
    (hop,) = decision.route
    assert (hop.sender, hop.recipient) == ("JPN", "USA")
    assert hop.marking.originator == "KOR"


def test_AT_13_approval_recorded_after_the_release_does_not_cure_it() -> None:
    approval = Approval("KOR", ApprovalKind.RELEASE, "USA", at("2018-01-02T00:00:00+09:00"))
    decision = decide(
        _jpn_holds_kor_item(approvals=(approval,)), reference(), at("2018-01-01T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.REFUSED
    assert "does not cure it" in texts(decision)


def test_AT_13_revoked_approval_no_longer_allows() -> None:
    approval = Approval(
        "KOR", ApprovalKind.RELEASE, "USA", at("2017-01-01T00:00:00+09:00"),
        revoked_at=at("2017-06-01T00:00:00+09:00"),
    )  # fmt: skip
    decision = decide(
        _jpn_holds_kor_item(approvals=(approval,)), reference(), at("2018-01-01T00:00:00+09:00")
    )
    assert decision.outcome is Outcome.REFUSED
    assert "revoked" in texts(decision)


def test_AT_13_approval_for_another_item_does_not_count() -> None:
    approval = Approval(
        "KOR", ApprovalKind.RELEASE, "USA", at("2017-01-01T00:00:00+09:00"), item_id="other"
    )
    request = _jpn_holds_kor_item(approvals=(approval,), item_id="this")
    assert decide(request, reference(), at("2018-01-01T00:00:00+09:00")).outcome is Outcome.REFUSED


def test_AT_14_R_PRO_2_other_purpose_refused_without_approval() -> None:
    request = Request(
        "KOR", "JPN", "kor-mil-2", ("dprk-missile",), holder="JPN",
        purpose="export-control-litigation", provided_for="dprk-missile-warning",
    )  # fmt: skip
    decision = decide(request, reference(), at("2018-01-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "R-PRO-2" in rules(decision, Effect.DENY)


def test_AT_14_purpose_approval_allows_the_new_use() -> None:
    approval = Approval(
        "KOR", ApprovalKind.PURPOSE, "export-control-litigation", at("2017-01-01T00:00:00+09:00")
    )
    request = Request(
        "KOR", "JPN", "kor-mil-2", ("dprk-missile",), holder="JPN", approvals=(approval,),
        purpose="export-control-litigation", provided_for="dprk-missile-warning",
    )  # fmt: skip
    assert decide(request, reference(), at("2018-01-01T00:00:00+09:00")).allowed


def test_AT_17_after_termination_third_country_release_still_needs_approval() -> None:
    decision = decide(_jpn_holds_kor_item(), without(SUSPENSION), at("2020-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "R-PRO-1" in rules(decision, Effect.DENY)


def test_AT_22_R_TISA_5_no_direct_jpn_kor_channel_under_tisa() -> None:
    request = Request("JPN", "KOR", "jpn-gokuhi", ("dprk-missile",))
    decision = decide(request, reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.RELAY
    assert "R-TISA-5" in rules(decision, Effect.DENY)
    assert [h.sender for h in decision.route] == ["JPN", "USA"]


def test_AT_23_hub_release_blocked_until_originator_approval() -> None:
    request = Request("JPN", "KOR", "jpn-gokuhi", ("dprk-missile",), holder="USA")
    decision = decide(request, reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "R-TISA-6" in rules(decision, Effect.DENY)


def test_AT_23_with_approval_hub_releases_with_us_equivalent_under_us_rok_1987() -> None:
    approval = Approval("JPN", ApprovalKind.RELEASE, "KOR", at("2015-05-01T00:00:00+09:00"))
    request = Request(
        "JPN", "KOR", "jpn-gokuhi", ("dprk-missile",), holder="USA", approvals=(approval,)
    )
    decision = decide(request, reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    (hop,) = decision.route
    assert (hop.sender, hop.recipient, hop.agreement) == ("USA", "KOR", TISA)
    assert hop.protected_under == "gsomia-usa-kor-1987"
    assert hop.marking.text == "JPN / 군사 II급 비밀 (SECRET)"
    assert "R-TISA-7" in rules(decision, Effect.NOTE)


def test_R_TISA_4_hub_holding_under_tisa_needs_consent_through_any_channel() -> None:
    request = Request(
        "KOR", "JPN", "kor-mil-2", ("dprk-missile",), holder="USA", received_under=TISA
    )
    when = at("2016-06-01T00:00:00+09:00")
    refused = decide(request, reference(), when)
    assert refused.outcome is Outcome.REFUSED  # not even through the US–Japan bilateral
    assert {"R-TISA-6", "R-PRO-1"} <= rules(refused, Effect.DENY)
    approval = Approval("KOR", ApprovalKind.RELEASE, "JPN", at("2016-05-01T00:00:00+09:00"))
    allowed = decide(replace(request, approvals=(approval,)), reference(), when)
    assert allowed.outcome is Outcome.ALLOWED
    assert allowed.route[0].agreement == TISA


def test_AT_24_R_TISA_2_relay_outside_dprk_nuclear_missile_is_out_of_scope() -> None:
    request = Request("JPN", "KOR", "jpn-gokuhi", ("prc-naval",))
    decision = decide(request, reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "outside tisa-2014 scope" in texts(decision)


def test_AT_25_relay_is_never_automatic_and_needs_the_originators_consent() -> None:
    decision = decide(kor_to_jpn(), reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.RELAY
    (consent,) = decision.consents
    assert (consent.originator, consent.hub, consent.release_to) == ("KOR", "USA", "JPN")
    assert not consent.on_file
    assert "R-TISA-8" in rules(decision, Effect.NOTE)


def test_AT_26_class_i_relay_refused_by_local_policy_cap_not_treaty() -> None:
    decision = decide(kor_to_jpn("군사 I급 비밀"), reference(), at("2015-06-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.REFUSED
    assert "local policy cap (not a treaty rule)" in texts(decision)


def test_releasable_to_must_name_every_receiving_party() -> None:
    when = at("2015-06-01T00:00:00+09:00")
    barred = decide(kor_to_jpn(releasable_to=("JPN",)), reference(), when)
    assert barred.outcome is Outcome.REFUSED
    assert "not releasable to USA" in texts(barred)
    assert decide(kor_to_jpn(releasable_to=("JPN", "USA")), reference(), when).allowed


def test_unknown_party_level_or_topic_is_a_policy_error() -> None:
    when = at("2018-01-01T00:00:00+09:00")
    with pytest.raises(PolicyError, match="unknown party 'XYZ'"):
        decide(Request("XYZ", "JPN", "x", ("dprk-missile",)), reference(), when)
    with pytest.raises(PolicyError, match="not a classification level of KOR"):
        decide(kor_to_jpn("SECRET"), reference(), when)
    with pytest.raises(PolicyError, match="topic"):
        decide(kor_to_jpn("kor-mil-2", "DPRK Missile!"), reference(), when)


def test_R_PRO_8_return_to_the_originator_is_allowed() -> None:
    request = Request("USA", "USA", "usa-secret", ("dprk-missile",), holder="JPN")
    decision = decide(request, reference(), at("2018-01-01T00:00:00+09:00"))
    assert decision.outcome is Outcome.ALLOWED
    assert "R-PRO-8" in rules(decision, Effect.PERMIT)


def test_R_DEF_2_a_party_with_no_agreement_is_refused() -> None:
    base = reference()
    scheme = ClassificationScheme((ClassificationLevel("deu-geheim", 2, ("GEHEIM",)),))
    germany = Party("DEU", "Germany", "Europe/Berlin", scheme)
    registry = Registry(parties={**base.parties, "DEU": germany}, agreements=base.agreements)
    decision = decide(
        Request("KOR", "DEU", "kor-mil-2", ("dprk-missile",)),
        registry,
        at("2018-01-01T00:00:00+09:00"),
    )
    assert decision.outcome is Outcome.REFUSED
    assert rules(decision) == {"R-DEF-2"}


def test_originator_cannot_be_its_own_recipient() -> None:
    with pytest.raises(PolicyError, match="both the originator and the recipient"):
        decide(
            Request("KOR", "KOR", "kor-mil-2", ("dprk-missile",)),
            reference(),
            at("2018-01-01T00:00:00+09:00"),
        )


def test_a_topic_outside_the_vocabulary_is_bad_input_with_the_nearest_known() -> None:
    """A typo is not a topic that every ``*`` scope covers: it is refused as input, so that
    neither a direct route nor the TISA alternative is silently decided on it."""
    with pytest.raises(PolicyError, match="unknown topic 'dprk-missle'; did you mean dprk-missile"):
        decide(
            kor_to_jpn("군사 II급 비밀", "dprk-missle"),
            reference(),
            at("2019-11-22T12:00:00+09:00"),
        )


def test_prc_naval_is_a_known_topic_that_tisa_does_not_cover() -> None:
    registry = reference()
    assert registry.topics is not None
    assert "prc-naval" in registry.topics
    decision = decide(
        kor_to_jpn("군사 II급 비밀", "prc-naval"),
        without("kor-suspension-2019"),
        at("2019-11-23T00:00:00+09:00"),
    )
    assert not decision.allowed
    assert not decision.alternatives


def test_naive_decision_instant_is_an_input_error() -> None:
    from datetime import datetime  # noqa: PLC0415 - only this test builds a naive instant

    with pytest.raises(InputError):
        decide(kor_to_jpn(), reference(), datetime(2019, 11, 23))

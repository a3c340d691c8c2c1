"""Who may open a holding: R-ACC-1, R-ACC-2, AT-15 and AT-17."""

from __future__ import annotations

from pactshare.domain import Effect, Holding, Person, may_access
from tests.support import at, reference

JPN = reference().party("JPN")
HOLDING = Holding(
    item_id="item-1",
    originator="KOR",
    holder="JPN",
    level=JPN.level("極秘"),
    topics=("dprk-missile/slbm",),
    received_under="gsomia-kor-jpn-2016",
)
WHEN = at("2019-11-22T23:59:59+09:00")


def official(**changes: object) -> Person:
    fields: dict[str, object] = {
        "name": "Sato",
        "party": "JPN",
        "clearance": JPN.level("極秘"),
        "need_to_know": ("dprk-missile",),
    }
    fields.update(changes)
    return Person(**fields)  # type: ignore[arg-type]


def test_AT_15_cleared_official_with_need_to_know_is_granted() -> None:
    decision = may_access(official(), HOLDING, WHEN)
    assert decision.granted
    assert {r.rule for r in decision.reasons} == {"R-ACC-2"}


def test_AT_15_R_ACC_2_right_clearance_without_need_to_know_is_denied() -> None:
    decision = may_access(official(need_to_know=("prc-naval",)), HOLDING, WHEN)
    assert not decision.granted
    assert any("no need to know dprk-missile/slbm" in r.text for r in decision.reasons)


def test_AT_15_R_ACC_1_rank_alone_is_denied() -> None:
    decision = may_access(official(clearance=None, rank="general"), HOLDING, WHEN)
    assert not decision.granted
    assert any(r.rule == "R-ACC-1" and r.effect is Effect.NOTE for r in decision.reasons)


def test_R_ACC_2_clearance_below_the_items_level_is_denied() -> None:
    assert not may_access(official(clearance=JPN.level("秘")), HOLDING, WHEN).granted


def test_R_ACC_2_higher_clearance_covers_a_lower_item() -> None:
    assert may_access(official(clearance=JPN.level("機密")), HOLDING, WHEN).granted


def test_R_CLS_3_tokutei_himitsu_clearance_ranks_with_gokuhi() -> None:
    assert may_access(official(clearance=JPN.level("特定秘密")), HOLDING, WHEN).granted


def test_R_ACC_3_expired_clearance_is_denied() -> None:
    person = official(clearance_expires=at("2019-01-01T00:00:00+09:00"))
    decision = may_access(person, HOLDING, WHEN)
    assert not decision.granted
    assert any(r.rule == "R-ACC-3" for r in decision.reasons)


def test_an_official_of_another_party_is_denied() -> None:
    kor = reference().party("KOR")
    person = Person("Kim", "KOR", kor.level("kor-mil-1"), ("dprk-missile",))
    assert not may_access(person, HOLDING, WHEN).granted


def test_AT_17_R_SURV_1_access_continues_after_the_agreement_terminates() -> None:
    after_termination = at("2020-06-01T00:00:00+09:00")
    assert may_access(official(), HOLDING, after_termination).granted

"""Visits and competent authorities as pure rules (R-VIS-1, R-SEC-1, R-DEF-3): authorities
have effective dates, party files list them, a request is checked at its signing instant, and
a visitor's access stays within the visit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pactshare.domain import Holding
from pactshare.domain.designations import CompetentAuthority, designated
from pactshare.domain.visits import (
    Visit,
    VisitKind,
    VisitState,
    answer_problem,
    request_problems,
    visit_state,
    visitor_access,
)
from pactshare.errors import ScenarioError
from pactshare.scenarios import load_registry
from tests.support import GSOMIA, at, reference

REGISTRY = reference()
KOR, JPN = REGISTRY.party("KOR"), REGISTRY.party("JPN")
ICHIGAYA = "jpn-mod-ichigaya"
VISIT = Visit(
    id="v1",
    kind=VisitKind.CMI_ACCESS,
    agreement_id=GSOMIA,
    visiting="KOR",
    host="JPN",
    from_authority="kor-mnd",
    to_authority="jpn-mod",
    purpose="liaison",
    facility=ICHIGAYA,
    starts=at("2020-02-10T09:00:00+09:00"),
    ends=at("2020-02-12T18:00:00+09:00"),
    topics=("dprk-missile",),
    highest_level="jpn-hi",
    visitors=("Kim",),
    issued_at=at("2020-02-03T10:00:00+09:00"),
)


def test_an_authority_is_designated_from_its_effective_instant_until_its_end() -> None:
    mnd = CompetentAuthority(
        "kor-mnd", "MND", at("2016-11-23T00:00:00+09:00"), at("2030-01-01T00:00:00+09:00")
    )
    assert not designated([mnd], "kor-mnd", at("2016-11-22T23:59:59+09:00"))
    assert designated([mnd], "kor-mnd", at("2016-11-22T15:00:00Z"))  # the same instant in UTC
    assert not designated([mnd], "kor-mnd", at("2030-01-01T00:00:00+09:00"))
    assert not designated([mnd], "kor-army", at("2020-01-01T00:00:00+09:00"))


def test_a_party_file_with_an_authority_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "deu.toml").write_text(
        '[party]\ncode = "DEU"\nname = "Germany"\ntimezone = "Europe/Berlin"\n'
        '[[party.levels]]\nid = "deu-geheim"\nrank = 2\nnames = ["GEHEIM"]\n'
        '[[party.authorities]]\nid = "deu-bmvg"\nname = "BMVg"\n'
        "effective_from = 2020-01-01T00:00:00+01:00\neffective_until = 2019-01-01T00:00:00+01:00\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="ends before it takes effect") as refused:
        load_registry([tmp_path])
    assert refused.value.key == "party.authorities"


def test_a_valid_request_breaks_no_rule_and_each_break_names_its_rule() -> None:
    agreement = REGISTRY.agreement(GSOMIA)
    assert request_problems(VISIT, agreement, KOR, JPN) == ()
    before_gsomia = replace(VISIT, issued_at=at("2016-11-01T00:00:00+09:00"))
    rules = {r.rule for r in request_problems(before_gsomia, agreement, KOR, JPN)}
    assert rules == {"R-DEF-3", "R-EIF-1"}  # no authority designated, no agreement in force
    secret = replace(VISIT, kind=VisitKind.SECURITY_REPRESENTATIVE)
    assert [r.rule for r in request_problems(secret, agreement, KOR, JPN)] == ["R-SEC-1"]


def test_r_vis_1_waits_for_the_host_alone_and_r_sec_1_for_both() -> None:
    assert visit_state(VISIT, {}) == (VisitState.REQUESTED, ("JPN",))
    assert visit_state(VISIT, {"JPN": True}) == (VisitState.APPROVED, ())
    assert answer_problem(VISIT, {}, "KOR") is not None
    security = replace(VISIT, kind=VisitKind.SECURITY_REPRESENTATIVE, highest_level=None)
    assert visit_state(security, {"JPN": True}) == (VisitState.REQUESTED, ("KOR",))
    assert visit_state(security, {"JPN": True, "KOR": True})[0] is VisitState.APPROVED
    assert visit_state(security, {"JPN": True, "KOR": False})[0] is VisitState.REFUSED
    assert answer_problem(security, {"JPN": True}, "KOR") is None


def test_a_visitor_opens_at_or_below_the_visits_level_and_nothing_under_an_r_sec_1_visit() -> None:
    hi, gokuhi = JPN.level("jpn-hi"), JPN.level("jpn-gokuhi")
    during = at("2020-02-11T00:00:00+09:00")
    low = Holding("i1", "JPN", "JPN", hi, ("dprk-missile/slbm",))
    high = Holding("i2", "JPN", "JPN", gokuhi, ("dprk-missile",))
    approved = VisitState.APPROVED

    def decide(visit: Visit, holding: Holding) -> bool:
        return visitor_access(
            visit, approved, hi, visitor="Kim", holding=holding, facility=ICHIGAYA, at=during
        ).granted

    assert decide(VISIT, low)
    assert not decide(VISIT, high)
    elsewhere = visitor_access(
        VISIT, approved, hi, visitor="Kim", holding=low, facility="jpn-base-x", at=during
    )
    assert [r.text for r in elsewhere.reasons] == [
        "i1 is kept at jpn-base-x, not at visit v1's jpn-mod-ichigaya"
    ]
    security = replace(VISIT, kind=VisitKind.SECURITY_REPRESENTATIVE, highest_level=None)
    refused = visitor_access(
        security, approved, None, visitor="Kim", holding=low, facility=ICHIGAYA, at=during
    )
    assert [r.rule for r in refused.reasons] == ["R-SEC-1"]

"""The obligations that come with a receipt (R-PRO-3, R-PRO-4): cited by every allowed
decision, once per receiving party of the route, never by a refusal."""

from __future__ import annotations

from pactshare.domain import Decision, Prepared, decide
from tests.support import at, kor_to_jpn, reference


def _owed(decision: Decision) -> list[tuple[str, str, str]]:
    return [
        (r.rule, r.text.split(" ", 1)[0], r.citation)
        for r in decision.reasons
        if r.rule in ("R-PRO-3", "R-PRO-4")
    ]


def test_a_direct_provision_binds_the_recipient() -> None:
    decision = decide(kor_to_jpn("군사 II급 비밀", "dprk-missile"), Prepared(reference()),
                      at("2019-11-22T23:59:59+09:00"))  # fmt: skip
    assert decision.allowed
    assert _owed(decision) == [
        ("R-PRO-3", "JPN", "gsomia-kor-jpn-2016 Art. 7(5)(c)"),
        ("R-PRO-4", "JPN", "gsomia-kor-jpn-2016 Art. 6(d)"),
    ]


def test_a_relay_binds_the_hub_and_the_recipient_under_the_agreements_protecting_them() -> None:
    decision = decide(kor_to_jpn("군사 II급 비밀", "dprk-missile"), Prepared(reference()),
                      at("2016-09-09T12:00:00+09:00"))  # fmt: skip
    assert decision.allowed
    assert [(rule, who) for rule, who, _ in _owed(decision)] == [
        ("R-PRO-3", "USA"),
        ("R-PRO-4", "USA"),
        ("R-PRO-3", "JPN"),
        ("R-PRO-4", "JPN"),
    ]
    assert {citation for _, _, citation in _owed(decision)} == {
        "gsomia-usa-kor-1987",
        "gsomia-usa-jpn-2007",
    }


def test_a_refusal_owes_nothing() -> None:
    decision = decide(kor_to_jpn("군사 II급 비밀", "prc-naval"), Prepared(reference()),
                      at("2016-09-09T12:00:00+09:00"))  # fmt: skip
    assert not decision.allowed
    assert _owed(decision) == []

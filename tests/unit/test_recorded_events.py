"""Events that change no status: disputes (R-DSP-1: settled by consultation only, protection
continues and decisions say so) and notices of a change in a party's law (R-LAW-2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pactshare.domain import Decision, Event, EventKind, Prepared, Request, decide
from pactshare.domain.authority import JOINT_KINDS, authority_problem
from pactshare.scenarios import load_registry
from tests.support import GSOMIA, at

REQUEST = Request(
    originator="KOR", recipient="JPN", classification="kor-mil-2", topics=("prc-naval",)
)
RAISED = Event("jpn-dispute-2019", EventKind.DISPUTE, at("2019-09-02T10:00:00+09:00"), "JPN")
SETTLED = Event("dispute-settled-2020", EventKind.DISPUTE_SETTLED, at("2020-01-10T00:00:00+09:00"))


def _decisions(*events: Event) -> tuple[Prepared, Prepared]:
    registry = load_registry()
    disputed = registry.agreement(GSOMIA)
    for event in events:
        disputed = disputed.with_event(event)
    return Prepared(registry), Prepared(registry.with_agreement(disputed))


def _without_dispute_notes(decision: Decision) -> Decision:
    return replace(decision, reasons=tuple(r for r in decision.reasons if r.rule != "R-DSP-1"))


def test_an_open_dispute_is_cited_and_changes_nothing_else() -> None:
    plain, disputed = _decisions(RAISED, SETTLED)
    instants = (
        "2019-09-02T09:59:59+09:00",  # before it is raised
        "2019-09-02T10:00:00+09:00",  # raised
        "2019-11-22T23:59:59+09:00",
        "2019-11-23T00:00:00+09:00",
        "2020-01-10T00:00:00+09:00",  # settled
    )
    cited = []
    for moment in instants:
        instant: datetime = at(moment)
        with_dispute = decide(REQUEST, disputed, instant)
        assert _without_dispute_notes(with_dispute) == decide(REQUEST, plain, instant)
        notes = [r for r in with_dispute.reasons if r.rule == "R-DSP-1"]
        cited.append(len(notes))
        for note in notes:
            assert "only by consultation" in note.text
            assert "protection of what was provided continues" in note.text
            assert note.citation == "gsomia-kor-jpn-2016 Art. 20"
    assert cited == [0, 1, 1, 1, 0]


def test_either_party_raises_a_dispute_alone_and_both_settle_it() -> None:
    gsomia = load_registry().agreement(GSOMIA)
    assert authority_problem(gsomia, RAISED) is None
    assert authority_problem(gsomia, replace(RAISED, party="KOR")) is None
    assert authority_problem(gsomia, replace(RAISED, party="USA")) is not None
    assert EventKind.DISPUTE_SETTLED in JOINT_KINDS
    assert "acceptance" in (authority_problem(gsomia, replace(SETTLED, party="KOR")) or "")


def test_a_law_change_notice_is_given_alone_and_changes_no_decision() -> None:
    """R-LAW-2: an unprompted notice of a change in a party's law is recorded with the
    agreement's events; no status and no decision changes."""
    notice = Event(
        "kor-law-2019", EventKind.LAW_CHANGE_NOTICE, at("2019-10-01T00:00:00+09:00"), "KOR"
    )
    plain, noticed = _decisions(notice)
    gsomia = noticed.registry.agreement(GSOMIA)
    assert authority_problem(load_registry().agreement(GSOMIA), notice) is None
    assert notice in gsomia.events
    for moment in ("2019-10-01T00:00:00+09:00", "2019-11-23T00:00:00+09:00"):
        assert decide(REQUEST, noticed, at(moment)) == decide(REQUEST, plain, at(moment))

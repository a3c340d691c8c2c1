"""Amendments by mutual consent carrying terms (R-AMD-1, Art. 21(2), [H]): the versions of
the terms, their invariants, how duration terms move the §5.1 calendar, and decisions before
and after an amendment's instant."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pactshare.cedar import export_registry
from pactshare.domain import (
    DEFAULT_INTERPRETATION,
    AgreementInvalid,
    Amendment,
    EquivalenceRow,
    Event,
    EventKind,
    Outcome,
    Registry,
    Status,
    decide,
    status_at,
)
from pactshare.domain.prepared import Prepared
from pactshare.domain.timelines import compile_timeline
from pactshare.errors import InvariantError, PolicyError
from tests.support import GSOMIA, NOTICE, at, kor_to_jpn, reference, without


def _gsomia_amended(*changes: tuple[str, str, Amendment]) -> Registry:
    """The reference registry, GSOMIA without the 2019 notes, with amendments added."""
    registry = without(NOTICE, "kor-suspension-2019", "kor-withdrawal-2023")
    agreement = registry.agreement(GSOMIA)
    for event_id, when, change in changes:
        event = Event(event_id, EventKind.AMENDMENT, at(when), None, "test", change)
        agreement = agreement.with_event(event)
    return registry.with_agreement(agreement)


def test_R_AMD_1_only_an_amendment_carries_terms() -> None:
    with pytest.raises(InvariantError, match="only an amendment carries amended terms"):
        Event(
            "x", EventKind.SIGNATURE, at("2020-01-01T00:00:00Z"), None, "", Amendment(scope=("*",))
        )
    with pytest.raises(InvariantError, match="at least one term"):
        Amendment()


def test_R_AMD_1_terms_change_from_the_amendment_instant_on() -> None:
    registry = _gsomia_amended(
        ("narrow", "2024-01-01T00:00:00+09:00", Amendment(scope=("dprk-missile",)))
    )
    gsomia = registry.agreement(GSOMIA)
    assert gsomia.scope == ("*",)  # the fields are the terms as signed
    assert gsomia.as_of(at("2023-12-31T23:59:59+09:00")).scope == ("*",)
    assert gsomia.as_of(at("2024-01-01T00:00:00+09:00")).scope == ("dprk-missile",)
    versions = gsomia.versions()
    assert [(v.since, v.event) for v in versions] == [
        (None, None),
        (at("2024-01-01T00:00:00+09:00"), "narrow"),
    ]


def test_R_AMD_1_a_decision_before_the_instant_is_unchanged_after_it_uses_the_new_scope() -> None:
    registry = _gsomia_amended(
        ("narrow", "2024-01-01T00:00:00+09:00", Amendment(scope=("dprk-missile",)))
    )
    request = kor_to_jpn("군사 II급 비밀", "dprk-nuclear")
    engines: tuple[Registry | Prepared, ...] = (registry, Prepared(registry))
    for engine in engines:  # the plain and the compiled engine
        before = decide(request, engine, at("2023-12-31T23:59:59+09:00"))
        after = decide(request, engine, at("2024-01-01T00:00:00+09:00"))
        assert before.outcome is Outcome.ALLOWED
        assert after.outcome is Outcome.RELAY  # no longer directly under GSOMIA
        assert any(
            "outside gsomia-kor-jpn-2016 scope (dprk-missile)" in r.text for r in after.reasons
        )


def test_R_AMD_1_an_amended_table_and_cap_apply_to_decisions() -> None:
    gsomia = reference().agreement(GSOMIA)
    rows = tuple(row for row in gsomia.equivalence if row.label != "SECRET")
    registry = _gsomia_amended(("drop-secret", "2024-06-01T00:00:00Z", Amendment(equivalence=rows)))
    request = kor_to_jpn("군사 II급 비밀", "dprk-missile")
    assert decide(request, registry, at("2024-05-31T00:00:00Z")).outcome is Outcome.ALLOWED
    refused = decide(request, registry, at("2024-06-01T00:00:00Z"))
    assert refused.outcome is Outcome.RELAY  # no longer directly under GSOMIA
    assert any(r.rule == "R-CLS-2" for r in refused.reasons)


def test_R_AMD_1_every_version_meets_the_invariants_with_the_key_at_fault() -> None:
    gsomia = reference().agreement(GSOMIA)
    bad = Event(
        "a",
        EventKind.AMENDMENT,
        at("2024-01-01T00:00:00Z"),
        None,
        "",
        Amendment(scope=("Bad Topic",)),
    )
    with pytest.raises(AgreementInvalid) as caught:
        gsomia.with_event(bad)
    assert caught.value.key == f"events[{len(gsomia.events)}].amendment.scope[0]"
    cap = Event(
        "a",
        EventKind.AMENDMENT,
        at("2024-01-01T00:00:00Z"),
        None,
        "",
        Amendment(classification_cap="NOPE"),
    )
    with pytest.raises(AgreementInvalid, match="'NOPE' is not the label"):
        gsomia.with_event(cap)
    capped = replace(gsomia, classification_cap="SECRET")
    rows = tuple(row for row in gsomia.equivalence if row.label != "SECRET")
    drop = Event(
        "a", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "", Amendment(equivalence=rows)
    )
    with pytest.raises(AgreementInvalid) as dropped:
        capped.with_event(drop)
    assert dropped.value.key == f"events[{len(gsomia.events)}].amendment.equivalence"


def test_R_AMD_1_an_unknown_level_in_an_amended_table_is_a_registry_problem() -> None:
    gsomia = reference().agreement(GSOMIA)
    rows = (EquivalenceRow("SECRET", {"KOR": ("kor-nope",), "JPN": ("jpn-gokuhi",)}),)
    event = Event(
        "a", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "", Amendment(equivalence=rows)
    )
    with pytest.raises(
        PolicyError, match=r"events\[\d+\]\.amendment\.equivalence\[0\]\.KOR: unknown level"
    ):
        reference().with_agreement(gsomia.with_event(event))


def test_R_AMD_1_a_term_length_cannot_be_given_to_an_agreement_without_one() -> None:
    gsomia = reference().agreement(GSOMIA)
    open_ended = replace(gsomia, terms=replace(gsomia.terms, term_years=None, auto_renew=False))
    event = Event(
        "a", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "", Amendment(term_years=2)
    )
    with pytest.raises(AgreementInvalid, match="no fixed term"):
        open_ended.with_event(event)


def test_R_AMD_1_the_running_term_keeps_its_end_and_later_terms_have_the_new_length() -> None:
    registry = _gsomia_amended(("two-years", "2024-03-01T00:00:00+09:00", Amendment(term_years=2)))
    gsomia = registry.agreement(GSOMIA)
    report = status_at(gsomia, at("2024-06-01T00:00:00+09:00"))
    assert report.next_anniversary == at("2024-11-23T00:00:00+09:00")  # the running term
    later = status_at(gsomia, at("2024-12-01T00:00:00+09:00"))
    assert later.term is not None
    assert (later.term.start, later.term.end) == (
        at("2024-11-23T00:00:00+09:00"),
        at("2026-11-23T00:00:00+09:00"),
    )
    assert later.notice_deadline == at("2026-08-25T00:00:00+09:00")


def test_R_AMD_1_an_amendment_at_an_anniversary_gives_the_term_starting_then_the_new_length() -> (
    None
):
    registry = _gsomia_amended(("two-years", "2024-11-23T00:00:00+09:00", Amendment(term_years=2)))
    report = status_at(registry.agreement(GSOMIA), at("2024-11-23T00:00:00+09:00"))
    assert report.next_anniversary == at("2026-11-23T00:00:00+09:00")


def test_R_AMD_1_the_notice_period_in_force_at_receipt_decides_the_deadline() -> None:
    registry = _gsomia_amended(("short", "2024-01-01T00:00:00+09:00", Amendment(notice_days=30)))
    gsomia = registry.agreement(GSOMIA)
    assert status_at(gsomia, at("2024-06-01T00:00:00+09:00")).notice_deadline == at(
        "2024-10-24T00:00:00+09:00"
    )
    # a notice on 1 October 2024 is late under 90 days, on time under 30
    notice = Event("n", EventKind.NOTICE_OF_TERMINATION, at("2024-10-01T00:00:00+09:00"), "KOR")
    report = status_at(gsomia.with_event(notice), at("2024-10-02T00:00:00+09:00"))
    assert report.status is Status.TERMINATION_PENDING
    assert report.terminates_at == at("2024-11-23T00:00:00+09:00")


def test_R_AMD_1_a_running_notice_is_not_moved_and_a_note_says_so() -> None:
    gsomia = without(NOTICE, "kor-suspension-2019", "kor-withdrawal-2023").agreement(GSOMIA)
    notice = Event("n", EventKind.NOTICE_OF_TERMINATION, at("2025-08-30T00:00:00+09:00"), "KOR")
    change = Amendment(term_years=3, notice_days=10)
    amendment = Event("a", EventKind.AMENDMENT, at("2025-09-01T00:00:00+09:00"), None, "", change)
    agreement = gsomia.with_event(notice).with_event(amendment)  # late: rolls over to 2026
    report = status_at(agreement, at("2025-09-02T00:00:00+09:00"))
    assert report.terminates_at == at("2026-11-23T00:00:00+09:00")
    assert any(
        n.rule == "R-AMD-1" and "keeps its termination instant" in n.text for n in report.notes
    )


def test_R_AMD_1_amendment_instants_are_timeline_breakpoints() -> None:
    registry = _gsomia_amended(
        ("narrow", "2024-01-01T00:00:00+09:00", Amendment(scope=("dprk-missile",)))
    )
    timeline = compile_timeline(registry.agreement(GSOMIA), DEFAULT_INTERPRETATION)
    assert timeline.at(at("2024-01-01T00:00:00+09:00")).agreement.scope == ("dprk-missile",)
    assert timeline.at(at("2023-12-31T23:59:59+09:00")).agreement.scope == ("*",)


def test_R_AMD_1_without_an_amendment_a_later_one_may_break_the_invariants() -> None:
    gsomia = reference().agreement(GSOMIA)
    rows = (*gsomia.equivalence, EquivalenceRow("EXTRA", {"KOR": ("kor-mil-1",)}))
    first = Event(
        "a1", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "", Amendment(equivalence=rows)
    )
    second = Event(
        "a2",
        EventKind.AMENDMENT,
        at("2025-01-01T00:00:00Z"),
        None,
        "",
        Amendment(classification_cap="EXTRA"),
    )
    agreement = gsomia.with_event(first).with_event(second)
    with pytest.raises(PolicyError, match="without a1"):
        agreement.without_event("a1")


def test_AT_26_a_local_cap_holds_in_every_version_over_an_amendments_cap() -> None:
    gsomia = reference().agreement(GSOMIA)
    capped = Amendment(classification_cap="SECRET")
    event = Event("a", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "", capped)
    amended = gsomia.with_event(event)
    assert amended.as_of(at("2024-06-01T00:00:00Z")).classification_cap == "SECRET"
    local = replace(amended, classification_cap="CONFIDENTIAL", cap_is_local=True)
    assert local.as_of(at("2024-06-01T00:00:00Z")).classification_cap == "CONFIDENTIAL"
    removed = replace(amended, classification_cap=None, cap_is_local=True)
    assert removed.as_of(at("2024-06-01T00:00:00Z")).classification_cap is None
    rows = tuple(row for row in gsomia.equivalence if row.label != "CONFIDENTIAL")
    drop = Event("d", EventKind.AMENDMENT, at("2025-01-01T00:00:00Z"), None, "", Amendment(rows))
    with pytest.raises(AgreementInvalid, match="the local cap 'CONFIDENTIAL'") as caught:
        local.with_event(drop)
    assert caught.value.key == "classification_cap"


def test_R_AMD_1_the_cedar_export_holds_the_terms_in_force_at_its_instant() -> None:
    registry = _gsomia_amended(
        ("narrow", "2024-01-01T00:00:00+09:00", Amendment(scope=("dprk-missile",)))
    )

    def scope(when: str) -> object:
        entities = export_registry(registry, at(when), DEFAULT_INTERPRETATION).entities
        [found] = [e for e in entities if e["uid"] == {"type": "Agreement", "id": GSOMIA}]
        return found["attrs"]["scope"]

    assert scope("2023-12-31T23:59:59+09:00") == [{"__entity": {"type": "Topic", "id": "*"}}]
    assert scope("2024-01-01T00:00:00+09:00") == [
        {"__entity": {"type": "Topic", "id": "dprk-missile"}}
    ]


def test_R_AMD_1_a_label_is_short_text_without_control_characters() -> None:
    """A row's label goes into markings (R-MARK-1) and listings: a peer's amendment carries
    labels too, so they are bounded like every other text from a peer."""
    levels = {"KOR": ("kor-mil-2",), "JPN": ("jpn-secret",)}
    assert EquivalenceRow("TOP SECRET", levels).label == "TOP SECRET"
    for label, problem in (
        ("S" * 65, "1 to 64 characters"),
        (" ", "1 to 64 characters"),
        ("S\x1b[2J", "control characters"),
        ("S\x00", "control characters"),
    ):
        with pytest.raises(InvariantError, match=problem):
            EquivalenceRow(label, levels)


def test_R_AMD_1_agreement_show_prints_a_label_as_written_not_as_markup() -> None:
    """Labels come from peers' amendments: ``agreement show`` prints them literally (a label
    ``[/]`` was read as console markup and ended the command with a traceback)."""
    from pactshare.cli.render import console, print_agreement  # noqa: PLC0415 - the CLI's

    signed = reference().agreement(GSOMIA)
    rows = tuple(replace(row, label=f"[/]{row.label}") for row in signed.equivalence)
    amended = signed.with_event(
        Event("amend", EventKind.AMENDMENT, at("2024-01-01T00:00:00Z"), None, "t", Amendment(rows))
    )
    with console.capture() as captured:
        print_agreement(amended)
    assert "[/]SECRET" in captured.get()

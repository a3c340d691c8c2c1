"""``pactshare.proofs``: the properties proved of the reference registry, and a counterexample
for each deliberately broken agreement file, which the plain engine (``decide`` on the bare
registry) confirms independently."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pactshare.domain import Amendment, Event, EventKind, Outcome, Registry, decide
from pactshare.domain.topics import covers
from pactshare.errors import PolicyError
from pactshare.proofs import ProofsUnavailableError, verify
from pactshare.proofs.properties import RULEBOOK_SCOPES, Counterexample, Verdict
from pactshare.proofs.translation import micros
from pactshare.scenarios import load_registry
from pactshare.scenarios.loader import Source, read_sources, registry_from_sources

REFERENCE = load_registry()
TERMINATION = "no-direct-provision-after-termination"
CONSENT = "no-relay-without-consent"
MARKING = "no-marking-below-equivalent"
SCOPE = "no-topic-outside-scope"


def _verdicts(registry: Registry) -> dict[str, Verdict]:
    return {verdict.claim.id: verdict for verdict in verify(registry)}


def _edited(*edits: tuple[str, str, str]) -> Registry:
    """The reference registry with text replaced in its files: (file name, old, new)."""
    sources = []
    for source in read_sources([]):
        text = source.text
        for name, old, new in edits:
            if source.name.endswith(f"/{name}"):
                assert old in text
                text = text.replace(old, new)
        sources.append(Source(source.name, text))
    return registry_from_sources(sources)


def _found(registry: Registry, claim: str) -> Counterexample:
    """The counterexample of ``claim``: the only property that fails."""
    verdicts = _verdicts(registry)
    assert [v.claim.id for v in verdicts.values() if not v.proved] == [claim]
    found = verdicts[claim].counterexample
    assert found is not None
    assert found.confirmed
    return found


def test_every_property_is_proved_of_the_reference_registry() -> None:
    verdicts = _verdicts(REFERENCE)
    assert list(verdicts) == [TERMINATION, CONSENT, MARKING, SCOPE]
    assert all(verdict.proved for verdict in verdicts.values())
    assert all(verdict.checked > 0 for verdict in verdicts.values())


def test_R_SURV_1_termination_is_proved_on_the_counterfactual_without_the_suspension() -> None:
    """The recorded GSOMIA never terminates; without Seoul's suspension it ends at midnight on
    23 November 2019, and from then on no direct KOR→JPN provision is possible: the property
    is checked on that registry itself, not only on its what-ifs."""
    registry = REFERENCE.without_events(["kor-suspension-2019"])
    verdict = _verdicts(registry)[TERMINATION]
    assert verdict.proved
    assert verdict.checked > 0


def test_R_SURV_1_a_timeline_where_direct_provision_survives_termination() -> None:
    """GSOMIA terminated by mutual consent in 2024, then in force again by a second entry into
    force in 2025: after the termination instant a direct route exists again."""
    last = '[S36][S38]"\n'
    events = """
[[agreement.events]]
id = "termination-2024"
kind = "termination"
at = 2024-01-01T00:00:00+09:00

[[agreement.events]]
id = "entry-into-force-2025"
kind = "entry_into_force"
at = 2025-01-01T00:00:00+09:00
"""
    registry = _edited(("gsomia-kor-jpn-2016.toml", last, last + events))
    found = _found(registry, TERMINATION)
    assert found.subject == "gsomia-kor-jpn-2016"
    assert found.at == datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
    # The engine, asked on its own, provides directly after the termination instant.
    decision = decide(found.request, registry, found.at, found.interpretation)
    assert decision.outcome is Outcome.ALLOWED
    assert [hop.agreement for hop in decision.route] == ["gsomia-kor-jpn-2016"]


def test_R_TISA_2_a_widened_tisa_scope_carries_prc_naval_items() -> None:
    registry = _edited(
        ("tisa-2014.toml", 'scope = ["dprk-nuclear", "dprk-missile"]',
         'scope = ["dprk-nuclear", "dprk-missile", "prc-naval"]'),
    )  # fmt: skip
    found = _found(registry, SCOPE)
    assert found.subject == "tisa-2014"
    assert found.request.topics == ("prc-naval",)
    decision = decide(found.request, registry, found.at, found.interpretation)
    assert decision.allowed
    assert {hop.agreement for hop in decision.route} == {"tisa-2014"}
    assert not covers(RULEBOOK_SCOPES["tisa-2014"], found.request.topics[0])


def test_R_MARK_1_an_equivalence_row_mapping_a_level_lower_is_found() -> None:
    """Japan's CONFIDENTIAL equivalent of KOR Class III lowered to 取扱注意 (below it)."""
    registry = _edited(
        ("gsomia-kor-jpn-2016.toml", 'JPN = ["jpn-hi"]', 'JPN = ["jpn-toriatsukai-chui"]')
    )
    found = _found(registry, MARKING)
    assert found.request.classification == "kor-mil-3"
    decision = decide(found.request, registry, found.at, found.interpretation)
    assert decision.outcome is Outcome.ALLOWED
    assert [hop.marking.level for hop in decision.route] == ["jpn-toriatsukai-chui"]


CONSENT_OFF = ("relay_needs_originator_consent = true", "relay_needs_originator_consent = false")
THIRD_PARTY_OFF = (
    "third_party_release_needs_approval = true",
    "third_party_release_needs_approval = false",
)


def test_R_TISA_6_without_tisas_consent_rule_the_us_rok_agreement_still_guards_the_release() -> (
    None
):
    """R-PRO-1 of the US–ROK agreement (a release to Japan, a third country to it) asks for
    the same written approval: the hub still needs it."""
    assert _verdicts(_edited(("tisa-2014.toml", *CONSENT_OFF)))[CONSENT].proved


def test_R_TISA_6_a_hub_releasing_through_its_own_bilateral_without_consent_is_found() -> None:
    """With the US bilaterals' third-party rule off, TISA's consent still guards the hub's
    leg under TISA, but not the hub's release under its own agreement with Japan."""
    registry = _edited(
        ("gsomia-usa-kor-1987.toml", *THIRD_PARTY_OFF),
        ("gsomia-usa-jpn-2007.toml", *THIRD_PARTY_OFF),
    )
    found = _found(registry, CONSENT)
    assert (found.request.holder, found.request.approvals) == ("USA", ())
    decision = decide(found.request, registry, found.at, found.interpretation)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.route[0].sender == "USA"
    assert "tisa-2014" not in {hop.agreement for hop in decision.route}


def test_the_earliest_counterexample_is_reported() -> None:
    """The solver picks the earliest instant: TISA's entry into force, 29 December 2014."""
    registry = _edited(
        ("tisa-2014.toml", 'scope = ["dprk-nuclear", "dprk-missile"]', 'scope = ["*"]')
    )
    found = _found(registry, SCOPE)
    assert micros(found.at) == micros(registry.agreement("tisa-2014").events[-1].at)


def test_without_z3_verify_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("pactshare.proofs.properties", "pactshare.proofs.translation"):
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "z3", None)  # what an absent module looks like to import
    with pytest.raises(ProofsUnavailableError, match=r"pip install 'pactshare\[proofs\]'"):
        verify(REFERENCE)


def test_a_registry_without_a_topic_vocabulary_is_not_proved_vacuously() -> None:
    """Built in code without one, it takes any well-formed topic: nothing to quantify over."""
    with pytest.raises(PolicyError, match="no topic vocabulary"):
        verify(replace(REFERENCE, topics=None))


def test_R_AMD_1_an_event_a_later_amendment_needs_is_no_what_if() -> None:
    """Dropping an amendment a later one builds on (a cap among the labels only the first
    one's table has) gives no valid registry: that what-if is passed over, as ``check
    --drop-event`` refuses it, instead of failing the whole verification."""
    gsomia = REFERENCE.agreement("gsomia-kor-jpn-2016")
    rows = tuple(replace(row, label=f"{row.label}-2024") for row in gsomia.equivalence)
    when = datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
    table = Event("amend-table", EventKind.AMENDMENT, when, None, "t", Amendment(rows))
    cap = Amendment(classification_cap=rows[-1].label)
    later = Event("amend-cap", EventKind.AMENDMENT, when.replace(year=2025), None, "t", cap)
    registry = REFERENCE.with_agreement(gsomia.with_event(table).with_event(later))
    with pytest.raises(PolicyError, match="amend-table"):
        registry.without_events(["amend-table"])
    verdicts = _verdicts(registry)
    assert list(verdicts) == [TERMINATION, CONSENT, MARKING, SCOPE]
    assert all(verdict.proved for verdict in verdicts.values())

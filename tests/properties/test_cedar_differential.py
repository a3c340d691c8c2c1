"""Differential tests: :func:`pactshare.domain.decide` against an independent Cedar policy set.

For random registries, readings, instants and requests, our engine and Cedar (the policies of
:mod:`pactshare.cedar`, evaluated by ``cedarpy``) must agree on allowed-or-relay versus
refused. A disagreement is shrunk by hypothesis to a minimal registry and request.

What the translation does not model, the generator does not produce: items carry at most
``MAX_TOPICS`` topics (Cedar has no "for all", so topics are fixed slots).
"""

from __future__ import annotations

import json
from datetime import datetime

import cedarpy
import pytest
from hypothesis import given, note, settings

from pactshare.cedar import cedar_request, export_registry, policy_set_json, policy_text, statuses
from pactshare.domain import (
    Decision,
    Interpretation,
    Prepared,
    Registry,
    Request,
    decide,
    decide_many,
)
from tests.properties.conftest import examples
from tests.strategies import registries, scenarios


def _cedar_allows(
    registry: Registry, interpretation: Interpretation, pairs: list[tuple[datetime, Request]]
) -> list[tuple[Decision, bool, str]]:
    exports: list[tuple[Registry, cedarpy.PolicySet, cedarpy.Entities, set[tuple[str, str]]]] = []
    results = []
    for index, (at, request) in enumerate(pairs):
        terms = registry.as_of(at)  # an export holds the terms in force at one instant (R-AMD-1)
        found = next((e for e in exports if e[0] == terms), None)
        if found is None:
            export = export_registry(registry, at, interpretation)
            found = (
                terms,
                cedarpy.PolicySet.from_str(export.policies),
                cedarpy.Entities.from_json_str(json.dumps(export.entities)),
                {(e["uid"]["type"], e["uid"]["id"]) for e in export.entities},
            )
            exports.append(found)
        _, policies, base, known = found
        ours = decide(request, registry, at, interpretation)
        translated = cedar_request(
            request,
            registry,
            at,
            interpretation,
            item_id=f"item-{index}",
            status=statuses(registry, at, interpretation),
        )
        entities = base.with_added_json_str(json.dumps(translated.entities_beyond(known)))
        answer = cedarpy.is_authorized(translated.request, policies, entities)
        assert not answer.diagnostics.errors, answer.diagnostics.errors
        results.append((ours, answer.allowed, ",".join(answer.diagnostics.reasons)))
    return results


def _explain(decision: Decision, cedar: bool, why: str) -> str:
    reasons = "\n".join(f"  {r.effect} {r.rule}: {r.text}" for r in decision.reasons)
    return f"decide: {decision.outcome}, cedar: {'allow' if cedar else 'deny'} ({why})\n{reasons}"


@pytest.mark.slow
@settings(max_examples=examples(100, 100))
@given(scenarios(onward=False))
def test_originator_provision_agrees_with_cedar(
    scenario: tuple[Registry, Interpretation, list[tuple[datetime, Request]]],
) -> None:
    registry, interpretation, pairs = scenario
    for (at, request), (ours, cedar, why) in zip(
        pairs, _cedar_allows(registry, interpretation, pairs), strict=True
    ):
        note(f"at {at.isoformat()}: {request}")
        assert ours.allowed == cedar, _explain(ours, cedar, why)


@pytest.mark.slow
@settings(max_examples=examples(100, 100))
@given(scenarios(onward=True))
def test_onward_release_agrees_with_cedar(
    scenario: tuple[Registry, Interpretation, list[tuple[datetime, Request]]],
) -> None:
    registry, interpretation, pairs = scenario
    for (at, request), (ours, cedar, why) in zip(
        pairs, _cedar_allows(registry, interpretation, pairs), strict=True
    ):
        note(f"at {at.isoformat()}: {request}")
        assert ours.allowed == cedar, _explain(ours, cedar, why)


@pytest.mark.slow
@settings(max_examples=examples(100, 50))
@given(scenarios(onward=True))
def test_decide_many_makes_the_same_decisions_as_decide(
    scenario: tuple[Registry, Interpretation, list[tuple[datetime, Request]]],
) -> None:
    registry, interpretation, pairs = scenario
    at = pairs[0][0]
    # each request twice, interleaved, so that the batch reuses what it built for the first
    batch = [request for _, request in pairs]
    batch = [*batch, *reversed(batch)]
    expected = [decide(request, registry, at, interpretation) for request in batch]
    assert decide_many(batch, registry, at, interpretation) == expected


@pytest.mark.slow
@settings(max_examples=examples(80, 30))
@given(scenarios(onward=True, count=12))
def test_decide_on_a_prepared_registry_matches_the_bare_registry(
    scenario: tuple[Registry, Interpretation, list[tuple[datetime, Request]]],
) -> None:
    """A prepared registry keeps the timelines it compiled: each request, asked at every
    instant of the scenario against one Prepared, gets what the bare registry (prepared
    afresh for each decision) gives."""
    registry, interpretation, pairs = scenario
    prepared = Prepared(registry)
    for at, _ in pairs:
        for _, request in pairs:
            assert decide(request, prepared, at, interpretation) == decide(
                request, registry, at, interpretation
            )


@pytest.mark.slow
@settings(max_examples=examples(100, 30))
@given(registries())
def test_the_json_policy_set_is_the_text_policy_set_under_our_ids(registry: Registry) -> None:
    """policies.json and policies.cedar are one policy set: Cedar's own conversion of the text
    gives, policy by policy, the JSON we write; only the ids differ (policyN against ours)."""
    converted = json.loads(cedarpy.policies_to_json_str(policy_text(registry)))["staticPolicies"]
    ours = policy_set_json(registry)["staticPolicies"]
    assert list(ours.values()) == list(converted.values())
    assert list(ours) == [policy["annotations"]["id"] for policy in converted.values()]

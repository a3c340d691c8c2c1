"""Decision engine benchmarks: ``decide`` against Cedar's ``is_authorized``, ``decide_many``
against ``is_authorized_batch``, and ``status_at`` against a naive day-by-day walk.

Same process, same requests: a fixed, seeded mix of originator provisions on the reference
scenario (every ordered pair of parties, every level, DPRK and non-DPRK topics, instants
along the 2016–2023 timeline). Our side makes full decisions, with reasons and routes; Cedar
gets the equivalent policy set (``pactshare.cedar``) and entities parsed once, as handles,
with each request translated beforehand (translation is not timed).
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime
from pathlib import Path

import cedarpy

from harness import Figure, main, measure_rate
from pactshare.cedar import cedar_request, policy_text, registry_entities, statuses
from pactshare.domain import (
    DEFAULT_INTERPRETATION,
    Registry,
    Request,
    decide,
    decide_many,
    parse_instant,
    status_at,
)
from pactshare.scenarios import load_registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.properties
from tests.properties.reference_lifecycle import reference_status

INSTANTS = (
    "2016-11-22T12:00:00+09:00",
    "2017-06-01T00:00:00+09:00",
    "2019-08-23T16:00:00+09:00",
    "2019-11-22T23:59:59+09:00",
    "2019-11-23T00:00:00+09:00",
    "2021-01-10T12:00:00+09:00",
    "2023-03-21T09:00:00+09:00",
    "2024-11-23T00:00:00+09:00",
)
TOPICS = ("dprk-missile/slbm", "dprk-nuclear", "prc-naval", "dprk-conventional")
BATCH_INSTANT = "2019-11-22T23:59:59+09:00"


def _requests(registry: Registry, count: int, seed: int = 2019) -> list[Request]:
    rng = random.Random(seed)
    codes = sorted(registry.parties)
    result = []
    for _ in range(count):
        sender, recipient = rng.sample(codes, 2)
        level = rng.choice(registry.parties[sender].scheme.levels)
        topics = tuple(rng.sample(TOPICS, rng.choice((1, 1, 2))))
        releasable = () if rng.random() < 0.7 else tuple(rng.sample(codes, 2))
        result.append(Request(sender, recipient, level.id, topics, releasable_to=releasable))
    return result


def _cedar_inputs(
    registry: Registry, pairs: list[tuple[datetime, Request]]
) -> tuple[cedarpy.PolicySet, cedarpy.Entities, list[dict[str, object]]]:
    """The policy set and all entities parsed once, and each request translated."""
    entities = registry_entities(registry)
    known = {(e["uid"]["type"], e["uid"]["id"]) for e in entities}
    requests = []
    status_cache: dict[datetime, dict[str, str]] = {}
    for index, (at, request) in enumerate(pairs):
        status = status_cache.setdefault(at, statuses(registry, at, DEFAULT_INTERPRETATION))
        translated = cedar_request(
            request, registry, at, DEFAULT_INTERPRETATION, item_id=f"i{index}", status=status
        )
        fresh = translated.entities_beyond(known)
        known.update((e["uid"]["type"], e["uid"]["id"]) for e in fresh)
        entities.extend(fresh)
        requests.append(translated.request)
    # Originator provisions only, so the onward-release policies are left out: the smallest
    # equivalent policy set is Cedar's fastest.
    policies = cedarpy.PolicySet.from_str(policy_text(registry, onward=False))
    return policies, cedarpy.Entities.from_json_str(json.dumps(entities)), requests


def _check_agreement(
    registry: Registry,
    pairs: list[tuple[datetime, Request]],
    policies: cedarpy.PolicySet,
    entities: cedarpy.Entities,
    requests: list[dict[str, object]],
) -> None:
    answers = cedarpy.is_authorized_batch(requests, policies, entities)
    for (at, request), answer in zip(pairs, answers, strict=True):
        ours = decide(request, registry, at, DEFAULT_INTERPRETATION)
        if ours.allowed != answer.allowed:
            raise SystemExit(f"decide and Cedar disagree on {request} at {at}")


def run(quick: bool) -> list[Figure]:
    registry = load_registry()
    count = 300 if quick else 2000
    runs = 3 if quick else 7
    instants = [parse_instant(text, what="bench") for text in INSTANTS]
    rng = random.Random(7)
    pairs = [(rng.choice(instants), request) for request in _requests(registry, count)]
    policies, entities, cedar_requests = _cedar_inputs(registry, pairs)
    _check_agreement(registry, pairs, policies, entities, cedar_requests)

    def ours_one() -> None:
        for at, request in pairs:
            decide(request, registry, at, DEFAULT_INTERPRETATION)

    def cedar_one() -> None:
        for cedar_req in cedar_requests:
            cedarpy.is_authorized(cedar_req, policies, entities)

    batch_at = parse_instant(BATCH_INSTANT, what="bench")
    batch = [request for _, request in pairs]
    b_policies, b_entities, b_requests = _cedar_inputs(registry, [(batch_at, r) for r in batch])

    def ours_batch() -> None:
        decide_many(batch, registry, batch_at, DEFAULT_INTERPRETATION)

    def cedar_batch() -> None:
        cedarpy.is_authorized_batch(b_requests, b_policies, b_entities)

    gsomia = registry.agreement("gsomia-kor-jpn-2016")
    moments = [parse_instant(text, what="bench") for text in INSTANTS]
    status_ops = len(moments) * (20 if quick else 60)

    def ours_status() -> None:
        for _ in range(status_ops // len(moments)):
            for at in moments:
                status_at(gsomia, at, DEFAULT_INTERPRETATION)

    def naive_status() -> None:
        for at in moments:
            reference_status(gsomia, at, DEFAULT_INTERPRETATION)

    return [
        Figure(
            "decide, one at a time",
            "decisions/s",
            measure_rate(ours_one, ops=len(pairs), runs=runs),
            "cedarpy is_authorized (handles)",
            measure_rate(cedar_one, ops=len(pairs), runs=runs),
            5.0,
            ">= 5x",
        ),
        Figure(
            "decide_many, one batch",
            "decisions/s",
            measure_rate(ours_batch, ops=len(batch), runs=runs),
            "cedarpy is_authorized_batch",
            measure_rate(cedar_batch, ops=len(batch), runs=runs),
            10.0,
            ">= 10x",
        ),
        Figure(
            "status_at (GSOMIA, 2016-2024)",
            "statuses/s",
            measure_rate(ours_status, ops=status_ops, runs=runs),
            "naive day-by-day walk",
            measure_rate(naive_status, ops=len(moments), runs=runs),
            None,
            "O(events), not O(days)",
        ),
    ]


if __name__ == "__main__":
    main(run)

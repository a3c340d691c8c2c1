"""Decision engine benchmarks: ``decide`` against Cedar's ``is_authorized``, ``decide_many``
against ``is_authorized_batch``, ``decide`` on a generated registry of 200 parties and 1,000
agreements against ``decide`` on the reference one, and ``status_at`` against a naive
day-by-day walk.

Same process, same requests: a fixed, seeded mix of originator provisions on the reference
scenario (every ordered pair of parties, every level, DPRK and non-DPRK topics, instants
along the 2016–2023 timeline). Our side makes full decisions, with reasons and routes; Cedar
gets the equivalent policy set (``pactshare.cedar``) and entities parsed once, as handles,
with each request translated beforehand (translation is not timed).
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cedarpy
from bench.harness import Figure, Rate, main

from pactshare.cedar import cedar_request, policy_text, registry_entities, statuses
from pactshare.domain import (
    DEFAULT_INTERPRETATION,
    Agreement,
    AgreementKind,
    ClassificationLevel,
    ClassificationScheme,
    EquivalenceRow,
    Event,
    EventKind,
    Party,
    Prepared,
    Registry,
    Request,
    Terms,
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
#: Status instants from one to forty years after entry into force: the naive walk's cost
#: grows with the days walked, status_at's with the events only.
STATUS_INSTANTS = (
    "2017-06-01T00:00:00+09:00",
    "2019-11-23T00:00:00+09:00",
    "2023-03-21T09:00:00+09:00",
    "2036-11-23T00:00:00+09:00",
    "2056-11-22T23:59:59+09:00",
)


def _paired(
    ours: Callable[[], object],
    baseline: Callable[[], object],
    *,
    ops: tuple[int, int],
    runs: int,
) -> tuple[Rate, Rate]:
    """Rates of ``ours`` and ``baseline`` (each doing ``ops`` operations per call), timed in
    alternation after a warm-up of each, so that both see the same load on a shared machine
    (the harness's ``measure_rate`` times one side's runs back to back)."""
    ours(), baseline()
    rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for side, (work, count) in enumerate(((ours, ops[0]), (baseline, ops[1]))):
            start = time.perf_counter()
            work()
            rates[side].append(count / (time.perf_counter() - start))
    ours_rate, base_rate = (Rate(statistics.median(r), min(r), max(r)) for r in rates)
    return ours_rate, base_rate


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


def _generated(party_count: int, agreement_count: int, seed: int = 14) -> Registry:
    """A large synthetic registry: parties with three levels each, and bilaterals between
    random pairs, each in force from a random instant of 2012–2021, a third of them given
    notice of termination a year to five years later."""
    rng = random.Random(seed)
    letters = string.ascii_uppercase
    codes = ["".join(code) for code in itertools.product(letters, repeat=3)][:party_count]
    parties = {
        code: Party(
            code=code,
            name=f"Party {code}",
            timezone="UTC",
            scheme=ClassificationScheme(
                tuple(
                    ClassificationLevel(id=f"{code.lower()}-{i}", rank=i + 1, names=(f"L{i}",))
                    for i in range(3)
                )
            ),
        )
        for code in codes
    }
    agreements = {}
    for number in range(agreement_count):
        a, b = rng.sample(codes, 2)
        entry = datetime(2012, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(3650))
        events = [Event(f"g{number}-entry", EventKind.ENTRY_INTO_FORCE, entry)]
        if rng.random() < 1 / 3:
            notice = entry + timedelta(days=rng.randrange(365, 1826))
            events.append(Event(f"g{number}-notice", EventKind.NOTICE_OF_TERMINATION, notice, a))
        rows = tuple(
            EquivalenceRow(f"ROW{i}", {a: (f"{a.lower()}-{i}",), b: (f"{b.lower()}-{i}",)})
            for i in range(3)
        )
        years = rng.choice((None, 1, 3))
        agreements[f"gen-{number}"] = Agreement(
            id=f"gen-{number}",
            title=f"Agreement {number}",
            kind=AgreementKind.BILATERAL,
            parties=(a, b),
            terms=Terms("UTC", years, auto_renew=years is not None, notice_days=90),
            equivalence=rows,
            scope=rng.choice((("*",), ("dprk-missile", "dprk-nuclear"))),
            events=tuple(events),
        )
    return Registry(parties=parties, agreements=agreements)


def _generated_requests(registry: Registry, count: int, seed: int = 2020) -> list[Request]:
    """Requests between the parties of random agreements, either way."""
    rng = random.Random(seed)
    agreements = list(registry.agreements.values())
    result = []
    for _ in range(count):
        sender, recipient = rng.sample(rng.choice(agreements).parties, 2)
        level = rng.choice(registry.parties[sender].scheme.levels)
        topics = tuple(rng.sample(TOPICS, rng.choice((1, 1, 2))))
        result.append(Request(sender, recipient, level.id, topics))
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
        # the context pre-serialised, so that cedarpy passes it straight to the engine
        requests.append(
            {**translated.request, "context": json.dumps(translated.request["context"])}
        )
    # Originator provisions only, so the onward-release policies are left out: the smallest
    # equivalent policy set is Cedar's fastest.
    policies = cedarpy.PolicySet.from_str(policy_text(registry, onward=False))
    return policies, cedarpy.Entities.from_json_str(json.dumps(entities)), requests


def _check_agreement(
    prepared: Prepared,
    pairs: list[tuple[datetime, Request]],
    policies: cedarpy.PolicySet,
    entities: cedarpy.Entities,
    requests: list[dict[str, object]],
) -> None:
    answers = cedarpy.is_authorized_batch(requests, policies, entities)
    for (at, request), answer in zip(pairs, answers, strict=True):
        ours = decide(request, prepared, at, DEFAULT_INTERPRETATION)
        if ours.allowed != answer.allowed:
            raise SystemExit(f"decide and Cedar disagree on {request} at {at}")


def run(quick: bool) -> list[Figure]:
    registry = load_registry()
    prepared = Prepared(registry)  # as a node holds it: timelines compiled once, then shared
    count = 300 if quick else 2000
    runs = 3 if quick else 7
    instants = [parse_instant(text, what="bench") for text in INSTANTS]
    rng = random.Random(7)
    pairs = [(rng.choice(instants), request) for request in _requests(registry, count)]
    policies, entities, cedar_requests = _cedar_inputs(registry, pairs)
    _check_agreement(prepared, pairs, policies, entities, cedar_requests)

    def ours_one() -> None:
        for at, request in pairs:
            decide(request, prepared, at, DEFAULT_INTERPRETATION)

    def cedar_one() -> None:
        for cedar_req in cedar_requests:
            cedarpy.is_authorized(cedar_req, policies, entities)

    batch_at = parse_instant(BATCH_INSTANT, what="bench")
    batch = [request for _, request in pairs]
    b_policies, b_entities, b_requests = _cedar_inputs(registry, [(batch_at, r) for r in batch])

    def ours_batch() -> None:
        decide_many(batch, prepared, batch_at, DEFAULT_INTERPRETATION)

    def cedar_batch() -> None:
        cedarpy.is_authorized_batch(b_requests, b_policies, b_entities)

    gsomia = registry.agreement("gsomia-kor-jpn-2016")
    moments = [parse_instant(text, what="bench") for text in STATUS_INSTANTS]
    status_ops = len(moments) * (20 if quick else 60)

    def ours_status() -> None:
        for _ in range(status_ops // len(moments)):
            for at in moments:
                status_at(gsomia, at, DEFAULT_INTERPRETATION)

    def naive_status() -> None:
        for at in moments:
            reference_status(gsomia, at, DEFAULT_INTERPRETATION)

    large = Prepared(_generated(200, 1000))
    large_pairs = [
        (rng.choice(instants), request) for request in _generated_requests(large.registry, count)
    ]

    def ours_large() -> None:
        for at, request in large_pairs:
            decide(request, large, at, DEFAULT_INTERPRETATION)

    one = _paired(ours_one, cedar_one, ops=(len(pairs), len(pairs)), runs=runs)
    many = _paired(ours_batch, cedar_batch, ops=(len(batch), len(batch)), runs=runs)
    status = _paired(ours_status, naive_status, ops=(status_ops, len(moments)), runs=runs)
    scale = _paired(ours_large, ours_one, ops=(len(large_pairs), len(pairs)), runs=runs)
    return [
        Figure(
            "decide, one at a time",
            "decisions/s",
            one[0],
            "cedarpy is_authorized (handles)",
            one[1],
            10.0,
            ">= 10x",
        ),
        Figure(
            "decide_many, one batch",
            "decisions/s",
            many[0],
            "cedarpy is_authorized_batch",
            many[1],
            20.0,
            ">= 20x",
        ),
        Figure(
            "decide, 200 parties and 1,000 agreements",
            "decisions/s",
            scale[0],
            "decide on the reference registry",
            scale[1],
            0.5,
            ">= 0.5x",
        ),
        Figure(
            "status_at (GSOMIA, at 1 to 40 years)",
            "statuses/s",
            status[0],
            "naive day-by-day walk",
            status[1],
            None,
            "O(events), not O(days)",
        ),
    ]


if __name__ == "__main__":
    main(run)

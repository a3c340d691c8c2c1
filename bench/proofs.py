"""Proofs over all instants: ``verify`` on the reference registry (every instant, request and
reading, and the termination property on every registry one event short) beside what a
sampled check of the same registry costs: ``decide`` for every originator, holder,
recipient and level at every breakpoint of every timeline and a microsecond either side,
under the same four readings, for one DPRK item (the compiled engine, one batch per instant).

The figure is verifications per second against sampled sweeps per second (target: a proof
costs no more than one sweep, a ratio of at least 1). Run alone: ``python bench/proofs.py
[--quick]``.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, interleaved, main

from pactshare.domain import Prepared, Registry, Request, decide_many
from pactshare.domain.timelines import compile_timeline
from pactshare.proofs import verify
from pactshare.proofs.properties import INTERPRETATIONS
from pactshare.scenarios import load_registry

_NUDGES = (timedelta(microseconds=-1), timedelta(0), timedelta(microseconds=1))


def _sweep(registry: Registry) -> None:
    """Every case at every breakpoint (±1 µs) under every reading, as a sampled check would."""
    prepared = Prepared(registry)
    parties = sorted(registry.parties)
    requests = [
        Request(originator, recipient, level.id, ("dprk-missile",), holder=holder)
        for originator in parties
        for level in registry.parties[originator].scheme.levels
        for holder in parties
        for recipient in parties
        if recipient != holder
    ]
    for reading in INTERPRETATIONS:
        points = {
            point + nudge
            for agreement in registry.agreements.values()
            for point in compile_timeline(agreement, reading).points
            for nudge in _NUDGES
        }
        for at in sorted(points):
            decide_many(requests, prepared, at, reading)


def run(quick: bool) -> list[Figure]:
    registry = load_registry()
    rates = interleaved(
        {"verify": lambda: verify(registry), "sweep": lambda: _sweep(registry)},
        ops=1,
        runs=3 if quick else 7,
    )
    return [
        Figure(
            "verify-agreements, reference registry (all instants)",
            "proofs/s",
            rates["verify"],
            "decide every case at every breakpoint ±1 µs",
            rates["sweep"],
            1.0,
            ">= 1x (a proof <= one sampled sweep)",
        )
    ]


if __name__ == "__main__":
    main(run)

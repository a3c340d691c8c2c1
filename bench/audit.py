"""Audit log benchmark: proofs must grow as log n; ``verify_log`` against raw SHA-256.

Inclusion-proof generation and verification are timed at 10⁴ … 10⁶ entries (10⁵ with
``--quick``), each against the same operation at 10³ entries, the two timed in alternation so
that both see the same load on a shared machine. Pure log n
growth would give a ratio of log2(1000)/log2(n) (0.75 at 10⁴, 0.60 at 10⁵, 0.50 at 10⁶); the
target allows half of that (memory effects of a large log), and anything linear in n would
miss it by orders of magnitude. ``verify_log`` (recompute every node, check heads and every
stored node) is compared with one bare SHA-256 per entry: it hashes about twice per entry.

Run: ``python bench/audit.py [--quick]``.
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Rate, main, measure_rate
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pactshare.audit import (
    MemoryLog,
    TreeHead,
    inclusion_proof,
    leaf_hash,
    sign_head,
    verify_inclusion,
    verify_log,
)

BASE = 1_000
PROOFS = 5_000
HEAD_EVERY = 1_000


def _build(size: int) -> MemoryLog:
    log = MemoryLog()
    for index in range(size):
        log.append(b"audit entry %d" % index)
    return log


def _paired(
    ours: Callable[[], object], base: Callable[[], object], *, ops: int, rounds: int = 7
) -> tuple[Rate, Rate]:
    """Time ``ours`` and ``base`` alternately, so that both see the same machine load."""
    ours()
    base()
    ours_rates, base_rates = [], []
    for _ in range(rounds):
        ours_rates.append(measure_rate(ours, ops=ops, runs=1, warmup=0).median)
        base_rates.append(measure_rate(base, ops=ops, runs=1, warmup=0).median)
    return _rate(ours_rates), _rate(base_rates)


def _rate(rates: list[float]) -> Rate:
    return Rate(median=statistics.median(rates), low=min(rates), high=max(rates))


def _proof_work(log: MemoryLog) -> tuple[Callable[[], None], Callable[[], None]]:
    """Generate, and verify, inclusion proofs of the same random entries of ``log``."""
    size = log.size
    chooser = random.Random(size)
    indexes = [chooser.randrange(size) for _ in range(PROOFS)]
    root = log.root()
    leaves = [leaf_hash(log.entry(index)) for index in indexes]
    proofs = [inclusion_proof(index, size, log.node) for index in indexes]

    def generate() -> None:
        for index in indexes:
            inclusion_proof(index, size, log.node)

    def verify() -> None:
        for leaf, index, proof in zip(leaves, indexes, proofs, strict=True):
            verify_inclusion(leaf, index, size, proof, root)

    return generate, verify


def _verify_rates(log: MemoryLog) -> tuple[Rate, Rate]:
    """verify_log entries per second, and one bare SHA-256 per entry, measured in turn."""
    key = Ed25519PrivateKey.generate()
    at = datetime(2026, 11, 23, tzinfo=UTC)
    heads = [
        sign_head(TreeHead(size, log.root(size), at), key, "node")
        for size in range(HEAD_EVERY, log.size + 1, HEAD_EVERY)
    ]
    entries = [log.entry(index) for index in range(log.size)]
    nodes = list(log.nodes())

    def verify() -> None:
        report = verify_log(entries, heads, key.public_key(), nodes)
        if not report.ok:
            raise AssertionError(report.problems)

    def sha256_each() -> None:
        for entry in entries:
            hashlib.sha256(entry).digest()

    return _paired(verify, sha256_each, ops=len(entries), rounds=5)


def run(quick: bool) -> list[Figure]:
    sizes = [10**4, 10**5] if quick else [10**4, 10**5, 10**6]
    base_generate, base_verify = _proof_work(_build(BASE))
    figures = []
    verify_size = 10**4 if quick else 10**5
    for size in sizes:
        log = _build(size)
        generate, verify = _proof_work(log)
        expected = math.log2(BASE) / math.log2(size)
        for what, ours_work, base_work in (
            ("inclusion proof generation", generate, base_generate),
            ("inclusion proof verification", verify, base_verify),
        ):
            ours, base = _paired(ours_work, base_work, ops=PROOFS)
            figures.append(
                Figure(
                    figure=f"{what} at {size:,} entries",
                    unit="proofs/s",
                    ours=ours,
                    baseline_name=f"same at {BASE:,} entries",
                    baseline=base,
                    target_ratio=expected / 2,
                    target=f"≥ {expected / 2:.2f}x (log n: {expected:.2f}x)",
                )
            )
        if size == verify_size:
            verified, hashed = _verify_rates(log)
            figures.append(
                Figure(
                    figure=f"verify_log at {size:,} entries (all nodes, heads every 1,000)",
                    unit="entries/s",
                    ours=verified,
                    baseline_name="one SHA-256 per entry",
                    baseline=hashed,
                    target_ratio=0.2,
                    target="≥ 0.20x (≈2 hashes/entry)",
                )
            )
    return figures


if __name__ == "__main__":
    main(run)

"""Audit log benchmark: proofs must grow as log n; ``verify_log`` against raw SHA-256.

Inclusion-proof generation and verification are timed at 10⁴ … 10⁶ entries (10⁵ with
``--quick``), each against the same operation at 10³ entries, the two timed in alternation so
that both see the same load on a shared machine. Pure log n
growth would give a ratio of log2(1000)/log2(n) (0.75 at 10⁴, 0.60 at 10⁵, 0.50 at 10⁶); the
target allows half of that (memory effects of a large log), and anything linear in n would
miss it by orders of magnitude. ``verify_log`` (recompute every node, check heads and every
stored node) is compared with one bare SHA-256 per entry: it hashes about twice per entry.

``pactshare audit verify`` is run on a node whose log holds 10⁶ entries (10⁵ with ``--quick``),
appended by a direct bulk insert (valid entries, their perfect nodes, a signed head every
10,000), in a child process: its peak RSS beside the same command on a log of 1,000 entries
(what the command takes whatever the log; the target is the issue's ≤ 100 MB, so the target
ratio is that baseline over 100 MB), and its entries per second beside a bare Python process
reading the same entries from the database and hashing each once.

Run: ``python bench/audit.py [--quick]``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Rate, Ticking, main, measure_rate
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from pactshare.audit import (
    Entry,
    EntryKind,
    MemoryLog,
    TreeHead,
    inclusion_proof,
    leaf_hash,
    node_hash,
    sign_head,
    verify_inclusion,
    verify_log,
)
from pactshare.audit.merkle import fold
from pactshare.node.service import Node, init_node
from pactshare.store.schema import audit_entries, audit_heads, audit_nodes

BASE = 1_000
PROOFS = 5_000
HEAD_EVERY = 1_000
STORED_HEAD_EVERY = 10_000
BATCH = 50_000
TIME = "/usr/bin/time"  # GNU time, for a child's peak RSS
START = datetime(2026, 12, 2, tzinfo=UTC)
# The least a verifier does: read every entry from the database and hash it once.
BARE_READ = """import hashlib, sqlite3, sys
count = 0
for (data,) in sqlite3.connect(sys.argv[1]).execute("SELECT data FROM audit_entries"):
    hashlib.sha256(data).digest()
    count += 1
print(count)
"""


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


def _stored_log(root: Path, size: int) -> Path:
    """A node whose log holds ``size`` entries: those of its creation, then valid entries
    appended by a bulk insert with their perfect nodes and a signed head every 10,000."""
    clock = Ticking(START)
    home = init_node(root, party="KOR", at=clock())
    node = Node(home, clock=clock)
    details = {"recipient": "JPN", "reasons": ["gsomia-kor-jpn-2016 is in force"] * 3}
    template = Entry(EntryKind.DECISION, START, "KOR", "item-00000000", details).to_bytes()
    Entry.from_bytes(template.replace(b"00000000", b"%08d" % size))  # still a valid entry
    with node.db.atomic() as tx:
        first = [bytes(d) for d in tx.execute(select(audit_entries.c.data)).scalars()]
    edge: list[bytes] = []
    entries: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    heads: list[dict[str, object]] = []
    for position in range(size):
        data = (
            first[position]
            if position < len(first)
            else template.replace(b"00000000", b"%08d" % position)
        )
        merged = leaf_hash(data)
        completed = [(0, position, merged)]
        level, index = 0, position
        while index & 1:
            merged = node_hash(edge.pop(), merged)
            level, index = level + 1, index >> 1
            completed.append((level, index, merged))
        edge.append(merged)
        if position >= len(first):
            entries.append({"position": position, "kind": "decision", "at": START, "data": data})
            nodes += [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in completed]
        if (position + 1) % STORED_HEAD_EVERY == 0 or position + 1 == size:
            head = sign_head(
                TreeHead(position + 1, fold(edge), START), node.keys.signing_key,
                node.keys.signing_key_id,
            )  # fmt: skip
            heads.append({"size": position + 1, "head": head.to_json(), "signed_at": START})
        if len(entries) >= BATCH or position + 1 == size:
            with node.db.atomic() as tx:
                for table, rows in ((audit_entries, entries), (audit_nodes, nodes),
                                    (audit_heads, heads)):  # fmt: skip
                    if rows:
                        tx.execute(insert(table), rows)
            entries, nodes, heads = [], [], []
    node.close()
    return root


def _child(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; its wall time (s), its peak RSS (MB) and what it printed.

    The peak is what GNU time reports (``%M``): a child forked from this process would
    count this process's memory as its own (Linux keeps the high-water mark across fork and
    exec), a child of ``time`` only that small program's.
    """
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [TIME, "-f", "%M", *command], capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {done.stderr.decode()[-2000:]}")
    peak = int(done.stderr.decode().split()[-1])  # KiB
    return elapsed, peak / 1024, done.stdout.decode()


def _verify_stored(home: Path, size: int) -> tuple[Rate, Rate]:
    """``pactshare audit verify`` of a stored log of ``size`` entries in a child process:
    its peak RSS (MB) and entries per second."""
    command = [sys.executable, "-m", "pactshare", "audit", "verify", "--json", "--home", str(home)]
    elapsed, peak, output = _child(command)
    report = json.loads(output)
    if not report["ok"] or report["size"] != size:
        raise AssertionError(report)  # a benchmark that verifies wrongly is void
    return _once(peak), _once(size / elapsed)


def _once(value: float) -> Rate:
    return Rate(median=value, low=value, high=value)


def _stored_figures(quick: bool) -> list[Figure]:
    """Peak RSS and rate of ``pactshare audit verify`` at 10⁶ entries (10⁵ with --quick)."""
    size = 10**5 if quick else 10**6
    with tempfile.TemporaryDirectory() as folder:
        small = _stored_log(Path(folder) / "small", BASE)
        large = _stored_log(Path(folder) / "large", size)
        base_peak, _ = _verify_stored(small, BASE)
        peak, rate = _verify_stored(large, size)
        elapsed, _, output = _child([sys.executable, "-c", BARE_READ, str(large / "node.db")])
        if int(output) != size:
            raise AssertionError(output)
    return [
        Figure(
            figure=f"audit verify, {size:,} stored entries: peak RSS (SQLite)",
            unit="MB",
            ours=peak,
            baseline_name=f"same command, {BASE:,} entries",
            baseline=base_peak,
            target_ratio=base_peak.median / 100,
            target="≤ 100 MB",
            lower_is_better=True,
        ),
        Figure(
            figure=f"audit verify, {size:,} stored entries, whole command (SQLite)",
            unit="entries/s",
            ours=rate,
            baseline_name="bare Python: read each entry, SHA-256 it",
            baseline=_once(size / elapsed),
            target_ratio=None,
            target="(no target)",
        ),
    ]


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
    return [*figures, *_stored_figures(quick)]


if __name__ == "__main__":
    main(run)

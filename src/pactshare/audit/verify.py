"""Verify a whole log: recompute it from its entries, check every signed head and stored node.

:func:`verify_log` is pure: the store reads the rows and passes them in. It recomputes every
leaf hash and every perfect node from the entry bytes, then

1. checks each signed tree head's signature, and its root against the recomputed root at its
   size (a head that verifies proves the first ``size`` entries are exactly as committed);
2. if the stored perfect nodes are given, compares each with its recomputation: stored leaf
   hashes are the per-entry record of what was appended, so they localise a change to the
   exact entry and tell a changed entry from a removed, inserted or reordered one;
3. reports entries after the last signed head as not yet covered (not a failure by itself);
4. checks every *attested* head — one a witness cosigned, kept by the node or answered by the
   witness now — against the entries at its size: a witness's head larger than the log means
   the log was rolled back, another root at its size that it was rewritten. Unlike the node's
   own heads, which an operator can re-sign after rewriting the entries, an attested head is
   held by someone else.

Whom to blame is decided by the signed heads: where a head that verifies covers an entry, the
entry is authentic and a disagreeing stored node is what was altered; beyond the heads, the
stored nodes are the only record, and a disagreement is reported against the entry.

When only heads are available, a change is localised to the window between the last head that
still verifies and the first that does not (``position`` … ``last_position``); heads signed
often make that window small.

What is found is data (:mod:`pactshare.audit.report`); the comparison with the stored nodes
(step 2) is :mod:`pactshare.audit._stored`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import pairwise

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare.audit._stored import by_level, compare_interior, compare_leaves, report_stray
from pactshare.audit.heads import SignedTreeHead, verify_head
from pactshare.audit.merkle import LEAF_PREFIX, NODE_PREFIX, root_at
from pactshare.audit.report import Problem, ProblemKind, VerifyReport, problem_order
from pactshare.audit.tree import PerfectNode
from pactshare.errors import InvalidTreeHeadError

__all__ = ["Problem", "ProblemKind", "VerifyReport", "verify_log"]


def verify_log(
    entries: Sequence[bytes],
    heads: Sequence[SignedTreeHead],
    public_key: Ed25519PublicKey,
    stored_nodes: Iterable[PerfectNode] | None = None,
    attested: Sequence[tuple[str, SignedTreeHead]] = (),
) -> VerifyReport:
    """Recompute the log from ``entries`` (leaf data, in order) and check it; see the module.

    ``stored_nodes`` are the perfect nodes the store persisted (any order); pass them to
    localise changes to the exact entry. ``attested`` are heads others hold, each with who
    holds it, for messages ("the head USA cosigned"). Nothing is raised for a tampered log:
    the report says what and where (:meth:`VerifyReport.raise_for_problems` turns it into an
    error).
    """
    levels = _recompute(entries)
    size = len(entries)
    problems: list[Problem] = []
    checked = _check_heads(heads, public_key, levels, size, problems)
    covered = max((h.size for h, good in checked if good), default=0)

    entry_problem = None
    if stored_nodes is not None:
        stored, stray = by_level(stored_nodes, size)
        entry_problem = compare_leaves(levels[0], stored.get(0, []), covered)
        if entry_problem is not None:
            problems.append(entry_problem)
        limit = size if entry_problem is None else entry_problem.position or 0
        problems.extend(compare_interior(levels, stored, limit))
        problems.extend(report_stray(stray))
    for problem in _localise_by_heads(checked, size):
        if not _explains(entry_problem, problem):
            problems.append(problem)

    problems.extend(_check_attested(attested, public_key, levels, size))

    signed_sizes = [head.size for head, _ in checked]
    if size > max(signed_sizes, default=0):
        first = max(signed_sizes, default=0)
        problems.append(
            Problem(
                ProblemKind.UNCOVERED,
                f"entries {first}…{size - 1} are not yet covered by a signed tree head",
                position=first,
                last_position=size - 1,
            )
        )
    return VerifyReport(
        size=size,
        root=root_at(size, lambda level, index: levels[level][index]),
        heads_verified=sum(1 for _, good in checked if good),
        covered=covered,
        problems=tuple(sorted(problems, key=problem_order)),
    )


def _recompute(entries: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect node, level by level, from the entry bytes (about 2n hashes)."""
    sha256 = hashlib.sha256
    level = [sha256(LEAF_PREFIX + data).digest() for data in entries]
    levels = [level]
    while len(level) > 1:
        level = [
            sha256(NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        levels.append(level)
    return levels


def _check_heads(
    heads: Sequence[SignedTreeHead],
    public_key: Ed25519PublicKey,
    levels: list[list[bytes]],
    size: int,
    problems: list[Problem],
) -> list[tuple[SignedTreeHead, bool]]:
    """Validly signed heads, by size, each with whether the entries match its root."""
    checked: list[tuple[int, SignedTreeHead, bool]] = []
    for number, head in enumerate(heads):
        try:
            verify_head(head, public_key)
        except InvalidTreeHeadError:
            problems.append(
                Problem(
                    ProblemKind.BAD_SIGNATURE,
                    f"tree head #{number} (size {head.size}) has a signature that does not "
                    "verify with the node's key: it was forged or altered",
                    head=number,
                )
            )
            continue
        good = head.size <= size and head.root == root_at(
            head.size, lambda level, index: levels[level][index]
        )
        checked.append((number, head, good))
    checked.sort(key=lambda item: (item[1].size, item[0]))
    for (first_number, first, _), (second_number, second, _) in pairwise(checked):
        if first.size == second.size and first.root != second.root:
            problems.append(
                Problem(
                    ProblemKind.HEAD_CONFLICT,
                    f"tree heads #{first_number} and #{second_number} are both signed for "
                    f"size {first.size} with different roots: the log forked",
                    head=second_number,
                )
            )
        elif second.size > first.size and second.head.timestamp < first.head.timestamp:
            problems.append(
                Problem(
                    ProblemKind.HEAD_CONFLICT,
                    f"tree head #{second_number} (size {second.size}) is dated before "
                    f"#{first_number} (size {first.size}): heads must not go back in time",
                    head=second_number,
                )
            )
    return [(head, good) for _, head, good in checked]


def _check_attested(
    attested: Sequence[tuple[str, SignedTreeHead]],
    public_key: Ed25519PublicKey,
    levels: list[list[bytes]],
    size: int,
) -> list[Problem]:
    """Each head another party holds must be a head of these very entries."""
    problems = []
    for holder, head in attested:
        try:
            verify_head(head, public_key)
        except InvalidTreeHeadError:
            message = (
                f"{holder} (size {head.size}) has a signature that does not verify with the "
                "node's key: it was forged or altered, or the node's key was replaced"
            )
            problems.append(Problem(ProblemKind.BAD_SIGNATURE, message))
            continue
        if head.size > size:
            message = (
                f"{holder} commits to {head.size} entries but only {size} are stored: the log "
                f"was rolled back (entries {size}…{head.size - 1} are missing)"
            )
            problems.append(
                Problem(ProblemKind.REMOVED, message, position=size, last_position=head.size - 1)
            )
        elif head.root != root_at(head.size, lambda level, index: levels[level][index]):
            message = (
                f"the entries differ from {holder} (size {head.size}): the log was rewritten "
                f"before entry {head.size} (the node's own heads may have been re-signed)"
            )
            problems.append(
                Problem(ProblemKind.DIVERGED, message, position=0, last_position=head.size - 1)
            )
    return problems


def _localise_by_heads(checked: list[tuple[SignedTreeHead, bool]], size: int) -> list[Problem]:
    """The window between the last head that verifies and the first that does not after it.

    A head that fails below the largest head that verifies is not a change of the entries
    but a second history the node signed: it is reported as a conflict.
    """
    good_sizes = {head.size for head, good in checked if good}
    last_good = max(good_sizes, default=0)
    problems = [
        Problem(
            ProblemKind.HEAD_CONFLICT,
            f"a signed tree head for size {head.size} does not match the entries, which the "
            f"signed head for size {last_good} verifies: the node signed two histories",
        )
        for head, good in checked
        if not good and head.size < last_good and head.size not in good_sizes
    ]
    bad = [head for head, good in checked if not good and head.size > last_good]
    if not bad:
        return problems
    first_bad = bad[0]
    also = f" ({len(bad) - 1} later heads fail too)" if len(bad) > 1 else ""
    if first_bad.size > size:
        kind = ProblemKind.REMOVED
        last = size
        what = f"a signed tree head commits to {first_bad.size} entries but only {size} are stored"
    else:
        kind = ProblemKind.DIVERGED
        last = first_bad.size - 1
        what = f"the entries differ from the signed tree head at size {first_bad.size}"
    where = f"at entry {last_good}" if last_good == last else f"in entries {last_good}…{last}"
    problems.append(
        Problem(
            kind,
            f"{what}; the first difference is {where}, after the last head that still "
            f"verifies (size {last_good}){also}",
            position=last_good,
            last_position=last,
        )
    )
    return problems


def _explains(entry_problem: Problem | None, window: Problem) -> bool:
    """Whether the entry problem found from stored nodes lies in the heads' window."""
    if entry_problem is None or entry_problem.position is None or window.position is None:
        return False
    if entry_problem.kind in (ProblemKind.NODE_CHANGED, ProblemKind.NODE_MISSING):
        return False
    last = window.position if window.last_position is None else window.last_position
    return window.position <= entry_problem.position <= last

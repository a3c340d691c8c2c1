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

The log is read once, in order (:func:`verify_stream`): the entries a chunk of ``2**10`` at a
time, whose perfect nodes are recomputed and compared with the stored ones; above the chunks
the tree is kept as its right edge (one hash per level, RFC 9162's compact range), and the root
at each head's size is taken as the entries pass it. Memory holds a chunk, a window of stored
rows per level and the heads, never the whole log.

What is found is data (:mod:`pactshare.audit.report`); the comparison with the stored nodes
(step 2) is :mod:`pactshare.audit._stored`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import islice, pairwise

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare.audit._stored import Comparison, NodesInMemory, StoredNodes
from pactshare.audit.heads import SignedTreeHead, verify_head
from pactshare.audit.merkle import EMPTY_ROOT, LEAF_PREFIX, NODE_PREFIX, fold, node_hash
from pactshare.audit.report import Problem, ProblemKind, VerifyReport, problem_order
from pactshare.audit.tree import PerfectNode
from pactshare.errors import InputError, InvalidTreeHeadError

__all__ = ["Problem", "ProblemKind", "StoredNodes", "VerifyReport", "verify_log", "verify_stream"]

CHUNK_LEVEL = 10
"""Entries are recomputed ``2**CHUNK_LEVEL`` at a time: every perfect node within a chunk
in one go, the ones above it on the tree's right edge."""


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
    error). A log read from storage goes through :func:`verify_stream` instead.
    """
    stored = None if stored_nodes is None else NodesInMemory(stored_nodes)
    return verify_stream(entries, len(entries), heads, public_key, stored=stored, attested=attested)


def verify_stream(
    entries: Iterable[bytes],
    size: int,
    heads: Sequence[SignedTreeHead],
    public_key: Ed25519PublicKey,
    *,
    stored: StoredNodes | None = None,
    attested: Sequence[tuple[str, SignedTreeHead]] = (),
) -> VerifyReport:
    """:func:`verify_log` in one pass over ``entries``, which yields exactly ``size`` entries,
    with the stored nodes read a window at a time: memory does not grow with the log."""
    problems: list[Problem] = []
    signed = _signed_heads(heads, public_key, problems)
    held = [(holder, head, _signs(head, public_key)) for holder, head in attested]
    wanted = {head.size for _, head in signed} | {head.size for _, head, good in held if good}
    comparison = None if stored is None else Comparison(stored, size)
    tree = _Recomputation(size, sorted(wanted), comparison)
    tree.run(entries)
    checked = _check_heads(signed, tree.roots, size, problems)
    covered = max((h.size for h, good in checked if good), default=0)

    entry_problem = None
    if comparison is not None:
        entry_problem, found = comparison.problems(covered)
        problems.extend(found)
    for problem in _localise_by_heads(checked, size):
        if not _explains(entry_problem, problem):
            problems.append(problem)

    problems.extend(_check_attested(held, tree.roots, size))

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
        root=tree.root,
        heads_verified=sum(1 for _, good in checked if good),
        covered=covered,
        problems=tuple(sorted(problems, key=problem_order)),
    )


class _Recomputation:
    """One pass over the entries: the perfect nodes recomputed a chunk at a time and compared
    with the stored ones, the roots at the ``wanted`` sizes, and the root of the whole log."""

    def __init__(self, size: int, wanted: list[int], comparison: Comparison | None) -> None:
        self._size = size
        self._wanted = [s for s in wanted if 0 < s <= size]  # ascending
        self._next = 0  # the first of them not passed yet
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}
        self.root = EMPTY_ROOT
        self._edge: list[bytes] = []  # whole chunks so far, as perfect subtrees, largest first
        self._comparison = comparison

    def run(self, entries: Iterable[bytes]) -> None:
        source = iter(entries)
        chunk = 1 << CHUNK_LEVEL
        tail: list[bytes] = []
        for start in range(0, self._size, chunk):
            data = list(islice(source, min(chunk, self._size - start)))
            if len(data) != min(chunk, self._size - start):
                raise InputError(f"a log of {self._size} entries ended after {start + len(data)}")
            tail = self._chunk(start, data)
        if next(source, None) is not None:
            raise InputError(f"a log of {self._size} entries went on after them")
        self.root = fold([*self._edge, *tail])
        if self._comparison is not None:
            self._comparison.finish()

    def _chunk(self, start: int, data: list[bytes]) -> list[bytes]:
        """Recompute, compare and take the roots wanted in one chunk; return its perfect
        subtrees when it is the last, partial one."""
        sha256 = hashlib.sha256
        level = [sha256(LEAF_PREFIX + entry).digest() for entry in data]
        levels = [level]
        while len(level) > 1:
            level = [
                sha256(NODE_PREFIX + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            levels.append(level)
        if self._comparison is not None:
            self._comparison.chunk(start, levels)
        wanted, end = self._wanted, start + len(data)
        while self._next < len(wanted) and wanted[self._next] <= end:
            at = wanted[self._next]
            self.roots[at] = fold([*self._edge, *_subtrees(levels, at - start)])
            self._next += 1
        if len(data) < 1 << CHUNK_LEVEL:
            return _subtrees(levels, len(data))
        hashed, height, index = levels[-1][0], CHUNK_LEVEL, start >> CHUNK_LEVEL
        while index & 1:
            hashed = node_hash(self._edge.pop(), hashed)
            height += 1
            index >>= 1
            if self._comparison is not None:
                self._comparison.node(height, index, hashed)
        self._edge.append(hashed)
        return []


def _subtrees(levels: list[list[bytes]], count: int) -> list[bytes]:
    """The perfect subtrees over the first ``count`` entries of a chunk, largest first."""
    found, offset = [], 0
    for level in reversed(range(count.bit_length())):
        if count >> level & 1:
            found.append(levels[level][offset >> level])
            offset += 1 << level
    return found


def _signs(head: SignedTreeHead, public_key: Ed25519PublicKey) -> bool:
    try:
        verify_head(head, public_key)
    except InvalidTreeHeadError:
        return False
    return True


def _signed_heads(
    heads: Sequence[SignedTreeHead], public_key: Ed25519PublicKey, problems: list[Problem]
) -> list[tuple[int, SignedTreeHead]]:
    """The heads whose signature verifies, each with its number; a problem for each other."""
    signed = []
    for number, head in enumerate(heads):
        if _signs(head, public_key):
            signed.append((number, head))
            continue
        problems.append(
            Problem(
                ProblemKind.BAD_SIGNATURE,
                f"tree head #{number} (size {head.size}) has a signature that does not "
                "verify with the node's key: it was forged or altered",
                head=number,
            )
        )
    return signed


def _check_heads(
    signed: list[tuple[int, SignedTreeHead]],
    roots: dict[int, bytes],
    size: int,
    problems: list[Problem],
) -> list[tuple[SignedTreeHead, bool]]:
    """Validly signed heads, by size, each with whether the entries match its root."""
    checked = [
        (number, head, head.size <= size and head.root == roots[head.size])
        for number, head in signed
    ]
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
    held: Sequence[tuple[str, SignedTreeHead, bool]], roots: dict[int, bytes], size: int
) -> list[Problem]:
    """Each head another party holds must be a head of these very entries."""
    problems = []
    for holder, head, signs in held:
        if not signs:
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
        elif head.root != roots[head.size]:
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

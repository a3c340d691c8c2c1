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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare.audit.heads import SignedTreeHead, verify_head
from pactshare.audit.merkle import LEAF_PREFIX, NODE_PREFIX, root_at
from pactshare.audit.tree import PerfectNode
from pactshare.errors import InvalidTreeHeadError, LogTamperedError

__all__ = ["Problem", "ProblemKind", "VerifyReport", "verify_log"]


class ProblemKind(StrEnum):
    """What is wrong, as far as the evidence tells."""

    CHANGED = "changed"  # one entry's bytes differ from what was appended
    REMOVED = "removed"  # an entry (or the tail) is missing
    INSERTED = "inserted"  # an entry was added that the log did not append
    REORDERED = "reordered"  # two entries swapped places
    DIVERGED = "diverged"  # entries differ from a signed head; how cannot be told
    NODE_CHANGED = "node-changed"  # a stored node differs while the entries are authentic
    NODE_MISSING = "node-missing"  # a perfect node the log must have stored is absent
    BAD_SIGNATURE = "bad-signature"  # a tree head's signature does not verify
    HEAD_CONFLICT = "head-conflict"  # two validly signed heads contradict each other
    UNCOVERED = "uncovered"  # entries after the last signed head (not yet committed)


@dataclass(frozen=True)
class Problem:
    """One finding: its kind, where, and a message a person can act on.

    ``position`` is the first entry index concerned; when the evidence only bounds it,
    ``last_position`` is the last index it can be. ``head`` is the index, in the sequence of
    heads given, of the head concerned.
    """

    kind: ProblemKind
    message: str
    position: int | None = None
    last_position: int | None = None
    head: int | None = None

    @property
    def fatal(self) -> bool:
        """Everything but entries awaiting their first signed head is a failure."""
        return self.kind is not ProblemKind.UNCOVERED


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_log`."""

    size: int
    root: bytes
    heads_verified: int
    covered: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """No problem other than entries not yet covered by a signed head."""
        return not any(problem.fatal for problem in self.problems)

    @property
    def first_problem(self) -> Problem | None:
        """The fatal problem at the smallest position (head-only problems last)."""
        fatal = [problem for problem in self.problems if problem.fatal]
        return min(fatal, key=_problem_order, default=None)

    def raise_for_problems(self) -> None:
        """Raise :class:`LogTamperedError` for the first fatal problem, if any."""
        problem = self.first_problem
        if problem is not None:
            raise LogTamperedError(problem.message, position=problem.position)


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
        stored, stray = _by_level(stored_nodes, size)
        entry_problem = _compare_leaves(levels[0], stored.get(0, []), covered)
        if entry_problem is not None:
            problems.append(entry_problem)
        limit = size if entry_problem is None else entry_problem.position or 0
        problems.extend(_compare_interior(levels, stored, limit))
        problems.extend(_report_stray(stray))
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
        problems=tuple(sorted(problems, key=_problem_order)),
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


_Row = list[bytes | None]


def _by_level(nodes: Iterable[PerfectNode], size: int) -> tuple[dict[int, _Row], list[PerfectNode]]:
    """Stored hashes as one list per level (``None`` where absent), and the stray nodes.

    An honest store of a log of ``leaves`` leaves (the larger of the entry count and the
    stored leaf count) holds at level L the indexes below ``leaves >> L``; a node beyond that
    cannot be placed. Rows are untrusted: their indexes never size a list.
    """
    grouped: dict[int, list[PerfectNode]] = {}
    for node in nodes:
        grouped.setdefault(node.level, []).append(node)
    leaves = max(size, len(grouped.get(0, [])))
    stored: dict[int, _Row] = {}
    stray: list[PerfectNode] = []
    for level, level_nodes in grouped.items():
        row: _Row = [None] * (leaves >> level if 0 <= level < leaves.bit_length() else 0)
        for node in level_nodes:
            if 0 <= node.index < len(row):
                row[node.index] = node.hash
            else:
                stray.append(node)
        while row and row[-1] is None:
            row.pop()
        stored[level] = row
    return stored, stray


def _report_stray(stray: list[PerfectNode]) -> list[Problem]:
    if not stray:
        return []
    first = min(stray, key=lambda node: (node.level, node.index))
    return [
        Problem(
            ProblemKind.NODE_CHANGED,
            f"{len(stray)} stored node(s) have no place in the stored tree, the first at "
            f"level {first.level}, index {first.index}: rows were added or renumbered",
        )
    ]


def _compare_leaves(recomputed: list[bytes], stored: _Row, covered: int) -> Problem | None:
    """Compare entries with the stored leaf hashes; classify the first difference."""
    found = _classify(recomputed, stored)
    if found is None:
        return None
    kind, position, last, message = found
    if position < covered:
        # A signed head that verifies covers this entry: the entry is authentic.
        missing = position >= len(stored) or stored[position] is None
        return Problem(
            ProblemKind.NODE_MISSING if missing else ProblemKind.NODE_CHANGED,
            f"the stored leaf hash of entry {position} "
            f"{'is missing' if missing else 'was altered'}; the entry itself matches the "
            "signed tree heads",
            position=position,
        )
    return Problem(kind, message, position=position, last_position=last)


_Finding = tuple[ProblemKind, int, int | None, str]


def _classify(recomputed: list[bytes], stored: list[bytes | None]) -> _Finding | None:
    """How the entries (``recomputed`` leaf hashes) differ from the stored leaf hashes."""
    n, m = len(recomputed), len(stored)
    first = next((i for i in range(min(n, m)) if recomputed[i] != stored[i]), None)
    if first is not None:
        return _classify_at(first, recomputed, stored)
    if n < m:
        message = f"entries {n}…{m - 1} were removed (their leaf hashes are still stored)"
        return (ProblemKind.REMOVED, n, m - 1, message)
    if n > m:
        message = f"entries {m}…{n - 1} were not appended through the log (no stored leaf hash)"
        return (ProblemKind.INSERTED, m, n - 1, message)
    return None


def _classify_at(first: int, recomputed: list[bytes], stored: list[bytes | None]) -> _Finding:
    """Classify a difference that starts at entry ``first``."""
    n, m = len(recomputed), len(stored)
    found: _Finding = (
        ProblemKind.DIVERGED,
        first,
        None,
        f"the entries differ from the stored leaf hashes from entry {first} on (several changes)",
    )
    if n == m and recomputed[first + 1 :] == stored[first + 1 :]:
        found = (ProblemKind.CHANGED, first, None, f"entry {first} was changed")
    elif n == m - 1 and recomputed[first:] == stored[first + 1 :]:
        found = (ProblemKind.REMOVED, first, None, f"entry {first} was removed")
    elif n == m + 1 and recomputed[first + 1 :] == stored[first:]:
        found = (ProblemKind.INSERTED, first, None, f"an entry was inserted at {first}")
    elif n == m:
        second = next(i for i in range(first + 1, n) if recomputed[i] != stored[i])
        if (
            recomputed[first] == stored[second]
            and recomputed[second] == stored[first]
            and recomputed[second + 1 :] == stored[second + 1 :]
        ):
            message = f"entries {first} and {second} were swapped"
            found = (ProblemKind.REORDERED, first, second, message)
    return found


def _compare_interior(
    levels: list[list[bytes]], stored: dict[int, _Row], limit: int
) -> list[Problem]:
    """The first stored interior node that is wrong or missing among leaves ``0 … limit-1``.

    Nodes over leaves at or after ``limit`` are explained by the entry problem found there.
    """
    bound = min(limit, len(stored.get(0, [])))
    for level in range(1, len(levels)):
        count = bound >> level
        recomputed = levels[level][:count]
        row = stored.get(level, [])[:count]
        if row == recomputed:
            continue
        index = next(
            (i for i, (a, b) in enumerate(zip(row, recomputed, strict=False)) if a != b),
            len(row),
        )
        found = row[index] if index < len(row) else None
        first, end = index << level, (index + 1) << level
        state = "is missing" if found is None else "was altered"
        return [
            Problem(
                ProblemKind.NODE_MISSING if found is None else ProblemKind.NODE_CHANGED,
                f"the stored tree node over entries {first}…{end - 1} {state}; "
                "the entries themselves match their stored leaf hashes",
                position=first,
                last_position=end - 1,
            )
        ]
    return []


def _explains(entry_problem: Problem | None, window: Problem) -> bool:
    """Whether the entry problem found from stored nodes lies in the heads' window."""
    if entry_problem is None or entry_problem.position is None or window.position is None:
        return False
    if entry_problem.kind in (ProblemKind.NODE_CHANGED, ProblemKind.NODE_MISSING):
        return False
    last = window.position if window.last_position is None else window.last_position
    return window.position <= entry_problem.position <= last


def _problem_order(problem: Problem) -> tuple[int, int, int]:
    position = -1 if problem.position is None else problem.position
    return (problem.position is None, position, problem.head or 0)

"""Localising a change by the stored perfect nodes: step 2 of verifying a log.

The store keeps every perfect node it computed when appending (the leaf hashes first). They
are untrusted rows, but they are the per-entry record of what was appended: compared with the
nodes recomputed from the entries, they tell which entry changed, and whether it was changed,
removed, inserted or swapped. Where a signed head that verifies covers the entry, the entry
is authentic and the stored node is what was altered.
"""

from __future__ import annotations

from collections.abc import Iterable

from pactshare.audit.report import Problem, ProblemKind
from pactshare.audit.tree import PerfectNode

__all__ = ["by_level", "compare_interior", "compare_leaves", "report_stray"]

_Row = list[bytes | None]


def by_level(nodes: Iterable[PerfectNode], size: int) -> tuple[dict[int, _Row], list[PerfectNode]]:
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


def report_stray(stray: list[PerfectNode]) -> list[Problem]:
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


def compare_leaves(recomputed: list[bytes], stored: _Row, covered: int) -> Problem | None:
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


def compare_interior(
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

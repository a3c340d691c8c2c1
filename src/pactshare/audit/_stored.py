"""Localising a change by the stored perfect nodes: step 2 of verifying a log.

The store keeps every perfect node it computed when appending (the leaf hashes first). They
are untrusted rows, but they are the per-entry record of what was appended: compared with the
nodes recomputed from the entries, they tell which entry changed, and whether it was changed,
removed, inserted or swapped. Where a signed head that verifies covers the entry, the entry
is authentic and the stored node is what was altered.

The rows are read through :class:`StoredNodes`, a window of indexes at a time and level by
level beside the recomputation, and compared a run of nodes at a time (:class:`Comparison`),
so that a log of any size is compared in one pass with a bounded number of rows in memory.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Protocol

from pactshare.audit.report import Problem, ProblemKind
from pactshare.audit.tree import PerfectNode

__all__ = ["Comparison", "NodesInMemory", "StoredNodes"]

#: Rows of one level read at a time (fewer for higher levels, which are read more slowly).
WINDOW = 4096
_LEAST_WINDOW = 16


class StoredNodes(Protocol):
    """The perfect nodes a store persisted, as untrusted rows ``(level, index, hash)``."""

    def count(self, level: int) -> int:
        """How many rows the store holds at ``level`` (wherever their indexes are)."""
        ...

    def last(self, level: int, stop: int) -> int | None:
        """The largest index from 0 to ``stop - 1`` of a row at ``level`` (None: no such row)."""
        ...

    def rows(self, level: int, start: int, stop: int) -> Iterable[tuple[int, bytes]]:
        """``(index, hash)`` of each row at ``level`` whose index is in ``start … stop - 1``;
        of two rows at one place, the later wins."""
        ...

    def outside(self, level: int, stop: int) -> tuple[int, int | None]:
        """How many rows at ``level`` have an index below 0 or from ``stop`` on, and the
        smallest of those indexes."""
        ...

    def beyond(self, levels: int) -> tuple[int, tuple[int, int] | None]:
        """How many rows are at a level below 0 or from ``levels`` on, and the smallest
        ``(level, index)`` of those."""
        ...


class NodesInMemory:
    """:class:`StoredNodes` over perfect nodes held in memory, in any order."""

    def __init__(self, nodes: Iterable[PerfectNode]) -> None:
        self._levels: dict[int, list[PerfectNode]] = {}
        for node in nodes:
            self._levels.setdefault(node.level, []).append(node)
        for row in self._levels.values():
            row.sort(key=lambda node: node.index)  # stable: of two at one place, the later last
        self._indexes = {level: [n.index for n in row] for level, row in self._levels.items()}

    def count(self, level: int) -> int:
        return len(self._levels.get(level, ()))

    def last(self, level: int, stop: int) -> int | None:
        indexes = self._indexes.get(level, [])
        below = bisect_left(indexes, stop)
        return indexes[below - 1] if below and indexes[below - 1] >= 0 else None

    def rows(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        indexes = self._indexes.get(level, [])
        row = self._levels.get(level, [])[bisect_left(indexes, start) : bisect_left(indexes, stop)]
        return [(node.index, node.hash) for node in row]

    def outside(self, level: int, stop: int) -> tuple[int, int | None]:
        indexes = self._indexes.get(level, [])
        below, within = bisect_left(indexes, 0), bisect_left(indexes, stop)
        found = indexes[:below] + indexes[within:]
        return len(found), min(found, default=None)

    def beyond(self, levels: int) -> tuple[int, tuple[int, int] | None]:
        found = [
            (node.level, node.index)
            for level, row in self._levels.items()
            if not 0 <= level < levels
            for node in row
        ]
        return len(found), min(found, default=None)


class Comparison:
    """The stored nodes against the recomputed ones, fed a chunk of entries at a time."""

    def __init__(self, stored: StoredNodes, size: int) -> None:
        self._stored = stored
        self._size = size
        self._leaf_rows = max(size, stored.count(0))  # stored leaves have a place below this
        last = stored.last(0, self._leaf_rows)
        self._leaves = _Leaves(size, 0 if last is None else last + 1)
        self._interior = _Interior()
        self._rows: dict[int, _Row] = {}

    def chunk(self, start: int, levels: list[list[bytes]]) -> None:
        """Compare the nodes recomputed over entries ``start`` on, level by level (leaf hashes
        first), those over entries that matched their stored leaf hashes only."""
        leaves, interior = self._leaves, self._interior
        stored = max(0, min(len(levels[0]), leaves.stored - start))
        leaves.compare(start, levels[0], self._row(0).take(start, stored))
        for level in range(1, len(levels)):
            if not interior.wants(level):
                break
            first = start >> level
            count = min(len(levels[level]), (leaves.limit >> level) - first)
            if count > 0:
                row = self._row(level).take(first, count)
                interior.compare(level, first, levels[level][:count], row)

    def node(self, level: int, index: int, hashed: bytes) -> None:
        """Compare one node recomputed above the chunks."""
        if (index + 1) << level <= self._leaves.limit and self._interior.wants(level):
            self._interior.compare(level, index, [hashed], self._row(level).take(index, 1))

    def finish(self) -> None:
        """After the last entry: the stored leaf hashes past it."""
        if self._leaves.stored > self._size:
            self._leaves.finish(self._row(0).take(self._size, 1))

    def problems(self, covered: int) -> tuple[Problem | None, list[Problem]]:
        """The entry problem (blamed on the stored leaf where a signed head that verifies
        covers it, up to ``covered``), and every problem found, the entry problem first."""
        entry = self._leaves.problem(covered)
        found = [] if entry is None else [entry]
        found += self._interior.problems()
        found += _strays(self._stored, self._leaf_rows)
        return entry, found

    def _row(self, level: int) -> _Row:
        if level not in self._rows:
            self._rows[level] = _Row(self._stored, level)
        return self._rows[level]


class _Row:
    """One level of stored nodes, read forwards a window of indexes at a time."""

    def __init__(self, stored: StoredNodes, level: int) -> None:
        self._stored = stored
        self._level = level
        self._window = max(WINDOW >> level, _LEAST_WINDOW)
        self._start = 0
        self._hashes: list[bytes | None] = []

    def take(self, start: int, count: int) -> list[bytes | None]:
        """The stored hashes at indexes ``start … start + count - 1`` (None where absent)."""
        if count <= 0:
            return []
        offset = start - self._start
        if offset < 0 or offset + count > len(self._hashes):
            size = max(count, self._window)
            hashes: list[bytes | None] = [None] * size
            for index, hashed in self._stored.rows(self._level, start, start + size):
                hashes[index - start] = hashed
            self._start, self._hashes, offset = start, hashes, 0
        return self._hashes[offset : offset + count]


_Finding = tuple[ProblemKind, int, int | None, str]


class _Leaves:
    """The entries' leaf hashes against the stored ones, a run of indexes at a time.

    ``entries`` and ``stored`` are the two lengths: the entries, and the stored leaf hashes up
    to the last that has a place (absent ones in between are ``None``). The first difference
    and how the two sequences go on after it classify the change: one entry changed, removed
    or inserted, two swapped, or several changes.
    """

    def __init__(self, entries: int, stored: int) -> None:
        self.entries = entries
        self.stored = stored
        self.first: int | None = None
        self._pair: tuple[bytes, bytes | None] = (b"", None)  # both hashes at ``first``
        self._second: int | None = None  # the next index where the two differ
        self._differences = 0  # after ``first``
        self._crossed = False  # the hashes at ``first`` and ``_second`` are swapped
        self._removed = True  # entry i is stored leaf i + 1 from ``first`` on
        self._inserted = True  # entry i + 1 is stored leaf i from ``first`` on
        self._previous: tuple[bytes | None, bool, bytes | None, bool] = (None, False, None, False)

    @property
    def limit(self) -> int:
        """Entries before this index match their stored leaf hashes."""
        return min(self.entries, self.stored) if self.first is None else self.first

    def compare(self, start: int, recomputed: list[bytes], stored: list[bytes | None]) -> None:
        """Compare the entries from ``start`` on with the stored leaf hashes at their indexes
        (``stored`` ends early where the stored leaves do)."""
        if self.first is not None:
            if abs(self.entries - self.stored) <= 1:
                self._follow(start, recomputed, stored)
            return
        if recomputed == stored:
            return
        pairs = enumerate(zip(recomputed, stored, strict=False))
        offset = next((i for i, (entry, leaf) in pairs if entry != leaf), None)
        if offset is None:  # the stored leaves end in this run; no difference before
            return
        self.first = start + offset
        self._pair = (recomputed[offset], stored[offset])
        self._previous = (recomputed[offset], True, stored[offset], True)
        if abs(self.entries - self.stored) <= 1:  # otherwise: several changes, whatever follows
            self._follow(self.first + 1, recomputed[offset + 1 :], stored[offset + 1 :])

    def finish(self, beyond: list[bytes | None]) -> None:
        """Compare the stored leaf hashes past the last entry (only the one at ``entries``
        matters, when there is exactly one more stored leaf than entries)."""
        if self.first is not None and self.stored == self.entries + 1:
            self._follow(self.entries, [], beyond[:1])

    def _follow(self, start: int, recomputed: list[bytes], stored: list[bytes | None]) -> None:
        last_entry, had_entry, last_stored, had_stored = self._previous
        entry: bytes | None = None
        leaf: bytes | None = None
        for offset in range(max(len(recomputed), len(stored))):
            has_entry, has_stored = offset < len(recomputed), offset < len(stored)
            entry = recomputed[offset] if has_entry else None
            leaf = stored[offset] if has_stored else None
            if has_entry and has_stored and entry != leaf:
                self._differences += 1
                if self._differences == 1:
                    self._second = start + offset
                    self._crossed = self._pair == (leaf, entry)
            if has_stored and had_entry and last_entry != leaf:
                self._removed = False
            if has_entry and had_stored and entry != last_stored:
                self._inserted = False
            last_entry, had_entry, last_stored, had_stored = entry, has_entry, leaf, has_stored
        self._previous = (last_entry, had_entry, last_stored, had_stored)

    def problem(self, covered: int) -> Problem | None:
        """The difference found, as a problem; blamed on the stored leaf hash where a signed
        head that verifies (up to ``covered``) shows the entry is authentic."""
        found = self._finding()
        if found is None:
            return None
        kind, position, last, message = found
        if position < covered:
            # A signed head that verifies covers this entry: the entry is authentic.
            missing = position != self.first or self._pair[1] is None
            return Problem(
                ProblemKind.NODE_MISSING if missing else ProblemKind.NODE_CHANGED,
                f"the stored leaf hash of entry {position} "
                f"{'is missing' if missing else 'was altered'}; the entry itself matches the "
                "signed tree heads",
                position=position,
            )
        return Problem(kind, message, position=position, last_position=last)

    def _finding(self) -> _Finding | None:
        n, m, first = self.entries, self.stored, self.first
        if first is None:
            return _by_length(n, m)
        if n == m and self._differences == 0:
            return (ProblemKind.CHANGED, first, None, f"entry {first} was changed")
        if n == m - 1 and self._removed:
            return (ProblemKind.REMOVED, first, None, f"entry {first} was removed")
        if n == m + 1 and self._inserted:
            return (ProblemKind.INSERTED, first, None, f"an entry was inserted at {first}")
        if n == m and self._differences == 1 and self._crossed:
            message = f"entries {first} and {self._second} were swapped"
            return (ProblemKind.REORDERED, first, self._second, message)
        message = (
            f"the entries differ from the stored leaf hashes from entry {first} on "
            "(several changes)"
        )
        return (ProblemKind.DIVERGED, first, None, message)


def _by_length(n: int, m: int) -> _Finding | None:
    """The difference between ``n`` entries and ``m`` stored leaf hashes that all match."""
    if n < m:
        message = f"entries {n}…{m - 1} were removed (their leaf hashes are still stored)"
        return (ProblemKind.REMOVED, n, m - 1, message)
    if n > m:
        message = f"entries {m}…{n - 1} were not appended through the log (no stored leaf hash)"
        return (ProblemKind.INSERTED, m, n - 1, message)
    return None


class _Interior:
    """Stored interior nodes against the recomputed ones: the first that differs per level."""

    def __init__(self) -> None:
        self._first: dict[int, tuple[int, bytes | None]] = {}

    def wants(self, level: int) -> bool:
        """Whether nodes at ``level`` can still change the outcome (no lower level, nor this
        one, has a node that differs)."""
        return min(self._first, default=level + 1) > level

    def compare(
        self, level: int, start: int, recomputed: Sequence[bytes], stored: list[bytes | None]
    ) -> None:
        """Compare the nodes at ``level`` from index ``start`` on with the stored ones."""
        if stored != recomputed:
            pairs = enumerate(zip(stored, recomputed, strict=True))
            offset = next(i for i, (found, node) in pairs if found != node)
            self._first[level] = (start + offset, stored[offset])

    def problems(self) -> list[Problem]:
        """The first stored interior node that is wrong or missing, at the lowest level."""
        if not self._first:
            return []
        level = min(self._first)
        index, found = self._first[level]
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


def _strays(stored: StoredNodes, leaves: int) -> list[Problem]:
    """Stored nodes that have no place in a tree of ``leaves`` leaves.

    An honest store of a log of ``leaves`` leaves (the larger of the entry count and the
    stored leaf count) holds at level L the indexes below ``leaves >> L``; a node beyond that
    cannot be placed.
    """
    levels = leaves.bit_length()
    count, first = stored.beyond(levels)
    candidates = [] if first is None else [first]
    for level in range(levels):
        outside, smallest = stored.outside(level, leaves >> level)
        count += outside
        if smallest is not None:
            candidates.append((level, smallest))
    if not count:
        return []
    level, index = min(candidates)
    return [
        Problem(
            ProblemKind.NODE_CHANGED,
            f"{count} stored node(s) have no place in the stored tree, the first at "
            f"level {level}, index {index}: rows were added or renumbered",
        )
    ]

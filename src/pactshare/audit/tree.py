"""The append side of the log: a compact frontier, and an in-memory log built on it.

A :class:`Frontier` is all an appender needs to know about a tree of any size: the hashes of
the perfect subtrees along its right edge, one per set bit of the size (a "compact range").
:meth:`Frontier.append` returns the next frontier and every perfect node the new leaf
completes — the leaf itself (level 0) and each subtree it closes — so that a store can persist
each perfect node exactly once, in the same transaction as the entry, and later serve any
proof with a few indexed reads (:data:`~pactshare.audit.merkle.NodeReader`).

:class:`MemoryLog` keeps entries and perfect nodes in memory: the implementation the tests
and the benchmark use, and the reference a persistent store must agree with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pactshare.audit.merkle import (
    HASH_SIZE,
    NodeReader,
    consistency_proof,
    fold,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
)
from pactshare.errors import InputError

__all__ = ["Frontier", "MemoryLog", "PerfectNode"]


@dataclass(frozen=True, slots=True)
class PerfectNode:
    """The hash of the perfect subtree of ``2**level`` leaves starting at ``index * 2**level``."""

    level: int
    index: int
    hash: bytes

    @property
    def first_leaf(self) -> int:
        return self.index << self.level

    @property
    def leaf_count(self) -> int:
        return 1 << self.level


@dataclass(frozen=True, slots=True)
class Frontier:
    """The right edge of an append-only Merkle tree of ``size`` leaves.

    ``hashes`` are the perfect subtrees covering leaves ``0 .. size-1``, largest (leftmost)
    first: one for each set bit of ``size``, so at most 64 for any practical log.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0:
            raise InputError(f"a tree size is 0 or more, got {self.size}")
        if len(self.hashes) != self.size.bit_count():
            raise InputError(
                f"a frontier of size {self.size} has {self.size.bit_count()} hashes, "
                f"got {len(self.hashes)}"
            )
        for position, hashed in enumerate(self.hashes):
            if len(hashed) != HASH_SIZE:
                raise InputError(f"frontier hash {position} has {len(hashed)} bytes, not 32")

    @classmethod
    def from_nodes(cls, size: int, nodes: NodeReader) -> Frontier:
        """Rebuild the frontier of a stored tree of ``size`` leaves (popcount(size) reads)."""
        return cls(size, tuple(nodes(level, index) for level, index in cls.positions(size)))

    @staticmethod
    def positions(size: int) -> list[tuple[int, int]]:
        """The ``(level, index)`` of each frontier node of a tree of ``size`` leaves."""
        found = []
        start = 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                found.append((level, start >> level))
                start += 1 << level
        return found

    def root(self) -> bytes:
        """The tree's root hash (RFC 9162 MTH of all its leaves): the frontier folded."""
        return fold(self.hashes)

    def append(self, leaf: bytes) -> tuple[Frontier, tuple[PerfectNode, ...]]:
        """Add a leaf (its *hash*); return the next frontier and the perfect nodes completed.

        The completed nodes are, in order: the leaf itself at level 0, then each larger
        subtree the leaf closes, up to one per trailing 1-bit of the old size.
        """
        if len(leaf) != HASH_SIZE:
            raise InputError(f"a leaf hash has {HASH_SIZE} bytes, got {len(leaf)}")
        hashes = list(self.hashes)
        completed = [PerfectNode(0, self.size, leaf)]
        merged, level, index = leaf, 0, self.size
        while index & 1:
            merged = node_hash(hashes.pop(), merged)
            level += 1
            index >>= 1
            completed.append(PerfectNode(level, index, merged))
        hashes.append(merged)
        return Frontier(self.size + 1, tuple(hashes)), tuple(completed)


class MemoryLog:
    """An append-only log held in memory: entry bytes, and every perfect node once.

    Perfect nodes are kept as one contiguous byte array per level (32 bytes a node), which
    holds a log of a million entries in about 64 MB of hashes.
    """

    def __init__(self) -> None:
        self._entries: list[bytes] = []
        self._levels: list[bytearray] = []
        self._frontier = Frontier()

    @property
    def size(self) -> int:
        return self._frontier.size

    @property
    def frontier(self) -> Frontier:
        return self._frontier

    def append(self, data: bytes) -> int:
        """Append an entry (its canonical bytes); return its index."""
        return self.append_hashed(data, leaf_hash(data))

    def append_hashed(self, data: bytes, leaf: bytes) -> int:
        """Append an entry whose leaf hash the caller has already computed."""
        index = self._frontier.size
        self._frontier, completed = self._frontier.append(leaf)
        for node in completed:
            if node.level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[node.level] += node.hash
        self._entries.append(data)
        return index

    def entry(self, index: int) -> bytes:
        """The bytes of entry ``index``."""
        self._check_index(index, self.size)
        return self._entries[index]

    def node(self, level: int, index: int) -> bytes:
        """The perfect-subtree hash at ``(level, index)``: a :data:`NodeReader`."""
        row = self._levels[level] if 0 <= level < len(self._levels) else b""
        start = index * HASH_SIZE
        if index < 0 or start + HASH_SIZE > len(row):
            raise InputError(f"no perfect node ({level}, {index}) in a log of {self.size}")
        return bytes(row[start : start + HASH_SIZE])

    def nodes(self) -> Iterator[PerfectNode]:
        """Every perfect node, level by level (what a store would hold)."""
        for level, row in enumerate(self._levels):
            for index in range(len(row) // HASH_SIZE):
                start = index * HASH_SIZE
                yield PerfectNode(level, index, bytes(row[start : start + HASH_SIZE]))

    def root(self, size: int | None = None) -> bytes:
        """The root of the log now, or as it was at ``size`` entries."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise InputError(f"the log has {self.size} entries; no tree of size {size}")
        return root_at(size, self.node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of entry ``index`` in the tree of ``size`` entries (default: now)."""
        size = self.size if size is None else size
        self._check_index(index, size)
        if size > self.size:
            raise InputError(f"the log has {self.size} entries; no tree of size {size}")
        return inclusion_proof(index, size, self.node)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree at ``new_size`` (default: now) extends the one at ``old_size``."""
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise InputError(f"the log has {self.size} entries; no tree of size {new_size}")
        return consistency_proof(old_size, new_size, self.node)

    def _check_index(self, index: int, size: int) -> None:
        if not 0 <= index < size:
            raise InputError(f"no entry {index} in a log of {size} entries")

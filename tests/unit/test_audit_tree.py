"""The frontier (compact range) and the in-memory log built on it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pactshare.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash
from pactshare.audit.tree import Frontier, MemoryLog, PerfectNode
from pactshare.errors import InputError
from tests.vectors.rfc9162 import LEAVES, ROOTS


def test_appending_to_an_empty_frontier_completes_only_the_leaf() -> None:
    hashed = leaf_hash(b"a")
    frontier, completed = Frontier().append(hashed)
    assert frontier == Frontier(1, (hashed,))
    assert completed == (PerfectNode(0, 0, hashed),)


def test_appending_the_fourth_leaf_completes_two_subtrees() -> None:
    hashes = [leaf_hash(leaf) for leaf in LEAVES[:4]]
    frontier = Frontier()
    for hashed in hashes[:3]:
        frontier, _ = frontier.append(hashed)
    frontier, completed = frontier.append(hashes[3])
    pair = node_hash(hashes[2], hashes[3])
    assert completed == (
        PerfectNode(0, 3, hashes[3]),
        PerfectNode(1, 1, pair),
        PerfectNode(2, 0, ROOTS[3]),
    )
    assert frontier == Frontier(4, (ROOTS[3],))


def test_frontier_positions_follow_the_set_bits_of_the_size() -> None:
    assert Frontier.positions(0) == []
    assert Frontier.positions(7) == [(2, 0), (1, 2), (0, 6)]
    assert Frontier.positions(8) == [(3, 0)]
    assert Frontier.positions(13) == [(3, 0), (2, 2), (0, 12)]


def test_frontier_rebuilt_from_stored_nodes_equals_the_appended_one() -> None:
    log = MemoryLog()
    for leaf in LEAVES[:7]:
        log.append(leaf)
    assert Frontier.from_nodes(7, log.node) == log.frontier
    assert Frontier.from_nodes(7, log.node).root() == ROOTS[6]


def test_frontier_of_the_empty_tree_has_the_empty_root() -> None:
    assert Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (-1, (), "0 or more"),
        (3, (EMPTY_ROOT,), "has 2 hashes"),
        (1, (b"short",), "5 bytes"),
    ],
)
def test_malformed_frontier_is_refused(size: int, hashes: tuple[bytes, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Frontier(size, hashes)


def test_frontier_refuses_a_leaf_hash_of_the_wrong_length() -> None:
    with pytest.raises(InputError, match="32 bytes"):
        Frontier().append(b"not a hash")


def test_memory_log_keeps_each_perfect_node_once() -> None:
    log = MemoryLog()
    for leaf in LEAVES:
        log.append(leaf)
    positions = [(node.level, node.index) for node in log.nodes()]
    assert len(positions) == len(set(positions)) == 8 + 4 + 2 + 1
    assert log.node(3, 0) == ROOTS[7]


def test_memory_log_returns_entries_and_past_roots() -> None:
    log = MemoryLog()
    indexes = [log.append(leaf) for leaf in LEAVES]
    assert indexes == list(range(8))
    assert log.entry(5) == LEAVES[5]
    assert [log.root(size) for size in range(1, 9)] == list(ROOTS)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda log: log.entry(3), "no entry 3"),
        (lambda log: log.node(0, 3), r"no perfect node \(0, 3\)"),
        (lambda log: log.node(2, 0), r"no perfect node \(2, 0\)"),
        (lambda log: log.root(4), "no tree of size 4"),
        (lambda log: log.inclusion_proof(1, 4), "no tree of size 4"),
        (lambda log: log.consistency_proof(1, 4), "no tree of size 4"),
    ],
)
def test_memory_log_refuses_what_it_does_not_hold(
    call: Callable[[MemoryLog], object], message: str
) -> None:
    log = MemoryLog()
    for leaf in LEAVES[:3]:
        log.append(leaf)
    with pytest.raises(InputError, match=message):
        call(log)

"""Properties of the Merkle log, against RFC 9162's recursive definitions written out here."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare.audit.merkle import (
    EMPTY_ROOT,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from pactshare.audit.tree import Frontier, MemoryLog
from pactshare.errors import InvalidProofError

MAX_SIZE = 300


def _mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively, exactly as written (leaf hashes already applied)."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    split = 1
    while split * 2 < len(hashes):
        split *= 2
    return node_hash(_mth(hashes[:split]), _mth(hashes[split:]))


@cache
def _log(size: int) -> MemoryLog:
    """A log of ``size`` entries ``b"entry 0"`` … (built once per size: proofs only read it)."""
    log = MemoryLog()
    for index in range(size):
        log.append(f"entry {index}".encode())
    return log


def _leaf(index: int) -> bytes:
    return leaf_hash(f"entry {index}".encode())


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def old_and_new_size(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(sizes)
    return draw(st.integers(min_value=1, max_value=new)), new


def _flip(data: bytes, byte: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[byte % len(changed)] ^= 1 << bit
    return bytes(changed)


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_root_of_equals_the_recursive_definition(entries: list[bytes]) -> None:
    hashes = [leaf_hash(entry) for entry in entries]
    assert root_of(hashes) == _mth(hashes)


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_frontier_root_equals_root_of_all_leaves_after_every_append(entries: list[bytes]) -> None:
    frontier = Frontier()
    hashes: list[bytes] = []
    for entry in entries:
        hashes.append(leaf_hash(entry))
        frontier, _ = frontier.append(hashes[-1])
        assert frontier.root() == root_of(hashes)


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_every_completed_node_is_the_root_of_its_leaves(size: int) -> None:
    hashes = [_leaf(index) for index in range(size)]
    for node in _log(size).nodes():
        assert node.hash == _mth(hashes[node.first_leaf : node.first_leaf + node.leaf_count])


@given(size_and_index())
def test_inclusion_proof_verifies_against_the_root(case: tuple[int, int]) -> None:
    size, index = case
    log = _log(size)
    proof = inclusion_proof(index, size, log.node)
    verify_inclusion(_leaf(index), index, size, proof, _mth([_leaf(i) for i in range(size)]))


@given(size_and_index())
def test_inclusion_proof_has_at_most_ceil_log2_size_hashes(case: tuple[int, int]) -> None:
    size, index = case
    assert len(inclusion_proof(index, size, _log(size).node)) <= (size - 1).bit_length()


@given(old_and_new_size())
def test_consistency_proof_verifies_between_past_and_present_roots(case: tuple[int, int]) -> None:
    old, new = case
    log = _log(new)
    proof = consistency_proof(old, new, log.node)
    verify_consistency(old, new, log.root(old), log.root(new), proof)


@given(old_and_new_size())
def test_consistency_proof_has_at_most_two_log2_size_hashes(case: tuple[int, int]) -> None:
    old, new = case
    assert len(consistency_proof(old, new, _log(new).node)) <= 2 * (new - 1).bit_length()


@given(size_and_index(), st.data())
@settings(max_examples=200)
def test_any_flipped_bit_breaks_an_inclusion_proof(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size, index = case
    log = _log(size)
    proof, root, leaf = log.inclusion_proof(index), log.root(), _leaf(index)
    target = data.draw(st.sampled_from(["leaf", "root", *(["proof"] if proof else [])]))
    byte, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    if target == "leaf":
        leaf = _flip(leaf, byte, bit)
    elif target == "root":
        root = _flip(root, byte, bit)
    else:
        position = data.draw(st.integers(0, len(proof) - 1))
        proof[position] = _flip(proof[position], byte, bit)
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except InvalidProofError:
        return
    raise AssertionError(f"a flipped bit in the {target} went unnoticed")


@given(old_and_new_size(), st.data())
@settings(max_examples=200)
def test_any_flipped_bit_breaks_a_consistency_proof(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    log = _log(new)
    proof, old_root, new_root = log.consistency_proof(old, new), log.root(old), log.root(new)
    targets = ["old root", "new root", *(["proof"] if proof else [])]
    target = data.draw(st.sampled_from(targets))
    byte, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    if target == "old root":
        old_root = _flip(old_root, byte, bit)
    elif target == "new root":
        new_root = _flip(new_root, byte, bit)
    else:
        position = data.draw(st.integers(0, len(proof) - 1))
        proof[position] = _flip(proof[position], byte, bit)
    try:
        verify_consistency(old, new, old_root, new_root, proof)
    except InvalidProofError:
        return
    raise AssertionError(f"a flipped bit in the {target} went unnoticed")


def _counting(log: MemoryLog) -> tuple[list[tuple[int, int]], NodeReader]:
    reads: list[tuple[int, int]] = []

    def read(level: int, index: int) -> bytes:
        reads.append((level, index))
        return log.node(level, index)

    return reads, read


@given(size_and_index())
def test_an_inclusion_proof_reads_at_most_two_nodes_per_level(case: tuple[int, int]) -> None:
    size, index = case
    reads, read = _counting(_log(size))
    inclusion_proof(index, size, read)
    assert len(reads) <= 2 * size.bit_length()


@given(old_and_new_size())
def test_a_consistency_proof_reads_at_most_two_nodes_per_level(case: tuple[int, int]) -> None:
    old, new = case
    reads, read = _counting(_log(new))
    consistency_proof(old, new, read)
    assert len(reads) <= 2 * new.bit_length()

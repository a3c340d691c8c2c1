"""RFC 9162 hashing, proofs and verification against the published CT test vectors."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pactshare.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from pactshare.audit.tree import MemoryLog
from pactshare.errors import InputError, InvalidProofError
from tests.vectors.rfc9162 import (
    CONSISTENCY_PROOFS,
    EMPTY_LEAF,
    INCLUSION_PROOFS,
    LEAF_L123456,
    LEAVES,
    NODE_N123_N456,
    ROOTS,
)
from tests.vectors.rfc9162 import EMPTY_ROOT as PUBLISHED_EMPTY_ROOT

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _log(count: int = len(LEAVES)) -> MemoryLog:
    log = MemoryLog()
    for leaf in LEAVES[:count]:
        log.append(leaf)
    return log


def _flip(data: bytes, bit: int = 3) -> bytes:
    return bytes([data[0] ^ (1 << bit), *data[1:]])


# Hash known answers.


def test_leaf_hash_matches_the_published_answer() -> None:
    data, expected = LEAF_L123456
    assert leaf_hash(data).hex() == expected


def test_empty_leaf_hash_differs_from_the_empty_root() -> None:
    data, expected = EMPTY_LEAF
    assert leaf_hash(data).hex() == expected
    assert leaf_hash(data) != EMPTY_ROOT


def test_node_hash_matches_the_published_answer() -> None:
    (left, right), expected = NODE_N123_N456
    assert node_hash(left, right).hex() == expected


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == PUBLISHED_EMPTY_ROOT
    assert root_of([]) == EMPTY_ROOT
    assert MemoryLog().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_the_first_leaves_matches_the_published_root(size: int) -> None:
    assert root_of(leaf_hash(leaf) for leaf in LEAVES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_at_a_past_size_from_stored_nodes_matches_the_published_root(size: int) -> None:
    log = _log()
    assert root_at(size, log.node) == ROOTS[size - 1]


@pytest.mark.parametrize("size", range(1, 9))
def test_frontier_root_matches_the_published_root(size: int) -> None:
    assert _log(size).frontier.root() == ROOTS[size - 1]


# Inclusion proofs.


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_generated_inclusion_proof_equals_the_published_one(
    index: int, size: int, proof: tuple[bytes, ...]
) -> None:
    assert inclusion_proof(index, size, _log().node) == list(proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_published_inclusion_proof_verifies(
    index: int, size: int, proof: tuple[bytes, ...]
) -> None:
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size - 1])


def _inclusion_probes(
    index: int, size: int, proof: Sequence[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """The corruptions transparency-dev/merkle's verify_test.go applies to a good proof."""
    proof = list(proof)
    probes = [
        ("index - 1", index - 1, size, proof, root, leaf),
        ("index + 1", index + 1, size, proof, root, leaf),
        ("index ^ 2", index ^ 2, size, proof, root, leaf),
        ("size * 2", index, size * 2, proof, root, leaf),
        ("size // 2", index, size // 2, proof, root, leaf),
        ("wrong leaf", index, size, proof, root, leaf_hash(b"WrongLeaf")),
        ("empty root", index, size, proof, EMPTY_ROOT, leaf),
        ("random root", index, size, proof, SOME_HASH, leaf),
        ("trailing garbage", index, size, [*proof, b""], root, leaf),
        ("trailing root", index, size, [*proof, root], root, leaf),
        ("preceding garbage", index, size, [b"", *proof], root, leaf),
        ("preceding root", index, size, [root, *proof], root, leaf),
    ]
    for position in range(len(proof)):
        wrong = list(proof)
        wrong[position] = _flip(wrong[position])
        probes.append((f"proof[{position}] bit 3", index, size, wrong, root, leaf))
    if proof:
        probes.append(("removed component", index, size, proof[:-1], root, leaf))
    if len(proof) > 1:
        probes.append(("inserted component", index, size, [SOME_HASH, *proof], root, leaf))
    return probes


@pytest.mark.parametrize(
    ("index", "size", "proof", "root", "leaf"),
    [
        pytest.param(*probe, id=f"{index}@{size}: {what}")
        for index, size, proof in INCLUSION_PROOFS
        for what, *probe in _inclusion_probes(
            index, size, proof, ROOTS[size - 1], leaf_hash(LEAVES[index])
        )
    ],
)
def test_corrupted_inclusion_proof_is_refused(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> None:
    with pytest.raises(InvalidProofError):
        verify_inclusion(leaf, index, size, proof, root)


def test_single_entry_tree_needs_leaf_equal_to_root() -> None:
    hashed = leaf_hash(b"data")
    verify_inclusion(hashed, 0, 1, [], hashed)
    with pytest.raises(InvalidProofError, match="bytes"):
        verify_inclusion(b"", 0, 1, [], hashed)
    with pytest.raises(InvalidProofError, match="bytes"):
        verify_inclusion(hashed, 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 4)])
def test_inclusion_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(InvalidProofError, match="outside"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (8, 8), (-1, 3)])
def test_inclusion_proof_of_a_missing_entry_is_an_input_error(index: int, size: int) -> None:
    with pytest.raises(InputError, match=f"no entry {index}"):
        inclusion_proof(index, size, _log().node)


# Consistency proofs.


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_generated_consistency_proof_equals_the_published_one(
    old: int, new: int, proof: tuple[bytes, ...]
) -> None:
    assert consistency_proof(old, new, _log().node) == list(proof)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_published_consistency_proof_verifies(old: int, new: int, proof: tuple[bytes, ...]) -> None:
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    """The corruptions transparency-dev/merkle's verify_test.go applies to a good proof."""
    proof = list(proof)
    wrong_root = leaf_hash(b"WrongRoot")
    probes = [
        ("old - 1", old - 1, new, old_root, new_root, proof),
        ("old + 1", old + 1, new, old_root, new_root, proof),
        ("old ^ 2", old ^ 2, new, old_root, new_root, proof),
        ("new * 2", old, new * 2, old_root, new_root, proof),
        ("new // 2", old, new // 2, old_root, new_root, proof),
        ("wrong old root", old, new, wrong_root, new_root, proof),
        ("wrong new root", old, new, old_root, wrong_root, proof),
        ("swapped roots", old, new, new_root, old_root, proof),
        ("empty proof", old, new, old_root, new_root, []),
        ("trailing garbage", old, new, old_root, new_root, [*proof, b""]),
        ("trailing old root", old, new, old_root, new_root, [*proof, old_root]),
        ("trailing new root", old, new, old_root, new_root, [*proof, new_root]),
        ("preceding garbage", old, new, old_root, new_root, [b"", *proof]),
        ("preceding old root", old, new, old_root, new_root, [old_root, *proof]),
        ("preceding new root", old, new, old_root, new_root, [new_root, *proof]),
        ("preceding proof[0]", old, new, old_root, new_root, [proof[0], *proof]),
        ("truncated proof", old, new, old_root, new_root, proof[:-1]),
    ]
    for position in range(len(proof)):
        wrong = list(proof)
        wrong[position] = _flip(wrong[position], bit=4)
        probes.append((f"proof[{position}] bit 4", old, new, old_root, new_root, wrong))
    return probes


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        pytest.param(*probe, id=f"{old}->{new}: {what}")
        for old, new, proof in CONSISTENCY_PROOFS
        if proof
        for what, *probe in _consistency_probes(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)
    ],
)
def test_corrupted_consistency_proof_is_refused(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(InvalidProofError):
        verify_consistency(old, new, old_root, new_root, proof)


ROOT_A = leaf_hash(b"don't care 1")
ROOT_B = leaf_hash(b"don't care 2")


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        (0, 0, ROOT_A, ROOT_A, []),
        (0, 1, ROOT_A, ROOT_B, []),
        (1, 1, ROOT_B, ROOT_B, []),
    ],
)
def test_trivially_consistent_sizes_verify(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        (0, 0, ROOT_A, ROOT_B, []),
        (1, 1, ROOT_A, ROOT_B, []),
        (1, 0, ROOT_A, ROOT_B, []),
        (2, 1, ROOT_A, ROOT_B, []),
        (1, 2, ROOT_A, ROOT_B, []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
    ],
)
def test_inconsistent_trivial_cases_are_refused(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(InvalidProofError):
        verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize(("old", "new"), [(5, 0), (9, 8), (-1, 3)])
def test_consistency_proof_backwards_is_an_input_error(old: int, new: int) -> None:
    with pytest.raises(InputError, match="old size"):
        consistency_proof(old, new, _log().node)

"""Merkle tree hashing, proofs and their verification, as pure functions on bytes (RFC 9162 §2.1).

The hash of a leaf is ``SHA-256(0x00 || data)``, of an interior node
``SHA-256(0x01 || left || right)``; the empty tree's root is ``SHA-256("")``.

Proof *generation* never reads all leaves. It asks a :data:`NodeReader` for **perfect-subtree
hashes**: ``nodes(level, index)`` is the hash of the complete subtree of ``2**level`` leaves
starting at leaf ``index * 2**level`` (level 0 is the leaf hash itself). An inclusion or a
consistency proof in a tree of n leaves needs about 2·log2(n) such reads at most (a property
test holds it to 2·bit_length(n)), so a store
that persists every perfect node once (see :class:`pactshare.audit.tree.Frontier`) can prove
any entry of a log of millions of entries with a few indexed reads.

Proof *verification* follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; a proof that does not
verify raises :class:`~pactshare.errors.InvalidProofError` (the functions return ``None`` on
success, so a forgotten result cannot be mistaken for a success).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from pactshare.errors import InputError, InvalidProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "NodeReader",
    "consistency_proof",
    "fold",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_at",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]
"""``nodes(level, index)``: the hash of the perfect subtree of ``2**level`` leaves starting at
leaf ``index * 2**level``."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 ``MTH({d}) = SHA-256(0x00 || d)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of the leaves with these hashes, for any number of leaves.

    Runs in one pass with O(log n) memory: it keeps the right edge of perfect subtrees and
    folds it at the end (the same result as RFC 9162's recursive definition).
    """
    stack: list[bytes] = []
    for count, hashed in enumerate(leaf_hashes, start=1):
        merged = hashed
        pending = count
        while pending & 1 == 0:  # each trailing zero of the new size completes one subtree
            merged = node_hash(stack.pop(), merged)
            pending >>= 1
        stack.append(merged)
    return fold(stack)


def root_at(size: int, nodes: NodeReader) -> bytes:
    """The root of the tree of the first ``size`` leaves, from perfect-subtree hashes.

    Reads at most log2(size) + 1 nodes; the tree may have grown beyond ``size`` since.
    """
    if size < 0:
        raise InputError(f"tree size must be 0 or more, got {size}")
    return _range_hash(nodes, 0, size)


def inclusion_proof(index: int, size: int, nodes: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[size])``: the audit path of leaf ``index``.

    The path is ordered from the leaf's sibling up to the root's child, as RFC 9162 lists it.
    """
    if not 0 <= index < size:
        raise InputError(f"no entry {index} in a tree of {size} entries (0 ≤ index < size)")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            path.append(_range_hash(nodes, split, end))
            end = split
        else:
            path.append(_range_hash(nodes, start, split))
            start = split
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, nodes: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.4.1 ``PROOF(old_size, D[new_size])``.

    The proof is empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
    """
    if not 0 <= old_size <= new_size:
        raise InputError(
            f"a consistency proof needs 0 ≤ old size ≤ new size, got {old_size} and {new_size}"
        )
    if old_size in (0, new_size):
        return []
    path: list[bytes] = []
    start, end, wanted, whole = 0, new_size, old_size, True
    while True:
        if wanted == end - start:
            if not whole:
                path.append(_range_hash(nodes, start, end))
            break
        split = _largest_power_of_two_below(end - start)
        if wanted <= split:
            path.append(_range_hash(nodes, start + split, end))
            end = start + split
        else:
            path.append(_range_hash(nodes, start, start + split))
            start += split
            wanted -= split
            whole = False
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf *hash*) is entry ``index`` of the tree ``(size, root)``.

    RFC 9162 §2.1.3.2, step by step. Raises :class:`InvalidProofError` when it does not verify.
    """
    _require_hashes(leaf=leaf, root=root, proof=proof)
    if not 0 <= index < size:
        raise InvalidProofError(f"inclusion proof: entry {index} is outside a tree of size {size}")
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            raise InvalidProofError(
                f"inclusion proof for entry {index} at size {size}: too many hashes"
            )
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while fn and not fn & 1:  # LSB(fn) not set: shift until it is, or fn is 0
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofError(f"inclusion proof for entry {index} at size {size}: too few hashes")
    if result != root:
        raise InvalidProofError(
            f"inclusion proof for entry {index} at size {size} does not lead to the root"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    RFC 9162 §2.1.4.2, step by step, for ``0 < old_size < new_size``. Outside it: equal sizes
    need equal roots and an empty proof; any tree extends the empty tree (empty proof).
    Raises :class:`InvalidProofError` when it does not verify.
    """
    _require_hashes(leaf=None, root=old_root, proof=proof)
    _require_hashes(leaf=None, root=new_root, proof=())
    what = f"consistency proof from size {old_size} to {new_size}"
    if not 0 < old_size < new_size:
        _verify_trivial_consistency(what, old_size, new_size, old_root, new_root, proof=proof)
        return
    # 1. An empty path fails.
    if not proof:
        raise InvalidProofError(f"{what}: empty")
    path = list(proof)
    # 2. If the old size is an exact power of 2, the old root is the first node.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for node in path[1:]:
        if sn == 0:
            raise InvalidProofError(f"{what}: too many hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while fn and not fn & 1:  # LSB(fn) not set: shift until it is, or fn is 0
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise InvalidProofError(f"{what}: too few hashes")
    if fr != old_root:
        raise InvalidProofError(f"{what}: does not lead to the old root")
    if sr != new_root:
        raise InvalidProofError(f"{what}: does not lead to the new root")


def _verify_trivial_consistency(
    what: str,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    *,
    proof: Sequence[bytes],
) -> None:
    """The cases RFC 9162 leaves out: an empty old tree, equal sizes, or sizes backwards."""
    if not 0 <= old_size <= new_size:
        raise InvalidProofError(f"{what}: the old size must be between 0 and the new size")
    if proof:
        raise InvalidProofError(f"{what}: must be empty")
    if old_size == new_size and old_root != new_root:
        raise InvalidProofError(f"{what}: trees of the same size have different roots")


def _require_hashes(*, leaf: bytes | None, root: bytes, proof: Sequence[bytes]) -> None:
    if leaf is not None and len(leaf) != HASH_SIZE:
        raise InvalidProofError(f"a leaf hash has {HASH_SIZE} bytes, got {len(leaf)}")
    if len(root) != HASH_SIZE:
        raise InvalidProofError(f"a root hash has {HASH_SIZE} bytes, got {len(root)}")
    for position, node in enumerate(proof):
        if len(node) != HASH_SIZE:
            raise InvalidProofError(
                f"proof hash {position} has {len(node)} bytes instead of {HASH_SIZE}"
            )


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(nodes: NodeReader, start: int, end: int) -> bytes:
    """``MTH(D[start:end])`` for a range that is a subtree of the RFC 9162 tree shape.

    Such a range starts at a multiple of a power of two at least as large as the range, so it
    splits into perfect subtrees of strictly decreasing size; their right fold is the MTH.
    """
    hashes: list[bytes] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        hashes.append(nodes(level, start >> level))
        start += 1 << level
    return fold(hashes)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold perfect-subtree hashes (largest first) from the right into one root."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result

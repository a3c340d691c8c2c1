"""The tamper-evident audit log: pure functions and values, no I/O.

RFC 9162 Merkle hashing and proofs (:mod:`~pactshare.audit.merkle`), the append-side frontier
and an in-memory log (:mod:`~pactshare.audit.tree`), signed and co-signed tree heads
(:mod:`~pactshare.audit.heads`). A store persists entries and perfect
nodes and calls these functions; nothing here reads a file, a database or a clock.
"""

from pactshare.audit.heads import (
    Cosignature,
    SignedTreeHead,
    TreeHead,
    cosign,
    key_id_of,
    sign_head,
    verify_cosignature,
    verify_head,
)
from pactshare.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from pactshare.audit.tree import Frontier, MemoryLog, PerfectNode

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Cosignature",
    "Frontier",
    "MemoryLog",
    "NodeReader",
    "PerfectNode",
    "SignedTreeHead",
    "TreeHead",
    "consistency_proof",
    "cosign",
    "inclusion_proof",
    "key_id_of",
    "leaf_hash",
    "node_hash",
    "root_at",
    "root_of",
    "sign_head",
    "verify_consistency",
    "verify_cosignature",
    "verify_head",
    "verify_inclusion",
]

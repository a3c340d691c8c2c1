"""The tamper-evident audit log: pure functions and values, no I/O.

- :mod:`~pactshare.audit.merkle`: RFC 9162 hashing, inclusion and consistency proofs;
- :mod:`~pactshare.audit.tree`: the append-side frontier and an in-memory log;
- :mod:`~pactshare.audit.heads`: signed and co-signed tree heads;
- :mod:`~pactshare.audit.entries`: the canonical encoding of an audit entry;
- :mod:`~pactshare.audit.verify`: verifying a whole log in one pass, reporting tampering by
  position;
- :mod:`~pactshare.audit.report`: what verifying found, as data.

A store persists entries and perfect nodes and calls these functions; nothing here reads a
file, a database or a clock.
"""

from pactshare.audit.entries import ENTRY_DOMAIN, Entry, EntryKind, JsonValue
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
from pactshare.audit.verify import (
    Problem,
    ProblemKind,
    StoredNodes,
    VerifyReport,
    verify_log,
    verify_stream,
)

__all__ = [
    "EMPTY_ROOT",
    "ENTRY_DOMAIN",
    "HASH_SIZE",
    "Cosignature",
    "Entry",
    "EntryKind",
    "Frontier",
    "JsonValue",
    "MemoryLog",
    "NodeReader",
    "PerfectNode",
    "Problem",
    "ProblemKind",
    "SignedTreeHead",
    "StoredNodes",
    "TreeHead",
    "VerifyReport",
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
    "verify_log",
    "verify_stream",
]

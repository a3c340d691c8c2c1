"""The node's audit log as the API, the dashboard and the CLI use it: the latest signed head,
signing a new one, inclusion and consistency proofs, verification, and what the audit page
shows, each in a transaction of its own (:mod:`pactshare.node.journal` works inside the
caller's transaction, beside the change an entry records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare import audit, seal
from pactshare.node import journal
from pactshare.node.service import Node

__all__ = [
    "LogState",
    "latest_head",
    "log_state",
    "prove",
    "prove_consistency",
    "sign_head",
    "verify",
]


@dataclass(frozen=True, slots=True)
class LogState:
    """The log at one moment: its latest signed head, its size, and its verification report
    (None unless asked for: recomputing the log reads all of it)."""

    head: audit.SignedTreeHead | None
    entries: int
    report: audit.VerifyReport | None


def latest_head(node: Node) -> audit.SignedTreeHead | None:
    with node.db.atomic() as tx:
        return journal.latest_head(tx)


def sign_head(node: Node) -> audit.SignedTreeHead:
    """Sign the head of the log as it is now with the node's key, at the node's instant (the
    latest head, if nothing was added since)."""
    with node.db.atomic() as tx:
        return journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now())


def prove(node: Node, position: int) -> journal.Proof:
    """The inclusion proof of entry ``position`` in the latest signed head, entry whole (the
    operator's view; a person's is :func:`pactshare.node.disclosure.proof_for`)."""
    with node.db.atomic() as tx:
        return journal.prove(tx, position)


def prove_consistency(
    node: Node, old_size: int, new_size: int | None, *, names: tuple[str, str]
) -> journal.ConsistencyProof:
    """See :func:`pactshare.node.journal.prove_consistency`."""
    with node.db.atomic() as tx:
        return journal.prove_consistency(tx, old_size, new_size, names=names)


def verify(
    node: Node,
    *,
    public_key: Ed25519PublicKey | None = None,
    directory: seal.Directory | None = None,
    attested: Sequence[tuple[str, audit.SignedTreeHead]] = (),
) -> audit.VerifyReport:
    """Recompute the whole log from storage (:func:`pactshare.node.journal.verify`), its
    heads checked with ``public_key`` and its cosignatures with ``directory`` — by default
    the node's own key and pinned directory."""
    key = public_key if public_key is not None else node.keys.signing_key.public_key()
    trusted = directory if directory is not None else node.directory
    with node.db.atomic() as tx:
        return journal.verify(tx, key, directory=trusted, attested=attested)


def log_state(node: Node, *, verify: bool) -> LogState:
    """The latest signed head and the log's size, read together; verified too if asked."""
    with node.db.atomic() as tx:
        head, entries = journal.latest_head(tx), journal.size(tx)
        report = (
            journal.verify(tx, node.keys.signing_key.public_key(), directory=node.directory)
            if verify
            else None
        )
    return LogState(head, entries, report)

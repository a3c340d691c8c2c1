"""What witnessing keeps, each with its entry in the keeper's own audit log, in the caller's
transaction: a witness's cosignature of our head, a head of a peer's log we cosigned or were
shown, and a fork's evidence (an ``incident``, kept before the refusal is raised, so that the
evidence outlives it)."""

from __future__ import annotations

from sqlalchemy import Connection

from pactshare import audit
from pactshare.audit import EntryKind
from pactshare.federation.forks import Fork
from pactshare.federation.storage import witnessing
from pactshare.node import journal
from pactshare.node.service import Node

__all__ = ["keep_cosignature", "keep_fork", "keep_head"]


def keep_cosignature(tx: Connection, node: Node, witness: str, head: audit.SignedTreeHead) -> None:
    """Keep ``witness``'s cosignature of our ``head`` once, and journal it."""
    if witnessing.known_cosignature(tx, witness, head.size):
        return
    now = node.now()
    witnessing.insert_cosignature(tx, witness, head, at=now)
    journal.record(
        tx,
        kind=EntryKind.EVENT,
        at=now,
        actor=witness,
        subject=node.party_code,
        details={
            "event": "head-cosigned",
            "witness": witness,
            "size": head.size,
            "root": head.root.hex(),
        },
    )


def keep_head(
    tx: Connection, node: Node, head: audit.SignedTreeHead, *, party: str, via: str
) -> None:
    """Keep a head of ``party``'s log, cosigned by us (``via`` is ``party``) or shown by
    witness ``via``, and journal it."""
    now = node.now()
    witnessing.insert_witnessed_head(tx, head, party=party, via=via, at=now)
    journal.record(
        tx,
        kind=EntryKind.EVENT,
        at=now,
        actor=via,
        subject=party,
        details={
            "event": "head-witnessed" if via == party else "head-seen-by-witness",
            "log": party,
            "via": via,
            "size": head.size,
            "root": head.root.hex(),
        },
    )


def keep_fork(tx: Connection, node: Node, fork: Fork) -> None:
    """Keep the evidence of ``fork`` once, and journal it as an incident."""
    fork_id = fork.id()
    if witnessing.fork_known(tx, fork_id):
        return
    now = node.now()
    evidence = fork.evidence()
    record = witnessing.ForkRecord(
        fork_id, fork.party, fork.reported_by, fork.reason, now, evidence
    )
    witnessing.insert_fork(tx, record)
    journal.record(
        tx,
        kind=EntryKind.INCIDENT,
        at=now,
        actor=node.party_code,
        subject=fork.party,
        details={
            "incident": "fork-detected",
            "fork": fork_id,
            "reported_by": fork.reported_by,
            "reason": fork.reason,
            "evidence": evidence,
        },
    )

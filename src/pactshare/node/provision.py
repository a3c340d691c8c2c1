"""Providing an item to another party.

The decision engine decides at the node's clock; a refusal is recorded in the audit log and
nothing else changes; an allowed provision wraps the data key for the next hop, records the
provision with its decision, and either writes a signed transfer package for hand carriage or
queues the package in the outbox for the network.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import Approval, ApprovalKind, Outcome, Request, decide, normalise_party_code
from pactshare.domain.wire import decision_json
from pactshare.errors import (
    EnvelopeKeyError,
    NodeError,
    RefusedError,
)
from pactshare.limits import blocks
from pactshare.node import faults, journal
from pactshare.node.items import Item, ItemState, item_row, store_envelope
from pactshare.node.outbox import queue_message
from pactshare.node.packages import sign_manifest, write_package
from pactshare.node.service import Node
from pactshare.store.schema import approvals, provisions

__all__ = ["Provision", "provide"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Provision:
    """A recorded provision: its id, its decision (JSON form) and the package, if any."""

    provision_id: str
    decision: dict[str, Any]
    package: Path | None


def _approvals(tx: Connection, item_id: str) -> tuple[Approval, ...]:
    rows = tx.execute(select(approvals).where(approvals.c.item_id == item_id))
    return tuple(
        Approval(
            r.originator, ApprovalKind(r.kind), r.subject, r.recorded_at, r.item_id, r.revoked_at
        )
        for r in rows
    )


def _approval_documents(node: Node, item_id: str, originator: str) -> list[dict[str, Any]]:
    """The originator's signed approvals on file for the item, to show the next party (and
    only the originator's: the next party refuses a release that carries anyone else's)."""
    with node.db.atomic() as tx:
        rows = tx.execute(
            select(approvals.c.document).where(
                approvals.c.item_id == item_id,
                approvals.c.originator == originator,
                approvals.c.revoked_at.is_(None),
            )
        )
        return [dict(document) for document in rows.scalars()]


def _request(node: Node, tx: Connection, row: Item, recipient: str) -> Request:
    label = row.label
    return Request(
        originator=label["originator"],
        recipient=normalise_party_code(recipient),
        classification=label["classification"],
        topics=tuple(label["topics"]),
        holder=None if row.origin == "registered" else node.party_code,
        purpose=label.get("purpose"),
        provided_for=label.get("purpose"),
        releasable_to=tuple(label["releasable_to"]),
        approvals=_approvals(tx, row.id),
        item_id=row.id,
        received_under=row.received_under,
    )


def provide(node: Node, item_id: str, recipient: str, *, package: Path | None) -> Provision:
    """Decide now; record a refusal, or wrap the item for the next hop and send or package it.

    Order, for crash safety: the provision (with its signed manifest) commits before the
    package is written, so no package ever leaves without its record; a package interrupted
    by a crash is finished by running the same command again, not provided twice.
    """
    now = node.now()
    target = normalise_party_code(recipient)
    if package is not None:
        resumed = _resume(node, item_id, target, package)
        if resumed is not None:
            return resumed
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        if row.state != ItemState.HELD:
            raise NodeError(f"item {item_id} is {row.state}; only held items can be provided")
        decision = decide(_request(node, tx, row, target), node.prepared(tx), now)
        if decision.outcome is Outcome.REFUSED:
            journal.record(
                tx,
                kind=EntryKind.REFUSAL,
                at=now,
                actor=node.party_code,
                subject=item_id,
                details={"recipient": target, "decision": decision_json(decision)},
            )
    if decision.outcome is Outcome.REFUSED:
        denials = tuple(f"{r.rule}: {r.text}" for r in decision.denials)
        log.info(
            "provision refused",
            extra={"item_id": item_id, "to": target, "outcome": decision.outcome.value},
        )
        raise RefusedError(f"providing {item_id} to {target} is refused", reasons=denials)
    next_hop = decision.route[0].recipient
    try:
        recipient_keys = node.directory.current(next_hop)
    except EnvelopeKeyError as exc:
        raise NodeError(
            f"{next_hop}'s public key is not pinned; add it with: pactshare directory add FILE"
        ) from exc
    with node.objects.open(row.envelope) as sealed:
        digest, size = node.objects.put_chunks(
            seal.rewrap(sealed, node.keys, node.directory, to=[recipient_keys], at=now)
        )
    faults.checkpoint("provide:wrapped")
    provision_id = uuid.uuid4().hex
    body = {
        "package_id": provision_id,
        "sender": node.party_code,
        "recipient": next_hop,
        "final_recipient": decision.route[-1].recipient,
        "item_id": item_id,
        "created_at": now.isoformat(),
        "envelope": {"digest": digest, "size": size},
        "label": row.label,
        "decision": decision_json(decision),
        "approvals": _approval_documents(node, item_id, row.originator),
    }
    signed = sign_manifest(body, node.keys)
    with node.db.atomic() as tx:
        store_envelope(node, tx, digest, size)
        tx.execute(
            insert(provisions).values(
                id=provision_id,
                item_id=item_id,
                recipient=next_hop,
                decided_at=now,
                outcome=decision.outcome.value,
                decision=decision_json(decision),
                manifest=signed,
                state="packaging" if package else "queued",
            )
        )
        if package is None:
            queue_message(
                tx,
                message_id=provision_id,
                kind="item",
                recipient=next_hop,
                payload=signed,
                at=now,
                envelope=digest,
            )
        journal.record(
            tx,
            kind=EntryKind.PROVISION,
            at=now,
            actor=node.party_code,
            subject=item_id,
            details={
                "provision": provision_id,
                "to": next_hop,
                "envelope": digest,
                "decision": decision_json(decision),
                "delivery": "package" if package else "outbox",
            },
        )
    log.info(
        "provision decided",
        extra={
            "item_id": item_id,
            "provision_id": provision_id,
            "to": decision.route[-1].recipient,
            "next_hop": next_hop,
            "outcome": decision.outcome.value,
            "agreement": decision.route[0].agreement,
        },
    )
    if package is not None:
        _write(node, provision_id, signed, package)
    return Provision(provision_id, decision_json(decision), package)


def _write(node: Node, provision_id: str, signed: dict[str, Any], package: Path) -> None:
    faults.checkpoint("provide:recorded")
    with node.objects.open(signed["body"]["envelope"]["digest"]) as source:
        write_package(package, signed, blocks(source))
    faults.checkpoint("provide:written")
    with node.db.atomic() as tx:
        tx.execute(
            update(provisions).where(provisions.c.id == provision_id).values(state="packaged")
        )


def _resume(node: Node, item_id: str, recipient: str, package: Path) -> Provision | None:
    """Finish a package that a crash interrupted after its provision was recorded."""
    with node.db.atomic() as tx:
        row = tx.execute(
            select(provisions).where(
                provisions.c.item_id == item_id,
                provisions.c.recipient == recipient,
                provisions.c.state == "packaging",
            )
        ).first()
    if row is None:
        return None
    _write(node, row.id, row.manifest, package)
    return Provision(row.id, row.decision, package)

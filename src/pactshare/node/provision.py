"""Providing an item to another party.

The decision engine decides at the node's clock, and a hand-over under an agreement that asks
for it waits for the receiving party's assurance (R-ACC-4, Art. 7(5); AT-16); a refusal is
recorded in the audit log and nothing else changes; an allowed provision wraps the data key
for the next hop, records the provision with its decision, and either writes a signed transfer
package for hand carriage or queues the package in the outbox for the network.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import (
    Approval,
    ApprovalKind,
    Decision,
    Outcome,
    Prepared,
    Registry,
    Request,
    decide,
    normalise_party_code,
)
from pactshare.domain.assurances import assured
from pactshare.domain.wire import decision_json
from pactshare.errors import (
    EnvelopeKeyError,
    NodeError,
    RefusedError,
)
from pactshare.node import faults, journal
from pactshare.node.assurances import assurances_on_record
from pactshare.node.envelopes import StoredEnvelope, envelope_blocks, find_envelope, keep_front
from pactshare.node.items import Item, ItemState, item_of, no_item
from pactshare.node.outbox import queue_message
from pactshare.node.packages import sign_manifest, write_package
from pactshare.node.service import Node
from pactshare.seal.label import DERIVATIONS
from pactshare.store.schema import approvals, items, provisions

__all__ = ["Provision", "provide"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Provision:
    """A recorded provision: its id, its decision (JSON form) and the package, if any."""

    provision_id: str
    decision: dict[str, Any]
    package: Path | None


_APPROVAL_COLUMNS = ("id", "originator", "kind", "subject", "recorded_at", "revoked_at", "document")

# The item and the approvals on file for it, in one statement (one row per approval; one row
# with the approval's columns NULL if there is none). Built once: a provision reads it first.
_ITEM_AND_APPROVALS = (
    select(items, *(approvals.c[name].label(f"approval_{name}") for name in _APPROVAL_COLUMNS))
    .select_from(items.outerjoin(approvals, approvals.c.item_id == items.c.id))
    .where(items.c.id == bindparam("item_id"))
)
_INSERT_PROVISION = insert(provisions)


def _item_and_approvals(
    tx: Connection, item_id: str
) -> tuple[Item, tuple[Approval, ...], list[dict[str, Any]]]:
    """The item (NotFoundError if none), the approvals on file for it, and the signed
    documents of those to show the next party: the originator's own, not revoked (the next
    party refuses a release that carries anyone else's)."""
    rows = tx.execute(_ITEM_AND_APPROVALS, {"item_id": item_id}).all()
    if not rows:
        raise no_item(item_id)
    item = item_of(rows[0])
    on_file = [r for r in rows if r.approval_id is not None]
    return item, tuple(_approval(r, item.id) for r in on_file), _shown(on_file, item)


def _approval(r: Row[Any], item_id: str) -> Approval:
    return Approval(
        r.approval_originator,
        ApprovalKind(r.approval_kind),
        r.approval_subject,
        r.approval_recorded_at,
        item_id,
        r.approval_revoked_at,
    )


def _shown(rows: list[Row[Any]], item: Item) -> list[dict[str, Any]]:
    return [
        dict(r.approval_document)
        for r in rows
        if r.approval_originator == item.originator and r.approval_revoked_at is None
    ]


def _request(node: Node, row: Item, recipient: str, found: tuple[Approval, ...]) -> Request:
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
        approvals=found,
        item_id=row.id,
        received_under=row.received_under,
    )


def _gated(
    node: Node, tx: Connection, row: Item, decision: Decision, *, registry: Registry, now: datetime
) -> Decision:
    """The decision, refused unless the assurance its agreement asks for before the hand-over
    is on record (R-ACC-4, Art. 7(5); AT-16). The assurances are read only under such an
    agreement (most provisions pay nothing for the gate)."""
    if not decision.allowed:
        return decision
    hop = decision.route[0]
    if not registry.agreement(hop.agreement).assurance_before_provision:
        return decision
    on_record = assurances_on_record(tx, receiving=hop.recipient, originating=node.party_code)
    return assured(decision, registry, tuple(row.label["topics"]), on_record, now)


def _measured(pieces: Iterable[bytes | memoryview]) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the concatenated ``pieces``."""
    digest, size = hashlib.sha256(), 0
    for piece in pieces:
        digest.update(piece)
        size += len(piece)
    return digest.hexdigest(), size


def provide(node: Node, item_id: str, recipient: str, *, package: Path | None) -> Provision:
    """Decide now; record a refusal, or wrap the item for the next hop and send or package it.

    One transaction records the decision, the provision, the re-wrapped envelope (its front:
    the payload is the held envelope's), the audit entry and the outbox message, or the
    refusal's audit entry: a crash leaves all of it or none. For hand carriage the package is
    written after that commit, so no package ever leaves without its record; a package
    interrupted by a crash is finished by running the same command again, not provided twice.
    """
    now = node.now()
    target = normalise_party_code(recipient)
    if package is not None:
        resumed = _resume(node, item_id, target, package)
        if resumed is not None:
            return resumed
    with node.db.atomic() as tx:
        row, found, documents = _item_and_approvals(tx, item_id)
        if row.state != ItemState.HELD:
            raise NodeError(f"item {item_id} is {row.state}; only held items can be provided")
        if row.origin in DERIVATIONS:
            raise RefusedError(
                f"providing {item_id} to {target} is refused",
                reasons=(
                    f"R-REP-1, R-TRA-1: item {item_id} is a {row.origin} this node made; copies "
                    "and translations stay with the party that made them (provide the original)",
                ),
            )
        prepared: Prepared = node.prepared(tx)  # the registry's version is read once
        decision = decide(_request(node, row, target, found), prepared, now)
        decision = _gated(node, tx, row, decision, registry=prepared.registry, now=now)
        decided = decision_json(decision)  # one JSON form for the rows, manifest and entry
        if decision.outcome is Outcome.REFUSED:
            journal.record(
                tx,
                kind=EntryKind.REFUSAL,
                at=now,
                actor=node.party_code,
                subject=item_id,
                details={"recipient": target, "decision": decided},
            )
        else:
            recorded = _record(
                node, tx, row, decision, documents, decided=decided, package=package, now=now
            )
    if decision.outcome is Outcome.REFUSED:
        denials = tuple(f"{r.rule}: {r.text}" for r in decision.denials)
        log.info(
            "provision refused",
            extra={"item_id": item_id, "to": target, "outcome": decision.outcome.value},
        )
        raise RefusedError(f"providing {item_id} to {target} is refused", reasons=denials)
    provision_id, signed, envelope = recorded
    log.info(
        "provision decided",
        extra={
            "item_id": item_id,
            "provision_id": provision_id,
            "to": decision.route[-1].recipient,
            "next_hop": decision.route[0].recipient,
            "outcome": decision.outcome.value,
            "agreement": decision.route[0].agreement,
        },
    )
    if package is not None:
        _write(node, provision_id, envelope, signed, package)
    return Provision(provision_id, decided, package)


def _record(
    node: Node,
    tx: Connection,
    row: Item,
    decision: Decision,
    documents: list[dict[str, Any]],
    *,
    decided: dict[str, Any],
    package: Path | None,
    now: datetime,
) -> tuple[str, dict[str, Any], StoredEnvelope]:
    """Wrap the data key for the next hop and record the provision inside ``tx``; return its
    id, its signed manifest and the re-wrapped envelope. ``decided``: the decision's JSON."""
    next_hop = decision.route[0].recipient
    try:
        recipient_keys = node.directory.current(next_hop)
    except EnvelopeKeyError as exc:
        raise NodeError(
            f"{next_hop}'s public key is not pinned; add it with: pactshare directory add FILE"
        ) from exc
    with node.objects.open(row.envelope) as sealed:
        relayed = seal.rewrap(sealed, node.keys, node.directory, to=[recipient_keys], at=now)
        digest, size = _measured(relayed)  # the held envelope is verified as it passes
    envelope = StoredEnvelope(digest, size, relayed.front, row.envelope, relayed.payload_at)
    faults.checkpoint("provide:wrapped")
    provision_id = uuid.uuid4().hex
    body = {
        "package_id": provision_id,
        "sender": node.party_code,
        "recipient": next_hop,
        "final_recipient": decision.route[-1].recipient,
        "item_id": row.id,
        "created_at": now.isoformat(),
        "envelope": {"digest": digest, "size": size},
        "label": row.label,
        "decision": decided,
        "approvals": documents,
    }
    signed = sign_manifest(body, node.keys)
    keep_front(
        tx,
        digest,
        size,
        front=relayed.front,
        payload_of=row.envelope,
        payload_at=relayed.payload_at,
        at=now,
    )
    tx.execute(
        _INSERT_PROVISION,
        {
            "id": provision_id,
            "item_id": row.id,
            "recipient": next_hop,
            "decided_at": now,
            "outcome": decision.outcome.value,
            "decision": decided,
            "manifest": signed,
            "state": "packaging" if package else "queued",
        },
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
        subject=row.id,
        details={
            "provision": provision_id,
            "to": next_hop,
            "envelope": digest,
            "decision": decided,
            "delivery": "package" if package else "outbox",
        },
    )
    return provision_id, signed, envelope


def _write(
    node: Node,
    provision_id: str,
    envelope: StoredEnvelope,
    signed: dict[str, Any],
    package: Path,
) -> None:
    faults.checkpoint("provide:recorded")
    write_package(package, signed, envelope_blocks(node, envelope))
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
        envelope = find_envelope(tx, row.manifest["body"]["envelope"]["digest"])
    _write(node, row.id, envelope, row.manifest, package)
    return Provision(row.id, row.decision, package)

"""Registering an item and providing it to another party.

Register: the originator seals the file for its own node (the node never keeps plaintext) and
records the item. Provide: the decision engine decides at the node's clock; a refusal is
recorded in the audit log and nothing else changes; an allowed provision wraps the data key
for the next hop, records the provision with its decision, and either writes a signed transfer
package for hand carriage or queues the package in the outbox for the network.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import Approval, ApprovalKind, Outcome, Request, decide, normalise_party_code
from pactshare.domain.labels import check_label
from pactshare.domain.wire import decision_json
from pactshare.errors import (
    EnvelopeKeyError,
    InputError,
    LabelError,
    NodeError,
    NotFoundError,
    RefusedError,
)
from pactshare.limits import blocks
from pactshare.node import faults, journal
from pactshare.node.outbox import queue_message
from pactshare.node.packages import sign_manifest, write_package
from pactshare.node.service import Node
from pactshare.store.schema import approvals, envelopes, items, provisions

__all__ = [
    "Item",
    "ItemState",
    "Provision",
    "find_item",
    "get_item",
    "held_items",
    "item_row",
    "new_label",
    "provide",
    "register",
    "register_label",
    "store_envelope",
]

log = logging.getLogger(__name__)


class ItemState(StrEnum):
    """Where an item stands on this node: held, or disposed of at the end of need (R-PRO-8)."""

    HELD = "held"
    DESTROYED = "destroyed"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Provision:
    """A recorded provision: its id, its decision (JSON form) and the package, if any."""

    provision_id: str
    decision: dict[str, Any]
    package: Path | None


@dataclass(frozen=True, slots=True)
class Item:
    """An item held on this node, as recorded: its verified label, its sealed envelope's
    digest, where it came from, our own marking (R-MARK-1) and its custody state."""

    id: str
    originator: str
    label: dict[str, Any]
    envelope: str
    origin: str  # registered | received
    received_from: str | None
    received_under: str | None
    marking_level: str
    marking: str
    state: ItemState
    needs_remarking: bool
    derived_from: str | None
    disposal: dict[str, Any] | None  # the signed certificate of return or destruction
    recorded_at: datetime


def _item(r: Row[Any]) -> Item:
    return Item(
        id=r.id,
        originator=r.originator,
        label=r.label,
        envelope=r.envelope,
        origin=r.origin,
        received_from=r.received_from,
        received_under=r.received_under,
        marking_level=r.marking_level,
        marking=r.marking,
        state=ItemState(r.state),
        needs_remarking=r.needs_remarking,
        derived_from=r.derived_from,
        disposal=r.disposal,
        recorded_at=r.recorded_at,
    )


def store_envelope(node: Node, tx: Connection, digest: str, size: int) -> None:
    """Record a stored envelope once (content-addressed: the same bytes, the same row)."""
    if tx.execute(select(envelopes.c.digest).where(envelopes.c.digest == digest)).first() is None:
        tx.execute(insert(envelopes).values(digest=digest, size=size, stored_at=node.now()))


def find_item(tx: Connection, item_id: str) -> Item | None:
    """The item recorded under ``item_id``, if this node holds (or held) it."""
    row = tx.execute(select(items).where(items.c.id == item_id)).first()
    return None if row is None else _item(row)


def item_row(tx: Connection, item_id: str) -> Item:
    """The item recorded under ``item_id``; NotFoundError if there is none."""
    found = find_item(tx, item_id)
    if found is None:
        raise NotFoundError(f"no item {item_id!r} on this node (see: pactshare inbox)")
    return found


def held_items(tx: Connection, *, received_only: bool = False) -> list[Item]:
    """The items recorded on this node (or only those received), oldest first."""
    query = select(items).order_by(items.c.recorded_at)
    if received_only:
        query = query.where(items.c.origin == "received")
    return [_item(r) for r in tx.execute(query)]


def get_item(node: Node, item_id: str) -> Item:
    """The item recorded under ``item_id``, read in its own transaction (NotFoundError if none)."""
    with node.db.atomic() as tx:
        return item_row(tx, item_id)


def _counted(
    chunks: Iterator[bytes | memoryview], progress: Callable[[int], None] | None
) -> Iterator[bytes | memoryview]:
    for chunk in chunks:
        if progress is not None:
            progress(len(chunk))
        yield chunk


def register(
    node: Node,
    payload: Path,
    label_file: Path,
    *,
    derived_from: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Seal ``payload`` under the label in ``label_file``; return the new item's id.

    ``derived_from`` names an item this one contains (a document made from provided CMI,
    R-MARK-2): a later reclassification of that item flags this one for re-marking.
    ``progress`` is called with the number of bytes sealed so far, chunk by chunk.
    """
    label = new_label(seal.Label.read_toml(label_file), source=str(label_file), at=node.now())
    return register_label(
        node, payload, label, source=str(label_file), derived_from=derived_from, progress=progress
    )


def new_label(data: Mapping[str, object], *, source: str, at: datetime) -> seal.Label:
    """A new item's label from the fields a person gave (a file, a form): its id is generated
    here, by the originator's node, and never taken from them (an id names one item)."""
    if "item_id" in data:
        raise LabelError(
            "an item's id is generated by its originator's node; remove it",
            file=source,
            key="item_id",
        )
    return seal.Label.from_mapping(data, source=source, item_id=uuid.uuid4().hex, created_at=at)


def register_label(
    node: Node,
    payload: Path,
    label: seal.Label,
    *,
    source: str,
    derived_from: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Seal ``payload`` under an already parsed ``label`` (``source`` names it in errors).

    The API reads labels sent as TOML or JSON; the CLI reads a TOML file (:func:`register`).
    """
    now = node.now()
    if derived_from is not None:
        with node.db.atomic() as tx:
            item_row(tx, derived_from)
    with node.db.atomic() as tx:
        registry = node.registry(tx)
    level = check_label(label, registry, source=source, signer=node.party_code)
    party = registry.party(node.party_code)
    label = seal.Label.from_mapping({**label.as_json(), "classification": level.id})
    try:
        with payload.open("rb") as data:
            digest, size = node.objects.put_chunks(
                _counted(seal.seal(data, label, node.keys, [node.keys.public()]), progress)
            )
    except OSError as exc:
        raise InputError(f"{payload}: cannot be read ({exc.strerror})") from exc
    faults.checkpoint("register:sealed")
    with node.db.atomic() as tx:
        store_envelope(node, tx, digest, size)
        tx.execute(
            insert(items).values(
                id=label.item_id,
                originator=party.code,
                label=label.as_json(),
                envelope=digest,
                origin="registered",
                marking_level=level.id,
                marking=f"{party.code} / {level.name}",
                state=ItemState.HELD.value,
                needs_remarking=False,
                derived_from=derived_from,
                recorded_at=now,
            )
        )
        journal.record(
            tx,
            kind=EntryKind.REGISTRATION,
            at=now,
            actor=party.code,
            subject=label.item_id,
            details={"label": label.as_json(), "envelope": digest, "size": size},
        )
    return label.item_id


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

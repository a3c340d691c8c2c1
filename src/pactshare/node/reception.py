"""Receiving a transfer package: verify, re-decide, mark, keep custody, sign a receipt.

The receiver trusts nothing the sender's node decided: it verifies the manifest and the
envelope against its pinned directory, decides again from its own copy of the agreements,
marks the item with its own equivalent level (R-MARK-1), records the pre-transfer assurance
(R-ACC-4) and returns a signed receipt.

Each package is one custody hop, keyed by its package id. Receiving the same package again
changes nothing and answers its first receipt. A new package for an item this node already
holds (the same item by another route: a TISA relay, then GSOMIA directly) is recorded as
another hop with its own receipt; the holding keeps its first marking and agreement. A new
package for an item this node returned or destroyed holds it again. An item id names one
item: a package whose label differs from the one held under that id is refused, as is one
for an item this node originated. The envelope is staged while it is checked and kept in the
object store only with the records that name it, so a refused package leaves no file.

The receiver decides at the instant the sender decided (the manifest's ``created_at``), not
at the instant the package arrives: a provision is decided once, and an item provided while
the agreement was in force stays receivable after it lapses, since its protection survives
(AT-17); a package arriving late after a courier trip or a peer outage is no
different. A decision instant more than :data:`MAX_FUTURE` ahead of the receiver's clock is
refused: nobody may pre-date a release into a future the agreements have not reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import (
    Approval,
    Decision,
    Hop,
    Outcome,
    Registry,
    Request,
    decide,
    parse_instant,
)
from pactshare.domain.wire import decision_json
from pactshare.errors import PackageError, PactshareError, PolicyError, RefusedError, StorageError
from pactshare.node import faults, journal
from pactshare.node.consents import ApprovalBody
from pactshare.node.documents import checked_body, sign_document, verify_document
from pactshare.node.envelopes import store_envelope
from pactshare.node.items import Item, ItemState, find_item
from pactshare.node.packages import Manifest, envelope_chunks, read_manifest
from pactshare.node.service import Node
from pactshare.store.objects import Staged
from pactshare.store.schema import items, receipts

__all__ = [
    "ALREADY_RECEIVED",
    "ANOTHER_HOP",
    "MAX_FUTURE",
    "RECEIVED",
    "RECEIVED_AGAIN",
    "Reception",
    "receive",
    "receive_package",
]

log = logging.getLogger(__name__)

MAX_FUTURE = timedelta(minutes=5)
RECEIVED = "received"  # the item's first arrival here
RECEIVED_AGAIN = "received-again"  # held again after this node returned or destroyed it
ANOTHER_HOP = "another-hop"  # already held: one more custody hop, with its own receipt
ALREADY_RECEIVED = "already-received"  # this very package came before: its first receipt


def _unknown_topics(registry: Registry, topics: tuple[str, ...]) -> str:
    """Why the label's topics are outside this node's vocabulary ("" if they are not): no
    agreement here can be said to cover a topic this node does not know, so it refuses."""
    try:
        registry.check_topics(topics)
    except PolicyError as exc:
        return f"label: {exc}"
    return ""


@dataclass(frozen=True, slots=True)
class Reception:
    """What receiving a package did: the signed receipt, and ``custody``, one of
    :data:`RECEIVED`, :data:`RECEIVED_AGAIN`, :data:`ANOTHER_HOP` or :data:`ALREADY_RECEIVED`."""

    receipt: dict[str, Any]
    custody: str


def receive(node: Node, path: Path, *, source: str | None = None) -> dict[str, Any]:
    """Receive the package at ``path``; return the signed receipt (the same one if received
    before). Errors name it ``source`` (default: the path), e.g. a peer's message id."""
    return receive_package(node, path, source=source).receipt


def receive_package(node: Node, path: Path, *, source: str | None = None) -> Reception:
    """Receive the package at ``path``; say what it did to the custody of its item. Errors
    name it ``source`` (default: the path)."""
    now = node.now()
    package = source or str(path)
    manifest, archive = read_manifest(path, node.directory, source=package)
    with archive:
        if manifest.recipient != node.party_code:
            raise PackageError(
                f"{package}: addressed to {manifest.recipient}, not to {node.party_code}"
            )
        decided_at = _decision_instant(manifest.body, now, package)
        earlier = _earlier(node, manifest.package_id)
        if earlier is not None:
            return Reception(earlier, ALREADY_RECEIVED)
        chunks = envelope_chunks(archive, manifest, where=package)
        with node.objects.stage(chunks) as staged:
            faults.checkpoint("receive:stored")
            return _receive_staged(node, package, manifest, staged, decided_at=decided_at, now=now)


def _earlier(node: Node, package_id: str) -> dict[str, Any] | None:
    """Our receipt for ``package_id``, if we received it before."""
    with node.db.atomic() as tx:
        earlier = tx.execute(
            select(receipts.c.receipt).where(receipts.c.package_id == package_id)
        ).scalar_one_or_none()
    return None if earlier is None else dict(earlier)


def _receive_staged(
    node: Node,
    package: str,
    manifest: Manifest,
    staged: Staged,
    *,
    decided_at: datetime,
    now: datetime,
) -> Reception:
    """Check the staged envelope, decide, and record the hop (keeping the envelope) or refuse."""
    if staged.digest != manifest.envelope_digest:
        raise PackageError(f"{package}: the envelope does not match the manifest's digest")
    with staged.open() as sealed:
        info = seal.verify(sealed, node.directory)
    label = info.label
    if label.as_json() != manifest.body["label"]:
        raise PackageError(f"{package}: the manifest's label differs from the envelope's")
    sender = manifest.sender
    onward = sender != label.originator
    request = Request(
        originator=label.originator,
        recipient=node.party_code,
        classification=label.classification,
        topics=label.topics,
        holder=sender if onward else None,
        releasable_to=label.releasable_to,
        approvals=_approvals(node, manifest.body, label.originator, package) if onward else (),
        item_id=label.item_id,
        received_under=_sender_agreement(manifest.body, node.party_code) if onward else None,
    )
    with node.db.atomic() as tx:
        registry = node.registry(tx)
        unknown = _unknown_topics(registry, label.topics)
        decision = None if unknown else decide(request, node.prepared(tx), decided_at)
        if decision is None or decision.outcome is not Outcome.ALLOWED:
            journal.record(
                tx,
                kind=EntryKind.REFUSAL,
                at=now,
                actor=node.party_code,
                subject=label.item_id,
                details={
                    "received_from": sender,
                    "package": manifest.package_id,
                    **(
                        {"reason": unknown}
                        if decision is None
                        else {"decision": decision_json(decision)}
                    ),
                },
            )
    if decision is None or decision.outcome is not Outcome.ALLOWED:
        denials = (
            (unknown,)
            if decision is None
            else tuple(f"{r.rule}: {r.text}" for r in decision.denials)
        )
        log.info(
            "reception refused",
            extra={"item_id": label.item_id, "package_id": manifest.package_id, "from": sender},
        )
        raise RefusedError(
            f"{package}: this node's agreements do not allow receiving it", reasons=denials
        )
    hop = _hop_under(decision, _sender_agreement(manifest.body, node.party_code))
    assurance = {  # R-ACC-4, Art. 7(5): what the receiving party assures the originator
        "clearance_required": hop.marking.level,
        "need_to_know": list(label.topics),
        "equivalent_protection_under": hop.agreement,
    }
    receipt_body = {
        "package_id": manifest.package_id,
        "item_id": label.item_id,
        "sender": sender,
        "receiver": node.party_code,
        "received_at": now.isoformat(),
        "envelope": {"digest": staged.digest, "size": staged.size},
        "marking": hop.marking.text,
        "agreement": hop.agreement,
        "assurance": assurance,
    }
    receipt = sign_document("receipt", receipt_body, node.keys)
    checked = _Checked(package, manifest, label, hop, decision, assurance, receipt)
    try:
        custody = _record(node, staged, now, checked)
    except StorageError:
        # A concurrent arrival recorded first: the same package (answer its receipt), or the
        # same item by another route (it is held now: this is another hop).
        earlier = _earlier(node, manifest.package_id)
        if earlier is not None:
            return Reception(earlier, ALREADY_RECEIVED)
        custody = _record(node, staged, now, checked)
    faults.checkpoint("receive:recorded")
    log.info(
        "item received",
        extra={
            "item_id": label.item_id,
            "package_id": manifest.package_id,
            "from": sender,
            "agreement": hop.agreement,
            "custody": custody,
        },
    )
    return Reception(receipt, custody)


@dataclass(frozen=True, slots=True)
class _Checked:
    """A package that passed every check, with our decision and our signed receipt."""

    package: str
    manifest: Manifest
    label: seal.Label
    hop: Hop
    decision: Decision
    assurance: dict[str, Any]
    receipt: dict[str, Any]


def _record(node: Node, staged: Staged, now: datetime, checked: _Checked) -> str:
    """Record the hop, its receipt and audit entry, and keep the envelope, in one unit of work;
    return what it did to the item's custody."""
    manifest, label, hop = checked.manifest, checked.label, checked.hop
    sender = manifest.sender
    kept_new = False
    try:
        with node.db.atomic() as tx:
            store_envelope(node, tx, staged.digest, staged.size)
            custody = _hold(tx, find_item(tx, label.item_id), checked, staged.digest, now)
            tx.execute(
                insert(receipts).values(
                    package_id=manifest.package_id,
                    item_id=label.item_id,
                    sender=sender,
                    receipt=checked.receipt,
                    received_at=now,
                )
            )
            journal.record(
                tx,
                kind=EntryKind.RECEIPT,
                at=now,
                actor=node.party_code,
                subject=label.item_id,
                details={
                    "package": manifest.package_id,
                    "from": sender,
                    "custody": custody,
                    "marking": hop.marking.text,
                    "agreement": hop.agreement,
                    "assurance": checked.assurance,
                    "decision": decision_json(checked.decision),
                },
            )
            kept_new = staged.keep()  # last: the envelope is kept only with its records
    except BaseException:
        if kept_new:  # the commit failed after the envelope was kept: no orphan
            node.objects.discard(staged.digest)
        raise
    return custody


def _hold(tx: Connection, held: Item | None, checked: _Checked, digest: str, now: datetime) -> str:
    """Create, re-open or keep the item's row for this hop; refuse another item's id."""
    label, hop, package = checked.label, checked.hop, checked.package
    values = {
        "envelope": digest,
        "received_from": checked.manifest.sender,
        "received_under": hop.agreement,
        "marking_level": hop.marking.level,
        "marking": hop.marking.text,
        "state": ItemState.HELD.value,
        "needs_remarking": False,
        "recorded_at": now,
    }
    if held is None:
        tx.execute(
            insert(items).values(
                id=label.item_id,
                originator=label.originator,
                label=label.as_json(),
                origin="received",
                **values,
            )
        )
        return RECEIVED
    if held.origin != "received":
        raise PackageError(f"{package}: item {label.item_id} originated on this node")
    if held.originator != label.originator or held.label != label.as_json():
        raise PackageError(
            f"{package}: item {label.item_id} is held here under another label;"
            " an item id names one item"
        )
    if held.state == ItemState.HELD:
        return ANOTHER_HOP
    tx.execute(update(items).where(items.c.id == label.item_id).values(disposal=None, **values))
    return RECEIVED_AGAIN


def _decision_instant(body: dict[str, Any], now: datetime, package: str) -> datetime:
    """The sender's decision instant, refused if it lies beyond our clock's tolerance."""
    try:
        decided_at = parse_instant(str(body["created_at"]), what="manifest created_at")
    except (KeyError, PactshareError) as exc:
        raise PackageError(f"{package}: the manifest has no valid created_at ({exc})") from exc
    if decided_at > now + MAX_FUTURE:
        raise RefusedError(
            f"{package}: decided at {decided_at.isoformat()}, in this node's future",
            reasons=(f"the sender's decision instant is more than {MAX_FUTURE} ahead of ours",),
        )
    return decided_at


def _sender_agreement(body: dict[str, Any], receiver: str) -> str | None:
    """The agreement the sender's decision named for the hop that reaches us."""
    for hop in body.get("decision", {}).get("route", []):
        if hop.get("to") == receiver:
            return str(hop.get("agreement"))
    return None


def _hop_under(decision: Decision, agreement: str | None) -> Hop:
    """Our own decision's hop to us, under the sender's agreement if we allow that one too.

    A hub that received under an arrangement (TISA) must hold the item under it, so that its
    onward release follows the arrangement's rules (R-TISA-6, R-TISA-7).
    """
    routes = [decision.route, *(route.hops for route in decision.alternatives)]
    for hops in routes:
        if len(hops) == 1 and hops[0].agreement == agreement:
            return hops[0]
    return decision.route[-1]


def _approvals(
    node: Node, body: dict[str, Any], originator: str, package: str
) -> tuple[Approval, ...]:
    """The originator's approvals a holder forwards with the item, each checked as signed by
    the originator (a hub's onward release, R-TISA-6, or a third-party release, R-PRO-1)."""
    found = []
    for document in body.get("approvals", []):
        party, approval = verify_document(document, node.directory, kind="approval", where=package)
        checked = checked_body(ApprovalBody, approval, where=f"{package}: an approval")
        if party != originator or checked.originator != originator:
            raise PackageError(f"{package}: an approval not signed by the originator {originator}")
        found.append(
            Approval(
                originator,
                checked.kind,
                checked.subject,
                parse_instant(str(checked.granted_at), what="approval granted_at"),
                checked.item_id,
            )
        )
    return tuple(found)

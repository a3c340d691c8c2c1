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
for an item this node originated. The envelope is staged while it is checked and kept only
with the records that name it, so a refused package leaves nothing: an envelope of at most
:data:`~pactshare.node.envelopes.MAX_INLINE` bytes is staged in memory and kept in the
database by the transaction that records its receipt (one commit makes it all durable), a
larger one is staged as a file of the object store and renamed into place just before that
commit.

The receiver decides at the instant the sender decided (the manifest's ``created_at``), not
at the instant the package arrives: a provision is decided once, and an item provided while
the agreement was in force stays receivable after it lapses, since its protection survives
(AT-17); a package arriving late after a courier trip or a peer outage is no
different. A decision instant more than :data:`MAX_FUTURE` ahead of the receiver's clock is
refused: nobody may pre-date a release into a future the agreements have not reached.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, bindparam, insert, select, update

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
from pactshare.node.envelopes import MAX_INLINE, keep_bytes, store_envelope
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
    "Joined",
    "Reception",
    "receive",
    "receive_opened",
    "receive_package",
]

log = logging.getLogger(__name__)

#: What a caller records in the reception's transaction (a federation request's nonce).
Joined = Callable[[Connection], None]

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
    name it ``source`` (default: its path)."""
    package = source or str(path)
    manifest, archive = read_manifest(path, node.directory, source=package)
    with archive:
        return receive_opened(node, manifest, archive, source=package)


def receive_opened(
    node: Node,
    manifest: Manifest,
    archive: zipfile.ZipFile,
    *,
    source: str,
    joined: Joined | None = None,
) -> Reception:
    """Receive a package whose manifest was verified (:func:`read_manifest`), from its open
    ``archive``. What it records — the refusal's audit entry, or the item, its envelope, the
    receipt and the audit entry — is one transaction, which ``joined`` joins (a federation
    request's nonce); that transaction first looks for the package's receipt, and answers it
    if the package was received before (a sender's retry: its envelope, staged and checked
    again, is not kept twice)."""
    now = node.now()
    if manifest.recipient != node.party_code:
        raise PackageError(f"{source}: addressed to {manifest.recipient}, not to {node.party_code}")
    decided_at = _decision_instant(manifest.body, now, source)
    chunks = envelope_chunks(archive, manifest, where=source)
    with _staged(node, manifest, chunks) as staged:
        faults.checkpoint("receive:stored")
        checked = _check(node, source, manifest, staged, decided_at=decided_at, now=now)
        return _receive_checked(node, checked, staged, joined=joined)


class _InMemory:
    """A small envelope staged in memory: kept in the database with its receipt's records."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.digest = hashlib.sha256(data).hexdigest()
        self.size = len(data)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


_Staging = Staged | _InMemory


@contextmanager
def _staged(node: Node, manifest: Manifest, chunks: Iterator[bytes]) -> Iterator[_Staging]:
    """The envelope's bytes staged: in memory if the manifest declares at most
    :data:`MAX_INLINE` bytes (``chunks`` never yields more than it declares), else in a file
    of the object store."""
    if manifest.envelope_size <= MAX_INLINE:
        yield _InMemory(b"".join(chunks))
        return
    with node.objects.stage(chunks) as staged:
        yield staged


def _earlier(node: Node, package_id: str, joined: Joined | None) -> dict[str, Any] | None:
    """Our receipt for ``package_id``, if we received it before (``joined`` joins then)."""
    with node.db.atomic() as tx:
        earlier = _receipt_of(tx, package_id)
        if earlier is not None and joined is not None:
            joined(tx)
    return earlier


_RECEIPT_OF = select(receipts.c.receipt).where(receipts.c.package_id == bindparam("package_id"))


def _receipt_of(tx: Connection, package_id: str) -> dict[str, Any] | None:
    """Our receipt for ``package_id`` if we received it before (inside ``tx``)."""
    earlier = tx.execute(_RECEIPT_OF, {"package_id": package_id}).scalar_one_or_none()
    return None if earlier is None else dict(earlier)


@dataclass(frozen=True, slots=True)
class _Package:
    """A package whose envelope verified: its manifest, label and the request to decide."""

    package: str
    manifest: Manifest
    label: seal.Label
    request: Request
    decided_at: datetime  # the sender's decision instant, at which we decide too
    now: datetime  # when we receive it


def _check(
    node: Node,
    package: str,
    manifest: Manifest,
    staged: _Staging,
    *,
    decided_at: datetime,
    now: datetime,
) -> _Package:
    """Verify the staged envelope against the manifest and the directory (no transaction)."""
    if staged.digest != manifest.envelope_digest:
        raise PackageError(f"{package}: the envelope does not match the manifest's digest")
    with staged.open() as sealed:
        info = seal.verify(sealed, node.directory)
    label = info.label
    if label.as_json() != manifest.body["label"]:
        raise PackageError(f"{package}: the manifest's label differs from the envelope's")
    if label.derivation is not None:
        raise PackageError(
            f"{package}: item {label.item_id} is a {label.derivation} {label.derived_by} made; "
            "copies and translations stay with the party that made them (R-REP-1, R-TRA-1)"
        )
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
    return _Package(package, manifest, label, request, decided_at, now)


def _receive_checked(
    node: Node, checked: _Package, staged: _Staging, *, joined: Joined | None
) -> Reception:
    """Decide and record the hop (keeping the envelope) or the refusal, in one transaction."""
    try:
        custody, receipt = _decide_and_record(node, checked, staged, joined=joined)
    except StorageError:
        # A concurrent arrival recorded first: the same package (answer its receipt), or the
        # same item by another route (it is held now: this is another hop).
        earlier = _earlier(node, checked.manifest.package_id, joined)
        if earlier is not None:
            return Reception(earlier, ALREADY_RECEIVED)
        custody, receipt = _decide_and_record(node, checked, staged, joined=joined)
    if custody == ALREADY_RECEIVED:
        return Reception(receipt, custody)
    faults.checkpoint("receive:recorded")
    log.info(
        "item received",
        extra={
            "item_id": checked.label.item_id,
            "package_id": checked.manifest.package_id,
            "from": checked.manifest.sender,
            "agreement": receipt["body"]["agreement"],
            "custody": custody,
        },
    )
    return Reception(receipt, custody)


def _decide_and_record(
    node: Node, checked: _Package, staged: _Staging, *, joined: Joined | None
) -> tuple[str, dict[str, Any]]:
    """Decide from our agreements; record the refusal (and raise it once committed), or the
    hop with its receipt, keeping the envelope; return the custody and the signed receipt
    (:data:`ALREADY_RECEIVED` and the first one if the package was received before)."""
    manifest, label, package, now = checked.manifest, checked.label, checked.package, checked.now
    refused: tuple[str, ...] = ()
    kept_new = False
    try:
        with node.db.atomic() as tx:
            if joined is not None:
                joined(tx)
            earlier = _receipt_of(tx, manifest.package_id)
            if earlier is not None:
                return ALREADY_RECEIVED, earlier
            prepared = node.prepared(tx)  # its registry too: the version is read once
            unknown = _unknown_topics(prepared.registry, label.topics)
            decision = None if unknown else decide(checked.request, prepared, checked.decided_at)
            if decision is None or decision.outcome is not Outcome.ALLOWED:
                refused = (
                    (unknown,)
                    if decision is None
                    else tuple(f"{r.rule}: {r.text}" for r in decision.denials)
                )
                journal.record(
                    tx,
                    kind=EntryKind.REFUSAL,
                    at=now,
                    actor=node.party_code,
                    subject=label.item_id,
                    details={
                        "received_from": manifest.sender,
                        "package": manifest.package_id,
                        **(
                            {"reason": unknown}
                            if decision is None
                            else {"decision": decision_json(decision)}
                        ),
                    },
                )
            else:
                custody, receipt = _record(tx, node, checked, decision, staged)
                if isinstance(staged, _InMemory):  # kept by this transaction's commit
                    keep_bytes(tx, staged.digest, staged.data)
                else:  # last: the envelope is kept only with its records
                    kept_new = staged.keep()
    except BaseException:
        if kept_new:  # the commit failed after the envelope was kept: no orphan
            node.objects.discard(staged.digest)
        raise
    if refused:
        log.info(
            "reception refused",
            extra={
                "item_id": label.item_id,
                "package_id": manifest.package_id,
                "from": manifest.sender,
            },
        )
        raise RefusedError(
            f"{package}: this node's agreements do not allow receiving it", reasons=refused
        )
    return custody, receipt


_INSERT_RECEIPT, _INSERT_ITEM = insert(receipts), insert(items)  # every reception: built once


def _record(
    tx: Connection, node: Node, checked: _Package, decision: Decision, staged: _Staging
) -> tuple[str, dict[str, Any]]:
    """Sign our receipt and record the hop, its receipt and audit entry inside ``tx``; return
    what it did to the item's custody, and the receipt."""
    manifest, label, now = checked.manifest, checked.label, checked.now
    sender = manifest.sender
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
    store_envelope(node, tx, staged.digest, staged.size)
    held = find_item(tx, label.item_id)
    custody = _hold(tx, held, checked, hop, staged.digest)
    tx.execute(
        _INSERT_RECEIPT,
        {
            "package_id": manifest.package_id,
            "item_id": label.item_id,
            "sender": sender,
            "receipt": receipt,
            "received_at": now,
        },
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
            "assurance": assurance,
            "decision": decision_json(decision),
        },
    )
    return custody, receipt


def _hold(tx: Connection, held: Item | None, checked: _Package, hop: Hop, digest: str) -> str:
    """Create, re-open or keep the item's row for this hop; refuse another item's id."""
    label, package, now = checked.label, checked.package, checked.now
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
            _INSERT_ITEM,
            {
                "id": label.item_id,
                "originator": label.originator,
                "label": label.as_json(),
                "origin": "received",
                **values,
            },
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

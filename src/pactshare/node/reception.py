"""Receiving a transfer package: verify, re-decide, mark, keep custody, sign a receipt.

The receiver trusts nothing the sender's node decided: it verifies the manifest and the
envelope against its pinned directory, decides again from its own copy of the agreements,
marks the item with its own equivalent level (R-MARK-1), records the pre-transfer assurance
(R-ACC-4) and returns a signed receipt. Receiving the same package twice has one effect.

The receiver decides at the instant the sender decided (the manifest's ``created_at``), not
at the instant the package arrives: a provision is decided once, and an item provided while
the agreement was in force stays receivable after it lapses, since its protection survives
(AT-17); a package arriving late after a courier trip or a peer outage is no
different. A decision instant more than :data:`MAX_FUTURE` ahead of the receiver's clock is
refused: nobody may pre-date a release into a future the agreements have not reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from pactshare import seal
from pactshare.domain import (
    Approval,
    ApprovalKind,
    Decision,
    Hop,
    Outcome,
    Registry,
    Request,
    decide,
    parse_instant,
)
from pactshare.domain.wire import decision_json
from pactshare.errors import PackageError, PactshareError, PolicyError, RefusedError
from pactshare.node import faults, journal
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.items import store_envelope
from pactshare.node.packages import envelope_chunks, read_manifest
from pactshare.node.service import Node
from pactshare.store.schema import items, receipts

__all__ = ["MAX_FUTURE", "receive"]

MAX_FUTURE = timedelta(minutes=5)


def _unknown_topics(registry: Registry, topics: tuple[str, ...]) -> str:
    """Why the label's topics are outside this node's vocabulary ("" if they are not): no
    agreement here can be said to cover a topic this node does not know, so it refuses."""
    try:
        registry.check_topics(topics)
    except PolicyError as exc:
        return f"label: {exc}"
    return ""


def receive(node: Node, package: Path) -> dict[str, Any]:
    """Receive ``package``; return the signed receipt (the same one if received before)."""
    now = node.now()
    manifest, archive = read_manifest(package, node.directory)
    with archive:
        if manifest.recipient != node.party_code:
            raise PackageError(
                f"{package}: addressed to {manifest.recipient}, not to {node.party_code}"
            )
        decided_at = _decision_instant(manifest.body, now, package)
        with node.db.atomic() as tx:
            earlier = tx.execute(
                select(receipts.c.receipt).where(receipts.c.package_id == manifest.package_id)
            ).scalar_one_or_none()
        if earlier is not None:
            return dict(earlier)
        digest, size = node.objects.put_chunks(envelope_chunks(archive))
    faults.checkpoint("receive:stored")
    if digest != manifest.envelope_digest:
        raise PackageError(f"{package}: the envelope does not match the manifest's digest")
    with node.objects.open(digest) as sealed:
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
        decision = None if unknown else decide(request, registry, decided_at)
        if decision is None or decision.outcome is not Outcome.ALLOWED:
            journal.record(
                tx,
                kind="refusal",
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
            else tuple(f"{r.rule}: {r.text}" for r in decision.reasons if r.effect.value == "deny")
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
        "envelope": {"digest": digest, "size": size},
        "marking": hop.marking.text,
        "agreement": hop.agreement,
        "assurance": assurance,
    }
    receipt = sign_document("receipt", receipt_body, node.keys)
    with node.db.atomic() as tx:
        store_envelope(node, tx, digest, size)
        tx.execute(
            insert(items).values(
                id=label.item_id,
                originator=label.originator,
                label=label.as_json(),
                envelope=digest,
                origin="received",
                received_from=sender,
                received_under=hop.agreement,
                marking_level=hop.marking.level,
                marking=hop.marking.text,
                state="held",
                needs_remarking=False,
                recorded_at=now,
            )
        )
        tx.execute(
            insert(receipts).values(
                package_id=manifest.package_id,
                item_id=label.item_id,
                sender=sender,
                receipt=receipt,
                received_at=now,
            )
        )
        journal.record(
            tx,
            kind="receipt",
            at=now,
            actor=node.party_code,
            subject=label.item_id,
            details={
                "package": manifest.package_id,
                "from": sender,
                "marking": hop.marking.text,
                "agreement": hop.agreement,
                "assurance": assurance,
                "decision": decision_json(decision),
            },
        )
    faults.checkpoint("receive:recorded")
    return receipt


def _decision_instant(body: dict[str, Any], now: datetime, package: Path) -> datetime:
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
    node: Node, body: dict[str, Any], originator: str, package: Path
) -> tuple[Approval, ...]:
    """The originator's approvals a holder forwards with the item, each checked as signed by
    the originator (a hub's onward release, R-TISA-6, or a third-party release, R-PRO-1)."""
    found = []
    for document in body.get("approvals", []):
        party, approval = verify_document(
            document, node.directory, kind="approval", where=str(package)
        )
        if party != originator or approval.get("originator") != originator:
            raise PackageError(f"{package}: an approval not signed by the originator {originator}")
        found.append(
            Approval(
                originator,
                ApprovalKind(approval["kind"]),
                str(approval["subject"]),
                parse_instant(str(approval["granted_at"]), what="approval granted_at"),
                str(approval["item_id"]),
            )
        )
    return tuple(found)

"""Originators' written approvals (R-PRO-1/2, R-TISA-6): requested by a holder, granted or
revoked by the originator, each a signed document; the holder records what it receives.

An approval counts for a release only if it was on file before the release (AT-13), and only
the item's originator may approve or revoke: a holder files an approval or a revocation only
if its signer is the originator of the item held (one that arrives before its item is filed,
and counts only if the item turns out to be its signer's), and a revocation only from the
party that signed the approval. Anyone else's is refused: it would be forwarded with the item
and make the next party refuse the release.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, delete, insert, select, update

from pactshare.audit import EntryKind
from pactshare.domain import ApprovalKind, normalise_party_code
from pactshare.errors import InputError, NodeError, NotFoundError, PackageError
from pactshare.node import journal
from pactshare.node.documents import (
    Id,
    PartyCode,
    checked_body,
    read_document,
    sign_document,
    verify_document,
)
from pactshare.node.holdings import item_if_visible
from pactshare.node.items import item_row
from pactshare.node.outbox import queue_message
from pactshare.node.people import PersonRecord
from pactshare.node.service import Node
from pactshare.store.schema import approvals, inbound_messages, items, outbox

__all__ = [
    "MAX_SUBJECT",
    "ApprovalBody",
    "RevocationBody",
    "file_consent",
    "grant_consent",
    "record_consent",
    "request_consent",
    "revoke_consent",
]


MAX_SUBJECT = 200  # the width of approvals.subject


class RevocationBody(BaseModel):
    """What a holder reads from a signed revocation (other fields pass unread)."""

    approval_id: Id
    item_id: Id
    originator: PartyCode


class ApprovalBody(RevocationBody):
    """What a holder reads from a signed approval."""

    kind: ApprovalKind
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    granted_at: str | None = None


def _subject(release_to: str | None, purpose: str | None) -> tuple[ApprovalKind, str]:
    if (release_to is None) == (purpose is None):
        raise InputError("say what is approved: --to PARTY (release) or --purpose TEXT (use)")
    if release_to is not None:
        return ApprovalKind.RELEASE, normalise_party_code(release_to)
    if not 0 < len(str(purpose)) <= MAX_SUBJECT:
        raise InputError(f"--purpose: 1 to {MAX_SUBJECT} characters")
    return ApprovalKind.PURPOSE, str(purpose)


def request_consent(
    node: Node, item_id: str, *, release_to: str | None = None, purpose: str | None = None
) -> dict[str, Any]:
    """A holder's written request to the originator."""
    now = node.now()
    kind, subject = _subject(release_to, purpose)
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        body = {
            "request_id": uuid.uuid4().hex,
            "item_id": item_id,
            "originator": row.originator,
            "holder": node.party_code,
            "kind": kind.value,
            "subject": subject,
            "requested_at": now.isoformat(),
        }
        journal.record(
            tx,
            kind=EntryKind.CONSENT,
            at=now,
            actor=node.party_code,
            subject=item_id,
            details={"requested": body},
        )
    return sign_document("consent-request", body, node.keys)


def grant_consent(
    node: Node,
    item_id: str,
    *,
    release_to: str | None = None,
    purpose: str | None = None,
    for_holder: str | None = None,
) -> dict[str, Any]:
    """The originator's signed approval, kept on file at the originator's node too.

    The approval is queued in the outbox for ``for_holder`` and for every holder whose
    consent request for this item and subject reached this node over the network, so that
    it travels back the way the request came (R-TISA-6 step 3).
    """
    now = node.now()
    kind, subject = _subject(release_to, purpose)
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        if row.originator != node.party_code:
            raise NodeError(f"only the originator ({row.originator}) can approve for {item_id}")
        body = {
            "approval_id": uuid.uuid4().hex,
            "item_id": item_id,
            "originator": node.party_code,
            "kind": kind.value,
            "subject": subject,
            "granted_at": now.isoformat(),
        }
        document = sign_document("approval", body, node.keys)
        tx.execute(
            insert(approvals).values(
                id=body["approval_id"],
                item_id=item_id,
                originator=node.party_code,
                kind=kind.value,
                subject=subject,
                recorded_at=now,
                revoked_at=None,
                document=document,
            )
        )
        holders = _requesting_holders(tx, item_id, kind.value, subject)
        if for_holder is not None:
            holders.add(normalise_party_code(for_holder))
        holders.discard(node.party_code)
        for holder in sorted(holders):
            queue_message(
                tx,
                kind="approval",
                recipient=holder,
                payload=document,
                at=now,
            )
        journal.record(
            tx,
            kind=EntryKind.CONSENT,
            at=now,
            actor=node.party_code,
            subject=item_id,
            details={"granted": body, "sent_to": sorted(holders)},
        )
    return document


def _requesting_holders(tx: Connection, item_id: str, kind: str, subject: str) -> set[str]:
    """Holders whose signed consent request for this item and subject we received."""
    documents = tx.execute(
        select(inbound_messages.c.document).where(inbound_messages.c.kind == "consent-request")
    ).scalars()
    return {
        str(d["body"]["holder"])
        for d in documents
        if d is not None
        and d["body"].get("item_id") == item_id
        and d["body"].get("kind") == kind
        and d["body"].get("subject") == subject
    }


def revoke_consent(
    node: Node, approval_id: str, *, seen_by: PersonRecord | None = None
) -> dict[str, Any]:
    """The originator revokes an approval before it is used; one on an item ``seen_by`` may
    not see is, to them, as if there were none."""
    now = node.now()
    with node.db.atomic() as tx:
        # Locked (PostgreSQL): two revocations at once are one revocation and a refusal.
        query = select(approvals).where(approvals.c.id == approval_id).with_for_update()
        row = tx.execute(query).first()
        unseen = (
            row is not None
            and seen_by is not None
            and item_if_visible(node, tx, seen_by, row.item_id) is None
        )
        if row is None or unseen or row.originator != node.party_code:
            raise NotFoundError(
                f"no approval {approval_id!r} granted by {node.party_code} on this node"
            )
        if row.revoked_at is not None:  # revoked once, at that instant: it stays so
            raise NodeError(
                f"approval {approval_id} was already revoked at {row.revoked_at.isoformat()}"
            )
        body = {
            "approval_id": approval_id,
            "item_id": row.item_id,
            "originator": node.party_code,
            "revoked_at": now.isoformat(),
        }
        tx.execute(update(approvals).where(approvals.c.id == approval_id).values(revoked_at=now))
        revocation = sign_document("revocation", body, node.keys)
        holders = sorted(
            {
                r.recipient
                for r in tx.execute(select(outbox).where(outbox.c.kind == "approval"))
                if r.payload["body"]["approval_id"] == approval_id
            }
        )
        for holder in holders:  # the revocation follows the approval to every holder
            queue_message(
                tx,
                kind="revocation",
                recipient=holder,
                payload=revocation,
                at=now,
            )
        journal.record(
            tx,
            kind=EntryKind.CONSENT,
            at=now,
            actor=node.party_code,
            subject=str(row.item_id),
            details={"revoked": body, "sent_to": holders},
        )
    return revocation


def record_consent(node: Node, path: Path) -> dict[str, Any]:
    """The holder files an approval or a revocation it received from the originator."""
    return file_consent(node, read_document(path), where=str(path))


def file_consent(node: Node, document: Any, *, where: str) -> dict[str, Any]:
    """File a signed approval or revocation (from a file or the network), once."""
    now = node.now()
    kind = document.get("kind") if isinstance(document, dict) else None
    if kind not in ("approval", "revocation"):
        raise PackageError(f"{where}: neither an approval nor a revocation")
    party, body = verify_document(document, node.directory, kind=str(kind), where=where)
    checked = checked_body(
        ApprovalBody if kind == "approval" else RevocationBody, body, where=where
    )
    if party != checked.originator:
        raise PackageError(f"{where}: signed by {party}, not by the originator")
    with node.db.atomic() as tx:
        originator = tx.execute(  # of the item, if we hold it
            select(items.c.originator).where(items.c.id == str(body["item_id"]))
        ).scalar_one_or_none()
        if originator is not None and originator != party:
            raise PackageError(
                f"{where}: the {kind} for item {body['item_id']} is signed by {party},"
                f" not by its originator {originator}"
            )
        existing = tx.execute(
            select(approvals).where(approvals.c.id == checked.approval_id)
        ).first()
        if existing is not None and existing.originator != party:
            if originator != party:
                raise PackageError(
                    f"{where}: approval {checked.approval_id} was granted by"
                    f" {existing.originator}, not by {party}"
                )
            # Filed before its item came, by someone who is not its originator: the
            # originator's own approval of that id replaces it.
            tx.execute(delete(approvals).where(approvals.c.id == checked.approval_id))
            existing = None
        if isinstance(checked, ApprovalBody) and existing is None:
            tx.execute(
                insert(approvals).values(
                    id=checked.approval_id,
                    item_id=checked.item_id,
                    originator=party,
                    kind=checked.kind.value,
                    subject=checked.subject,
                    recorded_at=now,
                    revoked_at=None,
                    document=document,
                )
            )
        elif kind == "revocation" and existing is not None and existing.revoked_at is None:
            tx.execute(
                update(approvals)
                .where(approvals.c.id == checked.approval_id)
                .values(revoked_at=now)
            )
        else:
            return body  # already on file: one effect
        journal.record(
            tx,
            kind=EntryKind.CONSENT,
            at=now,
            actor=party,
            subject=checked.item_id,
            details={"recorded": kind, "document": body},
        )
    return body

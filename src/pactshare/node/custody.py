"""Custody after receipt: reclassification notified by the originator (R-PRO-7, AT-12), and
return or destruction at the end of need with a certificate (R-PRO-8). Both reach the copies
and translations made of an item (R-REP-1: the same controls): they are re-marked with it, and
destroyed with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select, update

from pactshare.audit import EntryKind
from pactshare.errors import InputError, NodeError, PackageError, PolicyError
from pactshare.node import journal
from pactshare.node.copies import derived_held, original_of, reach_derived
from pactshare.node.documents import (
    Id,
    checked_body,
    read_document,
    sign_document,
    verify_document,
)
from pactshare.node.items import Item, ItemState, item_row
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store.schema import items, provisions

__all__ = [
    "Remarking",
    "apply_reclassification",
    "apply_reclassification_notice",
    "dispose",
    "reclassify",
]


@dataclass(frozen=True, slots=True)
class Remarking:
    """What applying the originator's reclassification notice did: the holding's new marking,
    how many of its copies and translations took it (R-REP-1), and how many other items
    derived from it are now flagged for re-marking (R-MARK-2)."""

    item_id: str
    marking: str
    derived_flagged: int
    copies_remarked: int = 0


def reclassify(node: Node, item_id: str, level: str) -> dict[str, Any]:
    """As the originator: change an item's level, and notify every party it was provided to."""
    now = node.now()
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        if row.originator != node.party_code:
            raise NodeError(f"only the originator ({row.originator}) reclassifies {item_id}")
        party = node.party(tx)
        try:
            new = party.level(level)
        except PolicyError as exc:
            raise InputError(f"--level: {exc}") from exc
        body = {
            "item_id": item_id,
            "originator": node.party_code,
            "from": row.marking_level,
            "to": new.id,
            "at": now.isoformat(),
        }
        notice = sign_document("reclassification", body, node.keys)
        marking = f"{party.code} / {new.name}"
        tx.execute(
            update(items).where(items.c.id == item_id).values(marking_level=new.id, marking=marking)
        )
        reach_derived(tx, item_id, marking_level=new.id, marking=marking)
        holders = (
            tx.execute(
                select(provisions.c.recipient).where(provisions.c.item_id == item_id).distinct()
            )
            .scalars()
            .all()
        )
        for holder in holders:
            queue_message(
                tx,
                kind="reclassification",
                recipient=holder,
                payload=notice,
                at=now,
            )
        journal.record(
            tx,
            kind=EntryKind.NOTICE,
            at=now,
            actor=node.party_code,
            subject=item_id,
            details={"reclassification": body, "notified": list(holders)},
        )
    return notice


def apply_reclassification(node: Node, path: Path) -> Remarking:
    """As a holder: re-mark a holding as the originator's written notice says (AT-12)."""
    return apply_reclassification_notice(node, read_document(path), where=str(path))


class _NoticeBody(BaseModel):
    """What a holder reads from a reclassification notice."""

    item_id: Id
    to: str = Field(min_length=1, max_length=200)


def apply_reclassification_notice(node: Node, notice: Any, *, where: str) -> Remarking:
    """Re-mark a holding as a signed reclassification notice (from a file or the network)
    says; applying the same notice again changes nothing more."""
    now = node.now()
    party_code, body = verify_document(notice, node.directory, kind="reclassification", where=where)
    if party_code != body.get("originator"):
        raise PackageError(f"{where}: signed by {party_code}, not by the originator")
    item_id = checked_body(_NoticeBody, body, where=where).item_id
    with node.db.atomic() as tx:
        row = item_row(tx, item_id)
        registry = node.registry(tx)
        agreement = registry.agreement(row.received_under) if row.received_under else None
        terms = agreement.as_of(now) if agreement else None  # in force now (R-AMD-1)
        equivalent = terms.row_of(party_code, str(body["to"])) if terms else None
        level_id = equivalent.marking_level(node.party_code) if equivalent else None
        if equivalent is None or level_id is None:
            under = row.received_under
            raise NodeError(
                f"{where}: {body['to']} has no {node.party_code} equivalent under {under}"
            )
        level = registry.party(node.party_code).level(level_id)
        marking = f"{party_code} / {level.name} ({equivalent.label})"
        tx.execute(
            update(items)
            .where(items.c.id == item_id)
            .values(marking_level=level.id, marking=marking)
        )
        remarked, flagged = reach_derived(tx, item_id, marking_level=level.id, marking=marking)
        journal.record(
            tx,
            kind=EntryKind.NOTICE,
            at=now,
            actor=party_code,
            subject=item_id,
            details={
                "reclassification": body,
                "marking": marking,
                "derived_flagged": flagged,
                "copies_remarked": remarked,
            },
        )
    return Remarking(item_id, marking, flagged, remarked)


def dispose(node: Node, item_id: str, *, returned: bool = False) -> dict[str, Any]:
    """Destroy (or return to the originator) a holding at the end of need; sign a certificate.

    Its copies and translations held here are destroyed with it, each with a certificate of
    its own, and the original's certificate names them (``derived``). A copy disposed of
    alone is recorded here only: the originator knows the original, not its copies.
    """
    now = node.now()
    with node.db.atomic() as tx:
        # The holding's row is locked (PostgreSQL; SQLite's write lock is the whole database)
        # before its state is read: two disposals at once are one disposal and a refusal, and
        # a copy being recorded (which locks it too, :mod:`pactshare.node.copies`) is either
        # seen here, and destroyed with it, or refused for an original disposed of.
        tx.execute(select(items.c.id).where(items.c.id == item_id).with_for_update()).first()
        row = item_row(tx, item_id)
        if row.state != ItemState.HELD:
            raise NodeError(f"item {item_id} is already {row.state}")
        copy_of = original_of(tx, item_id)
        if returned and copy_of is not None:
            raise NodeError(f"{item_id} is a copy made here: destroy it; only originals return")
        state = (ItemState.RETURNED if returned else ItemState.DESTROYED).value
        derived = [
            _certify(node, tx, copy, ItemState.DESTROYED.value, now)
            for copy in derived_held(tx, item_id)
        ]
        certificate = _certify(node, tx, row, state, now, derived=derived)
        if row.originator != node.party_code and copy_of is None:
            queue_message(
                tx,
                kind="disposal",
                recipient=row.originator,
                payload=certificate,
                at=now,
            )
    return certificate


def _certify(
    node: Node,
    tx: Connection,
    row: Item,
    state: str,
    at: datetime,
    *,
    derived: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Mark ``row`` disposed of with a signed certificate, audited; return the certificate."""
    body: dict[str, Any] = {
        "item_id": row.id,
        "originator": row.originator,
        "holder": node.party_code,
        "disposal": state,
        "envelope": row.envelope,
        "at": at.isoformat(),
    }
    original = original_of(tx, row.id)
    if original is not None:
        body["derived_from"] = original
    if derived:
        body["derived"] = [c["body"]["item_id"] for c in derived]
    certificate = sign_document("disposal-certificate", body, node.keys)
    tx.execute(update(items).where(items.c.id == row.id).values(state=state, disposal=certificate))
    journal.record(
        tx, kind=EntryKind.NOTICE, at=at, actor=node.party_code, subject=row.id, details=body
    )
    return certificate

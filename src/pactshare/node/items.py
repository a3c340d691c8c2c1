"""Items on this node: their records (read models) and registering one.

Register: the originator seals the file for its own node (the node never keeps plaintext) and
records the item. Providing it to another party is :mod:`pactshare.node.provision`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import Holding, Party
from pactshare.domain.labels import check_label
from pactshare.errors import (
    InputError,
    LabelError,
    NotFoundError,
)
from pactshare.node import faults, journal
from pactshare.node.envelopes import store_envelope
from pactshare.node.service import Node
from pactshare.store.schema import items

__all__ = [
    "Item",
    "ItemState",
    "find_item",
    "get_item",
    "held_items",
    "holding_of",
    "item_of",
    "item_row",
    "new_label",
    "no_item",
    "register",
    "register_label",
]


class ItemState(StrEnum):
    """Where an item stands on this node: held, or disposed of at the end of need (R-PRO-8)."""

    HELD = "held"
    DESTROYED = "destroyed"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Item:
    """An item held on this node, as recorded: its verified label, its sealed envelope's
    digest, where it came from, our own marking (R-MARK-1) and its custody state."""

    id: str
    originator: str
    label: dict[str, Any]
    envelope: str
    origin: str  # registered | received | copy | translation
    received_from: str | None
    received_under: str | None
    marking_level: str
    marking: str
    state: ItemState
    needs_remarking: bool
    derived_from: str | None
    disposal: dict[str, Any] | None  # the signed certificate of return or destruction
    recorded_at: datetime


def holding_of(party: Party, row: Item) -> Holding:
    """What the access rules need of a held item (R-ACC-2): its holder, marking level, topics."""
    return Holding(
        item_id=row.id,
        originator=row.originator,
        holder=party.code,
        level=party.level(row.marking_level),
        topics=tuple(row.label["topics"]),
        received_under=row.received_under,
    )


def item_of(r: Row[Any]) -> Item:
    """The item in a row that has the columns of ``items`` (under their own names)."""
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


_ITEM = select(items).where(items.c.id == bindparam("item_id"))  # built once, not per read


def find_item(tx: Connection, item_id: str) -> Item | None:
    """The item recorded under ``item_id``, if this node holds (or held) it."""
    row = tx.execute(_ITEM, {"item_id": item_id}).first()
    return None if row is None else item_of(row)


def no_item(item_id: str) -> NotFoundError:
    """The error for an item this node has no record of."""
    return NotFoundError(f"no item {item_id!r} on this node (see: pactshare inbox)")


def item_row(tx: Connection, item_id: str) -> Item:
    """The item recorded under ``item_id``; NotFoundError if there is none."""
    found = find_item(tx, item_id)
    if found is None:
        raise no_item(item_id)
    return found


def held_items(tx: Connection, *, received_only: bool = False) -> list[Item]:
    """The items recorded on this node (or only those received), oldest first."""
    query = select(items).order_by(items.c.recorded_at)
    if received_only:
        query = query.where(items.c.origin == "received")
    return [item_of(r) for r in tx.execute(query)]


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
    for key in ("derived_from", "derived_by", "derivation", "language", "note"):
        if key in data:
            raise LabelError(
                "a derived label is made by 'pactshare copy' or 'pactshare translate' from a "
                "held item (R-REP-1, R-TRA-1); remove it",
                file=source,
                key=key,
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

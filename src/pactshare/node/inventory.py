"""Accountability (R-PRO-6, R-STO-1, R-FAC-1): where each holding is kept, who answers for it,
and the periodic inventory an officer takes.

* **Location and custodian.** :func:`locate` records a holding's facility and container and
  its custodian: a person of the node whose clearance and need-to-know cover the item (R-STO-1:
  only authorised individuals; R-FAC-1: a designated, qualified individual answers for it).
  Every change is kept and audited; the latest one is where the item is.
* **Inventory.** :func:`take_inventory` lists every holding held at an instant with its
  marking, location and custodian, flags what differs from the last inventory (new, gone,
  moved, handed to another custodian, not placed), signs the whole as a document of the node
  and records it with its digest in the audit log. An inventory is never of the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from pactshare.audit import EntryKind
from pactshare.domain import Effect, may_access, parse_instant
from pactshare.errors import InputError, NodeError, StorageError
from pactshare.node import journal
from pactshare.node.answers import document_digest, text_problem
from pactshare.node.documents import sign_document
from pactshare.node.items import Item, ItemState, held_items, holding_of, item_row
from pactshare.node.people import check_officer, find_person
from pactshare.node.service import Node
from pactshare.store.schema import inventories, locations

__all__ = [
    "KIND",
    "MAX_PLACE",
    "Inventory",
    "InventoryRecord",
    "Location",
    "holdings_now",
    "list_inventories",
    "locate",
    "take_inventory",
]

KIND = "inventory"
MAX_PLACE = 200  # characters of a facility's or a container's name


@dataclass(frozen=True, slots=True)
class Location:
    """Where a holding is kept and who answers for it, since ``at``."""

    item_id: str
    facility: str
    container: str
    custodian: str
    set_by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Inventory:
    """A signed inventory: its lines, the differences from the last one, and the document."""

    at: datetime
    lines: tuple[dict[str, Any], ...]
    differences: tuple[dict[str, str], ...]
    previous_at: str | None
    document: dict[str, Any]


def _place(what: str, text: str) -> str:
    problem = text_problem(text, MAX_PLACE) if text.strip() else "must not be blank"
    if problem:
        raise InputError(f"--{what}: {problem}")
    return text.strip()


def locate(
    node: Node, item_id: str, *, facility: str, container: str, custodian: str, by: str | None
) -> Location:
    """Record that ``item_id`` is kept in ``container`` at ``facility`` under ``custodian``'s
    responsibility, as ``by`` (an admin or security officer; None: the node's operator)."""
    facility, container = _place("facility", facility), _place("container", container)
    now = node.now()
    with node.db.atomic() as tx:
        check_officer(tx, by)
        row = item_row(tx, item_id)
        if row.state is not ItemState.HELD:
            raise NodeError(f"item {item_id} is {row.state.value}: it has no location")
        person = find_person(tx, custodian)
        party = node.party(tx)
        access = may_access(person.as_person(party), holding_of(party, row), now)
        if not access.granted:
            denied = (r for r in access.reasons if r.effect is Effect.DENY)
            why = "; ".join(f"{r.rule}: {r.text}" for r in denied)
            raise InputError(
                f"--custodian: {person.name} may not hold item {item_id} (R-STO-1): {why}"
            )
        actor = by or "operator"
        location = Location(item_id, facility, container, person.name, actor, now)
        tx.execute(
            insert(locations).values(
                item_id=item_id,
                facility=facility,
                container=container,
                custodian=person.name,
                set_by=actor,
                at=now,
            )
        )
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=actor,
            subject=item_id,
            details={
                "action": "located",
                "rule": "R-PRO-6",
                "facility": facility,
                "container": container,
                "custodian": person.name,
            },
        )
    return location


def _held_at(item: Item, at: datetime) -> bool:
    if item.recorded_at > at:
        return False
    if item.state is ItemState.HELD or item.disposal is None:
        return True
    return parse_instant(str(item.disposal["body"]["at"]), what="disposal.at") > at


def _places(tx: Connection, at: datetime) -> dict[str, Location]:
    """The latest location of each item recorded at or before ``at``."""
    query = select(locations).where(locations.c.at <= at).order_by(locations.c.id)
    return {
        r.item_id: Location(r.item_id, r.facility, r.container, r.custodian, r.set_by, r.at)
        for r in tx.execute(query)
    }


def _lines(tx: Connection, at: datetime) -> list[dict[str, Any]]:
    """An inventory's lines: each holding held at ``at``, its marking, place and custodian."""
    places = _places(tx, at)
    lines = []
    for item in held_items(tx):
        if not _held_at(item, at):
            continue
        place = places.get(item.id)
        lines.append(
            {
                "item_id": item.id,
                "originator": item.originator,
                "marking": item.marking,
                "facility": place.facility if place else None,
                "container": place.container if place else None,
                "custodian": place.custodian if place else None,
            }
        )
    return lines


def _differences(
    lines: list[dict[str, Any]], previous: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    before = {line["item_id"]: line for line in previous or ()}
    now = {line["item_id"]: line for line in lines}
    for item_id, line in now.items():
        if line["facility"] is None:
            found.append({"item_id": item_id, "difference": "not placed"})
        old = before.get(item_id)
        if previous is None:
            continue
        if old is None:
            found.append({"item_id": item_id, "difference": "new since the last inventory"})
        elif (old["facility"], old["container"]) != (line["facility"], line["container"]):
            found.append({"item_id": item_id, "difference": "moved"})
        elif old["custodian"] != line["custodian"]:
            found.append({"item_id": item_id, "difference": "another custodian"})
    found.extend(
        {"item_id": item_id, "difference": "gone since the last inventory"}
        for item_id in before
        if item_id not in now
    )
    return found


def take_inventory(node: Node, *, at: datetime | None = None, by: str | None) -> Inventory:
    """Take, sign and record the inventory of every holding held at ``at`` (default: now),
    as ``by`` (an admin or security officer; None: the node's operator)."""
    now = node.now()
    at = at or now
    if at > now:
        raise InputError(f"--at: {at.isoformat()} is after the node's now; an inventory lists "
                         "what is held, not what will be")  # fmt: skip
    with node.db.atomic() as tx:
        check_officer(tx, by)
        lines = _lines(tx, at)
        last = tx.execute(select(inventories).order_by(inventories.c.id.desc()).limit(1)).first()
        previous = last.document["body"] if last is not None else None
        differences = _differences(lines, previous["items"] if previous else None)
        actor = by or "operator"
        previous_at = str(previous["at"]) if previous else None
        body = {
            "party": node.party_code,
            "at": at.isoformat(),
            "taken_at": now.isoformat(),
            "taken_by": actor,
            "items": lines,
            "previous": previous_at,
            "differences": differences,
        }
        document = sign_document(KIND, body, node.keys)
        tx.execute(insert(inventories).values(at=now, document=document))
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=actor,
            subject=KIND,
            details={
                "action": KIND,
                "rule": "R-PRO-6",
                "at": at.isoformat(),
                "items": len(lines),
                "differences": len(differences),
                "digest": document_digest(document),
            },
        )
    return Inventory(at, tuple(lines), tuple(differences), previous_at, document)


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """An inventory taken on this node, as recorded: when, by whom, of which instant, how
    many holdings, the differences it flagged, and the digest its audit entry holds."""

    taken_at: datetime
    at: str
    taken_by: str
    items: int
    differences: tuple[dict[str, str], ...]
    digest: str


def holdings_now(node: Node) -> list[dict[str, Any]]:
    """What an inventory taken now would list (nothing is signed or recorded)."""
    with node.db.atomic() as tx:
        return _lines(tx, node.now())


def list_inventories(node: Node) -> tuple[InventoryRecord, ...]:
    """Every inventory taken on this node, the latest first."""
    with node.db.atomic() as tx:
        rows = tx.execute(select(inventories).order_by(inventories.c.id.desc())).all()
    return tuple(_record(row.id, row.at, row.document) for row in rows)


def _record(row_id: int, taken_at: datetime, document: Any) -> InventoryRecord:
    """An inventory as stored; StorageError naming the row if its document is not one."""
    try:
        body = document["body"]
        return InventoryRecord(
            taken_at=taken_at,
            at=str(body["at"]),
            taken_by=str(body["taken_by"]),
            items=len(body["items"]),
            differences=tuple(
                {"item_id": str(d["item_id"]), "difference": str(d["difference"])}
                for d in body["differences"]
            ),
            digest=document_digest(document),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"inventory {row_id}: the stored document is malformed ({exc})") from exc

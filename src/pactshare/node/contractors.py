"""Contractors (R-CON-1, GSOMIA Art. 16): a contractor is not a party but a facility of the
receiving party, so handing received material to it is custody within the party — allowed only
once every condition of Art. 16 is on file:

* (b) the contractor's facility is recorded as able to protect the information;
* (g) an initial security inspection passed, and the periodic one is not overdue;
* (i) an access registry is kept at the facility;
* (j) a custodian is designated, and is cleared for the item;
* (c)–(e), (h) each person attached to the facility holds a valid clearance covering the item
  and the need to know its topics (decided as for anyone: R-ACC-2, R-ACC-3 — and (a) rank
  never grants access); (f) each has been briefed on their responsibilities.

A refusal names the first missing condition. A person attached to a contractor opens only what
was handed over to their facility, and only while the facility's conditions hold. Every act
is an officer's, audited. Storage, transmission, destruction, reproduction and translation
((k)–(o)) follow the same rules as anywhere else on the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from pactshare.audit import EntryKind
from pactshare.domain import Effect, Holding, Party, may_access
from pactshare.errors import InputError, NotFoundError, RefusedError
from pactshare.limits import check_id
from pactshare.node import journal
from pactshare.node.answers import checked_reason, text_problem
from pactshare.node.items import ItemState, holding_of, item_row
from pactshare.node.people import check_officer, find_person
from pactshare.node.service import Node
from pactshare.store.schema import (
    contractor_handovers,
    contractor_inspections,
    contractor_staff,
    contractors,
)

__all__ = [
    "MAX_TEXT",
    "Contractor",
    "add_contractor",
    "attach",
    "contractor_denials",
    "designate_custodian",
    "hand_over",
    "inspect",
    "list_contractors",
]

MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class Contractor:
    """A contractor facility as recorded, with its inspections' and staff's standing."""

    id: str
    name: str
    facility: str
    protects: bool
    registry: bool
    custodian: str | None
    last_inspection: datetime | None
    last_passed: bool | None
    next_due: datetime | None
    initial_passed: bool
    staff: tuple[tuple[str, bool], ...]  # (person, briefed)


def _text(what: str, text: str) -> str:
    problem = text_problem(text, MAX_TEXT) if text.strip() else "must not be blank"
    if problem:
        raise InputError(f"--{what}: {problem}")
    return text.strip()


def _load(tx: Connection, contractor_id: str) -> Contractor:
    row = tx.execute(select(contractors).where(contractors.c.id == contractor_id)).first()
    if row is None:
        raise NotFoundError(
            f"no contractor {contractor_id!r} on this node (add one with: pactshare contractor add)"
        )
    inspections = tx.execute(
        select(contractor_inspections)
        .where(contractor_inspections.c.contractor_id == contractor_id)
        .order_by(contractor_inspections.c.id)
    ).all()
    staff = tx.execute(
        select(contractor_staff.c.person, contractor_staff.c.briefed_at)
        .where(contractor_staff.c.contractor_id == contractor_id)
        .order_by(contractor_staff.c.person)
    ).all()
    last = inspections[-1] if inspections else None
    return Contractor(
        row.id,
        row.name,
        row.facility,
        row.protects,
        row.registry,
        row.custodian,
        last.at if last else None,
        last.passed if last else None,
        last.next_due if last else None,
        any(i.kind == "initial" and i.passed for i in inspections),
        tuple((person, briefed is not None) for person, briefed in staff),
    )


def _conditions(
    tx: Connection, contractor: Contractor, party: Party, holding: Holding, now: datetime
) -> list[str]:
    """The conditions of Art. 16 that are not on file for ``holding`` at ``now``, each naming
    its letter (empty: every one holds)."""
    missing = []
    if not contractor.protects:
        missing.append("(b) the facility is not recorded as able to protect the information")
    if not contractor.initial_passed:
        missing.append("(g) no initial security inspection passed at the facility")
    elif not contractor.last_passed:
        missing.append("(g) the last security inspection of the facility failed")
    elif contractor.next_due is not None and contractor.next_due <= now:
        missing.append(f"(g) the periodic inspection is overdue since {contractor.next_due}")
    if not contractor.registry:
        missing.append("(i) no access registry is kept at the facility")
    named = [(contractor.custodian, "(j) custodian")] if contractor.custodian else []
    if not named:
        missing.append("(j) no custodian is designated")
    for person, briefed in contractor.staff:
        named.append((person, "(c)-(e), (h) staff member"))
        if not briefed:
            missing.append(f"(f) {person} has not been briefed on their responsibilities")
    for person, role in named:
        if person is None:
            continue
        decision = may_access(find_person(tx, person).as_person(party), holding, now)
        if not decision.granted:
            why = "; ".join(r.text for r in decision.reasons if r.effect is Effect.DENY)
            missing.append(f"{role} {person}: {why}")
    return missing


def add_contractor(
    node: Node,
    contractor_id: str,
    *,
    name: str,
    facility: str,
    protects: bool,
    registry: bool,
    custodian: str | None,
    by: str | None,
) -> Contractor:
    """Record a contractor facility of the node's party (an officer's audited act)."""
    check_id(contractor_id, what="contractor id")
    name, facility = _text("name", name), _text("facility", facility)
    now, actor = node.now(), by or "operator"
    with node.db.atomic() as tx:
        check_officer(tx, by)
        if custodian is not None:
            custodian = find_person(tx, custodian).name
        if tx.execute(select(contractors.c.id).where(contractors.c.id == contractor_id)).first():
            raise InputError(f"a contractor {contractor_id!r} already exists")
        tx.execute(
            insert(contractors).values(
                id=contractor_id, name=name, facility=facility, protects=protects,
                registry=registry, custodian=custodian, added_by=actor, added_at=now,
            )
        )  # fmt: skip
        _audit(tx, now, actor, contractor_id, "contractor-added", facility=facility)
        return _load(tx, contractor_id)


def designate_custodian(
    node: Node, contractor_id: str, custodian: str | None, *, reason: str, by: str | None
) -> Contractor:
    """Designate another custodian of the facility's classified material (R-CON-1 (j)), or
    none, as an officer's audited act with its reason. Hand-overs and opens by the facility's
    staff follow at once: with no custodian, or one no longer cleared for an item, they are
    refused naming condition (j)."""
    checked_reason(reason)
    now, actor = node.now(), by or "operator"
    with node.db.atomic() as tx:
        check_officer(tx, by)
        before = _load(tx, contractor_id).custodian
        name = find_person(tx, custodian).name if custodian is not None else None
        if name == before:
            raise InputError(f"{contractor_id}: the custodian is already {before or 'none'}")
        tx.execute(
            update(contractors).where(contractors.c.id == contractor_id).values(custodian=name)
        )
        _audit(tx, now, actor, contractor_id, "custodian", before=before, after=name, reason=reason)
        return _load(tx, contractor_id)


def inspect(
    node: Node,
    contractor_id: str,
    *,
    initial: bool,
    passed: bool,
    next_due: datetime,
    by: str | None,
) -> Contractor:
    """Record a security inspection of the facility (R-CON-1 (g)) and when the next is due."""
    now, actor = node.now(), by or "operator"
    if next_due <= now:
        raise InputError(f"--next-due: {next_due.isoformat()} is not after the node's now")
    kind = "initial" if initial else "periodic"
    with node.db.atomic() as tx:
        check_officer(tx, by)
        _load(tx, contractor_id)
        tx.execute(
            insert(contractor_inspections).values(
                contractor_id=contractor_id, kind=kind, passed=passed, inspector=actor, at=now,
                next_due=next_due,
            )
        )  # fmt: skip
        _audit(tx, now, actor, contractor_id, "inspection", kind=kind, passed=passed)
        return _load(tx, contractor_id)


def attach(
    node: Node, contractor_id: str, person: str, *, briefed: bool, by: str | None
) -> Contractor:
    """Attach a person of the node to the contractor facility, or record their briefing
    (R-CON-1 (f))."""
    now, actor = node.now(), by or "operator"
    with node.db.atomic() as tx:
        check_officer(tx, by)
        _load(tx, contractor_id)
        name = find_person(tx, person).name
        existing = tx.execute(
            select(contractor_staff).where(contractor_staff.c.person == name)
        ).first()
        if existing is not None and existing.contractor_id != contractor_id:
            raise InputError(f"{name} is attached to contractor {existing.contractor_id!r}")
        briefed_at = now if briefed else None
        if existing is None:
            tx.execute(
                insert(contractor_staff).values(
                    person=name, contractor_id=contractor_id, briefed_at=briefed_at, added_at=now
                )
            )
        elif briefed:
            tx.execute(
                update(contractor_staff)
                .where(contractor_staff.c.person == name)
                .values(briefed_at=briefed_at)
            )
        _audit(tx, now, actor, contractor_id, "staff", person=name, briefed=briefed)
        return _load(tx, contractor_id)


def hand_over(node: Node, item_id: str, contractor_id: str, *, by: str | None) -> Contractor:
    """Hand a held item to the contractor facility, if every condition of Art. 16 is on file;
    RefusedError naming each missing one otherwise (R-CON-1)."""
    now, actor = node.now(), by or "operator"
    with node.db.atomic() as tx:
        check_officer(tx, by)
        contractor = _load(tx, contractor_id)
        row = item_row(tx, item_id)
        if row.state is not ItemState.HELD:
            raise InputError(f"item {item_id} is {row.state.value}")
        party = node.party(tx)
        missing = _conditions(tx, contractor, party, holding_of(party, row), now)
        if missing:
            raise RefusedError(
                f"handing {item_id} to contractor {contractor_id} is refused (R-CON-1)",
                reasons=tuple(f"R-CON-1 {condition}" for condition in missing),
            )
        tx.execute(
            insert(contractor_handovers).values(
                item_id=item_id, contractor_id=contractor_id, by=actor, at=now
            )
        )
        _audit(tx, now, actor, item_id, "handed-to-contractor", contractor=contractor_id)
        return contractor


def contractor_denials(
    tx: Connection, person: str, party: Party, holding: Holding, now: datetime
) -> list[str]:
    """Why ``person``, if attached to a contractor facility, may not open ``holding`` now
    beyond the rules for everyone: the item was not handed over to their facility, or a
    condition of Art. 16 no longer holds (empty: nothing more, or not contractor staff)."""
    staff = tx.execute(
        select(contractor_staff.c.contractor_id).where(contractor_staff.c.person == person)
    ).scalar_one_or_none()
    if staff is None:
        return []
    handed = tx.execute(
        select(contractor_handovers.c.id).where(
            contractor_handovers.c.item_id == holding.item_id,
            contractor_handovers.c.contractor_id == staff,
        )
    ).first()
    if handed is None:
        return [f"the item was not handed over to {person}'s contractor facility {staff!r}"]
    return _conditions(tx, _load(tx, staff), party, holding, now)


def list_contractors(node: Node) -> list[Contractor]:
    """Every contractor facility on the node, by id."""
    with node.db.atomic() as tx:
        ids = tx.execute(select(contractors.c.id).order_by(contractors.c.id)).scalars().all()
        return [_load(tx, contractor_id) for contractor_id in ids]


def _audit(
    tx: Connection, at: datetime, actor: str, subject: str, action: str, **details: object
) -> None:
    journal.record(
        tx,
        kind=EntryKind.EVENT,
        at=at,
        actor=actor,
        subject=subject,
        details={"action": action, "rule": "R-CON-1", **details},
    )

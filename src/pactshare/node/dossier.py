"""An item's dossier, read-only: what a security officer checks about one holding.

Its custody (provisions made, receipts given), the facility's access registry (R-PRO-5), the
originator's consents on file, the copies and translations made of it (or how it was made, if
it is one) and the incidents: reported here, or by a holder of an item we
originated (its notices received). Only a person who may see the item is shown its dossier
(:func:`pactshare.node.holdings.visible_item`); to anyone else it is as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from pactshare.node.copies import Derived, derivation_of, derived_items
from pactshare.node.holdings import visible_item
from pactshare.node.items import Item
from pactshare.node.people import PersonRecord
from pactshare.node.service import Node
from pactshare.store.schema import access_log, approvals, incidents, provisions, receipts

__all__ = [
    "AccessRecord",
    "ConsentRecord",
    "Dossier",
    "IncidentRecord",
    "ProvisionRecord",
    "ReceiptRecord",
    "consent_records",
    "consents_on_file",
    "holder_of",
    "incident_records",
    "item_dossier",
]


@dataclass(frozen=True, slots=True)
class ProvisionRecord:
    """A provision decided for the item: to whom, when, the outcome and the route's hops."""

    provision_id: str
    recipient: str
    decided_at: datetime
    outcome: str
    state: str
    route: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    """The signed receipt this node gave when it received the item."""

    package_id: str
    sender: str
    received_at: datetime
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One attempt to open the item, granted or denied, with the rules it rested on."""

    person: str
    at: datetime
    granted: bool
    reasons: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """An originator's written approval on file (release to a party, or a new purpose)."""

    approval_id: str
    originator: str
    kind: str
    subject: str
    recorded_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """A loss or compromise of an item: reported here, or by a holder of an item we
    originated (its notices received: ``received``). ``reported_at`` and ``closed_at`` are
    when this node recorded the report and the close-out report."""

    incident_id: str
    item_id: str
    holder: str
    received: bool
    state: str
    summary: str
    reported_at: datetime
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state != "closed"


@dataclass(frozen=True, slots=True)
class Dossier:
    """An item with everything recorded about it on this node, each kind oldest first."""

    item: Item
    provisions: tuple[ProvisionRecord, ...]
    receipts: tuple[ReceiptRecord, ...]
    access: tuple[AccessRecord, ...]
    consents: tuple[ConsentRecord, ...]
    incidents: tuple[IncidentRecord, ...]
    derived: tuple[Derived, ...]  # copies and translations made of it here (R-REP-1, R-TRA-1)
    derivation: Derived | None  # how it was made, if it is itself one


def holder_of(row: Row[Any]) -> str:
    """The party that reported an incident: the holder named in its first signed notice."""
    return str(row.history[0]["body"]["holder"])


def incident_records(
    tx: Connection, party: str, *, item_id: str | None = None
) -> tuple[IncidentRecord, ...]:
    """The incidents on this node (of ``party``), of one item or all, oldest first."""
    query = select(incidents).order_by(incidents.c.reported_at, incidents.c.id)
    if item_id is not None:
        query = query.where(incidents.c.item_id == item_id)
    return tuple(_incident(r, party) for r in tx.execute(query))


def _incident(r: Row[Any], party: str) -> IncidentRecord:
    holder = holder_of(r)
    return IncidentRecord(
        r.id, r.item_id, holder, holder != party, r.state, r.summary, r.reported_at, r.closed_at
    )


def item_dossier(node: Node, person: PersonRecord, item_id: str) -> Dossier:
    """Everything recorded about ``item_id`` on ``node``, if ``person`` may see the item now
    (else NotFoundError, as if it did not exist); read in one transaction."""
    with node.db.atomic() as tx:
        item = visible_item(node, tx, person, item_id)
        return _dossier(tx, item, party=node.party_code)


def consents_on_file(node: Node, item_id: str) -> tuple[ConsentRecord, ...]:
    """The originator's approvals on file for ``item_id`` (revoked ones too), oldest first."""
    with node.db.atomic() as tx:
        return consent_records(tx, item_id)


def consent_records(tx: Connection, item_id: str) -> tuple[ConsentRecord, ...]:
    """The approvals on file for ``item_id``, oldest first."""
    approved = tx.execute(
        select(approvals).where(approvals.c.item_id == item_id).order_by(approvals.c.recorded_at)
    )
    return tuple(
        ConsentRecord(r.id, r.originator, r.kind, r.subject, r.recorded_at, r.revoked_at)
        for r in approved
    )


def _dossier(tx: Connection, item: Item, *, party: str) -> Dossier:
    item_id = item.id
    made = tx.execute(
        select(provisions).where(provisions.c.item_id == item_id).order_by(provisions.c.decided_at)
    )
    given = tx.execute(
        select(receipts).where(receipts.c.item_id == item_id).order_by(receipts.c.received_at)
    )
    tried = tx.execute(
        select(access_log).where(access_log.c.item_id == item_id).order_by(access_log.c.id)
    )
    return Dossier(
        item=item,
        provisions=tuple(
            ProvisionRecord(
                r.id,
                r.recipient,
                r.decided_at,
                r.outcome,
                r.state,
                tuple(r.decision.get("route", ())),
            )
            for r in made
        ),
        receipts=tuple(
            ReceiptRecord(r.package_id, r.sender, r.received_at, r.receipt) for r in given
        ),
        access=tuple(AccessRecord(r.person, r.at, r.granted, tuple(r.reasons)) for r in tried),
        consents=consent_records(tx, item_id),
        incidents=incident_records(tx, party, item_id=item_id),
        derived=tuple(derived_items(tx, item_id)),
        derivation=derivation_of(tx, item_id),
    )

"""An item's dossier, read-only: what a security officer checks about one holding.

Its custody (provisions made, receipts given), the facility's access registry (R-PRO-5), the
originator's consents on file and the incidents reported. Callers first check that the person
may see the item (:func:`pactshare.node.holdings.visible_item`); this module does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pactshare.store.schema import access_log, approvals, incidents, provisions, receipts

__all__ = [
    "AccessRecord",
    "ConsentRecord",
    "Dossier",
    "IncidentRecord",
    "ProvisionRecord",
    "ReceiptRecord",
    "dossier",
]


@dataclass(frozen=True, slots=True)
class ProvisionRecord:
    """A provision decided for the item: to whom, when, the outcome and the route's hops."""

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
    incident_id: str
    state: str
    summary: str
    reported_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Dossier:
    provisions: tuple[ProvisionRecord, ...]
    receipts: tuple[ReceiptRecord, ...]
    access: tuple[AccessRecord, ...]
    consents: tuple[ConsentRecord, ...]
    incidents: tuple[IncidentRecord, ...]


def dossier(tx: Connection, item_id: str) -> Dossier:
    """Everything recorded about ``item_id``, oldest first."""
    made = tx.execute(
        select(provisions).where(provisions.c.item_id == item_id).order_by(provisions.c.decided_at)
    )
    given = tx.execute(
        select(receipts).where(receipts.c.item_id == item_id).order_by(receipts.c.received_at)
    )
    tried = tx.execute(
        select(access_log).where(access_log.c.item_id == item_id).order_by(access_log.c.id)
    )
    approved = tx.execute(
        select(approvals).where(approvals.c.item_id == item_id).order_by(approvals.c.recorded_at)
    )
    reported = tx.execute(
        select(incidents).where(incidents.c.item_id == item_id).order_by(incidents.c.reported_at)
    )
    return Dossier(
        provisions=tuple(
            ProvisionRecord(
                r.recipient, r.decided_at, r.outcome, r.state, tuple(r.decision.get("route", ()))
            )
            for r in made
        ),
        receipts=tuple(ReceiptRecord(r.package_id, r.sender, r.received_at) for r in given),
        access=tuple(AccessRecord(r.person, r.at, r.granted, tuple(r.reasons)) for r in tried),
        consents=tuple(
            ConsentRecord(r.id, r.originator, r.kind, r.subject, r.recorded_at, r.revoked_at)
            for r in approved
        ),
        incidents=tuple(
            IncidentRecord(r.id, r.state, r.summary, r.reported_at, r.closed_at) for r in reported
        ),
    )

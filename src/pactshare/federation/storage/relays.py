"""A hub's relays (R-TISA-5/6/7): per item and final recipient, where the relay stands, and
the originator's release approvals on file that let it go on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, insert, select, update

from pactshare.domain import ApprovalKind
from pactshare.node.service import Node
from pactshare.store import schema

__all__ = [
    "Relay",
    "RelayState",
    "approvals_filed",
    "approve_relay",
    "mark_relay",
    "relay_state",
    "relays_in",
    "start_relay",
]

_RELAYS = schema.relays


class RelayState(StrEnum):
    """Awaiting the originator's approval, approved, provided onward, or refused onward."""

    AWAITING = "awaiting-consent"
    APPROVED = "approved"
    PROVIDED = "provided"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Relay:
    """An item to release to ``final_recipient`` once ``originator`` approves."""

    item_id: str
    final_recipient: str
    originator: str


def _this(item_id: str, final_recipient: str) -> tuple[ColumnElement[bool], ...]:
    return (_RELAYS.c.item_id == item_id, _RELAYS.c.final_recipient == final_recipient)


def relay_state(
    tx: Connection, item_id: str, final_recipient: str, *, lock: bool = False
) -> RelayState | None:
    """Where the relay of ``item_id`` to ``final_recipient`` stands, if there is one; with
    ``lock``, its row is held until the transaction ends (PostgreSQL ``FOR UPDATE``: another
    transaction locking it waits for this one, then reads what it committed; SQLite's write
    lock is the whole database already)."""
    query = select(_RELAYS.c.state).where(*_this(item_id, final_recipient))
    state = tx.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    return None if state is None else RelayState(state)


def start_relay(tx: Connection, relay: Relay, *, at: datetime, known: bool) -> None:
    """Await the originator's approval for ``relay``, anew if it is ``known`` already."""
    if not known:
        tx.execute(
            insert(_RELAYS).values(
                item_id=relay.item_id,
                final_recipient=relay.final_recipient,
                originator=relay.originator,
                state=RelayState.AWAITING.value,
                requested_at=at,
            )
        )
        return
    tx.execute(
        update(_RELAYS)
        .where(*_this(relay.item_id, relay.final_recipient))
        .values(
            state=RelayState.AWAITING.value, requested_at=at, provision_id=None, last_error=None
        )
    )


def relays_in(node: Node, state: RelayState) -> list[Relay]:
    """The relays in ``state``."""
    with node.db.atomic() as tx:
        rows = tx.execute(select(_RELAYS).where(_RELAYS.c.state == state.value)).all()
    return [Relay(row.item_id, row.final_recipient, row.originator) for row in rows]


def approve_relay(tx: Connection, item_id: str, final_recipient: str) -> None:
    """The relay of ``item_id`` to ``final_recipient``, if awaiting approval, is approved."""
    tx.execute(
        update(_RELAYS)
        .where(*_this(item_id, final_recipient), _RELAYS.c.state == RelayState.AWAITING.value)
        .values(state=RelayState.APPROVED.value)
    )


def mark_relay(
    node: Node,
    relay: Relay,
    state: RelayState,
    *,
    provision_id: str | None = None,
    error: str | None = None,
) -> None:
    """Move ``relay`` to ``state``, with its provision or the reason it was refused."""
    with node.db.atomic() as tx:
        tx.execute(
            update(_RELAYS)
            .where(*_this(relay.item_id, relay.final_recipient))
            .values(state=state.value, provision_id=provision_id, last_error=error)
        )


def approvals_filed(tx: Connection, relay: Relay) -> list[datetime]:
    """When each unrevoked release approval of ``relay`` was recorded."""
    table = schema.approvals
    return list(
        tx.execute(
            select(table.c.recorded_at).where(
                table.c.item_id == relay.item_id,
                table.c.originator == relay.originator,
                table.c.kind == ApprovalKind.RELEASE.value,
                table.c.subject == relay.final_recipient,
                table.c.revoked_at.is_(None),
            )
        ).scalars()
    )

"""A hub's relay over the network (R-TISA-5/6/7): receive, ask the originator, wait for its
approval, then release onward — each step its own record, so all three logs show the hop.

1. The hub receives an item whose manifest names another final recipient: it queues a
   signed consent request to the originator (:func:`await_consent`).
2. The originator's security officer grants the approval (``pactshare consent grant``); it
   travels back through the originator's outbox.
3. The hub files the approval (:func:`consent_arrived`) and, once it is on file *before*
   the release instant (an approval counts only if recorded strictly earlier, AT-13),
   provides the item onward with a new decision of its own (:func:`relay_due`). The next
   party marks it with its own equivalent level, as for any provision (R-TISA-7).
"""

from __future__ import annotations

from typing import Any

from pactshare.domain import ApprovalKind
from pactshare.errors import RefusedError
from pactshare.federation.storage.relays import (
    Relay,
    RelayState,
    approvals_filed,
    approve_relay,
    mark_relay,
    relay_state,
    relays_in,
    start_relay,
)
from pactshare.node.consents import request_consent
from pactshare.node.items import item_row
from pactshare.node.outbox import queue_message
from pactshare.node.provision import provide
from pactshare.node.service import Node

__all__ = ["await_consent", "consent_arrived", "relay_due"]


def await_consent(node: Node, item_id: str, final_recipient: str, *, new_hop: bool) -> None:
    """Queue a consent request to the item's originator, once per item and final recipient,
    and once more when a new package (``new_hop``) comes for a relay already done: the
    originator provided the item again, and its earlier approval was for the earlier release."""
    now = node.now()
    with node.db.atomic() as tx:
        known = relay_state(tx, item_id, final_recipient)
        if known is not None and (
            known in (RelayState.AWAITING, RelayState.APPROVED) or not new_hop
        ):
            return
        originator = item_row(tx, item_id).originator
        request = request_consent(node, item_id, release_to=final_recipient)
        relay = Relay(item_id, final_recipient, originator)
        start_relay(tx, relay, at=now, known=known is not None)
        queue_message(
            tx,
            message_id=request["body"]["request_id"],
            kind="consent-request",
            recipient=originator,
            payload=request,
            at=now,
        )


def consent_arrived(node: Node, approval: dict[str, Any]) -> None:
    """An originator's release approval arrived: the matching relay may proceed."""
    if approval.get("kind") != ApprovalKind.RELEASE:
        return
    with node.db.atomic() as tx:
        approve_relay(tx, approval["item_id"], approval["subject"])


def relay_due(node: Node) -> list[str]:
    """Provide onward every approved relay whose approval is on file before now; return the
    provision ids. A refusal is recorded (by the decision) and the relay marked refused."""
    now = node.now()
    done = []
    for row in relays_in(node, RelayState.APPROVED):
        with node.db.atomic() as tx:
            # Read again, locked: another pass (the server's worker, a ``federation deliver``
            # command, another ``serve`` process) may have released it since it was listed,
            # and one approval is one release.
            state = relay_state(tx, row.item_id, row.final_recipient, lock=True)
            if state is not RelayState.APPROVED:
                continue
            if not any(recorded < now for recorded in approvals_filed(tx, row)):
                continue  # filed at this very instant: the release must come after it
            try:
                provision = provide(node, row.item_id, row.final_recipient, package=None)
            except RefusedError as exc:
                error = "; ".join(exc.reasons) or str(exc)
                mark_relay(node, row, RelayState.REFUSED, error=error)
                continue
            mark_relay(node, row, RelayState.PROVIDED, provision_id=provision.provision_id)
            done.append(provision.provision_id)
    return done

"""The node's local policy over an agreement: a classification cap that is not a treaty rule.

TISA names no classification limit (R-TISA-10); the reference file caps relays at SECRET as
local policy, and a relay above the cap is refused with "local policy cap (not a treaty
rule)" (AT-26). Raising, lowering or removing that cap is an officer's audited act with its
reason: each change is kept (who, when, why) and the latest one per agreement replaces the
file's cap in the node's registry from then on (:func:`pactshare.node.agreements.load_settled`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import insert, select

from pactshare.audit import EntryKind
from pactshare.errors import InputError, InvariantError
from pactshare.node import journal
from pactshare.node.agreements import bump
from pactshare.node.answers import checked_reason
from pactshare.node.people import check_officer
from pactshare.node.service import Node
from pactshare.store.schema import local_policies

__all__ = ["NO_CAP", "CapChange", "cap_history", "set_cap"]

NO_CAP = "none"  # what an officer types to remove a cap

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CapChange:
    """One change of an agreement's local classification cap (None: no cap)."""

    agreement: str
    previous: str | None
    cap: str | None
    reason: str
    set_by: str
    at: datetime


def cap_history(node: Node, agreement_id: str) -> list[CapChange]:
    """Every recorded change of ``agreement_id``'s cap, oldest first."""
    query = select(local_policies).where(local_policies.c.agreement_id == agreement_id)
    with node.db.atomic() as tx:
        rows = tx.execute(query.order_by(local_policies.c.id)).all()
    return [
        CapChange(
            row.agreement_id,
            row.previous_cap,
            row.classification_cap,
            row.reason,
            row.set_by,
            row.at,
        )
        for row in rows
    ]


def set_cap(node: Node, agreement_id: str, cap: str, *, reason: str, by: str | None) -> CapChange:
    """Set ``agreement_id``'s local classification cap to the equivalence row labelled
    ``cap`` (``none`` removes it), as ``by`` (an admin or security officer; None: the node's
    operator), with its reason: recorded, audited and in force for every later decision."""
    checked_reason(reason)
    wanted = None if cap.strip().lower() == NO_CAP else cap.strip()
    now = node.now()
    with node.db.atomic() as tx:
        check_officer(tx, by)
        registry = node.registry(tx)
        agreement = registry.agreement(agreement_id)
        try:
            replace(agreement, classification_cap=wanted, cap_is_local=True)  # every version
        except InvariantError as exc:
            labels = ", ".join(row.label for row in agreement.equivalence)
            raise InputError(f"cap: {exc}; the labels of {agreement_id}: {labels}") from exc
        previous = agreement.as_of(now).classification_cap  # in force: maybe amended (R-AMD-1)
        if previous == wanted:
            raise InputError(f"{agreement_id}: the cap is already {previous or 'none'}")
        actor = by or "operator"
        tx.execute(
            insert(local_policies).values(
                agreement_id=agreement_id,
                previous_cap=previous,
                classification_cap=wanted,
                reason=reason,
                set_by=actor,
                at=now,
            )
        )
        bump(tx)
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=actor,
            subject=agreement_id,
            details={
                "action": "classification-cap",
                "previous": previous or NO_CAP,
                "cap": wanted or NO_CAP,
                "reason": reason,
                "rule": "AT-26",
            },
        )
    log.info(
        "local cap changed",
        extra={"agreement": agreement_id, "cap": wanted or NO_CAP, "by": actor},
    )
    return CapChange(agreement_id, previous, wanted, reason, actor, now)

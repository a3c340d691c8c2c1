"""People over time (R-ACC-3): a clearance is decided, has a validity, and can be downgraded or
revoked; need-to-know changes; people leave. Each change is an officer's audited act with its
reason, and takes effect at once: every access decision reads the person's record as it is
(``open``, the item pages and the API), and a person who leaves loses their token and every
dashboard session in the same transaction. :func:`access_review` is the periodic review of
who may open what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, update

from pactshare.audit import EntryKind
from pactshare.domain.topics import check_topic
from pactshare.errors import InputError, InvariantError, PolicyError
from pactshare.node import journal
from pactshare.node.answers import checked_reason
from pactshare.node.clock import real_now
from pactshare.node.holdings import HoldingSummary, visible_holdings
from pactshare.node.people import PersonRecord, check_officer, everyone, find_person
from pactshare.node.service import Node
from pactshare.store.schema import persons, sessions

__all__ = [
    "NO_CLEARANCE",
    "ReviewRow",
    "access_review",
    "change_clearance",
    "change_need_to_know",
    "leave",
]

NO_CLEARANCE = "none"  # what an officer types to revoke a clearance


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One person in the access review: their record now and what they may open."""

    person: PersonRecord
    holdings: tuple[HoldingSummary, ...]


def _change(
    node: Node,
    name: str,
    *,
    by: str | None,
    reason: str,
    action: str,
    values: dict[str, Any],
    details: dict[str, Any],
    ends_sessions: bool = False,
) -> PersonRecord:
    """Update ``name``'s record, audit it as ``action`` by ``by`` with ``reason``; return the
    record as it now stands."""
    reason = checked_reason(reason)
    with node.db.atomic() as tx:
        check_officer(tx, by)
        person = find_person(tx, name)
        tx.execute(update(persons).where(persons.c.name == person.name).values(**values))
        if ends_sessions:
            tx.execute(delete(sessions).where(sessions.c.person == person.name))
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=node.now(),
            actor=by or "operator",
            subject=person.name,
            details={"action": action, "rule": "R-ACC-3", "reason": reason, **details},
        )
        return find_person(tx, person.name)


def _level(node: Node, tx: Connection, clearance: str) -> str:
    try:
        return node.party(tx).level(clearance).id
    except PolicyError as exc:
        raise InputError(f"clearance: {exc}") from exc


def change_clearance(
    node: Node,
    name: str,
    clearance: str,
    *,
    expires: datetime | None,
    reason: str,
    by: str | None,
) -> PersonRecord:
    """Grant, upgrade, downgrade or (``none``) revoke ``name``'s clearance, valid until
    ``expires`` (None: no end), as ``by`` (an admin or security officer; None: the node's
    operator)."""
    wanted: str | None = None
    if clearance.strip().lower() != NO_CLEARANCE:
        with node.db.atomic() as tx:
            wanted = _level(node, tx, clearance)
    if expires is not None and wanted is None:
        raise InputError("--expires: a revoked clearance has no validity")
    if expires is not None and expires <= node.now():
        raise InputError(f"--expires: {expires.isoformat()} is not after the node's now")
    return _change(
        node,
        name,
        by=by,
        reason=reason,
        action="clearance-changed",
        values={"clearance": wanted, "clearance_expires": expires},
        details={
            "clearance": wanted or NO_CLEARANCE,
            "expires": expires.isoformat() if expires else "",
        },
    )


def change_need_to_know(
    node: Node, name: str, topics: Sequence[str], *, reason: str, by: str | None
) -> PersonRecord:
    """Replace ``name``'s need-to-know by ``topics`` (none: no need to know anything)."""
    try:
        checked = [check_topic(topic) for topic in topics]
        with node.db.atomic() as tx:
            known = node.registry(tx).check_topics(checked) if checked else ()
    except (InvariantError, PolicyError) as exc:
        raise InputError(f"topic: {exc}") from exc
    return _change(
        node,
        name,
        by=by,
        reason=reason,
        action="need-to-know-changed",
        values={"need_to_know": list(known)},
        details={"need_to_know": " ".join(known) or "none"},
    )


def leave(node: Node, name: str, *, reason: str, by: str | None) -> PersonRecord:
    """``name`` leaves: clearance and need-to-know withdrawn, token revoked and every session
    ended, in one transaction (the record stays, for the audit log's sake)."""
    return _change(
        node,
        name,
        by=by,
        reason=reason,
        action="left",
        values={
            "clearance": None,
            "clearance_expires": None,
            "need_to_know": [],
            "token_revoked_at": real_now(),
        },
        details={},
        ends_sessions=True,
    )


def access_review(node: Node) -> list[ReviewRow]:
    """Every person of the node, by name, with what they may open now on this node (their
    clearance, its validity and their need-to-know, as ``open`` decides)."""
    with node.db.atomic() as tx:
        people = everyone(tx)
    return [ReviewRow(p, tuple(visible_holdings(node, p))) for p in people]

"""Assurances before hand-over as signed federated documents (R-ACC-4, Art. 7(5); AT-16;
:mod:`pactshare.domain.assurances` holds the rules).

The receiving party's node signs an ``assurance`` from one of its competent authorities
(R-DEF-3) to the originating party: (a) the representative who receives is cleared up to a
level, (b) needs the topics for an official purpose, (c) the party gives the information
equivalent protection, valid from one instant until another. It records what it assured and
queues the document for the originating party (a courier may carry it too), whose node checks
every rule again on receipt (signature, sender, agreement, the level in that party's table,
dates; a 422 naming the rule) and records it: from then on its ``provide`` hands items over
under that agreement only within an assurance on record
(:func:`pactshare.domain.assurances.assured`). A signed ``assurance-withdrawal`` from the same
party ends it. Receiving the same document again has
one effect; another document under the same id is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, StrictBool
from sqlalchemy import Connection, bindparam, insert, select, update

from pactshare.audit import EntryKind
from pactshare.domain import Registry, parse_instant
from pactshare.domain.assurances import RULE, Assurance, assurance_problems
from pactshare.domain.authority import TOLERANCE
from pactshare.domain.topics import ALL_TOPICS, check_topic
from pactshare.errors import (
    InputError,
    InvariantError,
    NotFoundError,
    PackageError,
    PolicyError,
    RefusedError,
)
from pactshare.limits import check_id
from pactshare.node import journal
from pactshare.node.answers import document_digest, text_problem
from pactshare.node.authorities import party_now
from pactshare.node.documents import (
    Id,
    PartyCode,
    checked_body,
    read_document,
    sign_document,
    verify_document,
)
from pactshare.node.outbox import queue_message
from pactshare.node.people import check_officer
from pactshare.node.service import Node
from pactshare.store.schema import assurances

__all__ = [
    "ASSURANCE",
    "MAX_DAYS",
    "MAX_NAME",
    "MAX_TEXT",
    "MAX_TOPICS",
    "WITHDRAWAL",
    "AssuranceRecord",
    "assurances_on_record",
    "give_assurance",
    "list_assurances",
    "receive_assurance",
    "record_assurance",
    "record_withdrawal",
    "withdraw_assurance",
]

ASSURANCE, WITHDRAWAL = "assurance", "assurance-withdrawal"
MAX_TEXT, MAX_NAME, MAX_TOPICS, MAX_DAYS = 2000, 200, 64, 36_500


class _AssuranceBody(BaseModel):
    """An assurance's body, as signed by the receiving party."""

    assurance_id: Id
    agreement: Id
    receiving: PartyCode
    originating: PartyCode
    authority: str = Field(max_length=100)
    recipient: str = Field(max_length=MAX_NAME)
    level: str = Field(max_length=100)
    topics: list[str] = Field(max_length=MAX_TOPICS)
    purpose: str = Field(max_length=MAX_TEXT)
    equivalent_protection: StrictBool
    valid_from: str = Field(max_length=64)
    valid_until: str = Field(max_length=64)
    issued_at: str = Field(max_length=64)


class _WithdrawalBody(BaseModel):
    assurance_id: Id
    receiving: PartyCode
    assurance_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    issued_at: str = Field(max_length=64)


def _assurance(
    body: _AssuranceBody,
    where: str,
    *,
    recorded_at: datetime | None = None,
    withdrawn_at: datetime | None = None,
) -> Assurance:
    """The assurance a body describes; InputError naming the field otherwise."""
    for what, text, longest in (
        ("recipient", body.recipient, MAX_NAME),
        ("purpose", body.purpose, MAX_TEXT),
    ):
        problem = text_problem(text, longest)
        if problem:
            raise InputError(f"{where}: {what} {problem}")
    try:
        topics = tuple(check_topic(t) for t in body.topics)
    except InvariantError as exc:
        raise InputError(f"{where}: topics: {exc}") from exc
    return Assurance(
        id=body.assurance_id,
        agreement_id=body.agreement,
        receiving=body.receiving,
        originating=body.originating,
        authority=body.authority,
        recipient=body.recipient,
        level=body.level,
        topics=topics,
        purpose=body.purpose,
        equivalent_protection=body.equivalent_protection,
        valid_from=parse_instant(body.valid_from, what=f"{where}: valid_from"),
        valid_until=parse_instant(body.valid_until, what=f"{where}: valid_until"),
        issued_at=parse_instant(body.issued_at, what=f"{where}: issued_at"),
        recorded_at=recorded_at,
        withdrawn_at=withdrawn_at,
    )


def _problems(tx: Connection, registry: Registry, assurance: Assurance) -> tuple[str, ...]:
    """The assurance's broken rules, as ``"RULE: text"`` lines (the receiving party's
    authorities as its file and the notices recorded here make them, R-DEF-3)."""
    try:
        agreement = registry.agreement(assurance.agreement_id)
        registry.check_topics(t for t in assurance.topics if t != ALL_TOPICS)  # * : the scope
    except PolicyError as exc:
        return (f"{RULE}: {exc}",)
    for code in (assurance.receiving, assurance.originating):
        if code not in registry.parties:
            return (f"{RULE}: {code} is not a party this node knows",)
    receiving = party_now(tx, registry.party(assurance.receiving))
    return tuple(f"{r.rule}: {r.text}" for r in assurance_problems(assurance, agreement, receiving))


def _level_id(registry: Registry, party: str, level: str) -> str:
    """The level as the party's level id (a national name is accepted on input)."""
    found = registry.party(party).scheme.find(level) if party in registry.parties else None
    return found.id if found is not None else level


def give_assurance(
    node: Node,
    *,
    to: str,
    agreement_id: str,
    authority: str,
    recipient: str,
    level: str,
    topics: Sequence[str],
    purpose: str,
    until: datetime | None = None,
    days: int | None = None,
    valid_from: datetime | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Assure ``to`` as this node's party, receiving party under ``agreement_id`` (R-ACC-4,
    Art. 7(5)), from ``valid_from`` (default: now) until ``until`` or for ``days``: checked,
    recorded, audited and queued for ``to``; return the signed assurance. RefusedError names
    each rule it would break."""
    now = node.now()
    starts = valid_from or now
    if (until is None) == (days is None):
        raise InputError("give either --until INSTANT or --days N")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InputError(f"--days: 1 to {MAX_DAYS}")
    ends = until if until is not None else starts + timedelta(days=days or 0)
    body: dict[str, Any] = {
        "assurance_id": f"assurance-{node.party_code.lower()}-{uuid.uuid4().hex[:12]}",
        "agreement": agreement_id,
        "receiving": node.party_code,
        "originating": to,
        "authority": authority,
        "recipient": recipient,
        "level": level,
        "topics": list(topics),
        "purpose": purpose,
        "equivalent_protection": True,
        "valid_from": starts.isoformat(),
        "valid_until": ends.isoformat(),
        "issued_at": now.isoformat(),
    }
    with node.db.atomic() as tx:
        check_officer(tx, by)
        registry = node.registry(tx)
        body["level"] = _level_id(registry, node.party_code, level)
        parsed = checked_body(_AssuranceBody, body, where="assurance")
        assurance = _assurance(parsed, "assurance")
        problems = _problems(tx, registry, assurance)
        if problems:
            raise RefusedError(f"assurance to {to} refused", reasons=problems)
        document = sign_document(ASSURANCE, body, node.keys)
        _store(tx, assurance, document, at=now)
        queue_message(tx, kind=ASSURANCE, recipient=to, payload=document, at=now)
        _audit(tx, node.party_code, assurance.id, now, {"assurance": body, "given": True})
    return document


def _store(tx: Connection, assurance: Assurance, document: dict[str, Any], *, at: datetime) -> None:
    tx.execute(
        insert(assurances).values(
            id=assurance.id,
            agreement_id=assurance.agreement_id,
            receiving=assurance.receiving,
            originating=assurance.originating,
            valid_from=assurance.valid_from,
            valid_until=assurance.valid_until,
            document=document,
            recorded_at=at,
        )
    )


def _audit(tx: Connection, actor: str, subject: str, at: datetime, details: Any) -> None:
    """An event of the agreement between the parties (no item in it: an auditor reads it
    whole, :mod:`pactshare.node.disclosure`)."""
    journal.record(
        tx,
        kind=EntryKind.EVENT,
        at=at,
        actor=actor,
        subject=subject,
        details={**details, "rule": RULE},
    )


def _refused(where: str, reason: str) -> RefusedError:
    return RefusedError(f"{where}: assurance refused", reasons=(f"{RULE}: {reason}",))


def record_assurance(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File an assurance another party's node sent us, once; return its body. Refused
    (RefusedError, naming the rule) unless it comes from the receiving party, to us, and
    every rule holds at the instant it was signed."""
    signer, raw = verify_document(document, node.directory, kind=ASSURANCE, where=where)
    try:
        assurance = _assurance(checked_body(_AssuranceBody, raw, where=where), where)
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    if signer != assurance.receiving:
        raise _refused(
            where, f"signed by {signer}, but the receiving party is {assurance.receiving}"
        )
    if assurance.originating != node.party_code:
        raise _refused(where, f"it assures {assurance.originating}, not {node.party_code}")
    if assurance.issued_at.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise _refused(where, "signed after receipt")
    with node.db.atomic() as tx:
        seen = tx.execute(
            select(assurances.c.document).where(assurances.c.id == assurance.id)
        ).first()
        if seen is not None:
            if seen.document != document:
                raise PackageError(f"{where}: assurance id {assurance.id!r} is another's")
            return raw
        problems = _problems(tx, node.registry(tx), assurance)
        if problems:
            raise RefusedError(f"{where}: assurance {assurance.id} refused", reasons=problems)
        _store(tx, assurance, document, at=received_at)
        _audit(tx, signer, assurance.id, received_at, {"assurance": raw, "received": True})
    return raw


def withdraw_assurance(node: Node, assurance_id: str, *, by: str | None = None) -> dict[str, Any]:
    """Withdraw an assurance this node's party gave: recorded, audited and queued for the
    party it assured; from then on it covers no hand-over. Return the signed withdrawal."""
    now = node.now()
    check_id(assurance_id, what="assurance id")
    with node.db.atomic() as tx:
        check_officer(tx, by)
        row = tx.execute(select(assurances).where(assurances.c.id == assurance_id)).first()
        if row is None or row.receiving != node.party_code:
            raise NotFoundError(
                f"no assurance {assurance_id!r} given by {node.party_code} "
                "(see: pactshare assurance list)"
            )
        if row.withdrawn_at is not None:
            raise InputError(f"assurance {assurance_id} was withdrawn at {row.withdrawn_at}")
        body = {
            "assurance_id": assurance_id,
            "receiving": node.party_code,
            "assurance_digest": document_digest(row.document),
            "issued_at": now.isoformat(),
        }
        document = sign_document(WITHDRAWAL, body, node.keys)
        _withdraw(tx, assurance_id, document, at=now)
        queue_message(tx, kind=WITHDRAWAL, recipient=row.originating, payload=document, at=now)
        _audit(tx, node.party_code, assurance_id, now, {"withdrawal": body, "given": True})
    return document


def _withdraw(tx: Connection, assurance_id: str, document: dict[str, Any], *, at: datetime) -> None:
    tx.execute(
        update(assurances)
        .where(assurances.c.id == assurance_id)
        .values(withdrawn_at=at, withdrawal=document)
    )


def record_withdrawal(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File the withdrawal of an assurance given to us, once; return its body. It ends the
    assurance from its receipt on (the time the originating party learns of it)."""
    signer, raw = verify_document(document, node.directory, kind=WITHDRAWAL, where=where)
    body = checked_body(_WithdrawalBody, raw, where=where)
    if body.receiving != signer:
        raise _refused(where, f"signed by {signer} but withdraws for {body.receiving}")
    issued = parse_instant(body.issued_at, what=f"{where}: issued_at")
    if issued.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise _refused(where, "signed after receipt")
    with node.db.atomic() as tx:
        row = tx.execute(select(assurances).where(assurances.c.id == body.assurance_id)).first()
        if row is None or row.receiving != signer or row.originating != node.party_code:
            raise _refused(where, f"{signer} gave us no assurance {body.assurance_id!r}")
        if body.assurance_digest != document_digest(row.document):
            raise _refused(where, "it withdraws another assurance")
        if row.withdrawal is not None:
            if row.withdrawal != document:
                raise PackageError(f"{where}: assurance {body.assurance_id} is withdrawn already")
            return raw
        _withdraw(tx, body.assurance_id, document, at=received_at)
        _audit(tx, signer, body.assurance_id, received_at, {"withdrawal": raw, "received": True})
    return raw


def receive_assurance(node: Node, path: Path) -> dict[str, Any]:
    """File what a courier brought (an assurance to us, or its withdrawal), as received now;
    return the document's body."""
    document = read_document(path)
    kind = document.get("kind") if isinstance(document, dict) else None
    record = record_withdrawal if kind == WITHDRAWAL else record_assurance
    return record(node, document, where=str(path), received_at=node.now())


def _on_file(row: Any) -> Assurance:
    where = f"assurance {row.id}"
    body = checked_body(_AssuranceBody, row.document["body"], where=where)
    return _assurance(body, where, recorded_at=row.recorded_at, withdrawn_at=row.withdrawn_at)


# What a provision's gate reads (R-ACC-4): the columns _on_file uses, built once.
_ON_RECORD = select(
    assurances.c.id, assurances.c.document, assurances.c.recorded_at, assurances.c.withdrawn_at
).where(
    assurances.c.receiving == bindparam("receiving"),
    assurances.c.originating == bindparam("originating"),
)


def assurances_on_record(tx: Connection, *, receiving: str, originating: str) -> list[Assurance]:
    """The assurances ``receiving`` gave ``originating`` that this node recorded."""
    rows = tx.execute(_ON_RECORD, {"receiving": receiving, "originating": originating})
    return [_on_file(row) for row in rows]


@dataclass(frozen=True, slots=True)
class AssuranceRecord:
    """One assurance as this node knows it, and its state at the node's clock."""

    assurance: Assurance
    state: str  # in effect | not yet valid | expired | withdrawn

    def to_dict(self) -> dict[str, Any]:
        """The assurance as JSON (``assurance list --json``, the API)."""
        a = self.assurance
        return {
            "id": a.id,
            "agreement": a.agreement_id,
            "receiving": a.receiving,
            "originating": a.originating,
            "authority": a.authority,
            "recipient": a.recipient,
            "level": a.level,
            "topics": list(a.topics),
            "purpose": a.purpose,
            "equivalent_protection": a.equivalent_protection,
            "valid_from": a.valid_from.isoformat(),
            "valid_until": a.valid_until.isoformat(),
            "issued_at": a.issued_at.isoformat(),
            "recorded_at": a.recorded_at.isoformat() if a.recorded_at else None,
            "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
            "state": self.state,
        }


def list_assurances(node: Node, agreement_id: str | None = None) -> list[AssuranceRecord]:
    """Every assurance given or received (or under one agreement), oldest first, with its
    state now."""
    now = node.now()
    with node.db.atomic() as tx:
        query = select(assurances).order_by(assurances.c.recorded_at, assurances.c.id)
        if agreement_id is not None:
            query = query.where(assurances.c.agreement_id == agreement_id)
        found = [_on_file(row) for row in tx.execute(query)]
    return [AssuranceRecord(a, a.state(now).value) for a in found]

"""Visits between parties as signed federated documents, like diplomatic notes (R-VIS-1,
R-SEC-1, R-DEF-3; :mod:`pactshare.domain.visits` holds the rules).

The visiting party's node signs a ``visit-request`` from its competent authority to the host's
and queues it for the host; each party that must approve signs a ``visit-answer`` (approval or
refusal with its reason) and queues it for the other. Both nodes check every rule again on
receipt, at the request's signing instant, and refuse what breaks one (a 422 naming the rule):
a sender that is not the visiting party, an authority not designated, reversed dates, a level
above what the agreement allows, an unknown facility. Receiving the same document again has
one effect; another document under the same visit id is refused. When a visit is approved
the host's node records that it told the facility (its topics, dates and highest level).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, insert, select, update

from pactshare.audit import EntryKind
from pactshare.domain import Party, Registry, parse_instant
from pactshare.domain.authority import TOLERANCE
from pactshare.domain.topics import check_topic
from pactshare.domain.visits import (
    Visit,
    VisitKind,
    VisitState,
    answer_problem,
    request_problems,
    visit_state,
)
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
from pactshare.node.people import check_officer, person_name
from pactshare.node.service import Node
from pactshare.store.schema import visit_answers, visits

__all__ = [
    "ANSWER",
    "REQUEST",
    "VisitRecord",
    "answer_visit",
    "find_visit",
    "list_visits",
    "receive_visit_document",
    "record_visit_answer",
    "record_visit_request",
    "request_visit",
]

REQUEST, ANSWER = "visit-request", "visit-answer"
MAX_TEXT, MAX_TOPICS, MAX_VISITORS = 2000, 64, 100


class _RequestBody(BaseModel):
    """A visit request's body, as signed by the visiting party."""

    visit_id: Id
    kind: VisitKind
    agreement: Id
    visiting: PartyCode
    host: PartyCode
    from_authority: str = Field(max_length=100)
    to_authority: str = Field(max_length=100)
    purpose: str = Field(max_length=MAX_TEXT)
    facility: str = Field(max_length=100)
    starts: str = Field(max_length=64)
    ends: str = Field(max_length=64)
    topics: list[str] = Field(max_length=MAX_TOPICS)
    highest_level: str | None = Field(default=None, max_length=100)
    visitors: list[str] = Field(max_length=MAX_VISITORS)
    issued_at: str = Field(max_length=64)


class _AnswerBody(BaseModel):
    visit_id: Id
    party: PartyCode
    approved: bool
    reason: str = Field(max_length=MAX_TEXT)
    request_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    issued_at: str = Field(max_length=64)


def _visit(body: _RequestBody, where: str) -> Visit:
    """The visit a request's body describes; InputError naming the field otherwise."""
    problem = text_problem(body.purpose, MAX_TEXT)
    if problem:
        raise InputError(f"{where}: purpose {problem}")
    try:
        topics = tuple(check_topic(t) for t in body.topics)
        visitors = tuple(person_name(v) for v in body.visitors)
    except InvariantError as exc:
        raise InputError(f"{where}: topics: {exc}") from exc
    return Visit(
        id=body.visit_id,
        kind=body.kind,
        agreement_id=body.agreement,
        visiting=body.visiting,
        host=body.host,
        from_authority=body.from_authority,
        to_authority=body.to_authority,
        purpose=body.purpose,
        facility=body.facility,
        starts=parse_instant(body.starts, what=f"{where}: starts"),
        ends=parse_instant(body.ends, what=f"{where}: ends"),
        topics=topics,
        highest_level=body.highest_level,
        visitors=visitors,
        issued_at=parse_instant(body.issued_at, what=f"{where}: issued_at"),
    )


def _problems(
    tx: Connection, registry: Registry, visit: Visit, at: datetime | None = None
) -> tuple[str, ...]:
    """The request's broken rules, as ``"RULE: text"`` lines (each party's authorities as its
    file and its notices recorded here make them, R-DEF-3), at its signing instant or at
    ``at`` (see :func:`~pactshare.domain.visits.request_problems`)."""
    try:
        agreement = registry.agreement(visit.agreement_id)
        registry.check_topics(visit.topics)
    except PolicyError as exc:
        return (f"R-VIS-1: {exc}",)
    parties: list[Party] = []
    for code in (visit.visiting, visit.host):
        if code not in registry.parties:
            return (f"R-VIS-1: {code} is not a party this node knows",)
        parties.append(party_now(tx, registry.party(code)))
    reasons = request_problems(visit, agreement, parties[0], parties[1], at=at)
    return tuple(f"{r.rule}: {r.text}" for r in reasons)


def request_visit(
    node: Node,
    *,
    agreement_id: str,
    host: str,
    from_authority: str,
    to_authority: str,
    purpose: str,
    facility: str,
    starts: datetime,
    ends: datetime,
    topics: Sequence[str],
    highest_level: str | None,
    visitors: Sequence[str],
    kind: VisitKind = VisitKind.CMI_ACCESS,
    by: str | None = None,
) -> dict[str, Any]:
    """Request a visit to ``host`` as this node's party, from its competent authority to the
    host's (R-VIS-1, R-DEF-3): checked, recorded, audited and queued for the host; return the
    signed request. RefusedError names each rule it would break."""
    now = node.now()
    visit_id = f"visit-{node.party_code.lower()}-{uuid.uuid4().hex[:12]}"
    body = {
        "visit_id": visit_id,
        "kind": kind.value,
        "agreement": agreement_id,
        "visiting": node.party_code,
        "host": host,
        "from_authority": from_authority,
        "to_authority": to_authority,
        "purpose": purpose,
        "facility": facility,
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
        "topics": list(topics),
        "highest_level": highest_level,
        "visitors": list(visitors),
        "issued_at": now.isoformat(),
    }
    visit = _visit(checked_body(_RequestBody, body, where="visit request"), "visit request")
    with node.db.atomic() as tx:
        check_officer(tx, by)
        registry = node.registry(tx)
        level = _host_level(registry, visit)
        problems = _problems(tx, registry, visit)
        if problems:
            raise RefusedError(f"visit request to {host} refused", reasons=problems)
        document = sign_document(REQUEST, {**body, "highest_level": level}, node.keys)
        _store_request(tx, visit, document, at=now)
        queue_message(tx, kind=REQUEST, recipient=host, payload=document, at=now)
        _audit(tx, node.party_code, visit.id, now, {"visit_request": document["body"]})
    return document


def _host_level(registry: Registry, visit: Visit) -> str | None:
    """The highest level as the host's level id (a national name is accepted on input)."""
    if visit.highest_level is None or visit.host not in registry.parties:
        return visit.highest_level
    level = registry.party(visit.host).scheme.find(visit.highest_level)
    return level.id if level is not None else visit.highest_level


def _store_request(tx: Connection, visit: Visit, document: dict[str, Any], *, at: datetime) -> None:
    tx.execute(
        insert(visits).values(
            id=visit.id,
            kind=visit.kind.value,
            agreement_id=visit.agreement_id,
            visiting=visit.visiting,
            host=visit.host,
            facility=visit.facility,
            starts_at=visit.starts,
            ends_at=visit.ends,
            request=document,
            recorded_at=at,
        )
    )


def _audit(tx: Connection, actor: str, visit_id: str, at: datetime, details: Any) -> None:
    journal.record(tx, kind=EntryKind.NOTICE, at=at, actor=actor, subject=visit_id, details=details)


def record_visit_request(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File a visit request another party's node sent us, once; return its body. Refused
    (RefusedError, naming the rule) unless it comes from the visiting party, to us as host,
    and every rule holds at the instant it was signed."""
    signer, raw = verify_document(document, node.directory, kind=REQUEST, where=where)
    try:
        visit = _visit(checked_body(_RequestBody, raw, where=where), where)
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    if signer != visit.visiting:
        raise RefusedError(
            f"{where}: visit request refused",
            reasons=(f"R-VIS-1: signed by {signer}, but the visiting party is {visit.visiting}",),
        )
    if visit.host != node.party_code:
        reason = f"R-VIS-1: a request to {visit.host}'s authority, not to {node.party_code}'s"
        raise RefusedError(f"{where}: visit request refused", reasons=(reason,))
    if visit.issued_at.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise RefusedError(f"{where}: visit request refused", reasons=("signed after receipt",))
    with node.db.atomic() as tx:
        seen = tx.execute(select(visits.c.request).where(visits.c.id == visit.id)).first()
        if seen is not None:
            if seen.request != document:
                raise PackageError(f"{where}: visit id {visit.id!r} is another request's")
            return raw
        problems = _problems(tx, node.registry(tx), visit)
        if problems:
            raise RefusedError(f"{where}: visit request {visit.id} refused", reasons=problems)
        _store_request(tx, visit, document, at=received_at)
        _audit(tx, signer, visit.id, received_at, {"visit_request": raw, "received": True})
    return raw


def _answers(tx: Connection, visit_id: str) -> dict[str, bool]:
    rows = tx.execute(
        select(visit_answers.c.party, visit_answers.c.approved).where(
            visit_answers.c.visit_id == visit_id
        )
    )
    return {row.party: row.approved for row in rows}


def _load(tx: Connection, visit_id: str) -> tuple[Visit, dict[str, Any]]:
    row = tx.execute(select(visits.c.request).where(visits.c.id == visit_id)).first()
    if row is None:
        raise NotFoundError(f"no visit {visit_id!r} on this node (see: pactshare visit list)")
    body = checked_body(_RequestBody, row.request["body"], where=f"visit {visit_id}")
    return _visit(body, f"visit {visit_id}"), row.request


def find_visit(tx: Connection, visit_id: str) -> tuple[Visit, VisitState]:
    """A recorded visit and its state now; NotFoundError if there is none."""
    visit, _ = _load(tx, visit_id)
    state, _ = visit_state(visit, _answers(tx, visit_id))
    return visit, state


def answer_visit(
    node: Node, visit_id: str, *, approve: bool, reason: str = "", by: str | None = None
) -> dict[str, Any]:
    """Approve or refuse a visit as this node's party: only the host for an R-VIS-1 visit,
    each party for an R-SEC-1 one. Recorded, audited and queued for the other party; the
    host tells the facility once the visit is approved. Return the signed answer."""
    text = reason.strip()
    if not approve and text_problem(text, MAX_TEXT):
        raise InputError(f"--reason: a refusal gives its reason in 1 to {MAX_TEXT} characters")
    now, party = node.now(), node.party_code
    check_id(visit_id, what="visit id")
    with node.db.atomic() as tx:
        check_officer(tx, by)
        visit, request = _load(tx, visit_id)
        why = answer_problem(visit, _answers(tx, visit_id), party)
        if why is not None:
            raise RefusedError(f"{party} cannot answer visit {visit_id}", reasons=(why,))
        if approve:  # the rules hold now too, with the terms in force now (R-AMD-1)
            problems = _problems(tx, node.registry(tx), visit, at=now)
            if problems:
                raise RefusedError(f"{party} cannot approve visit {visit_id}", reasons=problems)
        body = {
            "visit_id": visit_id,
            "party": party,
            "approved": approve,
            "reason": text if not approve else "",
            "request_digest": document_digest(request),
            "issued_at": now.isoformat(),
        }
        document = sign_document(ANSWER, body, node.keys)
        _store_answer(tx, node, visit, document, at=now)
        other = visit.host if party == visit.visiting else visit.visiting
        queue_message(tx, kind=ANSWER, recipient=other, payload=document, at=now)
    return document


def _store_answer(
    tx: Connection, node: Node, visit: Visit, document: dict[str, Any], *, at: datetime
) -> None:
    body = document["body"]
    tx.execute(
        insert(visit_answers).values(
            visit_id=visit.id,
            party=body["party"],
            approved=body["approved"],
            reason=body["reason"],
            document=document,
            at=at,
        )
    )
    _audit(tx, body["party"], visit.id, at, {"visit_answer": body})
    state, _ = visit_state(visit, _answers(tx, visit.id))
    if state is VisitState.APPROVED and visit.host == node.party_code:
        tx.execute(update(visits).where(visits.c.id == visit.id).values(facility_told_at=at))
        told = {
            "facility": visit.facility,
            "visit_id": visit.id,
            "purpose": visit.purpose,
            "topics": list(visit.topics),
            "starts": visit.starts.isoformat(),
            "ends": visit.ends.isoformat(),
            "highest_level": visit.highest_level,
            "visitors": list(visit.visitors),
        }
        _audit(tx, node.party_code, visit.id, at, {"facility_told": told, "rule": "R-VIS-1"})


def record_visit_answer(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File a party's approval or refusal of a visit, once; return its body. Refused (naming
    the rule) from a party that may not answer it, or about another request."""
    signer, raw = verify_document(document, node.directory, kind=ANSWER, where=where)
    body = checked_body(_AnswerBody, raw, where=where)
    if body.party != signer:
        raise PackageError(f"{where}: signed by {signer} but answers for {body.party}")
    if not body.approved and text_problem(body.reason.strip(), MAX_TEXT):
        raise PackageError(f"{where}: a refusal gives its reason")
    issued = parse_instant(body.issued_at, what=f"{where}: issued_at")
    if issued.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise RefusedError(f"{where}: visit answer refused", reasons=("signed after receipt",))
    with node.db.atomic() as tx:
        earlier = tx.execute(
            select(visit_answers.c.document).where(
                visit_answers.c.visit_id == body.visit_id, visit_answers.c.party == signer
            )
        ).scalar_one_or_none()
        if earlier is not None and earlier == document:
            return raw
        try:
            visit, request = _load(tx, body.visit_id)
        except NotFoundError as exc:
            raise PackageError(f"{where}: {exc}") from exc
        if body.request_digest != document_digest(request):
            raise RefusedError(
                f"{where}: visit answer refused", reasons=("it answers another request",)
            )
        why = answer_problem(visit, _answers(tx, visit.id), signer)
        if why is not None:
            raise RefusedError(f"{where}: visit answer refused", reasons=(why,))
        _store_answer(tx, node, visit, document, at=received_at)
    return raw


def receive_visit_document(node: Node, path: Path) -> dict[str, Any]:
    """File a visit request or answer a courier brought (the file ``visit request|approve|
    refuse -o`` wrote), with exactly the checks of one that came over the network; it counts
    from now. Return the document's body."""
    document = read_document(path)
    kind = document.get("kind") if isinstance(document, dict) else None
    record = {REQUEST: record_visit_request, ANSWER: record_visit_answer}.get(str(kind))
    if record is None:
        raise PackageError(f"{path}: not a visit request or answer (kind {kind!r})")
    return record(node, document, where=str(path), received_at=node.now())


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """One visit as this node knows it."""

    id: str
    kind: str
    rule: str
    agreement_id: str
    visiting: str
    host: str
    from_authority: str
    to_authority: str
    purpose: str
    facility: str
    starts: datetime
    ends: datetime
    topics: tuple[str, ...]
    highest_level: str | None
    visitors: tuple[str, ...]
    issued_at: datetime
    state: str
    waiting_for: tuple[str, ...]
    approved_by: tuple[str, ...]
    refused_by: dict[str, str]
    facility_told_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The visit as JSON (``visit list --json``, the API)."""
        told = self.facility_told_at
        return {
            "id": self.id,
            "kind": self.kind,
            "rule": self.rule,
            "agreement": self.agreement_id,
            "visiting": self.visiting,
            "host": self.host,
            "from_authority": self.from_authority,
            "to_authority": self.to_authority,
            "purpose": self.purpose,
            "facility": self.facility,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat(),
            "topics": list(self.topics),
            "highest_level": self.highest_level,
            "visitors": list(self.visitors),
            "issued_at": self.issued_at.isoformat(),
            "state": self.state,
            "waiting_for": list(self.waiting_for),
            "approved_by": list(self.approved_by),
            "refused_by": dict(self.refused_by),
            "facility_told_at": told.isoformat() if told is not None else None,
        }


def list_visits(node: Node) -> list[VisitRecord]:
    """Every visit given or received, oldest first, with its state."""
    with node.db.atomic() as tx:
        rows = tx.execute(
            select(visits.c.id, visits.c.facility_told_at).order_by(
                visits.c.recorded_at, visits.c.id
            )
        ).all()
        answers = tx.execute(select(visit_answers)).all()
        records = []
        for row in rows:
            visit, _ = _load(tx, row.id)
            mine = [a for a in answers if a.visit_id == row.id]
            state, waiting = visit_state(visit, {a.party: a.approved for a in mine})
            records.append(
                VisitRecord(
                    id=visit.id,
                    kind=visit.kind.value,
                    rule=visit.kind.rule,
                    agreement_id=visit.agreement_id,
                    visiting=visit.visiting,
                    host=visit.host,
                    from_authority=visit.from_authority,
                    to_authority=visit.to_authority,
                    purpose=visit.purpose,
                    facility=visit.facility,
                    starts=visit.starts,
                    ends=visit.ends,
                    topics=visit.topics,
                    highest_level=visit.highest_level,
                    visitors=visit.visitors,
                    issued_at=visit.issued_at,
                    state=state.value,
                    waiting_for=waiting,
                    approved_by=tuple(a.party for a in mine if a.approved),
                    refused_by={a.party: a.reason for a in mine if not a.approved},
                    facility_told_at=row.facility_told_at,
                )
            )
    return records

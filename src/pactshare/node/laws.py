"""The laws that protect the information (R-LAW-1, Art. 3 [H]): a party asks another, under an
agreement they share, which of its national laws and regulations in force cover the
protection of the information provided; the asked party must say. Both are signed documents,
sent through the outbox like notes and checked again on receipt:

* ``law-inquiry``: from the asking party to one other party of the agreement;
* ``law-statement``: the laws (title, reference), from the stating party to the one that
  asked — in reply to its inquiry, or given unprompted to another party of the agreement.

A change in those laws afterwards is a ``law_change_notice`` (R-LAW-2), an event of the
agreement given by note. An inquiry is answered once; a document is filed once (the same one
again is a no-op, another under the same id is refused).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, insert, select

from pactshare.audit import EntryKind
from pactshare.domain import Registry, parse_instant
from pactshare.domain.authority import TOLERANCE
from pactshare.errors import InputError, NotFoundError, PackageError, RefusedError
from pactshare.node import journal
from pactshare.node.answers import text_problem
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
from pactshare.store.schema import law_documents

__all__ = [
    "INQUIRY",
    "MAX_LAWS",
    "MAX_LAW_TEXT",
    "STATEMENT",
    "LawInquiry",
    "LawStatement",
    "ask_laws",
    "list_laws",
    "receive_law_document",
    "record_law_document",
    "state_laws",
]

INQUIRY, STATEMENT = "law-inquiry", "law-statement"
MAX_LAWS = 50  # laws in one statement
MAX_LAW_TEXT = 300  # characters of a law's title or reference


class _InquiryBody(BaseModel):
    inquiry_id: Id
    agreement_id: Id
    asking: PartyCode
    asked: PartyCode
    issued_at: str = Field(max_length=64)


class _Law(BaseModel):
    title: str = Field(max_length=MAX_LAW_TEXT)
    reference: str = Field(max_length=MAX_LAW_TEXT)


class _StatementBody(BaseModel):
    statement_id: Id
    agreement_id: Id
    party: PartyCode
    to: PartyCode
    in_reply_to: Id | None
    laws: list[_Law] = Field(min_length=1, max_length=MAX_LAWS)
    issued_at: str = Field(max_length=64)


@dataclass(frozen=True, slots=True)
class LawInquiry:
    """An inquiry given or received, and the statement that answered it (None: open)."""

    id: str
    agreement_id: str
    asking: str
    asked: str
    recorded_at: datetime
    answered_by: str | None


@dataclass(frozen=True, slots=True)
class LawStatement:
    """A party's statement of its laws that cover the information's protection."""

    id: str
    agreement_id: str
    party: str
    to: str
    in_reply_to: str | None
    laws: tuple[tuple[str, str], ...]  # (title, reference)
    recorded_at: datetime


def _parties_problem(registry: Registry, agreement_id: str, first: str, second: str) -> str | None:
    """Why ``first`` and ``second`` cannot exchange R-LAW-1 documents under the agreement."""
    agreement = registry.agreements.get(agreement_id)
    if agreement is None:
        return f"R-LAW-1: no agreement {agreement_id!r} is known here"
    if first == second:
        return "R-LAW-1: a party asks another party, not itself"
    for code in (first, second):
        if code not in agreement.parties:
            return f"R-LAW-1: {code} is not a party to {agreement_id}"
    return None


def _laws(laws: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """A statement's laws as given by a person: each a title (required) and a reference."""
    if not 1 <= len(laws) <= MAX_LAWS:
        raise InputError(f"--law: give 1 to {MAX_LAWS} laws")
    checked = []
    for title, reference in laws:
        for what, text in (("title", title.strip()), ("reference", reference.strip())):
            problem = text_problem(text, MAX_LAW_TEXT) if text or what == "title" else None
            if problem:
                raise InputError(f"--law {title!r}: its {what} {problem}")
        checked.append({"title": title.strip(), "reference": reference.strip()})
    return checked


def _store(
    tx: Connection, kind: str, body: Any, *, signer: str, to: str, document: Any, at: datetime
) -> None:
    ident = body.inquiry_id if kind == INQUIRY else body.statement_id
    tx.execute(
        insert(law_documents).values(
            id=ident,
            kind=kind,
            agreement_id=body.agreement_id,
            party=signer,
            counterpart=to,
            in_reply_to=getattr(body, "in_reply_to", None),
            document=document,
            recorded_at=at,
        )
    )
    journal.record(
        tx,
        kind=EntryKind.NOTICE,
        at=at,
        actor=signer,
        subject=body.agreement_id,
        details={kind.replace("-", "_"): document["body"], "rule": "R-LAW-1"},
    )


def _inquiry(tx: Connection, inquiry_id: str) -> tuple[_InquiryBody, str | None] | None:
    """A recorded inquiry and the id of the statement that answered it, if any."""
    row = tx.execute(
        select(law_documents.c.document).where(
            law_documents.c.id == inquiry_id, law_documents.c.kind == INQUIRY
        )
    ).first()
    if row is None:
        return None
    answer = tx.execute(
        select(law_documents.c.id).where(law_documents.c.in_reply_to == inquiry_id)
    ).scalar_one_or_none()
    return checked_body(_InquiryBody, row.document["body"], where=inquiry_id), answer


def _open_inquiry(tx: Connection, inquiry_id: str, us: str) -> tuple[str, str]:
    """The agreement and asking party of an inquiry to ``us`` not yet answered."""
    found = _inquiry(tx, inquiry_id)
    if found is None or found[0].asked != us:
        raise NotFoundError(f"no law inquiry {inquiry_id!r} to {us} here")
    inquiry, answered = found
    if answered is not None:
        raise InputError(f"inquiry {inquiry_id} is already answered by {answered}")
    return inquiry.agreement_id, inquiry.asking


def ask_laws(node: Node, party: str, *, agreement_id: str, by: str | None) -> dict[str, Any]:
    """Ask ``party`` which of its laws cover the protection of what ``agreement_id`` provides
    (R-LAW-1): signed, recorded and queued for it; return the inquiry."""
    now = node.now()
    body = {
        "inquiry_id": f"laws-{node.party_code.lower()}-{uuid.uuid4().hex[:12]}",
        "agreement_id": agreement_id,
        "asking": node.party_code,
        "asked": party,
        "issued_at": now.isoformat(),
    }
    parsed = checked_body(_InquiryBody, body, where="law inquiry")
    document = sign_document(INQUIRY, body, node.keys)
    with node.db.atomic() as tx:
        check_officer(tx, by)
        problem = _parties_problem(node.registry(tx), agreement_id, node.party_code, party)
        if problem:
            raise RefusedError("law inquiry refused", reasons=(problem,))
        _store(tx, INQUIRY, parsed, signer=node.party_code, to=party, document=document, at=now)
        queue_message(tx, kind=INQUIRY, recipient=party, payload=document, at=now)
    return document


def state_laws(
    node: Node,
    laws: Sequence[tuple[str, str]],
    *,
    reply_to: str | None = None,
    agreement_id: str | None = None,
    to: str | None = None,
    by: str | None,
) -> dict[str, Any]:
    """State this party's laws that cover the information's protection (R-LAW-1): in reply
    to an inquiry we received (``reply_to``), or unprompted to ``to`` under ``agreement_id``.
    Signed, recorded and queued; return the statement."""
    if (reply_to is None) == (to is None or agreement_id is None):
        raise InputError("give either --reply-to INQUIRY or both --to PARTY and --agreement ID")
    now = node.now()
    checked = _laws(laws)
    with node.db.atomic() as tx:
        check_officer(tx, by)
        if reply_to is not None:
            agreement_id, to = _open_inquiry(tx, reply_to, node.party_code)
        elif agreement_id is None or to is None:  # excluded above; narrows the types
            raise InputError("give --to PARTY and --agreement ID")
        problem = _parties_problem(node.registry(tx), agreement_id, node.party_code, to)
        if problem:
            raise RefusedError("law statement refused", reasons=(problem,))
        body = {
            "statement_id": f"laws-{node.party_code.lower()}-{uuid.uuid4().hex[:12]}",
            "agreement_id": agreement_id,
            "party": node.party_code,
            "to": to,
            "in_reply_to": reply_to,
            "laws": checked,
            "issued_at": now.isoformat(),
        }
        parsed = checked_body(_StatementBody, body, where="law statement")
        document = sign_document(STATEMENT, body, node.keys)
        _store(tx, STATEMENT, parsed, signer=node.party_code, to=to, document=document, at=now)
        queue_message(tx, kind=STATEMENT, recipient=to, payload=document, at=now)
    return document


def _parse(node: Node, document: Any, where: str) -> tuple[str, str, _InquiryBody | _StatementBody]:
    """A verified inquiry or statement: its kind, signer and body (PackageError if it is
    neither, is not signed by a pinned party, or is malformed)."""
    kind = document.get("kind") if isinstance(document, dict) else None
    if kind not in (INQUIRY, STATEMENT):
        raise PackageError(f"{where}: not a law inquiry or statement")
    signer, raw = verify_document(document, node.directory, kind=str(kind), where=where)
    if kind == INQUIRY:
        return str(kind), signer, checked_body(_InquiryBody, raw, where=where)
    body = checked_body(_StatementBody, raw, where=where)
    for index, law in enumerate(body.laws):
        if text_problem(law.title, MAX_LAW_TEXT) or (
            law.reference and text_problem(law.reference, MAX_LAW_TEXT)
        ):
            raise PackageError(f"{where}: body.laws.{index}: not a law's title and reference")
    return str(kind), signer, body


def _reply_problem(tx: Connection, body: _StatementBody, signer: str, us: str) -> str | None:
    """Why a statement cannot be the reply it says it is (None: it can, or it is unprompted)."""
    if body.in_reply_to is None:
        return None
    found = _inquiry(tx, body.in_reply_to)
    if found is None or (found[0].asking, found[0].asked) != (us, signer):
        return f"R-LAW-1: it answers no inquiry of ours to {signer}"
    if found[0].agreement_id != body.agreement_id:
        return f"R-LAW-1: inquiry {body.in_reply_to} was about another agreement"
    if found[1] is not None:
        return f"R-LAW-1: inquiry {body.in_reply_to} is already answered"
    return None


def record_law_document(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File another party's inquiry or statement addressed to us, once; return its body.
    Refused (naming R-LAW-1) if its signer is not the party it speaks for, it is not for us,
    the agreement does not bind both, or a reply answers no inquiry we gave that party."""
    kind, signer, body = _parse(node, document, where)
    if isinstance(body, _InquiryBody):
        speaker, addressee, ident = body.asking, body.asked, body.inquiry_id
    else:
        speaker, addressee, ident = body.party, body.to, body.statement_id
    refused = f"{where}: {kind.replace('-', ' ')} refused"
    if speaker != signer:
        raise RefusedError(refused, reasons=(f"R-LAW-1: signed by {signer}, not {speaker}",))
    if addressee != node.party_code:
        raise RefusedError(refused, reasons=(f"R-LAW-1: addressed to {addressee}, not to us",))
    issued = parse_instant(body.issued_at, what=f"{where}: issued_at")
    if issued.astimezone(UTC) > received_at.astimezone(UTC) + TOLERANCE:
        raise RefusedError(refused, reasons=("signed after receipt",))
    with node.db.atomic() as tx:
        seen = tx.execute(
            select(law_documents.c.document).where(law_documents.c.id == ident)
        ).scalar_one_or_none()
        if seen is not None:
            if seen != document:
                raise PackageError(f"{where}: id {ident!r} is another document's")
            return document["body"]  # type: ignore[no-any-return]
        problem = _parties_problem(node.registry(tx), body.agreement_id, signer, node.party_code)
        if problem is None and isinstance(body, _StatementBody):
            problem = _reply_problem(tx, body, signer, node.party_code)
        if problem:
            raise RefusedError(refused, reasons=(problem,))
        _store(tx, kind, body, signer=signer, to=node.party_code, document=document, at=received_at)
    return document["body"]  # type: ignore[no-any-return]


def receive_law_document(node: Node, path: Path) -> dict[str, Any]:
    """File an inquiry or statement a courier brought (the file ``law ask|state -o`` wrote),
    with the network path's checks, as received now; return the document's body."""
    document = read_document(path)
    return record_law_document(node, document, where=str(path), received_at=node.now())


def list_laws(
    node: Node, agreement_id: str | None = None
) -> tuple[tuple[LawInquiry, ...], tuple[LawStatement, ...]]:
    """The inquiries and statements given and received (of one agreement, or all), oldest
    first."""
    query = select(law_documents).order_by(law_documents.c.recorded_at, law_documents.c.id)
    if agreement_id is not None:
        query = query.where(law_documents.c.agreement_id == agreement_id)
    with node.db.atomic() as tx:
        rows = tx.execute(query).all()
    answers = {row.in_reply_to: row.id for row in rows if row.in_reply_to is not None}
    inquiries, statements = [], []
    for row in rows:
        if row.kind == INQUIRY:
            inquiries.append(
                LawInquiry(
                    row.id, row.agreement_id, row.party, row.counterpart, row.recorded_at,
                    answers.get(row.id),
                )
            )  # fmt: skip
            continue
        body = checked_body(_StatementBody, row.document["body"], where=f"law statement {row.id}")
        statements.append(
            LawStatement(
                row.id, row.agreement_id, row.party, row.counterpart, row.in_reply_to,
                tuple((law.title, law.reference) for law in body.laws), row.recorded_at,
            )
        )  # fmt: skip
    return tuple(inquiries), tuple(statements)

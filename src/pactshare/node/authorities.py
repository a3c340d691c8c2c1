"""Competent authorities changed by note (R-DEF-3): a party's signed ``authority-notice``
designates one of its authorities, or withdraws one, from an instant on; it is recorded here
and queued for every party that shares an agreement with it, whose nodes check and record it
too. A party's authorities at an instant are those its file lists, changed by its notices
(:func:`pactshare.domain.designations.with_notices`). A notice speaks only for its signer's
own authorities, cannot be backdated, and cannot designate an authority already designated
or withdraw one that is not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, insert, select

from pactshare.audit import EntryKind
from pactshare.domain import Party, Registry, parse_instant
from pactshare.domain.authority import timing_problem
from pactshare.domain.designations import (
    AuthorityNotice,
    CompetentAuthority,
    notice_problem,
    with_notices,
)
from pactshare.errors import InputError, InvariantError, PackageError, RefusedError
from pactshare.node import journal
from pactshare.node.answers import text_problem
from pactshare.node.documents import Id, PartyCode, checked_body, sign_document, verify_document
from pactshare.node.outbox import queue_message
from pactshare.node.people import check_officer
from pactshare.node.service import Node
from pactshare.store.schema import authority_notices

__all__ = [
    "NOTICE",
    "AuthorityRecord",
    "list_authorities",
    "notify_authority",
    "party_now",
    "record_authority_notice",
]

NOTICE = "authority-notice"
MAX_NAME = 200


class _NoticeBody(BaseModel):
    notice_id: Id
    party: PartyCode
    authority_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    name: str = Field(max_length=MAX_NAME)
    withdraw: bool
    effective_at: str = Field(max_length=64)
    issued_at: str = Field(max_length=64)


def _notices(tx: Connection, party: str) -> list[AuthorityNotice]:
    rows = tx.execute(select(authority_notices).where(authority_notices.c.party == party))
    return [AuthorityNotice(r.authority_id, r.name, r.withdraw, r.effective_at) for r in rows]


def party_now(tx: Connection, party: Party) -> Party:
    """``party`` with its authorities as its file and every notice recorded here make them."""
    notices = _notices(tx, party.code)
    if not notices:
        return party
    return replace(party, authorities=with_notices(party.authorities, notices))


def _partners(registry: Registry, party: str) -> tuple[str, ...]:
    """Every party that shares an agreement with ``party``."""
    return tuple(
        sorted(
            {p for a in registry.agreements.values() if party in a.parties for p in a.parties}
            - {party}
        )
    )


def _store(
    tx: Connection,
    node: Node,
    *,
    body: _NoticeBody,
    notice: AuthorityNotice,
    document: Any,
    at: datetime,
) -> None:
    problem = notice_problem(party_now(tx, node.registry(tx).party(body.party)).authorities, notice)
    if problem is not None:
        raise RefusedError(f"authority notice {body.notice_id} refused", reasons=(problem,))
    tx.execute(
        insert(authority_notices).values(
            id=body.notice_id,
            party=body.party,
            authority_id=notice.authority_id,
            name=notice.name,
            withdraw=notice.withdraw,
            effective_at=notice.effective_at,
            document=document,
            recorded_at=at,
        )
    )
    journal.record(
        tx,
        kind=EntryKind.NOTICE,
        at=at,
        actor=body.party,
        subject=notice.authority_id,
        details={"authority_notice": document["body"], "rule": "R-DEF-3"},
    )


def notify_authority(
    node: Node,
    authority_id: str,
    *,
    name: str = "",
    withdraw: bool = False,
    effective: datetime | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Designate (or withdraw) one of this party's competent authorities from ``effective``
    (default: now) by a signed notice to every partner party (R-DEF-3); return it."""
    now = node.now()
    when = effective or now
    late = timing_problem(when, now, now)
    if late is not None:
        raise InputError(f"--effective: {late}")
    if not withdraw and text_problem(name, MAX_NAME):
        raise InputError(f"--name: a designated authority has a name of 1 to {MAX_NAME} characters")
    body = {
        "notice_id": f"authority-{node.party_code.lower()}-{uuid.uuid4().hex[:12]}",
        "party": node.party_code,
        "authority_id": authority_id,
        "name": name,
        "withdraw": withdraw,
        "effective_at": when.isoformat(),
        "issued_at": now.isoformat(),
    }
    parsed = checked_body(_NoticeBody, body, where="authority notice")
    try:
        notice = AuthorityNotice(authority_id, name, withdraw, when)
    except InvariantError as exc:
        raise InputError(str(exc)) from exc
    document = sign_document(NOTICE, body, node.keys)
    with node.db.atomic() as tx:
        check_officer(tx, by)
        _store(tx, node, body=parsed, notice=notice, document=document, at=now)
        for partner in _partners(node.registry(tx), node.party_code):
            queue_message(tx, kind=NOTICE, recipient=partner, payload=document, at=now)
    return document


def record_authority_notice(
    node: Node, document: Any, *, where: str, received_at: datetime
) -> dict[str, Any]:
    """File a partner's notice about its own authorities, once; return its body."""
    signer, raw = verify_document(document, node.directory, kind=NOTICE, where=where)
    body = checked_body(_NoticeBody, raw, where=where)
    if body.party != signer:
        reason = f"R-DEF-3: {signer} cannot designate {body.party}'s competent authorities"
        raise RefusedError(f"{where}: authority notice refused", reasons=(reason,))
    if not body.withdraw and text_problem(body.name, MAX_NAME):
        raise PackageError(f"{where}: a designated authority has a name")
    try:
        when = parse_instant(body.effective_at, what=f"{where}: effective_at")
        issued = parse_instant(body.issued_at, what=f"{where}: issued_at")
        notice = AuthorityNotice(body.authority_id, body.name, body.withdraw, when)
    except (InputError, InvariantError) as exc:
        raise PackageError(str(exc)) from exc
    late = timing_problem(when, issued, received_at)
    if late is not None:
        raise RefusedError(f"{where}: authority notice refused", reasons=(f"R-DEF-3: {late}",))
    with node.db.atomic() as tx:
        seen = tx.execute(
            select(authority_notices.c.document).where(authority_notices.c.id == body.notice_id)
        ).scalar_one_or_none()
        if seen is not None:
            if seen != document:
                raise PackageError(f"{where}: notice id {body.notice_id!r} is another notice's")
            return raw
        if signer not in node.registry(tx).parties:
            raise RefusedError(f"{where}: refused", reasons=(f"{signer} is no party known here",))
        _store(tx, node, body=body, notice=notice, document=document, at=received_at)
    return raw


@dataclass(frozen=True, slots=True)
class AuthorityRecord:
    """One competent authority of a party, with its effective dates, as this node knows it."""

    party: str
    id: str
    name: str
    effective_from: datetime
    effective_until: datetime | None
    origin: str  # "file", or "notice" when a notice designated or withdrew it


def list_authorities(node: Node) -> list[AuthorityRecord]:
    """Every party's competent authorities (R-DEF-3), files' and notices', by party."""
    records = []
    with node.db.atomic() as tx:
        registry = node.registry(tx)
        for code in sorted(registry.parties):
            party = registry.party(code)
            filed: set[CompetentAuthority] = set(party.authorities)
            for authority in party_now(tx, party).authorities:
                records.append(
                    AuthorityRecord(
                        party=code,
                        id=authority.id,
                        name=authority.name,
                        effective_from=authority.effective_from,
                        effective_until=authority.effective_until,
                        origin="file" if authority in filed else "notice",
                    )
                )
    return records

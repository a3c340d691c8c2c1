"""Dashboard sessions, kept in the database: signing in with a token opens one; the browser's
cookie holds only its random id (never the token), the database only the id's SHA-256.

A session ends when its person signs out, after :data:`SESSION_SECONDS`, when the person's
token expires, and at once when that token is revoked or rotated
(:mod:`pactshare.node.people`). Each session has its own CSRF token, which every form the
dashboard posts must carry back. Like tokens, sessions age on the real clock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from pactshare.node.clock import real_now
from pactshare.node.people import PersonRecord, find_person, person_by_token
from pactshare.node.service import Node
from pactshare.store.schema import persons, sessions

__all__ = ["SESSION_SECONDS", "Session", "end_session", "find_session", "start_session"]

SESSION_SECONDS = 8 * 3600  # a working day


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person: the id goes in the cookie (only here and there), ``csrf`` in forms."""

    id: str
    person: PersonRecord
    csrf: str
    expires_at: datetime


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(node: Node, token: str, *, now: datetime | None = None) -> Session | None:
    """Sign in with ``token``: a new session for its person, or None if the token is not
    valid now (unknown, expired or revoked). Sessions past their end are purged."""
    at = now or real_now()
    with node.db.atomic() as tx:
        person = person_by_token(tx, token, now=at)
        if person is None:
            return None
        tx.execute(delete(sessions).where(sessions.c.expires_at <= at))
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = min(at + timedelta(seconds=SESSION_SECONDS), person.token_expires)
        tx.execute(
            insert(sessions).values(
                id_hash=_hash(session_id),
                person=person.name,
                csrf=csrf,
                created_at=at,
                expires_at=expires,
            )
        )
    return Session(session_id, person, csrf, expires)


def find_session(node: Node, session_id: str, *, now: datetime | None = None) -> Session | None:
    """The live session with this id, or None (unknown, ended, or its token no longer valid)."""
    at = now or real_now()
    with node.db.atomic() as tx:
        row = tx.execute(
            select(sessions.c.person, sessions.c.csrf, sessions.c.expires_at)
            .join(persons, persons.c.name == sessions.c.person)
            .where(
                sessions.c.id_hash == _hash(session_id),
                sessions.c.expires_at > at,
                persons.c.token_revoked_at.is_(None),
                persons.c.token_expires > at,
            )
        ).first()
        if row is None:
            return None
        return Session(session_id, find_person(tx, row.person), row.csrf, row.expires_at)


def end_session(node: Node, session_id: str) -> None:
    """Sign out: the session is deleted (a copied cookie is worth nothing afterwards)."""
    with node.db.atomic() as tx:
        tx.execute(delete(sessions).where(sessions.c.id_hash == _hash(session_id)))

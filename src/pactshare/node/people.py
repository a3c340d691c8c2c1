"""People of the node's party: clearance, need-to-know, roles, and their API tokens.

Tokens are shown once and stored only as SHA-256 hashes. A token expires (90 days after it
is issued unless told otherwise) and may be revoked or rotated (a new token replaces it) by
an admin or a security officer; each revocation and rotation is an audit entry and ends the
person's dashboard sessions. Credentials age on the real clock (``now`` defaults to it),
never on the node's clock, which may be simulated (a replay, a demo).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from pactshare.audit import EntryKind
from pactshare.defaults import DEFAULT_TOKEN_DAYS
from pactshare.domain import Party, Person
from pactshare.domain.topics import check_topic
from pactshare.errors import InputError, InvariantError, NotFoundError, PolicyError
from pactshare.node import journal
from pactshare.node.clock import real_now
from pactshare.node.service import Node
from pactshare.store.schema import persons, sessions

__all__ = [
    "DEFAULT_TOKEN_DAYS",
    "MAX_NAME",
    "MAX_TOKEN_DAYS",
    "PersonRecord",
    "Role",
    "add_person",
    "authenticate",
    "check_officer",
    "enrol_person",
    "everyone",
    "find_person",
    "person_by_token",
    "person_name",
    "revoke_token",
    "rotate_token",
]

MAX_TOKEN_DAYS = 3650

MAX_NAME = 100
TOKEN_PREFIX = "pst_"  # noqa: S105 - a public prefix that marks pactshare tokens, not a secret


class Role(StrEnum):
    ORIGINATOR = "originator"
    SECURITY_OFFICER = "security-officer"
    READER = "reader"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    name: str
    clearance: str | None
    need_to_know: tuple[str, ...]
    roles: tuple[Role, ...]
    clearance_expires: datetime | None
    token_expires: datetime

    def as_person(self, party: Party) -> Person:
        level = party.level(self.clearance) if self.clearance else None
        return Person(
            self.name, party.code, level, self.need_to_know, self.clearance_expires, rank=""
        )


def person_name(text: str) -> str:
    """A person's name in NFC, refused if it could pass for another name or for a party.

    Refused: outer or repeated white space, control and format characters (zero-width
    spaces and joiners, bidirectional overrides, soft hyphens), line separators, lone
    surrogates, more than :data:`MAX_NAME` characters, and three capital letters (the form
    of a party code, which the audit log shows as an actor beside people's names).
    """
    name = unicodedata.normalize("NFC", text)
    what = f"person name {text!r}"
    if not name.strip():
        raise InputError(f"{what}: a person needs a name")
    if len(name) > MAX_NAME:
        raise InputError(f"{what}: at most {MAX_NAME} characters")
    if name != name.strip() or "  " in name:
        raise InputError(f"{what}: no spaces before, after or twice between words")
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or (
            category == "Zs" and char != " "
        ):
            raise InputError(
                f"{what}: the character U+{ord(char):04X} ({category}) could make it pass "
                "for another name"
            )
    if len(name) == 3 and name.isascii() and name.isalpha() and name.isupper():
        raise InputError(f"{what}: three capital letters read as a party code")
    return name


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(now: datetime | None, days: int) -> tuple[str, datetime]:
    """A fresh token and when it expires, ``days`` from ``now`` (the real time by default)."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InputError(f"--expires-in: {days} days is not between 1 and {MAX_TOKEN_DAYS}")
    issued = now or real_now()
    return TOKEN_PREFIX + secrets.token_urlsafe(32), issued + timedelta(days=days)


def add_person(
    tx: Connection,
    party: Party,
    *,
    name: str,
    clearance: str | None,
    need_to_know: Sequence[str],
    roles: Sequence[str],
    at: datetime,
    clearance_expires: datetime | None = None,
    expires_in_days: int = DEFAULT_TOKEN_DAYS,
    now: datetime | None = None,
) -> tuple[PersonRecord, str]:
    """Record a person; return the record and their new token (shown once), which expires
    ``expires_in_days`` after ``now`` (real time)."""
    name = person_name(name)
    try:
        level = party.level(clearance).id if clearance else None
        topics = tuple(check_topic(t) for t in need_to_know)
        role_set = tuple(Role(r) for r in (roles or ("reader",)))
    except PolicyError as exc:
        raise InputError(f"--clearance: {exc}") from exc
    except (InvariantError, ValueError) as exc:  # a malformed topic, or an unknown role
        known = ", ".join(r.value for r in Role)
        raise InputError(f"{exc} (roles: {known})") from exc
    if tx.execute(select(persons.c.name).where(persons.c.name == name)).first():
        raise InputError(f"a person named {name!r} already exists")
    token, token_expires = _new_token(now, expires_in_days)
    tx.execute(
        insert(persons).values(
            name=name,
            clearance=level,
            need_to_know=list(topics),
            roles=[r.value for r in role_set],
            token_hash=_hash(token),
            clearance_expires=clearance_expires,
            created_at=at,
            token_expires=token_expires,
        )
    )
    return PersonRecord(name, level, topics, role_set, clearance_expires, token_expires), token


def enrol_person(
    node: Node,
    *,
    name: str,
    clearance: str | None,
    need_to_know: Sequence[str],
    roles: Sequence[str],
    expires_in_days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[PersonRecord, str]:
    """Add a person of the node's party (clearance read on its scheme), recorded at the
    node's instant; return the record and their new token (shown once)."""
    with node.db.atomic() as tx:
        return add_person(
            tx,
            node.party(tx),
            name=name,
            clearance=clearance,
            need_to_know=need_to_know,
            roles=roles,
            at=node.now(),
            expires_in_days=expires_in_days,
        )


def _record(row: Row[Any]) -> PersonRecord:
    return PersonRecord(
        name=row.name,
        clearance=row.clearance,
        need_to_know=tuple(row.need_to_know),
        roles=tuple(Role(r) for r in row.roles),
        clearance_expires=row.clearance_expires,
        token_expires=row.token_expires,
    )


def find_person(tx: Connection, name: str) -> PersonRecord:
    name = unicodedata.normalize("NFC", name)
    row = tx.execute(select(persons).where(persons.c.name == name)).first()
    if row is None:
        raise NotFoundError(
            f"no person named {name!r} on this node (add one with: pactshare person add)"
        )
    return _record(row)


def everyone(tx: Connection) -> list[PersonRecord]:
    """Every person recorded on the node, by name."""
    return [_record(row) for row in tx.execute(select(persons).order_by(persons.c.name))]


def person_by_token(
    tx: Connection, token: str, *, now: datetime | None = None
) -> PersonRecord | None:
    """The person a token belongs to if it is neither expired nor revoked, or None (compared
    by hash, never stored in clear)."""
    row = tx.execute(
        select(persons).where(
            persons.c.token_hash == _hash(token),
            persons.c.token_revoked_at.is_(None),
            persons.c.token_expires > (now or real_now()),
        )
    ).first()
    return _record(row) if row is not None else None


def authenticate(node: Node, token: str) -> PersonRecord | None:
    """The person whose token this is, if it is valid now (real time), or None."""
    with node.db.atomic() as tx:
        return person_by_token(tx, token)


def check_officer(tx: Connection, by: str | None) -> None:
    """``by`` (None: the node's operator) may act on the node's people and policy: an admin
    or a security officer; InputError naming ``--as`` otherwise."""
    if by is None:
        return
    actor = find_person(tx, by)
    if not {Role.ADMIN, Role.SECURITY_OFFICER} & set(actor.roles):
        raise InputError(f"--as: {by} is neither an admin nor a security officer")


def _change_token(
    node: Node, name: str, *, by: str | None, action: str, values: dict[str, Any]
) -> None:
    """Change ``name``'s token, end their sessions, and audit it (who did it, what, and when
    on the node's clock)."""
    with node.db.atomic() as tx:
        find_person(tx, name)
        check_officer(tx, by)
        tx.execute(update(persons).where(persons.c.name == name).values(**values))
        tx.execute(delete(sessions).where(sessions.c.person == name))
        journal.record(
            tx,
            kind=EntryKind.KEY,
            at=node.now(),
            actor=by or "operator",
            subject=name,
            details={"action": action},
        )


def revoke_token(node: Node, name: str, *, by: str | None, now: datetime | None = None) -> None:
    """Revoke ``name``'s token now; ``by`` (an admin or security officer, or None for the
    node's operator) is named in the audit entry."""
    revoked = now or real_now()
    _change_token(node, name, by=by, action="token-revoked", values={"token_revoked_at": revoked})


def rotate_token(
    node: Node,
    name: str,
    *,
    by: str | None,
    expires_in_days: int = DEFAULT_TOKEN_DAYS,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """Give ``name`` a new token (shown once) in place of the old one, revoked or not;
    return it and its expiry."""
    token, expires = _new_token(now, expires_in_days)
    values = {"token_hash": _hash(token), "token_expires": expires, "token_revoked_at": None}
    _change_token(node, name, by=by, action="token-rotated", values=values)
    return token, expires

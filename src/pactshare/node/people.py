"""People of the node's party: clearance, need-to-know, roles, and their API tokens.

Tokens are shown once and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from pactshare.domain import Party, Person
from pactshare.domain.topics import check_topic
from pactshare.errors import InputError, NotFoundError, PolicyError
from pactshare.store.schema import persons

__all__ = [
    "MAX_NAME",
    "PersonRecord",
    "Role",
    "add_person",
    "find_person",
    "person_by_token",
    "person_name",
]

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
) -> tuple[PersonRecord, str]:
    """Record a person; return the record and their new token (shown once)."""
    name = person_name(name)
    try:
        level = party.level(clearance).id if clearance else None
        topics = tuple(check_topic(t) for t in need_to_know)
        role_set = tuple(Role(r) for r in (roles or ("reader",)))
    except PolicyError as exc:
        raise InputError(f"--clearance: {exc}") from exc
    except ValueError as exc:
        known = ", ".join(r.value for r in Role)
        raise InputError(f"{exc} (roles: {known})") from exc
    if tx.execute(select(persons.c.name).where(persons.c.name == name)).first():
        raise InputError(f"a person named {name!r} already exists")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tx.execute(
        insert(persons).values(
            name=name,
            clearance=level,
            need_to_know=list(topics),
            roles=[r.value for r in role_set],
            token_hash=_hash(token),
            clearance_expires=clearance_expires,
            created_at=at,
        )
    )
    return PersonRecord(name, level, topics, role_set, clearance_expires), token


def _record(row: Row[Any]) -> PersonRecord:
    return PersonRecord(
        name=row.name,
        clearance=row.clearance,
        need_to_know=tuple(row.need_to_know),
        roles=tuple(Role(r) for r in row.roles),
        clearance_expires=row.clearance_expires,
    )


def find_person(tx: Connection, name: str) -> PersonRecord:
    name = unicodedata.normalize("NFC", name)
    row = tx.execute(select(persons).where(persons.c.name == name)).first()
    if row is None:
        raise NotFoundError(
            f"no person named {name!r} on this node (add one with: pactshare person add)"
        )
    return _record(row)


def person_by_token(tx: Connection, token: str) -> PersonRecord | None:
    """The person a token belongs to, or None (compared by hash, never stored in clear)."""
    row = tx.execute(select(persons).where(persons.c.token_hash == _hash(token))).first()
    return _record(row) if row is not None else None

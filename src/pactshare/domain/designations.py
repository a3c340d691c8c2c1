"""What a party designates: its competent authorities (R-DEF-3) and its facilities (R-VIS-1).

A competent authority is the government body a party names as responsible for protecting
defence-related information; each party notifies the other of them through the diplomatic
channel, so each has the instant it takes effect and, once withdrawn, the instant it ends
(R-DEF-3 [H]). Visit requests go from one party's competent authority to the other's
(R-VIS-1 [H], AT-20). A party's file lists its authorities; a signed notice from the party
changes them from its effective instant on (:func:`with_notices`). A facility is a place of
the party where classified information is kept and which a visit names (R-VIS-1 [H]).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pactshare.domain.instants import require_aware
from pactshare.errors import InvariantError

__all__ = [
    "AuthorityNotice",
    "CompetentAuthority",
    "Facility",
    "designated",
    "notice_problem",
    "with_notices",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def _check_id(ident: str, what: str) -> None:
    if not _ID.match(ident):
        raise InvariantError(f"{what} id {ident!r} must be lowercase ASCII letters, digits and '-'")


@dataclass(frozen=True, slots=True)
class CompetentAuthority:
    """A body a party designated (R-DEF-3), in effect from ``effective_from`` until
    ``effective_until`` (exclusive; None: still designated)."""

    id: str
    name: str
    effective_from: datetime
    effective_until: datetime | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "authority")
        require_aware(self.effective_from, what=f"authority {self.id}: effective_from")
        if self.effective_until is not None:
            require_aware(self.effective_until, what=f"authority {self.id}: effective_until")
            if self.effective_until.astimezone(UTC) <= self.effective_from.astimezone(UTC):
                raise InvariantError(f"authority {self.id}: it ends before it takes effect")

    def in_effect(self, at: datetime) -> bool:
        """Whether the designation holds at instant ``at`` (compared in UTC)."""
        moment = at.astimezone(UTC)
        if moment < self.effective_from.astimezone(UTC):
            return False
        return self.effective_until is None or moment < self.effective_until.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Facility:
    """A facility of a party, which visits name (R-VIS-1)."""

    id: str
    name: str

    def __post_init__(self) -> None:
        _check_id(self.id, "facility")


def designated(authorities: Iterable[CompetentAuthority], ident: str, at: datetime) -> bool:
    """Whether ``ident`` names one of ``authorities`` in effect at ``at`` (R-DEF-3)."""
    require_aware(at, what="designation instant")
    return any(a.id == ident and a.in_effect(at) for a in authorities)


@dataclass(frozen=True, slots=True)
class AuthorityNotice:
    """A party's notice (R-DEF-3) that it designates ``authority_id`` (named ``name``), or
    withdraws its designation, from ``effective_at`` on."""

    authority_id: str
    name: str
    withdraw: bool
    effective_at: datetime

    def __post_init__(self) -> None:
        _check_id(self.authority_id, "authority")
        require_aware(self.effective_at, what=f"notice on {self.authority_id}: effective_at")


def _apply(
    authorities: tuple[CompetentAuthority, ...], notice: AuthorityNotice
) -> tuple[CompetentAuthority, ...]:
    if notice.withdraw:
        return tuple(
            replace(a, effective_until=notice.effective_at)
            if a.id == notice.authority_id and a.in_effect(notice.effective_at)
            else a
            for a in authorities
        )
    return (*authorities, CompetentAuthority(notice.authority_id, notice.name, notice.effective_at))


def notice_problem(
    authorities: Iterable[CompetentAuthority], notice: AuthorityNotice
) -> str | None:
    """Why ``notice`` cannot apply to ``authorities`` (None: it can): a designation of an
    authority already designated then, or a withdrawal of one that is not."""
    held = designated(authorities, notice.authority_id, notice.effective_at)
    when = notice.effective_at.isoformat()
    if notice.withdraw and not held:
        return f"R-DEF-3: {notice.authority_id} is not designated at {when}: nothing to withdraw"
    if not notice.withdraw and held:
        return f"R-DEF-3: {notice.authority_id} is already designated at {when}"
    return None


def with_notices(
    authorities: Iterable[CompetentAuthority], notices: Iterable[AuthorityNotice]
) -> tuple[CompetentAuthority, ...]:
    """The authorities a party's file lists, changed by its notices in the order they take
    effect (a notice that cannot apply changes nothing)."""
    result = tuple(authorities)
    for notice in sorted(notices, key=lambda n: n.effective_at.astimezone(UTC)):
        if notice_problem(result, notice) is None:
            result = _apply(result, notice)
    return result

"""What a party designates: its competent authorities (R-DEF-3) and its facilities (R-VIS-1).

A competent authority is the government body a party names as responsible for protecting
defence-related information; each party notifies the other of them through the diplomatic
channel, so each has the instant it takes effect and, once withdrawn, the instant it ends
(R-DEF-3 [H]). Visit requests go from one party's competent authority to the other's
(R-VIS-1 [H], AT-20). A facility is a place of the party where classified information is kept
and which a visit names (R-VIS-1 [H]).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pactshare.domain.instants import require_aware
from pactshare.errors import InvariantError

__all__ = ["CompetentAuthority", "Facility", "designated"]

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

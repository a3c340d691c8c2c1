"""Originators' written approvals: third-party release (R-PRO-1), change of purpose (R-PRO-2)
and onward release by a hub (R-TISA-6).

An approval counts only if it was recorded strictly before the instant of the release and not
revoked by then: an approval recorded after the release does not cure it (AT-13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pactshare.errors import InvariantError

__all__ = ["Approval", "ApprovalKind"]


class ApprovalKind(StrEnum):
    RELEASE = "release"  # subject: the party the item may be released to
    PURPOSE = "purpose"  # subject: the new purpose the item may be used for


@dataclass(frozen=True, slots=True)
class Approval:
    """A prior written approval by ``originator``, scoped to an item (or any) and a subject."""

    originator: str
    kind: ApprovalKind
    subject: str
    recorded_at: datetime
    item_id: str | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        for name, value in (("recorded_at", self.recorded_at), ("revoked_at", self.revoked_at)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise InvariantError(f"approval {name} {value.isoformat()} is naive")

    def in_effect(self, at: datetime) -> bool:
        """Recorded before ``at`` and not revoked by then (compared in UTC: two datetimes that
        share a tzinfo object would otherwise be compared by wall clock)."""
        moment = at.astimezone(UTC)
        return self.recorded_at < moment and (self.revoked_at is None or moment < self.revoked_at)

    def matches(
        self, originator: str, kind: ApprovalKind, subject: str, item_id: str | None
    ) -> bool:
        """Same originator, kind and subject, and scoped to this item (or to any item)."""
        return (
            self.originator == originator
            and self.kind is kind
            and self.subject == subject
            and (self.item_id is None or self.item_id == item_id)
        )

"""Who may open a holding: clearance at or above its level *and* need-to-know (R-ACC-1/2).

Rank, appointment or a clearance alone never suffice (R-ACC-1); a holding received under an
agreement that has since terminated is still accessible to cleared people with need-to-know
(R-SURV-1, AT-17) — termination stops new provision, not protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pactshare.domain.decision import Effect, Reason
from pactshare.domain.instants import require_aware
from pactshare.domain.parties import ClassificationLevel
from pactshare.domain.topics import uncovered

__all__ = ["AccessDecision", "Holding", "Person", "may_access"]


@dataclass(frozen=True, slots=True)
class Person:
    """An official of ``party`` with a personnel security clearance and duties (need-to-know)."""

    name: str
    party: str
    clearance: ClassificationLevel | None
    need_to_know: tuple[str, ...] = ()
    clearance_expires: datetime | None = None
    rank: str = ""


@dataclass(frozen=True, slots=True)
class Holding:
    """An item held by ``holder``, marked with the holder's equivalent ``level`` (R-MARK-1)."""

    item_id: str
    originator: str
    holder: str
    level: ClassificationLevel
    topics: tuple[str, ...]
    received_under: str | None = None


@dataclass(frozen=True, slots=True)
class AccessDecision:
    granted: bool
    reasons: tuple[Reason, ...]


def may_access(person: Person, holding: Holding, at: datetime) -> AccessDecision:
    """Decide whether ``person`` may open ``holding`` at instant ``at`` (R-ACC-1, R-ACC-2)."""
    require_aware(at, what="access instant")
    reasons = [*_clearance(person, holding, at), _need_to_know(person, holding)]
    granted = all(reason.effect is not Effect.DENY for reason in reasons)
    if not granted and person.rank:
        text = f"rank or appointment ({person.rank}) alone never grants access"
        reasons.append(Reason("R-ACC-1", text, Effect.NOTE))
    return AccessDecision(granted, tuple(reasons))


def _clearance(person: Person, holding: Holding, at: datetime) -> list[Reason]:
    if person.party != holding.holder:
        text = f"{person.name} is not an official of {holding.holder}, which holds the item"
        return [Reason("R-ACC-2", text, Effect.DENY)]
    if person.clearance is None:
        return [Reason("R-ACC-2", f"{person.name} holds no security clearance", Effect.DENY)]
    if person.clearance_expires is not None and person.clearance_expires <= at:
        expired = person.clearance_expires.isoformat()
        return [Reason("R-ACC-3", f"{person.name}'s clearance expired at {expired}", Effect.DENY)]
    if person.clearance.rank > holding.level.rank:
        text = (
            f"{person.name}'s clearance {person.clearance.name} is below the item's "
            f"{holding.level.name}"
        )
        return [Reason("R-ACC-2", text, Effect.DENY)]
    text = f"clearance {person.clearance.name} covers {holding.level.name}"
    return [Reason("R-ACC-2", text, Effect.PERMIT)]


def _need_to_know(person: Person, holding: Holding) -> Reason:
    missing = uncovered(person.need_to_know, holding.topics)
    if missing:
        text = f"{person.name}'s duties give no need to know {', '.join(missing)}"
        return Reason("R-ACC-2", text, Effect.DENY)
    return Reason("R-ACC-2", f"need to know {', '.join(holding.topics)}", Effect.PERMIT)

"""What a decision is made of: the request, the outcome, routes, hops, markings and reasons.

Decisions are data: :func:`pactshare.domain.policy.decide` returns a :class:`Decision` whose
every reason cites the rule it rests on (a rulebook id) and the agreement's article.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pactshare.domain.approvals import Approval
from pactshare.domain.lifecycle import Interpretation

__all__ = [
    "Consent",
    "Decision",
    "Effect",
    "Hop",
    "Marking",
    "Outcome",
    "Reason",
    "Request",
    "Route",
    "RouteKind",
]


class Outcome(StrEnum):
    ALLOWED = "allowed"  # directly, one hop
    RELAY = "relay"  # only through a hub, with the consents listed
    REFUSED = "refused"


class Effect(StrEnum):
    PERMIT = "permit"
    DENY = "deny"
    NOTE = "note"


class RouteKind(StrEnum):
    """How a route carries the item: one hop by the originator (under a bilateral, or to or
    from a hub under its arrangement), through a hub, or onward by a holder."""

    DIRECT = "direct"
    RELAY = "relay"
    ONWARD = "onward"


@dataclass(frozen=True, slots=True)
class Reason:
    """One check and what it found, citing a rule of the rulebook and the agreement's article."""

    rule: str
    text: str
    effect: Effect
    citation: str = ""


@dataclass(frozen=True, slots=True)
class Marking:
    """How the receiving party marks the item: originator + its own equivalent level (R-MARK-1)."""

    originator: str
    party: str
    level: str
    name: str
    equivalent: str

    @property
    def text(self) -> str:
        if self.name == self.equivalent:
            return f"{self.originator} / {self.name}"
        return f"{self.originator} / {self.name} ({self.equivalent})"


@dataclass(frozen=True, slots=True)
class Hop:
    sender: str
    recipient: str
    agreement: str
    marking: Marking
    protected_under: str | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent the route needs: ``originator`` approves ``hub``'s release to ``release_to``."""

    originator: str
    hub: str
    release_to: str
    rule: str
    on_file: bool


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    hops: tuple[Hop, ...]
    consents: tuple[Consent, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def viable(self) -> bool:
        return bool(self.hops) and all(r.effect is not Effect.DENY for r in self.reasons)

    @property
    def summary(self) -> str:
        if not self.hops:
            return self.kind.value
        parties = [self.hops[0].sender, *(hop.recipient for hop in self.hops)]
        agreements = sorted({hop.agreement for hop in self.hops})
        return f"{' → '.join(parties)} under {', '.join(agreements)}"


@dataclass(frozen=True, slots=True)
class Request:
    """A request to provide an item (its label's facts) from ``holder`` to ``recipient``.

    ``classification`` is the originator's level (id or national name). ``holder`` defaults to
    the originator. ``provided_for`` is the purpose the holder received the item for; a
    different ``purpose`` needs the originator's approval (R-PRO-2). ``approvals`` are the
    originator's written approvals on file for this item.
    """

    originator: str
    recipient: str
    classification: str
    topics: tuple[str, ...]
    holder: str | None = None
    purpose: str | None = None
    provided_for: str | None = None
    releasable_to: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    item_id: str | None = None
    received_under: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome, the chosen route, every reason, and the other viable routes."""

    outcome: Outcome
    at: datetime
    interpretation: Interpretation
    route: tuple[Hop, ...]
    consents: tuple[Consent, ...]
    reasons: tuple[Reason, ...]
    alternatives: tuple[Route, ...] = ()
    conflict: bool = False

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.REFUSED

    @property
    def denials(self) -> tuple[Reason, ...]:
        """The reasons that deny, in order."""
        return tuple(reason for reason in self.reasons if reason.effect is Effect.DENY)

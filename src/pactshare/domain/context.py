"""Context: instruments between the parties that pactshare records but never enforces.

The GSOMIA crisis turned on more than the information agreements: a cost-sharing agreement
(the US–ROK Special Measures Agreement) under renegotiation, the 1965 claims agreement behind
the dispute, and a unilateral domestic measure — Japan's removal of South Korea from its list
of trusted trading partners for export control — that Seoul's notice answered. They are kept
in the registry as :class:`Instrument` records, each with its dated events, so that the
network page can show *why* the notice was given; the decision engine never reads them (an
instrument is not an :class:`~pactshare.domain.agreements.Agreement` and opens no route).

Each event carries the rulebook's confidence mark ([H], [M] or [L]; "H/M" where the rulebook
gives two) and its source, and says how precisely it is dated: a seed that gives only a year
gives a year, never an invented day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pactshare.errors import InvariantError

__all__ = ["Confidence", "ContextEvent", "Instrument", "InstrumentKind", "Precision"]


class InstrumentKind(StrEnum):
    """An agreement between parties that the engine does not enforce for information
    (registry only), or one party's unilateral measure (not an agreement at all)."""

    AGREEMENT = "agreement"
    MEASURE = "measure"


class Confidence(StrEnum):
    """The rulebook's confidence marks (RULES.md: [H] high, [M] medium, [L] low)."""

    HIGH = "H"
    HIGH_MEDIUM = "H/M"
    MEDIUM = "M"
    LOW = "L"


class Precision(StrEnum):
    """How much of an event's instant its source gives: the shown date is cut to it."""

    YEAR = "year"
    DAY = "day"
    INSTANT = "instant"


@dataclass(frozen=True, slots=True)
class ContextEvent:
    """One dated event of an instrument, with its confidence mark and source."""

    at: datetime
    what: str
    confidence: Confidence
    source: str
    precision: Precision = Precision.DAY

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvariantError(f"instant {self.at.isoformat()} is naive", key="at")
        if not self.what.strip():
            raise InvariantError("an event says what happened", key="what")
        if not self.source.strip():
            raise InvariantError("an event names its source (a seed or the rulebook)", key="source")

    @property
    def shown(self) -> str:
        """The date as precisely as the source gives it, in the event's own offset."""
        if self.precision is Precision.YEAR:
            return f"{self.at.year}"
        if self.precision is Precision.DAY:
            return self.at.date().isoformat()
        return self.at.isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class Instrument:
    """An instrument recorded for context: who it concerns, what it is about, its events.

    ``by`` is the party that took a measure (a measure has one, an agreement none); every
    code in ``parties`` and ``by`` must be a party of the registry.
    """

    id: str
    title: str
    kind: InstrumentKind
    subject: str
    parties: tuple[str, ...]
    events: tuple[ContextEvent, ...]
    by: str | None = None

    def __post_init__(self) -> None:
        if len(set(self.parties)) != len(self.parties):
            raise InvariantError("a party is listed twice", key="parties")
        if self.kind is InstrumentKind.AGREEMENT:
            if len(self.parties) < 2:
                raise InvariantError("an agreement has at least two parties", key="parties")
            if self.by is not None:
                raise InvariantError("only a unilateral measure is taken 'by' one party", key="by")
        elif self.by is None or self.by not in self.parties:
            msg = "a measure names the party that took it among its parties"
            raise InvariantError(msg, key="by")
        if not self.events:
            raise InvariantError("an instrument has at least one dated event", key="events")
        instants = [event.at for event in self.events]
        if instants != sorted(instants):
            raise InvariantError("events are listed in the order they happened", key="events")

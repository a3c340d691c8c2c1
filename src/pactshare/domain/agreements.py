"""Agreements as data: terms, equivalence table, scope, protection flags and events.

An agreement's status is never stored: it is derived from its terms and its ordered events
by :func:`pactshare.domain.lifecycle.status_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType

from pactshare.domain.topics import check_topic
from pactshare.errors import InvariantError, PolicyError

__all__ = [
    "Agreement",
    "AgreementInvalid",
    "AgreementKind",
    "EquivalenceRow",
    "Event",
    "EventKind",
    "Terms",
]


class AgreementInvalid(InvariantError):  # noqa: N818 - reads as "agreement invalid" at the raise site
    """An agreement breaks one of its own invariants; ``key`` is the field path at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message, key=key)


class AgreementKind(StrEnum):
    """A bilateral agreement, or an arrangement where a hub relays between participants."""

    BILATERAL = "bilateral"
    HUB = "hub"


class EventKind(StrEnum):
    """What can happen to an agreement; only some kinds change its status."""

    SIGNATURE = "signature"
    ENTRY_INTO_FORCE = "entry_into_force"
    NOTICE_OF_TERMINATION = "notice_of_termination"
    NOTICE_SUSPENSION = "notice_suspension"
    NOTICE_RESUMPTION = "notice_resumption"
    NOTICE_WITHDRAWAL = "notice_withdrawal"
    AMENDMENT = "amendment"
    TERMINATION = "termination"
    DISPUTE = "dispute"  # raised by one party (R-DSP-1): changes no status
    DISPUTE_SETTLED = "dispute_settled"  # by consultation, both parties: settles every open one
    LAW_CHANGE_NOTICE = "law_change_notice"  # R-LAW-2, unprompted, one party: changes no status


@dataclass(frozen=True, slots=True)
class Event:
    """One dated event in an agreement's life, with the acting party and its source."""

    id: str
    kind: EventKind
    at: datetime
    party: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvariantError(f"event {self.id!r}: instant {self.at.isoformat()} is naive")


MAX_TERM_YEARS = 100
MAX_NOTICE_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class Terms:
    """Duration terms. ``term_years`` None means in force until terminated.

    A term is 1 to 100 years and a notice period 0 to 36,500 days: with instants in the
    years 1900-2199 every anniversary and deadline stays computable.
    """

    timezone: str
    term_years: int | None = None
    auto_renew: bool = False
    notice_days: int | None = None

    def __post_init__(self) -> None:
        if self.term_years is not None and not 1 <= self.term_years <= MAX_TERM_YEARS:
            raise InvariantError(f"term_years must be 1 to {MAX_TERM_YEARS}")
        if self.notice_days is not None and not 0 <= self.notice_days <= MAX_NOTICE_DAYS:
            raise InvariantError(f"notice_days must be 0 to {MAX_NOTICE_DAYS}")
        if self.auto_renew and self.term_years is None:
            raise InvariantError("auto_renew needs term_years")


@dataclass(frozen=True, slots=True)
class EquivalenceRow:
    """Levels of each party that the agreement treats as equivalent.

    ``levels`` maps a party code to its level ids in this row; the first id is the one a
    receiving party marks with (R-MARK-1).
    """

    label: str
    levels: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", MappingProxyType(dict(self.levels)))
        for party, ids in self.levels.items():
            if not ids:
                raise InvariantError(f"row {self.label!r}: no level for {party}")

    def marking_level(self, party: str) -> str | None:
        ids = self.levels.get(party)
        return ids[0] if ids else None


@dataclass(frozen=True, slots=True)
class Agreement:
    """An agreement or arrangement between parties, with its whole recorded life."""

    id: str
    title: str
    kind: AgreementKind
    parties: tuple[str, ...]
    terms: Terms
    equivalence: tuple[EquivalenceRow, ...]
    scope: tuple[str, ...] = ("*",)
    hub: str | None = None
    binding: bool = True
    third_party_release_needs_approval: bool = True
    purpose_change_needs_approval: bool = True
    relay_needs_originator_consent: bool = False
    protection_from: tuple[str, ...] = ()
    classification_cap: str | None = None
    articles: Mapping[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "articles", MappingProxyType(dict(self.articles)))
        if len(set(self.parties)) != len(self.parties):
            raise AgreementInvalid("parties", "a party is listed twice")
        if self.kind is AgreementKind.BILATERAL:
            if len(self.parties) != 2:
                raise AgreementInvalid("parties", "a bilateral agreement has exactly two parties")
            if self.hub is not None:
                raise AgreementInvalid("hub", "a bilateral agreement has no hub")
        else:
            if self.hub is None or self.hub not in self.parties:
                raise AgreementInvalid("hub", "a hub arrangement names its hub among its parties")
            if len(self.parties) < 3:
                raise AgreementInvalid("parties", "a hub arrangement has at least three parties")
        for index, topic in enumerate(self.scope):
            try:
                check_topic(topic)
            except InvariantError as exc:
                raise AgreementInvalid(f"scope[{index}]", str(exc)) from exc
        self._check_equivalence()
        self._check_events()

    def _check_equivalence(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        labels = [row.label for row in self.equivalence]
        if len(set(labels)) != len(labels):
            raise AgreementInvalid("equivalence", "two rows have the same label")
        for index, row in enumerate(self.equivalence):
            for party, ids in row.levels.items():
                for level_id in ids:
                    earlier = seen.get((party, level_id))
                    if earlier is not None:
                        raise AgreementInvalid(
                            f"equivalence[{index}].{party}",
                            f"equivalence rows overlap: {party} level {level_id!r} is in both "
                            f"{earlier!r} and {row.label!r}",
                        )
                    seen[(party, level_id)] = row.label
        if self.classification_cap is not None and self.classification_cap not in labels:
            raise AgreementInvalid(
                "classification_cap",
                f"{self.classification_cap!r} is not the label of an equivalence row",
            )

    def _check_events(self) -> None:
        ids = [event.id for event in self.events]
        if len(set(ids)) != len(ids):
            raise AgreementInvalid("events", "event ids are not unique")
        for index, (earlier, later) in enumerate(zip(self.events, self.events[1:], strict=False)):
            if later.at.astimezone(UTC) < earlier.at.astimezone(UTC):  # instants, not wall clocks
                raise AgreementInvalid(
                    f"events[{index + 1}].at",
                    f"events out of order: {later.id!r} ({later.at.isoformat()}) comes after "
                    f"{earlier.id!r} ({earlier.at.isoformat()})",
                )

    def row_of(self, party: str, level_id: str) -> EquivalenceRow | None:
        """The equivalence row holding ``party``'s level, or None if outside the agreement."""
        for row in self.equivalence:
            if level_id in row.levels.get(party, ()):
                return row
        return None

    def row_index(self, row: EquivalenceRow) -> int:
        """Position of a row; rows are listed from the highest level down."""
        return self.equivalence.index(row)

    def article(self, clause: str) -> str:
        """The article that holds a clause (e.g. ``duration``), or the agreement id alone."""
        article = self.articles.get(clause)
        return f"{self.id} {article}" if article else self.id

    def event(self, event_id: str) -> Event | None:
        return next((event for event in self.events if event.id == event_id), None)

    def without_event(self, event_id: str) -> Agreement:
        """The same agreement had this event never happened (a what-if)."""
        if self.event(event_id) is None:
            raise PolicyError(f"{self.id} has no event {event_id!r}")
        return replace(self, events=tuple(e for e in self.events if e.id != event_id))

    def with_event(self, event: Event) -> Agreement:
        """The same agreement with one more event, placed in time order (a what-if)."""
        if self.event(event.id) is not None:
            raise InvariantError(f"event id {event.id!r} already exists in {self.id}")
        moment = event.at.astimezone(UTC)  # compare instants, not wall clocks
        later = [i for i, e in enumerate(self.events) if e.at.astimezone(UTC) > moment]
        position = later[0] if later else len(self.events)
        return replace(self, events=(*self.events[:position], event, *self.events[position:]))

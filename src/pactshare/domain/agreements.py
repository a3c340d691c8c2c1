"""Agreements as data: terms, equivalence table, scope, protection flags and events.

An agreement's status is never stored: it is derived from its terms and its ordered events
by :func:`pactshare.domain.lifecycle.status_at`.

An amendment by mutual consent (R-AMD-1, Art. 21(2), [H]) may carry the terms it changes (an
:class:`Amendment`: equivalence table, scope, classification cap, ``term_years``,
``notice_days``). The fields of an :class:`Agreement` are its terms as signed;
:meth:`Agreement.as_of` gives the terms in force at an instant (every amendment at or before
it applied, in event order) and :meth:`Agreement.versions` each version. Every version meets
the agreement's invariants, checked when the agreement is built, with the key path of the
amendment at fault (``events[3].amendment.scope[0]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType

from pactshare.domain.topics import check_topic
from pactshare.errors import InvariantError, PolicyError
from pactshare.limits import in_range

__all__ = [
    "Agreement",
    "AgreementInvalid",
    "AgreementKind",
    "Amendment",
    "EquivalenceRow",
    "Event",
    "EventKind",
    "Terms",
    "TermsVersion",
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
    """One dated event in an agreement's life, with the acting party and its source.

    Only an amendment may carry ``amendment``, the terms it changes (R-AMD-1); an amendment
    without one is recorded and changes nothing.
    """

    id: str
    kind: EventKind
    at: datetime
    party: str | None = None
    source: str = ""
    amendment: Amendment | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvariantError(f"event {self.id!r}: instant {self.at.isoformat()} is naive")
        if self.amendment is not None and self.kind is not EventKind.AMENDMENT:
            raise InvariantError(
                f"event {self.id!r}: only an amendment carries amended terms, not a "
                f"{self.kind.value}",
                key="amendment",
            )


MAX_TERM_YEARS = 100
MAX_NOTICE_DAYS = 36_500
MAX_LABEL = 64  # characters of an equivalence row's label (it goes into markings, R-MARK-1)


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
        # A peer's amendment carries labels too (R-AMD-1): short text, shown and marked as is.
        if not self.label.strip() or len(self.label) > MAX_LABEL:
            raise InvariantError(f"a row's label has 1 to {MAX_LABEL} characters", key="label")
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in self.label):
            raise InvariantError("a row's label holds control characters", key="label")
        for party, ids in self.levels.items():
            if not ids:
                raise InvariantError(f"row {self.label!r}: no level for {party}")

    def marking_level(self, party: str) -> str | None:
        ids = self.levels.get(party)
        return ids[0] if ids else None


@dataclass(frozen=True, slots=True)
class Amendment:
    """The terms an amendment by mutual consent changes (R-AMD-1), from its instant on; None
    leaves a term as it was. ``equivalence`` and ``scope`` replace the whole table or scope.
    ``term_years`` and ``notice_days`` move the calendar (see :mod:`~pactshare.domain.lifecycle`
    for how)."""

    equivalence: tuple[EquivalenceRow, ...] | None = None
    scope: tuple[str, ...] | None = None
    classification_cap: str | None = None
    term_years: int | None = None
    notice_days: int | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, f.name) is None for f in fields(self)):
            raise InvariantError("an amendment's terms change at least one term")
        if self.equivalence is not None and not self.equivalence:
            msg = "an amended equivalence table has at least one row"
            raise InvariantError(msg, key="equivalence")
        if self.scope is not None and not self.scope:
            raise InvariantError("an amended scope names at least one topic (or *)", key="scope")
        if self.term_years is not None and not 1 <= self.term_years <= MAX_TERM_YEARS:
            raise InvariantError(f"term_years must be 1 to {MAX_TERM_YEARS}", key="term_years")
        if self.notice_days is not None and not 0 <= self.notice_days <= MAX_NOTICE_DAYS:
            raise InvariantError(f"notice_days must be 0 to {MAX_NOTICE_DAYS}", key="notice_days")


@dataclass(frozen=True, slots=True)
class _Version:
    """The terms in force from ``since`` (UTC) on, set by amendment ``event`` (None: as signed)."""

    since: datetime
    event: str | None
    equivalence: tuple[EquivalenceRow, ...]
    scope: tuple[str, ...]
    classification_cap: str | None
    terms: Terms


_SIGNED = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Agreement:
    """An agreement or arrangement between parties, with its whole recorded life.

    The terms fields (``equivalence``, ``scope``, ``classification_cap``, ``terms``) are the
    terms as signed: read the ones in force at an instant with :meth:`as_of` (R-AMD-1).
    ``cap_is_local``: ``classification_cap`` is a node's local cap (AT-26), which holds in
    every version of the terms, over any amendment's cap.
    """

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
    assurance_before_provision: bool = False  # R-ACC-4, Art. 7(5): the receiver assures first
    protection_from: tuple[str, ...] = ()
    classification_cap: str | None = None
    articles: Mapping[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    cap_is_local: bool = False
    _versions: tuple[_Version, ...] = field(default=(), init=False, repr=False, compare=False)
    _shown: int = field(default=0, init=False, repr=False, compare=False)

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
        _check_equivalence(self.equivalence, "equivalence")
        if self.classification_cap is not None and self.classification_cap not in _labels(self):
            raise AgreementInvalid(
                "classification_cap",
                f"{self.classification_cap!r} is not the label of an equivalence row",
            )
        self._check_events()
        signed = _Version(
            _SIGNED, None, self.equivalence, self.scope, self.classification_cap, self.terms
        )
        object.__setattr__(self, "_versions", (signed, *self._amended(signed)))
        object.__setattr__(self, "_shown", 0)

    def _amended(self, signed: _Version) -> list[_Version]:
        """The versions the amendments with terms make, each checked (R-AMD-1). An amendment
        stored outside the years 1900-2199 has no effect, as in the lifecycle."""
        versions, current = [], signed
        for index, event in enumerate(self.events):
            if event.amendment is None or not in_range(event.at):
                continue
            current = self._amend(current, event, event.amendment, f"events[{index}].amendment")
            versions.append(current)
        return versions

    def _amend(self, before: _Version, event: Event, change: Amendment, key: str) -> _Version:
        for index, topic in enumerate(change.scope or ()):
            try:
                check_topic(topic)
            except InvariantError as exc:
                raise AgreementInvalid(f"{key}.scope[{index}]", str(exc)) from exc
        if change.equivalence is not None:
            _check_equivalence(change.equivalence, f"{key}.equivalence")
        if change.term_years is not None and before.terms.term_years is None:
            raise AgreementInvalid(
                f"{key}.term_years",
                "the agreement has no fixed term: an amendment can change a term's length, "
                "not create one",
            )
        rows = before.equivalence if change.equivalence is None else change.equivalence
        cap = before.classification_cap
        if change.classification_cap is not None and not self.cap_is_local:
            cap = change.classification_cap
        if cap is not None and cap not in [row.label for row in rows]:
            if self.cap_is_local:
                where, what = "classification_cap", f"the local cap {cap!r}"
            elif change.classification_cap is not None:
                where, what = f"{key}.classification_cap", repr(cap)
            else:
                where, what = f"{key}.equivalence", f"the cap {cap!r}"
            raise AgreementInvalid(
                where,
                f"{what} is not the label of an equivalence row of the terms as amended by "
                f"{event.id!r}",
            )
        terms = replace(
            before.terms,
            term_years=change.term_years or before.terms.term_years,
            notice_days=(
                before.terms.notice_days if change.notice_days is None else change.notice_days
            ),
        )
        scope = before.scope if change.scope is None else change.scope
        return _Version(event.at.astimezone(UTC), event.id, rows, scope, cap, terms)

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

    def as_of(self, at: datetime) -> Agreement:
        """The agreement with the terms in force at instant ``at``: every amendment at or
        before it applied, in event order (R-AMD-1). Itself when they are the ones it shows.

        The result is for reading (a decision, an export): its own ``as_of`` still answers
        for every instant, but it is not the agreement as signed, to build another from."""
        moment = at.astimezone(UTC)
        shown = 0
        for index, version in enumerate(self._versions):
            if version.since > moment:
                break
            shown = index
        return self if shown == self._shown else self._view(shown)

    def versions(self) -> tuple[TermsVersion, ...]:
        """Each version of the terms: as signed, then as each amendment with terms left them."""
        return tuple(
            TermsVersion(_instant_of(self, version.event), version.event, self._view(i))
            for i, version in enumerate(self._versions)
        )

    @property
    def signed_terms(self) -> Terms:
        """The duration terms as signed, before any amendment (a view's too)."""
        return self._versions[0].terms

    @property
    def amended(self) -> bool:
        """Whether an amendment carries terms (the agreement has more than one version)."""
        return len(self._versions) > 1

    def _view(self, index: int) -> Agreement:
        """This agreement showing version ``index`` of its terms. Built without running the
        checks again: every version was checked when the agreement was built, and checking it
        as if signed would apply the amendments to terms they already amended."""
        if index == self._shown:
            return self
        version = self._versions[index]
        view = object.__new__(Agreement)
        for name in (f.name for f in fields(Agreement)):
            object.__setattr__(view, name, getattr(self, name))
        object.__setattr__(view, "equivalence", version.equivalence)
        object.__setattr__(view, "scope", version.scope)
        object.__setattr__(view, "classification_cap", version.classification_cap)
        object.__setattr__(view, "terms", version.terms)
        object.__setattr__(view, "_shown", index)
        return view

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
        """The same agreement had this event never happened (a what-if); PolicyError if an
        amendment after it then breaks the invariants."""
        if self.event(event_id) is None:
            raise PolicyError(f"{self.id} has no event {event_id!r}")
        try:
            return replace(self, events=tuple(e for e in self.events if e.id != event_id))
        except InvariantError as exc:
            where = f"{exc.key}: " if exc.key else ""
            raise PolicyError(f"without {event_id}, {self.id} is not valid: {where}{exc}") from exc

    def with_event(self, event: Event) -> Agreement:
        """The same agreement with one more event, placed in time order (a what-if)."""
        if self.event(event.id) is not None:
            raise InvariantError(f"event id {event.id!r} already exists in {self.id}")
        moment = event.at.astimezone(UTC)  # compare instants, not wall clocks
        later = [i for i, e in enumerate(self.events) if e.at.astimezone(UTC) > moment]
        position = later[0] if later else len(self.events)
        return replace(self, events=(*self.events[:position], event, *self.events[position:]))


@dataclass(frozen=True, slots=True)
class TermsVersion:
    """One version of an agreement's terms: in force from ``since`` (None: as signed), set by
    the amendment event ``event`` (None: as signed); ``agreement`` shows it."""

    since: datetime | None
    event: str | None
    agreement: Agreement


def _instant_of(agreement: Agreement, event_id: str | None) -> datetime | None:
    """The instant an event names, as written (None: no event)."""
    event = None if event_id is None else agreement.event(event_id)
    return None if event is None else event.at


def _labels(agreement: Agreement) -> list[str]:
    return [row.label for row in agreement.equivalence]


def _check_equivalence(rows: tuple[EquivalenceRow, ...], key: str) -> None:
    """Labels are unique and a party's level is in at most one row."""
    seen: dict[tuple[str, str], str] = {}
    labels = [row.label for row in rows]
    if len(set(labels)) != len(labels):
        raise AgreementInvalid(key, "two rows have the same label")
    for index, row in enumerate(rows):
        for party, ids in row.levels.items():
            for level_id in ids:
                earlier = seen.get((party, level_id))
                if earlier is not None:
                    raise AgreementInvalid(
                        f"{key}[{index}].{party}",
                        f"equivalence rows overlap: {party} level {level_id!r} is in both "
                        f"{earlier!r} and {row.label!r}",
                    )
                seen[(party, level_id)] = row.label

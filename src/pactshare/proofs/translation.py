"""The registry's rules as SMT formulas (z3): every route :func:`~pactshare.domain.decide`
weighs, with its viability as a formula over a symbolic instant and a symbolic item.

What is symbolic (:class:`Symbols`): the instant ``t`` (an integer of microseconds since
1970-01-01T00:00:00Z, in the years 1900 to 2199), the item's topics (one boolean per topic
of the vocabulary, at least one true), its releasable-to list (one boolean per party; none
true means unrestricted) and whether the originator's written approval of a release to the
recipient is in effect at ``t``. What is finite is enumerated (:class:`Case`): originator,
holder, recipient and the originator's level. An agreement's status is piecewise constant
over instants (its timeline's breakpoints, :func:`~pactshare.domain.timelines.compile_timeline`),
so "in force at ``t``" is a disjunction of intervals. The terms are piecewise constant too
(R-AMD-1): the instants of the registry's amendments with terms cut time into epochs, each
translated with the terms in force in it (:meth:`~pactshare.domain.Registry.as_of`), and a
route of an epoch is viable only within it.

The routes mirror :mod:`pactshare.domain.routes` and :mod:`pactshare.domain.onward` check by
check; ``tests/properties/test_proofs_differential.py`` ties them to ``decide`` on random
instants and items. Requests with a purpose or a received-under agreement are outside the
translation (the purpose checks need them; the properties do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import z3

from pactshare.domain.agreements import Agreement
from pactshare.domain.approvals import Approval, ApprovalKind
from pactshare.domain.decision import Request
from pactshare.domain.lifecycle import Interpretation, Status
from pactshare.domain.registry import Registry
from pactshare.domain.timelines import compile_timeline
from pactshare.domain.topics import covers
from pactshare.errors import PolicyError
from pactshare.limits import EARLIEST, LATEST

__all__ = [
    "Case",
    "Formula",
    "Hop",
    "SymbolicRoute",
    "Symbols",
    "Translation",
    "instant",
    "micros",
    "request_for",
]

Formula = Any  # a z3 boolean expression (z3 has no type hints)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """An aware instant as microseconds since 1970-01-01T00:00:00Z."""
    return (at.astimezone(UTC) - _EPOCH) // _MICROSECOND


def instant(value: int) -> datetime:
    """Microseconds since 1970-01-01T00:00:00Z as a UTC instant."""
    return _EPOCH + value * _MICROSECOND


@dataclass(frozen=True, slots=True)
class Case:
    """The finite part of a request: who originated the item at which level, who holds it,
    and to whom it would go (never the holder itself)."""

    originator: str
    holder: str
    recipient: str
    level: str


def request_for(
    case: Case, at: datetime, topics: tuple[str, ...], releasable: tuple[str, ...], approved: bool
) -> Request:
    """The engine's request for a case and values of the symbolic item: an approval in
    effect at ``at`` is one recorded a microsecond before it."""
    approval = Approval(case.originator, ApprovalKind.RELEASE, case.recipient, at - _MICROSECOND)
    return Request(
        originator=case.originator,
        recipient=case.recipient,
        classification=case.level,
        topics=topics,
        holder=None if case.holder == case.originator else case.holder,
        releasable_to=releasable,
        approvals=(approval,) if approved else (),
    )


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop of a route: ``level`` is the level id the receiving party marks it with."""

    sender: str
    recipient: str
    agreement: str
    level: str


@dataclass(frozen=True, slots=True)
class SymbolicRoute:
    """A route of one case and the formula that says when it is viable. A ``returning``
    route gives the item back to its originator (R-PRO-8)."""

    hops: tuple[Hop, ...]
    viable: Formula
    returning: bool = False

    def under(self, agreement_id: str) -> bool:
        return any(hop.agreement == agreement_id for hop in self.hops)


class Symbols:
    """The symbolic instant and item, and the constraints of their domain."""

    def __init__(self, registry: Registry) -> None:
        if registry.topics is None:  # any well-formed topic: none to quantify over
            raise PolicyError("the registry has no topic vocabulary to quantify topics over")
        vocabulary = registry.topics.topics
        self.t = z3.Int("t")
        self.topics: dict[str, Formula] = {tp: z3.Bool(f"topic:{tp}") for tp in vocabulary}
        self.releasable: dict[str, Formula] = {
            code: z3.Bool(f"releasable:{code}") for code in sorted(registry.parties)
        }
        self.approved = z3.Bool("release-approval-in-effect")
        self.domain = z3.And(
            self.t >= micros(EARLIEST),
            self.t < micros(LATEST),
            # an item has a topic of the vocabulary (with none, no request can be made)
            z3.Or(*self.topics.values()) if self.topics else z3.BoolVal(val=False),
        )


class Translation:
    """The routes of every case under one interpretation, as formulas over ``symbols``."""

    def __init__(
        self, registry: Registry, interpretation: Interpretation, symbols: Symbols
    ) -> None:
        self.registry = registry
        self.interpretation = interpretation
        self.symbols = symbols
        self._intervals: dict[str, list[tuple[int | None, int | None, Status]]] = {}
        self._allows: dict[str, Formula] = {}
        self._routes: dict[Case, list[SymbolicRoute]] = {}
        self._ended: list[tuple[Agreement, Formula]] | None = None
        self._scopes: dict[tuple[str, tuple[str, ...]], Formula] = {}
        self.epochs = _epochs(registry, symbols.t)
        self._receivers: dict[tuple[str, ...], Formula] = {}

    def cases(self) -> list[Case]:
        """Every originator, holder, recipient (other than the holder) and originator's level."""
        parties = sorted(self.registry.parties)
        return [
            Case(originator, holder, recipient, level.id)
            for originator in parties
            for level in self.registry.parties[originator].scheme.levels
            for holder in parties
            for recipient in parties
            if recipient != holder
        ]

    def intervals(self, agreement: Agreement) -> list[tuple[int | None, int | None, Status]]:
        """``[start, end)`` in microseconds (None: open) with the agreement's status there."""
        found = self._intervals.get(agreement.id)
        if found is None:
            timeline = compile_timeline(agreement, self.interpretation)
            points = [micros(point) for point in timeline.points]
            starts: list[int | None] = [None, *points]
            ends: list[int | None] = [*points, None]
            statuses = [timeline.before.status] + [s.status for s in timeline.segments]
            found = self._intervals[agreement.id] = list(zip(starts, ends, statuses, strict=True))
        return found

    def _during(self, agreement: Agreement, wanted: set[Status]) -> Formula:
        t = self.symbols.t
        spans = [
            z3.And(
                z3.BoolVal(val=True) if start is None else t >= start,
                z3.BoolVal(val=True) if end is None else t < end,
            )
            for start, end, status in self.intervals(agreement)
            if status in wanted
        ]
        return z3.Or(*spans) if spans else z3.BoolVal(val=False)

    def allows(self, agreement: Agreement) -> Formula:
        """The agreement allows new provision at ``t`` (R-DUR-1, R-STATE-1/2, R-SURV-1)."""
        found = self._allows.get(agreement.id)
        if found is None:
            wanted = {status for status in Status if status.allows_new_provision}
            found = self._allows[agreement.id] = self._during(agreement, wanted)
        return found

    def _first_termination(self, agreement: Agreement) -> list[int]:
        """The first instant at which the agreement is terminated, if it ever is."""
        starts = [
            start
            for start, _, status in self.intervals(agreement)
            if status is Status.TERMINATED and start is not None
        ]
        return starts[:1]

    def ended(self) -> list[tuple[Agreement, Formula]]:
        """Each agreement that terminates, with the formula "``t`` is at or after its first
        termination instant"."""
        if self._ended is None:
            self._ended = [
                (agreement, self.symbols.t >= start)
                for agreement in self.registry.agreements.values()
                for start in self._first_termination(agreement)
            ]
        return self._ended

    def routes(self, case: Case) -> list[SymbolicRoute]:
        """The routes ``decide`` weighs for the case (those with an equivalence row), epoch
        by epoch of the terms (R-AMD-1)."""
        found = self._routes.get(case)
        if found is None:
            found = []
            for window, terms in self.epochs:
                for route in self._weigh(case, terms):
                    if window is not None:
                        viable = z3.And(window, route.viable)
                        route = SymbolicRoute(route.hops, viable, route.returning)  # noqa: PLW2901
                    found.append(route)
            self._routes[case] = found
        return found

    def _weigh(self, case: Case, registry: Registry) -> list[SymbolicRoute]:
        """The routes of ``case`` under the terms of ``registry`` (one epoch's)."""
        holder, recipient = case.holder, case.recipient
        if holder != case.originator:
            return self._onward(case, registry)
        found: list[SymbolicRoute | None] = [
            self._direct(case, agreement, holder, case.level)
            for agreement in registry.bilaterals(holder, recipient)
        ]
        for arrangement in registry.hub_arrangements(holder, recipient):
            if arrangement.hub in (holder, recipient):
                found.append(self._hub_leg(case, arrangement))
            else:  # no direct channel between two members that are not the hub (R-TISA-5)
                found.append(self._relay(case, arrangement))
        return [route for route in found if route is not None]

    # The checks (pactshare.domain.checks), each as a formula.

    def _scope(self, agreement: Agreement) -> Formula:
        """R-DEF-1, R-TISA-2: no topic of the item outside the scope."""
        key = (agreement.id, agreement.scope)
        found = self._scopes.get(key)
        if found is None:
            outside = [
                has
                for topic, has in self.symbols.topics.items()
                if not covers(agreement.scope, topic)
            ]
            found = z3.Not(z3.Or(*outside)) if outside else z3.BoolVal(val=True)
            self._scopes[key] = found
        return found

    def _releasable(self, receivers: tuple[str, ...]) -> Formula:
        """R-PRO-1: a releasable-to list, when there is one, names every receiver."""
        found = self._receivers.get(receivers)
        if found is None:
            listed = self.symbols.releasable
            restricted = z3.Or(*listed.values())
            found = z3.Or(z3.Not(restricted), z3.And(*(listed[party] for party in receivers)))
            self._receivers[receivers] = found
        return found

    def _protection(self, arrangement: Agreement, a: str, b: str) -> Formula:
        """R-TISA-4: a listed bilateral between ``a`` and ``b`` allows provision."""
        matching = [
            agreement
            for agreement_id in arrangement.protection_from
            if (agreement := self.registry.agreements.get(agreement_id)) is not None
            and set(agreement.parties) == {a, b}
        ]
        if matching:
            return z3.Or(*(self.allows(agreement) for agreement in matching))
        return z3.BoolVal(val=not arrangement.protection_from)

    @staticmethod
    def _under_cap(agreement: Agreement, row_label: str) -> bool:
        """R-TISA-10: the row is not above the agreement's local cap."""
        if agreement.classification_cap is None:
            return True
        labels = [row.label for row in agreement.equivalence]
        return labels.index(row_label) >= labels.index(agreement.classification_cap)

    # The routes (pactshare.domain.routes and .onward).

    def _direct(
        self, case: Case, agreement: Agreement, sender: str, level: str
    ) -> SymbolicRoute | None:
        recipient = case.recipient
        row = agreement.row_of(sender, level)
        if row is None or recipient not in row.levels:
            return None
        viable = z3.And(
            self.allows(agreement),
            self._scope(agreement),
            self._releasable((recipient,)),
            z3.BoolVal(val=self._under_cap(agreement, row.label)),
        )
        hop = Hop(sender, recipient, agreement.id, row.levels[recipient][0])
        return SymbolicRoute((hop,), viable)

    def _hub_leg(self, case: Case, arrangement: Agreement) -> SymbolicRoute | None:
        sender, recipient, originator = case.holder, case.recipient, case.originator
        row = arrangement.row_of(originator, case.level)
        if row is None or not {recipient, sender} <= set(row.levels):
            return None
        checks = [
            self.allows(arrangement),
            self._scope(arrangement),
            self._releasable((recipient,)),
            self._protection(arrangement, sender, recipient),
            z3.BoolVal(val=self._under_cap(arrangement, row.label)),
        ]
        hub_releases = sender == arrangement.hub and originator != sender
        if hub_releases and arrangement.relay_needs_originator_consent:  # R-TISA-6
            checks.append(self.symbols.approved)
        hop = Hop(sender, recipient, arrangement.id, row.levels[recipient][0])
        return SymbolicRoute((hop,), z3.And(*checks))

    def _relay(self, case: Case, arrangement: Agreement) -> SymbolicRoute | None:
        originator, recipient, hub = case.originator, case.recipient, arrangement.hub or ""
        row = arrangement.row_of(originator, case.level)
        if row is None or not {hub, recipient} <= set(row.levels):
            return None
        viable = z3.And(
            self.allows(arrangement),
            self._scope(arrangement),
            self._releasable((hub, recipient)),
            self._protection(arrangement, originator, hub),
            self._protection(arrangement, hub, recipient),
            z3.BoolVal(val=self._under_cap(arrangement, row.label)),
        )  # the consent is listed, needed before the hub releases (R-TISA-6): no condition here
        hops = (
            Hop(originator, hub, arrangement.id, row.levels[hub][0]),
            Hop(hub, recipient, arrangement.id, row.levels[recipient][0]),
        )
        return SymbolicRoute(hops, viable)

    def _onward(self, case: Case, registry: Registry) -> list[SymbolicRoute]:
        """A holder other than the originator (R-PRO-1, R-PRO-8, R-SURV-1)."""
        originator, holder, recipient = case.originator, case.holder, case.recipient
        governing = (
            *registry.bilaterals(originator, holder),
            *registry.hub_arrangements(originator, holder),
        )
        approval_needed = any(
            recipient != originator
            and recipient not in agreement.parties
            and agreement.third_party_release_needs_approval
            for agreement in governing
        )
        conditions = self.symbols.approved if approval_needed else z3.BoolVal(val=True)
        holder_row = next(
            (
                (agreement, row)
                for agreement in governing
                if (row := agreement.row_of(originator, case.level)) and holder in row.levels
            ),
            None,
        )
        if holder_row is None:
            return []
        received, row = holder_row
        if recipient == originator:
            hop = Hop(holder, recipient, received.id, row.levels[recipient][0])
            return [SymbolicRoute((hop,), conditions, returning=True)]
        routes: list[SymbolicRoute | None] = [
            self._hub_leg(case, arrangement)
            for arrangement in governing
            if arrangement.hub == holder and recipient in arrangement.parties
        ]
        routes.extend(
            self._direct(case, carrier, holder, row.levels[holder][0])
            for carrier in registry.bilaterals(holder, recipient)
        )
        return [
            SymbolicRoute(route.hops, z3.And(conditions, route.viable))
            for route in routes
            if route is not None
        ]


def _epochs(registry: Registry, t: Formula) -> list[tuple[Formula | None, Registry]]:
    """The stretches of time over which no agreement's terms change (R-AMD-1), each as the
    formula "``t`` is in it" (None: all time, when nothing is amended) and the registry with
    the terms in force in it."""
    starts = sorted(
        {
            micros(version.since)
            for agreement in registry.agreements.values()
            for version in agreement.versions()
            if version.since is not None
        }
    )
    if not starts:
        return [(None, registry)]
    bounds: list[int | None] = [None, *starts]
    epochs: list[tuple[Formula | None, Registry]] = []
    for index, start in enumerate(bounds):
        end = starts[index] if index < len(starts) else None
        window = z3.And(
            z3.BoolVal(val=True) if start is None else t >= start,
            z3.BoolVal(val=True) if end is None else t < end,
        )
        terms = registry if start is None else registry.as_of(instant(start))
        epochs.append((window, terms))
    return epochs

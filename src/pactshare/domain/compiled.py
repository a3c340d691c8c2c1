"""Compiled decisions: the plain engine's decision on a question, kept for as long as it holds.

A decision depends on its instant only through the snapshots of the agreements it consulted
(each constant over a segment of its :class:`~pactshare.domain.timelines.Timeline`) and
through the instant's own text, in the reasons that say an agreement is (not) in force at it.
So the plain engine's decision on a :data:`Question` — originator, recipient, level, topics,
releasable-to, under one interpretation — holds for every instant of the intersection of the
consulted agreements' segments, the instant's text aside. That decision, with the places its
instant goes, is a :class:`Plan`; the :class:`Plans` of one
:class:`~pactshare.domain.prepared.Prepared` registry keep them (bounded), and deciding a
question a plan covers is a dict lookup, a bisection and building the
:class:`~pactshare.domain.decision.Decision`, the instant formatted into its reasons then.

A plan is made of two runs of the plain engine (:mod:`pactshare.domain.policy`): one with the
instant's text, one with :data:`MARKER` in its place; the plan is kept only if it rebuilds the
first exactly (so no text of the registry or the request can pass for the marker).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock

from pactshare.domain.decision import (
    Consent,
    Decision,
    Effect,
    Hop,
    Outcome,
    Reason,
    Request,
    Route,
)
from pactshare.domain.lifecycle import Interpretation

__all__ = ["MARKER", "Plan", "Plans", "Question", "question"]

#: Stands for the instant's text in the plain run a plan is made of.
MARKER = "\x00"

#: What a decision depends on besides the instant, for a request with no holder and no
#: approvals: the interpretation, originator, recipient, classification, topics, releasable-to.
Question = tuple[Interpretation, str, str, str, tuple[str, ...], tuple[str, ...]]

_SINCE_EVER = datetime.min.replace(tzinfo=UTC)


def question(request: Request, interpretation: Interpretation) -> Question:
    """What ``request`` (with no holder and no approvals) asks, under ``interpretation``."""
    return (
        interpretation,
        request.originator,
        request.recipient,
        request.classification,
        request.topics,
        request.releasable_to,
    )


@dataclass(frozen=True, slots=True)
class _Timed:
    """A reason whose text is ``head``, the instant, ``tail``; at ``index`` among its peers."""

    index: int
    rule: str
    head: str
    tail: str
    effect: Effect
    citation: str


@dataclass(frozen=True, slots=True)
class _Reasons:
    """Reasons some of which may cite the instant: ``fixed`` holds the others in place."""

    fixed: tuple[Reason, ...]
    timed: tuple[_Timed, ...]

    @classmethod
    def of(cls, reasons: tuple[Reason, ...]) -> _Reasons:
        """The reasons of a plain run with :data:`MARKER` for the instant's text."""
        timed = []
        for index, reason in enumerate(reasons):
            head, marker, tail = reason.text.partition(MARKER)
            if marker:
                timed.append(_Timed(index, reason.rule, head, tail, reason.effect, reason.citation))
        return cls(reasons, tuple(timed))

    def at(self, when: str) -> tuple[Reason, ...]:
        if not self.timed:
            return self.fixed
        reasons = list(self.fixed)
        for t in self.timed:
            reasons[t.index] = Reason(t.rule, t.head + when + t.tail, t.effect, t.citation)
        return tuple(reasons)


class Plan:
    """The decision on one question for instants before ``until`` (UTC; None: ever after),
    made of a plain run with :data:`MARKER` for the instant's text. Compared by identity."""

    __slots__ = (
        "alternatives",
        "conflict",
        "consents",
        "interpretation",
        "outcome",
        "reasons",
        "route",
        "timed",
        "timed_routes",
        "until",
    )

    def __init__(self, template: Decision, until: datetime | None) -> None:
        self.outcome: Outcome = template.outcome
        self.interpretation: Interpretation = template.interpretation
        self.route: tuple[Hop, ...] = template.route
        self.consents: tuple[Consent, ...] = template.consents
        self.reasons = _Reasons.of(template.reasons)
        self.alternatives: tuple[Route, ...] = template.alternatives
        self.timed_routes = tuple(
            (index, reasons)
            for index, route in enumerate(template.alternatives)
            if (reasons := _Reasons.of(route.reasons)).timed
        )
        self.conflict: bool = template.conflict
        self.timed = bool(self.reasons.timed or self.timed_routes)
        self.until = until

    def decision(self, at: datetime, when: str | None = None) -> Decision:
        """The decision at ``at``, an instant the plan covers; ``when`` is its ISO text,
        formatted here if not given and needed."""
        reasons, alternatives = self.reasons.fixed, self.alternatives
        if self.timed:
            when = at.isoformat() if when is None else when
            reasons = self.reasons.at(when)
            if self.timed_routes:
                routes = list(alternatives)
                for index, template in self.timed_routes:
                    route = routes[index]
                    routes[index] = Route(route.kind, route.hops, route.consents, template.at(when))
                alternatives = tuple(routes)
        return Decision(
            self.outcome,
            at,
            self.interpretation,
            self.route,
            self.consents,
            reasons,
            alternatives,
            self.conflict,
        )


class Plans:
    """The plans of one prepared registry by question, at most ``limit`` of them (the oldest
    question's go first).

    Lookups take no lock: each question's plans are an immutable pair of tuples, replaced
    whole under the lock by :meth:`keep`.
    """

    __slots__ = ("_count", "_lock", "_questions", "limit")

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._questions: dict[Question, tuple[tuple[datetime, ...], tuple[Plan, ...]]] = {}
        self._count = 0
        self._lock = Lock()

    def __len__(self) -> int:
        return self._count

    def find(self, asked: Question, moment: datetime) -> Plan | None:
        """The plan for ``asked`` that covers ``moment`` (UTC), if one is kept."""
        kept = self._questions.get(asked)
        if kept is None:
            return None
        starts, plans = kept
        index = bisect_right(starts, moment) - 1
        if index < 0:
            return None
        plan = plans[index]
        return plan if plan.until is None or moment < plan.until else None

    def keep(self, asked: Question, start: datetime | None, plan: Plan) -> None:
        """Keep ``plan`` for ``asked`` from ``start`` (UTC; None: since ever) on. The stretches
        of one question's plans never overlap: a plan is kept only on a miss."""
        begins = _SINCE_EVER if start is None else start
        with self._lock:
            starts, plans = self._questions.get(asked, ((), ()))
            index = bisect_right(starts, begins)
            if index and starts[index - 1] == begins:
                return  # another thread kept the same plan first
            self._questions[asked] = (
                (*starts[:index], begins, *starts[index:]),
                (*plans[:index], plan, *plans[index:]),
            )
            self._count += 1
            while self._count > self.limit:
                oldest = next(iter(self._questions))
                self._count -= len(self._questions.pop(oldest)[1])

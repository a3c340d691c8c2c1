"""What the decision engine needs of an agreement at an instant, looked up in O(log events).

An agreement's status, its terms in force (R-AMD-1), its scheduled end and the notes a
decision cites change only at event instants and at the termination instants those events
schedule (see :mod:`timeline`). So each
(agreement, interpretation) is compiled once into sorted UTC breakpoints with one snapshot per
segment (a :class:`Timeline`), and a decision finds its segment by bisection instead of
replaying the events — and never walks days or years.

Timelines are pure values; :class:`~pactshare.domain.prepared.Prepared` keeps the ones of one
registry. ``tests/properties`` checks the lookup against
:func:`~pactshare.domain.lifecycle.status_at` on random agreements and instants.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pactshare.domain.agreements import Agreement, Event, EventKind
from pactshare.domain.decision import Effect, Reason
from pactshare.domain.lifecycle import (
    Interpretation,
    NoteKind,
    Status,
    event_instants,
    status_at,
)
from pactshare.limits import in_range

__all__ = ["Snapshot", "Timeline", "compile_timeline", "compute_snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One agreement at one instant: the agreement with the terms in force then (R-AMD-1:
    :meth:`~pactshare.domain.agreements.Agreement.as_of`), status, scheduled (or past) end,
    and the notes every decision that looks at the agreement cites (interpretation notes, a
    legal-status conflict between the profiles, R-STATE-3)."""

    agreement: Agreement
    status: Status
    terminates_at: datetime | None
    notes: tuple[Reason, ...]


def compute_snapshot(
    agreement: Agreement, at: datetime, interpretation: Interpretation
) -> Snapshot:
    """The snapshot at ``at``, derived from the events (the slow, direct way)."""
    report = status_at(agreement, at, interpretation)
    cite = agreement.article("duration")
    notes = [
        Reason(note.rule, note.text, Effect.NOTE, cite)
        for note in report.notes
        if note.kind is NoteKind.INTERPRETATION
    ]
    if _has_suspension(agreement):  # the profiles differ only after a suspended notice
        other = status_at(agreement, at, interpretation.other_profile())
        if other.status.allows_new_provision != report.status.allows_new_provision:
            notes.append(
                Reason(
                    "R-STATE-3",
                    f"legal-status conflict: {agreement.id} is {report.status} under "
                    f"{interpretation.profile} but {other.status} under "
                    f"{other.interpretation.profile}",
                    Effect.NOTE,
                    cite,
                )
            )
    notes.extend(_disputes(agreement, at))
    terms = agreement.as_of(at)
    return Snapshot(terms, report.status, report.terminates_at, tuple(notes))


def _disputes(agreement: Agreement, at: datetime) -> list[Reason]:
    """R-DSP-1: each dispute raised on ``agreement`` and not settled by ``at``, as a note that
    changes nothing (settled by consultation only; protection continues meanwhile)."""
    moment = at.astimezone(UTC)
    open_disputes: list[Event] = []
    for event in agreement.events:
        if not in_range(event.at) or event.at.astimezone(UTC) > moment:
            continue
        if event.kind is EventKind.DISPUTE:
            open_disputes.append(event)
        elif event.kind is EventKind.DISPUTE_SETTLED:
            open_disputes.clear()
    return [
        Reason(
            "R-DSP-1",
            f"a dispute over {agreement.id} raised by {event.party or 'a party'} on "
            f"{event.at.isoformat()} ({event.id}) is open: it is settled only by consultation "
            "between the parties, with no third party, and protection of what was provided "
            "continues meanwhile; it changes nothing in this decision",
            Effect.NOTE,
            agreement.article("disputes"),
        )
        for event in open_disputes
    ]


def _has_suspension(agreement: Agreement) -> bool:
    return any(e.kind is EventKind.NOTICE_SUSPENSION for e in agreement.events)


@dataclass(frozen=True, slots=True)
class Timeline:
    """An agreement's snapshots under one interpretation, segment by segment."""

    points: tuple[datetime, ...]  # UTC, sorted; segment i is [points[i], points[i + 1])
    before: Snapshot  # before the first point
    segments: tuple[Snapshot, ...]

    def at(self, moment: datetime) -> Snapshot:
        """The snapshot at ``moment`` (aware)."""
        index = bisect_right(self.points, moment.astimezone(UTC)) - 1
        return self.before if index < 0 else self.segments[index]

    def span(self, moment: datetime) -> tuple[datetime | None, datetime | None]:
        """The segment holding ``moment`` (UTC): its first point and the next one (None: the
        segment is open on that side)."""
        index = bisect_right(self.points, moment)
        start = self.points[index - 1] if index else None
        until = self.points[index] if index < len(self.points) else None
        return start, until


def _breakpoints(agreement: Agreement, interpretation: Interpretation) -> list[datetime]:
    readings = [interpretation]
    if _has_suspension(agreement):
        readings.append(interpretation.other_profile())
    points = event_instants(agreement)
    for reading in readings:
        pending = sorted(points)
        seen: set[datetime] = set()
        while pending:
            point = pending.pop()
            if point in seen:
                continue
            seen.add(point)
            ends = status_at(agreement, point, reading).terminates_at
            if ends is not None and ends.astimezone(UTC) not in seen:
                pending.append(ends.astimezone(UTC))
        points |= seen
    return sorted(points)


def compile_timeline(agreement: Agreement, interpretation: Interpretation) -> Timeline:
    """Every segment of ``agreement``'s life under ``interpretation``."""
    points = _breakpoints(agreement, interpretation)
    first = points[0] if points else datetime(2000, 1, 1, tzinfo=UTC)
    before = compute_snapshot(agreement, first - timedelta(days=1), interpretation)
    segments = tuple(compute_snapshot(agreement, point, interpretation) for point in points)
    return Timeline(tuple(points), before, segments)

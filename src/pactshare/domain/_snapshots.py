"""What the decision engine needs of an agreement at an instant, looked up in O(log events).

An agreement's status, its scheduled end and the notes a decision cites change only at event
instants and at the termination instants those events schedule (see :mod:`timeline`). So each
(agreement, interpretation) is compiled once into sorted UTC breakpoints with one snapshot per
segment, and a decision finds its segment by bisection instead of replaying the events — and
never walks days or years.

The compiled timelines are memoised per agreement object (a bounded cache; the agreement is
immutable and held by the cache, so its identity stays valid). Memoising a pure function of
immutable values changes no result: ``tests/properties`` checks the lookup against
:func:`~pactshare.domain.lifecycle.status_at` on random agreements and instants.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock

from pactshare.domain.agreements import Agreement, EventKind
from pactshare.domain.decision import Effect, Reason
from pactshare.domain.lifecycle import Interpretation, Status, event_instants, status_at

__all__ = ["Snapshot", "compute_snapshot", "snapshot"]

_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One agreement at one instant: status, scheduled (or past) end, and the notes every
    decision that looks at the agreement cites (interpretation notes, a legal-status
    conflict between the profiles, R-STATE-3)."""

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
        if note.text.startswith("interpretation:")
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
    return Snapshot(agreement, report.status, report.terminates_at, tuple(notes))


def _has_suspension(agreement: Agreement) -> bool:
    return any(e.kind is EventKind.NOTICE_SUSPENSION for e in agreement.events)


@dataclass(frozen=True, slots=True)
class _Compiled:
    agreement: Agreement
    points: tuple[datetime, ...]  # UTC, sorted; segment i is [points[i], points[i + 1])
    before: Snapshot  # before the first point
    segments: tuple[Snapshot, ...]

    def at(self, moment: datetime) -> Snapshot:
        index = bisect_right(self.points, moment) - 1
        return self.before if index < 0 else self.segments[index]


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


def _compile(agreement: Agreement, interpretation: Interpretation) -> _Compiled:
    points = _breakpoints(agreement, interpretation)
    first = points[0] if points else datetime(2000, 1, 1, tzinfo=UTC)
    before = compute_snapshot(agreement, first - timedelta(days=1), interpretation)
    segments = tuple(compute_snapshot(agreement, point, interpretation) for point in points)
    return _Compiled(agreement, tuple(points), before, segments)


_compiled: dict[tuple[int, Interpretation], _Compiled] = {}
_lock = Lock()


def snapshot(
    agreement: Agreement,
    at: datetime,
    interpretation: Interpretation,
    *,
    utc: datetime | None = None,
) -> Snapshot:
    """The snapshot of ``agreement`` at ``at`` (aware; ``utc``: the same instant in UTC, if
    the caller has it), from its compiled timeline."""
    key = (id(agreement), interpretation)
    compiled = _compiled.get(key)
    if compiled is None or compiled.agreement is not agreement:
        compiled = _compile(agreement, interpretation)
        with _lock:
            if len(_compiled) >= _CACHE_SIZE:
                _compiled.pop(next(iter(_compiled)))  # the oldest entry
            _compiled[key] = compiled
    return compiled.at(utc if utc is not None else at.astimezone(UTC))

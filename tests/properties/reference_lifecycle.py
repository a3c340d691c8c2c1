"""A deliberately naive reference for :func:`pactshare.domain.status_at`.

Written from the rulebook (§5.1, §6, R-STATE-1…5), not from ``lifecycle.py``, and slow on
purpose: it walks the timeline **day by day** from the first event, applying each event and
each scheduled end as the walk passes it, and finds anniversaries by stepping year by year.
Every comparison is made on UTC instants. The property tests check that the fast
implementation agrees with it; ``bench/decisions.py`` times both (O(events) vs O(days)).

Amendments (R-AMD-1), as the rule reads in ``docs/interpretations.md``: each term has the
length in force at its start; a notice's deadline uses the notice period in force when it is
received; a running notice keeps its end. "In force" means: set by the last amendment the walk
has passed whose instant is at or before that moment, else as signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pactshare.domain import (
    Agreement,
    Event,
    EventKind,
    Interpretation,
    LateNotice,
    Profile,
    Status,
)

__all__ = ["reference_status"]

_DAY = timedelta(days=1)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _local_shift(moment: datetime, zone: ZoneInfo, *, years: int = 0, days: int = 0) -> datetime:
    """Move a wall-clock time in ``zone`` by whole years (29 Feb → 28 Feb) and days."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    try:
        moved = local.replace(year=local.year + years)
    except ValueError:
        moved = local.replace(year=local.year + years, day=28)
    return _utc((moved - timedelta(days=days)).replace(tzinfo=zone))


@dataclass
class _Walk:
    agreement: Agreement
    interpretation: Interpretation
    entry: datetime | None = None
    notice_end: datetime | None = None  # when the running notice ends the agreement
    suspended: bool = False
    ended: bool = False
    seen: list[str] = field(default_factory=list)
    amendments: list[Event] = field(default_factory=list)  # those passed, in order

    # -- the calendar, stepped naively -------------------------------------------------------

    def years_in_force(self, moment: datetime) -> int | None:
        years = self.agreement.terms.term_years
        for event in self.amendments:
            if event.amendment and event.amendment.term_years and _utc(event.at) <= moment:
                years = event.amendment.term_years
        return years

    def notice_days(self) -> int:
        days = self.agreement.terms.notice_days or 0
        for event in self.amendments:
            if event.amendment is not None and event.amendment.notice_days is not None:
                days = event.amendment.notice_days
        return days

    def anniversary(self, k: int) -> datetime:
        assert self.entry is not None
        zone = ZoneInfo(self.agreement.terms.timezone)
        total, start = 0, self.entry
        for _ in range(k):  # term by term, each with the length in force at its start
            years = self.years_in_force(start)
            assert years is not None
            total += years
            # always from the entry's wall-clock time, so that 29 February never drifts to 28
            start = _local_shift(self.entry, zone, years=total)
        return start

    def deadline(self, k: int) -> datetime:
        zone = ZoneInfo(self.agreement.terms.timezone)
        return _local_shift(self.anniversary(k), zone, days=self.notice_days())

    def scheduled_end(self) -> datetime | None:
        if self.entry is None or self.ended:
            return None
        ends = []
        if self.notice_end is not None and not self.suspended:
            ends.append(self.notice_end)
        terms = self.agreement.terms
        if terms.term_years is not None and not terms.auto_renew:
            ends.append(self.anniversary(1))
        return min(ends) if ends else None

    # -- the walk ----------------------------------------------------------------------------

    def pass_time(self, now: datetime) -> None:
        """The walk has reached ``now``: a scheduled end at or before it has happened."""
        end = self.scheduled_end()
        if end is not None and end <= now:
            self.ended = True

    def termination_for(self, when: datetime) -> datetime | None:
        """§5.1: the first anniversary whose deadline is still ahead of the notice."""
        terms = self.agreement.terms
        if terms.term_years is None:
            zone = ZoneInfo(terms.timezone)
            return _local_shift(when, zone, days=-self.notice_days())
        k = 1
        while self.anniversary(k) <= when:  # the current term
            k += 1
        current = k
        while self.deadline(k) <= when:
            k += 1
        if k != current and self.interpretation.late_notice is LateNotice.INEFFECTIVE:
            return None
        return self.anniversary(k)

    def apply(self, event: Event) -> None:
        kind, when = event.kind, _utc(event.at)
        if event.amendment is not None:
            self.amendments.append(event)
        if kind is EventKind.ENTRY_INTO_FORCE:
            if self.entry is None or self.ended:
                self.entry, self.notice_end, self.suspended, self.ended = when, None, False, False
            return
        no_status_effect = (
            EventKind.SIGNATURE,
            EventKind.AMENDMENT,
            EventKind.DISPUTE,  # R-DSP-1: protection continues
            EventKind.DISPUTE_SETTLED,
            EventKind.LAW_CHANGE_NOTICE,  # R-LAW-2
        )
        if kind in no_status_effect or self.entry is None or self.ended:
            return
        if kind is EventKind.TERMINATION:
            self.ended = True
        elif kind is EventKind.NOTICE_SUSPENSION:
            if self.notice_end is not None and not self.suspended:
                self.suspended = True
        elif kind is EventKind.NOTICE_WITHDRAWAL:
            if self.notice_end is not None:
                self.notice_end, self.suspended = None, False
        else:
            self.notice(kind, when)

    def notice(self, kind: EventKind, when: datetime) -> None:
        """A notice of termination, or the revival of a suspended one."""
        if kind is EventKind.NOTICE_RESUMPTION and not self.suspended:
            return
        if self.notice_end is not None and not self.suspended:
            return  # a notice is already running
        if self.suspended and self.interpretation.profile is Profile.KR_ANYTIME:
            self.notice_end, self.suspended = when, False  # R-STATE-3, KR reading: at once
            return
        ends = self.termination_for(when)
        if ends is not None:
            self.notice_end, self.suspended = ends, False

    def status(self, at: datetime) -> Status:
        if self.entry is None or at < self.entry:
            return Status.NOT_IN_FORCE
        if self.ended:
            return Status.TERMINATED
        if self.suspended:
            return Status.NOTICE_SUSPENDED
        if self.notice_end is not None:
            return Status.TERMINATION_PENDING
        return Status.IN_FORCE


def reference_status(agreement: Agreement, at: datetime, interpretation: Interpretation) -> Status:
    """The status of ``agreement`` at ``at``, found by walking day by day from its first event."""
    at = _utc(at)
    walk = _Walk(agreement, interpretation)
    events = [event for event in agreement.events if _utc(event.at) <= at]
    if not events:
        return Status.NOT_IN_FORCE
    clock = _utc(events[0].at)
    index = 0
    while True:
        horizon = min(clock + _DAY, at)
        while index < len(events) and _utc(events[index].at) <= horizon:
            walk.pass_time(_utc(events[index].at))
            walk.apply(events[index])
            index += 1
        walk.pass_time(horizon)
        if horizon >= at:
            break
        clock = horizon
    return walk.status(at)

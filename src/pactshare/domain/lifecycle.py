"""An agreement's status at an instant, derived from its terms and events (R-DUR-1, §5.1, §6).

Anniversaries fall at the entry-into-force wall-clock time in the agreement's reference time
zone; a notice must be received strictly before ``anniversary(k) - notice period`` to end the
agreement at ``anniversary(k)``. Everything is computed in O(number of events): no walking
of days or years.

Where the texts are uncertain the reading is a parameter (:class:`Interpretation`):

* ``profile`` (R-STATE-3): what a revived notice does after a suspension. ``treaty-text`` reads
  it as a new Art. 21(3) notice; ``kr-anytime`` ends the agreement at that instant.
* ``late_notice`` (§5.1): a notice received on or after the deadline either rolls over to the
  next anniversary (``roll-over``, the default) or has no effect (``ineffective``).

Amendments by mutual consent (R-AMD-1, [H]; the reading below is ours, [M]) may change
``term_years`` and ``notice_days`` from their instant on:

* **each term has the length in force at its start**: the calendar an entry into force starts
  uses the terms in force at that instant (:meth:`~pactshare.domain.agreements.Agreement.as_of`);
  an amendment while in force leaves the term running at its instant with its end (unless the
  term starts at that very instant) and gives every later term the new length. An agreement
  that does not renew has no later term: its running term keeps its end.
* **the notice period in force when a notice is received decides its deadline**; the notice
  deadline and earliest termination reported at an instant use the period in force then.
* **a running notice is not moved**: its termination instant was fixed when it was received;
  the amendment leaves a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pactshare.domain.agreements import Agreement, Amendment, Event, EventKind, Terms
from pactshare.domain.instants import require_aware
from pactshare.limits import in_range

__all__ = [
    "DEFAULT_INTERPRETATION",
    "Interpretation",
    "LateNotice",
    "Note",
    "NoteKind",
    "Profile",
    "Status",
    "StatusReport",
    "Term",
    "event_instants",
    "status_at",
]


class Profile(StrEnum):
    """How to read a suspended notice that is later revived (R-STATE-3)."""

    TREATY_TEXT = "treaty-text"
    KR_ANYTIME = "kr-anytime"


class LateNotice(StrEnum):
    """What a notice received after the deadline does (§5.1, [L])."""

    ROLL_OVER = "roll-over"
    INEFFECTIVE = "ineffective"


@dataclass(frozen=True, slots=True)
class Interpretation:
    """The readings applied where the rules are uncertain."""

    profile: Profile = Profile.TREATY_TEXT
    late_notice: LateNotice = LateNotice.ROLL_OVER

    def other_profile(self) -> Interpretation:
        other = Profile.KR_ANYTIME if self.profile is Profile.TREATY_TEXT else Profile.TREATY_TEXT
        return Interpretation(profile=other, late_notice=self.late_notice)


DEFAULT_INTERPRETATION = Interpretation()


class Status(StrEnum):
    NOT_IN_FORCE = "not_in_force"
    IN_FORCE = "in_force"
    TERMINATION_PENDING = "termination_pending"
    NOTICE_SUSPENDED = "notice_suspended"
    TERMINATED = "terminated"

    @property
    def allows_new_provision(self) -> bool:
        """New provision is possible in force, while a notice runs, and while it is suspended."""
        return self in (Status.IN_FORCE, Status.TERMINATION_PENDING, Status.NOTICE_SUSPENDED)


class NoteKind(StrEnum):
    """What a note says about one event of the walk."""

    IGNORED = "ignored"  # the event had no effect; the note says why
    INTERPRETATION = "interpretation"  # a reading of an uncertain rule decided its effect
    EFFECT = "effect"  # what an applied event did under the reading in use


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth saying about how a status was derived, with the rule it rests on and
    the event it is about."""

    rule: str
    text: str
    event: str
    kind: NoteKind = NoteKind.IGNORED


@dataclass(frozen=True, slots=True)
class Term:
    """The ``number``-th term of the agreement: ``[start, end)``."""

    number: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The derived status of one agreement at one instant, with the dates that matter."""

    agreement_id: str
    at: datetime
    interpretation: Interpretation
    status: Status
    term: Term | None = None
    next_anniversary: datetime | None = None
    notice_deadline: datetime | None = None
    earliest_termination: datetime | None = None
    terminates_at: datetime | None = None
    applied_events: tuple[str, ...] = ()
    notes: tuple[Note, ...] = field(default=())


class _Calendar:
    """Anniversaries and notice deadlines of one agreement, from one entry into force.

    ``_lengths`` holds ``(k, years from the entry to anniversary(k), length of the terms
    after it)``, one triple per length in use, the first from k = 0 (R-AMD-1)."""

    def __init__(self, terms: Terms, entry: datetime) -> None:
        self._tz = ZoneInfo(terms.timezone)
        self._entry = entry.astimezone(self._tz)
        years = terms.term_years
        self._lengths: list[tuple[int, int, int]] = [] if years is None else [(0, 0, years)]
        self._notice = timedelta(days=terms.notice_days or 0)
        self.renews = terms.auto_renew

    @property
    def has_terms(self) -> bool:
        return bool(self._lengths)

    def _years_to(self, k: int) -> int:
        """Years from the entry into force to anniversary(k), k >= 0 (the first length
        starts at k = 0)."""
        start, offset, years = next(length for length in reversed(self._lengths) if k >= length[0])
        return offset + (k - start) * years

    def anniversary(self, k: int) -> datetime:
        """Entry into force + k terms, at the same wall-clock time (29 Feb falls to 28 Feb)."""
        assert self._lengths  # noqa: S101 - callers check has_terms first
        year = self._entry.year + self._years_to(k)
        local = self._entry.replace(tzinfo=None)
        try:
            moved = local.replace(year=year)
        except ValueError:  # 29 February in a common year
            moved = local.replace(year=year, day=28)
        return moved.replace(tzinfo=self._tz)

    def deadline(self, k: int) -> datetime:
        """Exclusive bound for a notice that ends the agreement at ``anniversary(k)``."""
        local = self.anniversary(k).replace(tzinfo=None) - self._notice
        return local.replace(tzinfo=self._tz)

    def term_number(self, at: datetime) -> int:
        """k such that anniversary(k-1) <= at < anniversary(k), for at >= entry."""
        assert self._lengths  # noqa: S101 - callers check has_terms first
        at = at.astimezone(UTC)  # compare instants, not wall clocks (see status_at)
        start, offset, years = next(
            (length for length in reversed(self._lengths) if self.anniversary(length[0]) <= at),
            self._lengths[0],
        )
        elapsed = at.astimezone(self._tz).year - self._entry.year - offset
        k = max(1, start + elapsed // years)
        while self.anniversary(k) <= at:
            k += 1
        while k > 1 and self.anniversary(k - 1) > at:
            k -= 1
        return k

    def first_on_time(self, at: datetime) -> int:
        """The smallest k whose notice deadline is still after ``at``."""
        at = at.astimezone(UTC)
        k = self.term_number(at)
        while self.deadline(k) <= at:
            k += 1
        return k

    def after_notice(self, at: datetime) -> datetime:
        """When an agreement without fixed terms ends after a notice given at ``at``."""
        local = at.astimezone(self._tz).replace(tzinfo=None) + self._notice
        return local.replace(tzinfo=self._tz)

    def amend(self, change: Amendment, at: datetime) -> bool:
        """Apply an amendment's ``notice_days`` and ``term_years`` from instant ``at`` on
        (R-AMD-1): the term running at ``at`` keeps its end unless it starts at ``at``.
        Whether the calendar changed."""
        changed = False
        if change.notice_days is not None:
            notice = timedelta(days=change.notice_days)
            changed, self._notice = notice != self._notice, notice
        if change.term_years is None or not self._lengths:
            return changed
        moment = at.astimezone(UTC)
        k = self.term_number(moment)
        start = k - 1 if self.anniversary(k - 1).astimezone(UTC) == moment else k
        if self._lengths[-1][2] == change.term_years and self._lengths[-1][0] <= start:
            return changed
        offset = self._years_to(start)
        self._lengths = [length for length in self._lengths if length[0] < start]
        self._lengths.append((start, offset, change.term_years))
        return True


@dataclass
class _State:
    """The mutable walk over the events; only :func:`status_at` sees it. ``terms`` are the
    duration terms as the amendments walked so far left them (R-AMD-1): an entry into force
    starts its calendar from them, so an amendment listed after it at the same instant moves
    the calendar as any later one does, never before the events listed ahead of it."""

    terms: Terms
    entry: datetime | None = None
    calendar: _Calendar | None = None
    pending: datetime | None = None
    suspended: bool = False
    terminated_at: datetime | None = None
    applied: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def end(self) -> datetime | None:
        """The instant the agreement ends if nothing else happens (notice or expiry)."""
        candidates = []
        if self.pending is not None and not self.suspended:
            candidates.append(self.pending)
        if self.calendar is not None and self.calendar.has_terms and not self.calendar.renews:
            candidates.append(self.calendar.anniversary(1))
        return min(candidates, key=lambda moment: moment.astimezone(UTC)) if candidates else None


#: Events that are recorded and applied but change no status: a signature, an amendment (its
#: terms may move the calendar, R-AMD-1: see :func:`_amend`), a dispute raised or settled
#: (R-DSP-1: protection continues while it is settled), a party's notice of a change in its
#: law (R-LAW-2).
_NO_STATUS_EFFECT = frozenset(
    {
        EventKind.SIGNATURE,
        EventKind.AMENDMENT,
        EventKind.DISPUTE,
        EventKind.DISPUTE_SETTLED,
        EventKind.LAW_CHANGE_NOTICE,
    }
)


def event_instants(agreement: Agreement) -> set[datetime]:
    """The UTC instants of the events that can change ``agreement``'s status: those in the
    years 1900-2199 (an event stored outside them has no effect, see :func:`status_at`)."""
    return {event.at.astimezone(UTC) for event in agreement.events if in_range(event.at)}


def status_at(
    agreement: Agreement, at: datetime, interpretation: Interpretation = DEFAULT_INTERPRETATION
) -> StatusReport:
    """Derive ``agreement``'s status at instant ``at`` under ``interpretation``.

    Instants are compared in UTC. Python compares two datetimes that share a ``tzinfo``
    object by wall clock, which is wrong in the hour a daylight-saving zone repeats; every
    comparison below has at least one side in UTC so that the same instant always gets the
    same status, whatever zone it is written in.
    """
    require_aware(at, what="status instant")
    moment = at.astimezone(UTC)
    state = _State(agreement.signed_terms)
    for event in agreement.events:
        if not in_range(event.at):  # stored before instants were bounded: never applied
            state.notes.append(
                Note(
                    "INSTANT-RANGE",
                    f"{event.id}: its instant {event.at.isoformat()} is outside the years "
                    "1900 to 2199; the event has no effect",
                    event.id,
                )
            )
            continue
        when = event.at.astimezone(UTC)
        if when > moment:
            break
        end = state.end()
        if state.terminated_at is None and end is not None and when >= end:
            state.terminated_at = end
        _apply(agreement, state, event, interpretation)
    end = state.end()
    if state.terminated_at is None and end is not None and moment >= end:
        state.terminated_at = end
    return _report(agreement, at, interpretation, state)


def _apply(agreement: Agreement, state: _State, event: Event, interp: Interpretation) -> None:
    """Apply one event to the walk; an event that can have no effect leaves a note instead."""
    if event.kind is EventKind.ENTRY_INTO_FORCE:
        ignored = _enter(state, event)
    elif event.kind in _NO_STATUS_EFFECT:
        ignored = None
        if event.amendment is not None:
            state.terms = _amended_terms(state.terms, event.amendment)
            _amend(state, event, event.amendment)
    elif state.entry is None or state.terminated_at is not None:
        why = "not yet in force" if state.entry is None else "already terminated"
        ignored = Note("R-SURV-1", f"{event.id}: {why}; the event has no effect", event.id)
    elif event.kind is EventKind.TERMINATION:
        state.terminated_at, ignored = event.at, None
    elif event.kind is EventKind.NOTICE_SUSPENSION:
        ignored = _suspend(state, event)
    elif event.kind is EventKind.NOTICE_WITHDRAWAL:
        ignored = _withdraw(state, event)
    else:
        ignored = _notice(agreement, state, event, interp)
    if ignored is None:
        state.applied.append(event.id)
    else:
        state.notes.append(ignored)


def _enter(state: _State, event: Event) -> Note | None:
    if state.entry is not None and state.terminated_at is None:
        return Note("R-EIF-1", f"{event.id}: already in force; no effect", event.id)
    # the calendar starts with the terms the amendments walked so far left (R-AMD-1)
    state.entry, state.calendar = event.at, _Calendar(state.terms, event.at)
    state.pending, state.suspended, state.terminated_at = None, False, None
    return None


def _amended_terms(terms: Terms, change: Amendment) -> Terms:
    """``terms`` with an amendment's ``term_years`` and ``notice_days`` (None: unchanged)."""
    return replace(
        terms,
        term_years=terms.term_years if change.term_years is None else change.term_years,
        notice_days=terms.notice_days if change.notice_days is None else change.notice_days,
    )


def _amend(state: _State, event: Event, change: Amendment) -> None:
    """An amendment's duration terms move the calendar of an agreement in force (R-AMD-1);
    one made before the entry into force is in the terms the entry starts from."""
    if state.calendar is None or state.terminated_at is not None:
        return
    if state.calendar.amend(change, event.at) and state.pending is not None:
        ends = state.pending.isoformat()
        state.notes.append(
            Note(
                "R-AMD-1",
                f"{event.id}: the notice already running keeps its termination instant {ends}",
                event.id,
                NoteKind.EFFECT,
            )
        )


def _suspend(state: _State, event: Event) -> Note | None:
    if state.pending is None or state.suspended:
        return Note("R-STATE-2", f"{event.id}: no running notice to suspend", event.id)
    state.suspended = True
    return None


def _withdraw(state: _State, event: Event) -> Note | None:
    if state.pending is None:
        return Note("R-STATE-4", f"{event.id}: no notice to withdraw", event.id)
    state.pending, state.suspended = None, False
    return None


def _notice(
    agreement: Agreement, state: _State, event: Event, interp: Interpretation
) -> Note | None:
    """A notice of termination, or the revival of a suspended one (R-DUR-1, R-STATE-3)."""
    if event.kind is EventKind.NOTICE_RESUMPTION and not state.suspended:
        return Note("R-STATE-3", f"{event.id}: no suspended notice to revive", event.id)
    if state.pending is not None and not state.suspended:
        return Note("R-DUR-1", f"{event.id}: a notice is already running", event.id)
    if state.suspended and interp.profile is Profile.KR_ANYTIME:
        state.pending, state.suspended = event.at, False
        state.notes.append(
            Note(
                "R-STATE-3",
                f"{event.id}: under the kr-anytime reading the revived notice ends "
                f"{agreement.id} at once",
                event.id,
                NoteKind.EFFECT,
            )
        )
        return None
    ends = _termination_for_notice(state, event, interp)
    if ends is None:
        return Note("R-DUR-1", f"{event.id}: the late notice has no effect", event.id)
    state.pending, state.suspended = ends, False
    return None


def _termination_for_notice(
    state: _State, event: Event, interpretation: Interpretation
) -> datetime | None:
    calendar, at, event_id = state.calendar, event.at, event.id
    assert calendar is not None  # noqa: S101 - only called while in force
    if not calendar.has_terms:
        return calendar.after_notice(at)
    current = calendar.term_number(at)
    k = calendar.first_on_time(at)
    if k == current:
        return calendar.anniversary(k)
    deadline = calendar.deadline(current).isoformat()
    if interpretation.late_notice is LateNotice.INEFFECTIVE:
        state.notes.append(
            Note(
                "R-DUR-1",
                f"interpretation: late notice ineffective — {event_id} was received on or after "
                f"the deadline {deadline}; it has no effect",
                event_id,
                NoteKind.INTERPRETATION,
            )
        )
        return None
    ends = calendar.anniversary(k)
    state.notes.append(
        Note(
            "R-DUR-1",
            f"interpretation: late notice roll-over — {event_id} was received on or after the "
            f"deadline {deadline}, so it takes effect at the following anniversary "
            f"{ends.isoformat()}",
            event_id,
            NoteKind.INTERPRETATION,
        )
    )
    return ends


def _report(
    agreement: Agreement, at: datetime, interpretation: Interpretation, state: _State
) -> StatusReport:
    report = StatusReport(
        agreement_id=agreement.id,
        at=at,
        interpretation=interpretation,
        status=Status.NOT_IN_FORCE,
        applied_events=tuple(state.applied),
        notes=tuple(state.notes),
    )
    calendar = state.calendar
    if state.entry is None or calendar is None or at.astimezone(UTC) < state.entry:
        return report
    if state.terminated_at is not None:
        return replace(report, status=Status.TERMINATED, terminates_at=state.terminated_at)
    if state.suspended:
        status = Status.NOTICE_SUSPENDED
    elif state.pending is not None:
        status = Status.TERMINATION_PENDING
    else:
        status = Status.IN_FORCE
    term = notice_deadline = None
    if calendar.has_terms:
        k = calendar.term_number(at)
        term = Term(k, calendar.anniversary(k - 1), calendar.anniversary(k))
    earliest: datetime | None
    if status is Status.TERMINATION_PENDING:
        earliest = state.pending
    elif status is Status.NOTICE_SUSPENDED and interpretation.profile is Profile.KR_ANYTIME:
        earliest = at
    elif calendar.has_terms:
        k_on_time = calendar.first_on_time(at)
        notice_deadline = calendar.deadline(k_on_time)
        earliest = calendar.anniversary(k_on_time)
    else:
        earliest = calendar.after_notice(at)
    return replace(
        report,
        status=status,
        term=term,
        next_anniversary=term.end if term else None,
        notice_deadline=notice_deadline,
        earliest_termination=earliest,
        terminates_at=state.end(),
    )

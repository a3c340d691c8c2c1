"""An agreement's whole life as status bands: ``[start, end)`` intervals of one status.

Status changes only at event instants and at the termination instants they schedule, so
evaluating :func:`~pactshare.domain.lifecycle.status_at` at those breakpoints gives every band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pactshare.domain.agreements import Agreement
from pactshare.domain.lifecycle import (
    DEFAULT_INTERPRETATION,
    Interpretation,
    Status,
    StatusReport,
    event_instants,
    status_at,
)

__all__ = ["Band", "bands"]


@dataclass(frozen=True, slots=True)
class Band:
    """``status`` holds from ``start`` (inclusive) to ``end`` (exclusive; None: open-ended)."""

    status: Status
    start: datetime
    end: datetime | None
    report: StatusReport


def bands(
    agreement: Agreement, interpretation: Interpretation = DEFAULT_INTERPRETATION
) -> tuple[Band, ...]:
    """The status bands of ``agreement`` from its first event on."""
    # In UTC: aware datetimes sharing one zone compare (and hash) by wall clock.
    points = sorted(event_instants(agreement))
    reports: dict[datetime, StatusReport] = {}
    pending = list(points)
    while pending:
        point = pending.pop()
        if point in reports:
            continue
        report = status_at(agreement, point, interpretation)
        reports[point] = report
        ends = report.terminates_at.astimezone(UTC) if report.terminates_at else None
        if ends is not None and ends not in reports:
            pending.append(ends)
    local = ZoneInfo(agreement.terms.timezone)  # shown in the agreement's reference time zone
    ordered = sorted(reports)
    result: list[Band] = []
    for point in ordered:
        report = reports[point]
        if result and result[-1].status is report.status:
            continue
        if result:
            last = result[-1]
            result[-1] = Band(last.status, last.start, point.astimezone(local), last.report)
        result.append(Band(report.status, point.astimezone(local), None, report))
    return tuple(result)

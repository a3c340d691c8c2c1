"""Instants: timezone-aware date-times, compared in UTC.

A naive date-time is an input error everywhere in pactshare: "midnight" means nothing
without a time zone, and the 2019 expiry (00:00 KST) was 10:00 the day before in Washington.
An instant given from outside lies in the years 1900 to 2199 (``EARLIEST <= t < LATEST``,
defined once in :mod:`pactshare.limits`); :func:`parse_instant` refuses any other.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pactshare.errors import InputError
from pactshare.limits import check_instant

__all__ = ["parse_instant", "require_aware", "zone"]


def require_aware(value: datetime, *, what: str) -> datetime:
    """Return ``value`` if it carries a UTC offset; otherwise raise :class:`InputError`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"{what}: {value.isoformat()} is a naive date-time; give its UTC offset "
            "(for example 2019-11-23T00:00:00+09:00)"
        )
    return value


def parse_instant(text: str, *, what: str) -> datetime:
    """Parse an ISO 8601 date-time with a UTC offset (``Z`` accepted), within the years
    1900 to 2199."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError as exc:
        raise InputError(
            f"{what}: {text!r} is not an ISO 8601 date-time "
            "(expected e.g. 2019-11-22T23:59:59+09:00)"
        ) from exc
    if value.tzinfo is None or value.utcoffset() is None:  # named as given, not as parsed
        raise InputError(
            f"{what}: {text!r} is a naive date-time; give its UTC offset "
            "(for example 2019-11-23T00:00:00+09:00)"
        )
    return check_instant(value, what=what)


def zone(name: str, *, what: str) -> ZoneInfo:
    """Look up an IANA time zone by name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"{what}: {name!r} is not an IANA time zone (e.g. Asia/Seoul)") from exc

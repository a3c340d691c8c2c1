"""The 2019 story the dashboard tells: its key moments and the two sample items.

A newcomer learns what GSOMIA and TISA are by moving through these instants and watching what
a SECRET-equivalent DPRK-missile item and a PRC-naval item from Seoul to Tokyo would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pactshare.domain import Request, parse_instant

__all__ = ["GSOMIA", "MOMENTS", "SAMPLES", "SUSPENSION", "Moment", "Sample"]

GSOMIA = "gsomia-kor-jpn-2016"
SUSPENSION = "kor-suspension-2019"


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime
    label: str
    what: str


def _moment(text: str, label: str, what: str) -> Moment:
    return Moment(parse_instant(text, what="key moment"), label, what)


MOMENTS = (
    _moment(
        "2016-11-23T00:00:00+09:00",
        "GSOMIA signed",
        "Seoul and Tokyo sign GSOMIA; it enters into force the same day. From now on they can "
        "hand each other military secrets directly.",
    ),
    _moment(
        "2019-08-23T16:00:00+09:00",
        "Notice of termination",
        "Amid a trade dispute, Seoul hands Tokyo written notice that it will end GSOMIA. "
        "The agreement stays in force for the 90-day notice period, until 23 November 00:00.",
    ),
    _moment(
        "2019-11-22T18:00:00+09:00",
        "Suspension",
        "Six hours before the expiry, Seoul suspends the effect of its notice. GSOMIA survives, "
        "though Seoul says it may end it at any time.",
    ),
    _moment(
        "2019-11-23T00:00:00+09:00",
        "Scheduled expiry",
        "Midnight in Seoul: the moment GSOMIA would have ended. Tick “without Seoul's "
        "suspension” to see the world in which it did: only the TISA relay through the USA "
        "is left, and only for North Korean nuclear and missile matters.",
    ),
    _moment(
        "2023-03-21T09:00:00+09:00",
        "Withdrawal",
        "Seoul withdraws both 2019 notes in writing: GSOMIA is back to normal.",
    ),
)


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample item: what it is, in plain words, and the request to provide it."""

    key: str
    title: str
    request: Request


SAMPLES = (
    Sample(
        "dprk-missile",
        "North Korean missile (SLBM) telemetry",
        Request("KOR", "JPN", "군사 II급 비밀", ("dprk-missile/slbm",)),
    ),
    Sample(
        "prc-naval",
        "Chinese naval movements",
        Request("KOR", "JPN", "군사 II급 비밀", ("prc-naval",)),
    ),
)

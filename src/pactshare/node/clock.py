"""The two clocks a node has, and the only place either is read.

- **The node's clock** (:func:`node_clock`) gives the instant of decisions and records: what an
  agreement's status is, when an item was provided, when a note was recorded. It is real UTC
  time, or the instant ``PACTSHARE_CLOCK`` names (ISO 8601, read at each call), which replays,
  demos and tests use to act at a moment of their story.
- **The transport's clock** (:func:`real_now`, :func:`real_time`, :func:`monotonic`) is always
  real: a peer's clock is real, so the freshness of a signed request (RFC 9421 ``created`` and
  ``expires``, remembered nonces), the backoff before a retry, the age of credentials and of
  staged files, and the pauses of a worker are measured on it, whatever the node's clock says.

Everything else takes its instant as a parameter (``at=``, ``now=``), as cryptography's
``Fernet.decrypt_at_time`` does, so that it can be tested at any moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from pactshare.domain.instants import parse_instant

__all__ = ["CLOCK_ENV", "Clock", "monotonic", "node_clock", "real_now", "real_time"]

CLOCK_ENV = "PACTSHARE_CLOCK"

Clock = Callable[[], datetime]


def real_now() -> datetime:
    """The real time, as an instant in UTC."""
    return datetime.now(UTC)


def real_time() -> float:
    """The real time in POSIX seconds (signature parameters, file ages)."""
    return time.time()


def monotonic() -> float:
    """Seconds on a clock that never goes back (intervals and deadlines, not instants)."""
    return time.monotonic()


def node_clock(environ: Mapping[str, str]) -> Clock:
    """The node's clock: the instant ``environ[PACTSHARE_CLOCK]`` names, else the real time.

    ``environ`` is read at each call (the entry point hands over ``os.environ``), so that a
    fixed clock set after the node was opened is seen, as it always was.
    """

    def now() -> datetime:
        fixed = environ.get(CLOCK_ENV)
        return parse_instant(fixed, what=CLOCK_ENV) if fixed else real_now()

    return now

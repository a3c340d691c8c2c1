"""A per-person rate limit (a token bucket in memory, per served app).

Opening an item's content writes an access-registry row and an audit entry, granted or
refused (R-PRO-5): without a bound, one person could grow both logs as fast as the node can
write. Each served process keeps its own buckets (replicas of one node each apply the limit).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from pactshare.defaults import DEFAULT_OPENS_PER_MINUTE
from pactshare.errors import InputError
from pactshare.node.clock import monotonic

__all__ = ["DEFAULT_OPENS_PER_MINUTE", "RateLimit"]


class RateLimit:
    """At most ``per_minute`` actions per key in any minute, in bursts of at most as many."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = monotonic) -> None:
        if per_minute < 1:
            raise InputError(f"--opens-per-minute: {per_minute} is not at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key: (tokens, at)

    def take(self, key: str) -> int | None:
        """Take one action for ``key``: None if allowed, else the seconds to wait (at least 1)."""
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            self._buckets[key] = (tokens - 1.0, now)
            return None

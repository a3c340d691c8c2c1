"""Named crash points for testing what survives a crash (a failpoint seam, as etcd's gofail).

Workflows call :func:`checkpoint` between their steps. Nothing happens unless a point was
armed; an armed point kills the process with SIGKILL, exactly like ``kill -9``, so the tests
can check that the node recovers with nothing lost and nothing applied twice. Only the CLI
arms a point, from ``PACTSHARE_CRASH_AT`` (documented as a test seam, never for production).
"""

from __future__ import annotations

import os
import signal

__all__ = ["arm", "checkpoint"]

_armed: str | None = None


def arm(point: str | None) -> None:
    global _armed  # noqa: PLW0603 - one process-wide switch, set once by the entry point
    _armed = point or None


def checkpoint(point: str) -> None:
    if _armed == point:
        os.kill(os.getpid(), signal.SIGKILL)

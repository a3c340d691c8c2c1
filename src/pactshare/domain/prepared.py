"""A registry prepared for decisions: the registry and what is derived from it.

Deriving an agreement's :class:`~pactshare.domain.timelines.Timeline` replays its events at
every breakpoint; a decision only looks one up. :class:`Prepared` keeps the timelines of one
registry (an immutable value), so whoever holds one registry version — a node, a benchmark, a
batch — holds one ``Prepared`` and every decision against it shares the work. A new registry
(a new version, a what-if) gets a new ``Prepared``: nothing outlives the registry it was
derived from, and nothing is shared between registries.
"""

from __future__ import annotations

from datetime import datetime

from pactshare.domain.agreements import Agreement
from pactshare.domain.lifecycle import Interpretation
from pactshare.domain.registry import Registry
from pactshare.domain.timelines import Snapshot, Timeline, compile_timeline

__all__ = ["Prepared"]


class Prepared:
    """``registry`` and the timelines of its agreements, compiled on first use.

    Safe to share between threads: two threads that miss the same timeline at once both
    compile it (a pure function of immutable values: equal results) and ``setdefault`` keeps
    the first.
    """

    __slots__ = ("_timelines", "registry")

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._timelines: dict[tuple[str, Interpretation], Timeline] = {}

    def snapshot(
        self, agreement: Agreement, at: datetime, interpretation: Interpretation
    ) -> Snapshot:
        """``agreement`` (one of the registry's) at instant ``at`` under ``interpretation``."""
        key = (agreement.id, interpretation)
        timeline = self._timelines.get(key)
        if timeline is None:
            timeline = self._timelines.setdefault(key, compile_timeline(agreement, interpretation))
        return timeline.at(at)

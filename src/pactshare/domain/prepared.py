"""A registry prepared for decisions: the registry and what is derived from it.

Deriving an agreement's :class:`~pactshare.domain.timelines.Timeline` replays its events at
every breakpoint; a decision only looks one up. :class:`Prepared` keeps the timelines of one
registry (an immutable value), and the compiled decisions made against it
(:mod:`pactshare.domain.compiled`), so whoever holds one registry version — a node, a
benchmark, a batch — holds one ``Prepared`` and every decision against it shares the work. A
new registry (a new version, a what-if) gets a new ``Prepared``: nothing outlives the registry
it was derived from, and nothing is shared between registries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pactshare.domain.agreements import Agreement
from pactshare.domain.compiled import Plans
from pactshare.domain.lifecycle import Interpretation
from pactshare.domain.registry import Registry
from pactshare.domain.timelines import Snapshot, Timeline, compile_timeline

__all__ = ["Prepared"]


class Prepared:
    """``registry``, the timelines of its agreements, compiled on first use, and the
    :class:`~pactshare.domain.compiled.Plans` of the decisions made against it.

    Safe to share between threads: two threads that miss the same timeline at once both
    compile it (a pure function of immutable values: equal results) and ``setdefault`` keeps
    the first.
    """

    __slots__ = ("_timelines", "plans", "registry")

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._timelines: dict[tuple[str, Interpretation], Timeline] = {}
        self.plans = Plans()

    def snapshot(
        self, agreement: Agreement, at: datetime, interpretation: Interpretation
    ) -> Snapshot:
        """``agreement`` (one of the registry's) at instant ``at`` under ``interpretation``."""
        key = (agreement.id, interpretation)
        timeline = self._timelines.get(key)
        if timeline is None:
            timeline = self._timelines.setdefault(key, compile_timeline(agreement, interpretation))
        return timeline.at(at)

    def span(
        self, agreement_ids: Iterable[str], moment: datetime, interpretation: Interpretation
    ) -> tuple[datetime | None, datetime | None]:
        """The stretch around ``moment`` (UTC) over which none of the agreements (each looked
        up at ``moment`` before) changes: ``[start, until)``, None where it is open."""
        start = until = None
        for agreement_id in agreement_ids:
            begins, ends = self._timelines[(agreement_id, interpretation)].span(moment)
            if begins is not None and (start is None or begins > start):
                start = begins
            if ends is not None and (until is None or ends < until):
                until = ends
        return start, until

"""Query parameters several concepts share: the instant and the reading of the agreements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from pactshare.domain import Interpretation, LateNotice, Profile, parse_instant
from pactshare.node.service import Node

__all__ = ["AtQuery", "LateNoticeQuery", "ProfileQuery", "instant", "reading"]

AtQuery = Annotated[
    str | None,
    Query(description="Instant with UTC offset, e.g. 2019-11-22T23:59:59+09:00 (default: now)."),
]
ProfileQuery = Annotated[
    Profile, Query(description="Reading of a revived suspended notice (R-STATE-3).")
]
LateNoticeQuery = Annotated[
    LateNotice, Query(description="What a notice after the deadline does (§5.1).")
]


def instant(node: Node, value: str | None) -> datetime:
    """The instant asked for (an InputError naming ``at`` → 400), or the node's now."""
    return parse_instant(value, what="at") if value is not None else node.now()


def reading(profile: Profile, late_notice: LateNotice) -> Interpretation:
    return Interpretation(profile=profile, late_notice=late_notice)

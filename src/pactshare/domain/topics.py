"""Hierarchical topics and scopes.

A topic is a path such as ``dprk-missile/slbm``; a scope entry covers itself and everything
below it, and ``*`` covers all defence information.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ALL_TOPICS", "check_topic", "covers", "uncovered"]

ALL_TOPICS = "*"
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")


def check_topic(topic: str) -> str:
    """Return ``topic`` if it is a well-formed path (or ``*``); raise ValueError otherwise."""
    if topic != ALL_TOPICS and not _TOPIC.match(topic):
        raise ValueError(
            f"topic {topic!r} must be lowercase words joined by '-' and nested with '/' "
            "(e.g. dprk-missile/slbm)"
        )
    return topic


def covers(scope: Iterable[str], topic: str) -> bool:
    """True if some entry of ``scope`` is ``*``, the topic itself, or one of its ancestors."""
    return any(entry in (ALL_TOPICS, topic) or topic.startswith(entry + "/") for entry in scope)


def uncovered(scope: Iterable[str], topics: Iterable[str]) -> tuple[str, ...]:
    """The topics that ``scope`` does not cover, in the order given."""
    entries = tuple(scope)
    return tuple(topic for topic in topics if not covers(entries, topic))

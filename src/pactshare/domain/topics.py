"""Hierarchical topics, scopes and the topic vocabulary.

A topic is a path such as ``dprk-missile/slbm``; a scope entry covers itself and everything
below it, and ``*`` covers all defence information. The :class:`TopicVocabulary` lists the
topics a registry knows (the reference scenario's ``topics.toml`` plus users' files): labels,
decisions, the dashboard's explorer and the Cedar export all read it, and a topic outside it
is bad input, answered with the nearest known topics.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pactshare.errors import InvariantError

__all__ = ["ALL_TOPICS", "TopicVocabulary", "check_topic", "covers", "parent", "uncovered"]

ALL_TOPICS = "*"
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")


def check_topic(topic: str) -> str:
    """Return ``topic`` if it is a well-formed path (or ``*``); raise InvariantError otherwise."""
    if topic != ALL_TOPICS and not _TOPIC.match(topic):
        raise InvariantError(
            f"topic {topic!r} must be lowercase words joined by '-' and nested with '/' "
            "(e.g. dprk-missile/slbm)"
        )
    return topic


def parent(topic: str) -> str | None:
    """The topic one level up: ``dprk-missile/slbm`` → ``dprk-missile`` → ``*`` → None."""
    if topic == ALL_TOPICS:
        return None
    head, sep, _ = topic.rpartition("/")
    return head if sep else ALL_TOPICS


def covers(scope: Iterable[str], topic: str) -> bool:
    """True if some entry of ``scope`` is ``*``, the topic itself, or one of its ancestors."""
    return any(entry in (ALL_TOPICS, topic) or topic.startswith(entry + "/") for entry in scope)


def uncovered(scope: Iterable[str], topics: Iterable[str]) -> tuple[str, ...]:
    """The topics that ``scope`` does not cover, in the order given."""
    entries = tuple(scope)
    return tuple(topic for topic in topics if not covers(entries, topic))


@dataclass(frozen=True, slots=True)
class TopicVocabulary:
    """The known topics, each with a description; every subtopic's parent is known too.

    ``*`` is not a topic of the vocabulary (it is the scope "all topics"), so it never
    appears in a label.
    """

    topics: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", MappingProxyType(dict(sorted(self.topics.items()))))
        for topic in self.topics:
            check_topic(topic)
            if topic == ALL_TOPICS:
                raise InvariantError("'*' is a scope (all topics), not a topic of the vocabulary")
            up = parent(topic)
            if up not in (ALL_TOPICS, None) and up not in self.topics:
                raise InvariantError(f"topic {topic!r} needs its parent {up!r} in the vocabulary")

    def __contains__(self, topic: object) -> bool:
        return topic in self.topics

    def problem(self, topic: str) -> str | None:
        """None if ``topic`` is known; otherwise what is wrong, with the nearest known topics."""
        if topic in self.topics:
            return None
        try:
            check_topic(topic)
        except InvariantError as exc:
            return str(exc)
        near = difflib.get_close_matches(topic, list(self.topics), n=3, cutoff=0.6)
        options = " or ".join(filter(None, (", ".join(near[:-1]), *near[-1:])))
        hint = f"; did you mean {options}?" if near else ""
        return (
            f"unknown topic {topic!r}{hint} (the vocabulary: the scenario's topics.toml plus "
            "[topics] files under --agreements)"
        )

    def check(self, topics: Iterable[str]) -> tuple[str, ...]:
        """The topics, if all are known; InvariantError naming the first unknown one otherwise."""
        checked = tuple(topics)
        for topic in checked:
            problem = self.problem(topic)
            if problem is not None:
                raise InvariantError(problem)
        return checked

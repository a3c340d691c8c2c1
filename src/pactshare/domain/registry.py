"""The registry: the parties and agreements one decision is made against.

Building a registry checks that every agreement speaks only of known parties, levels and
topics (its scope, against the registry's topic vocabulary) and borrows protection only from
known agreements; :func:`agreement_problems` lists what is wrong with the field path at fault,
so that a file loader can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from pactshare.domain.agreements import Agreement, AgreementKind, EquivalenceRow
from pactshare.domain.context import Instrument
from pactshare.domain.parties import Party, normalise_party_code
from pactshare.domain.topics import ALL_TOPICS, TopicVocabulary, check_topic
from pactshare.errors import InvariantError, PolicyError

__all__ = ["Registry", "agreement_problems"]


def _scope_problems(
    scope: tuple[str, ...], topics: TopicVocabulary, key: str
) -> list[tuple[str, str]]:
    """Scope entries outside the vocabulary (``*`` names no topic, so it is always fine)."""
    return [
        (f"{key}[{index}]", problem)
        for index, topic in enumerate(scope)
        if topic != ALL_TOPICS and (problem := topics.problem(topic)) is not None
    ]


def _terms_in_files(
    agreement: Agreement,
) -> Iterator[tuple[str, tuple[str, ...] | None, tuple[EquivalenceRow, ...] | None]]:
    """Each scope and equivalence table the agreement writes, with where: its own, then each
    amendment's (R-AMD-1; None where an amendment leaves it as it was)."""
    yield "", agreement.scope, agreement.equivalence
    for index, event in enumerate(agreement.events):
        if event.amendment is not None:
            change = event.amendment
            yield f"events[{index}].amendment.", change.scope, change.equivalence


def agreement_problems(
    agreement: Agreement,
    parties: Mapping[str, Party],
    agreement_ids: Iterable[str] = (),
    topics: TopicVocabulary | None = None,
) -> list[tuple[str, str]]:
    """What is wrong with ``agreement`` given the known parties (and topics, when a vocabulary
    is given), in each version of its terms: ``(key path, problem)`` pairs."""
    problems = []
    for index, code in enumerate(agreement.parties):
        if code not in parties:
            problems.append((f"parties[{index}]", f"unknown party {code!r}"))
    for prefix, scope, rows in _terms_in_files(agreement):
        if topics is not None and scope is not None:
            problems.extend(_scope_problems(scope, topics, f"{prefix}scope"))
        if rows is not None:
            problems.extend(_equivalence_problems(agreement, rows, parties, f"{prefix}equivalence"))
    for index, event in enumerate(agreement.events):
        if event.party is not None and event.party not in agreement.parties:
            problems.append(
                (f"events[{index}].party", f"{event.party} is not a party to {agreement.id}")
            )
    known_ids = set(agreement_ids)
    if known_ids:
        for index, other in enumerate(agreement.protection_from):
            if other not in known_ids:
                problems.append((f"protection_from[{index}]", f"unknown agreement {other!r}"))
    return problems


def _equivalence_problems(
    agreement: Agreement,
    rows: tuple[EquivalenceRow, ...],
    parties: Mapping[str, Party],
    key: str,
) -> list[tuple[str, str]]:
    problems = []
    for index, row in enumerate(rows):
        for code, level_ids in row.levels.items():
            where = f"{key}[{index}].{code}"
            if code not in agreement.parties:
                problems.append((where, f"{code} is not a party to {agreement.id}"))
                continue
            party = parties.get(code)
            if party is None:
                continue
            known = party.scheme.ids()
            problems.extend(
                (where, f"unknown level {level_id!r} of {code}; known: {', '.join(known)}")
                for level_id in level_ids
                if level_id not in known
            )
    return problems


@dataclass(frozen=True, slots=True)
class Registry:
    """Parties by code and agreements by id, checked against each other.

    ``topics`` is the topic vocabulary: the loader always gives one (the reference
    ``topics.toml`` plus users' files), and then every scope and every decision's topics must
    be in it. A registry built in code without one (the property tests' generated worlds)
    takes any well-formed topic.

    ``instruments`` are recorded for context only (:mod:`pactshare.domain.context`): no
    decision reads them.
    """

    parties: Mapping[str, Party]
    agreements: Mapping[str, Agreement]
    topics: TopicVocabulary | None = None
    instruments: Mapping[str, Instrument] = field(default_factory=dict)
    _by_pair: Mapping[frozenset[str], tuple[Agreement, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "parties", MappingProxyType(dict(self.parties)))
        object.__setattr__(self, "agreements", MappingProxyType(dict(self.agreements)))
        object.__setattr__(self, "instruments", MappingProxyType(dict(self.instruments)))
        for instrument in self.instruments.values():
            named = (*instrument.parties, instrument.by)
            unknown = [p for p in named if p is not None and p not in self.parties]
            if unknown:
                raise PolicyError(f"instrument {instrument.id}: unknown party {unknown[0]!r}")
        for agreement in self.agreements.values():
            problems = agreement_problems(agreement, self.parties, self.agreements, self.topics)
            if problems:
                key, problem = problems[0]
                raise PolicyError(f"agreement {agreement.id}: {key}: {problem}")
        by_pair: dict[frozenset[str], list[Agreement]] = {}
        for agreement in self.agreements.values():
            if agreement.kind is AgreementKind.BILATERAL:
                by_pair.setdefault(frozenset(agreement.parties), []).append(agreement)
        object.__setattr__(
            self, "_by_pair", MappingProxyType({k: tuple(v) for k, v in by_pair.items()})
        )

    def party(self, code: str) -> Party:
        found = self.parties.get(normalise_party_code(code))
        if found is None:
            raise PolicyError(f"unknown party {code!r}; known: {', '.join(sorted(self.parties))}")
        return found

    def check_topics(self, topics: Iterable[str]) -> tuple[str, ...]:
        """The topics, if the vocabulary knows them all; PolicyError naming the first unknown
        one (with the nearest known topics) otherwise."""
        try:
            if self.topics is None:
                return tuple(check_topic(topic) for topic in topics)
            return self.topics.check(topics)
        except InvariantError as exc:
            raise PolicyError(str(exc)) from exc

    def agreement(self, agreement_id: str) -> Agreement:
        found = self.agreements.get(agreement_id)
        if found is None:
            known = ", ".join(sorted(self.agreements))
            raise PolicyError(f"unknown agreement {agreement_id!r}; known: {known}")
        return found

    def bilaterals(self, a: str, b: str) -> tuple[Agreement, ...]:
        """Bilateral agreements between ``a`` and ``b``."""
        return self._by_pair.get(frozenset((a, b)), ())

    def hub_arrangements(self, *members: str) -> tuple[Agreement, ...]:
        """Hub arrangements whose participants include all of ``members``."""
        return tuple(
            agreement
            for agreement in self.agreements.values()
            if agreement.kind is AgreementKind.HUB and set(members) <= set(agreement.parties)
        )

    def as_of(self, at: datetime) -> Registry:
        """The registry with each agreement's terms in force at instant ``at`` (R-AMD-1), for
        a translation that has no clock (the Cedar export). Itself when nothing is amended."""
        if not any(agreement.amended for agreement in self.agreements.values()):
            return self
        terms = {key: agreement.as_of(at) for key, agreement in self.agreements.items()}
        return replace(self, agreements=terms)

    def with_agreement(self, agreement: Agreement) -> Registry:
        """The same registry with one agreement replaced (a what-if)."""
        return replace(self, agreements={**self.agreements, agreement.id: agreement})

    def without_events(self, event_ids: Iterable[str]) -> Registry:
        """The registry had the events ``event_ids`` not happened, each in whichever agreement
        records it (the what-if of ``check``, the decision API and the explorer); PolicyError
        naming the first event no agreement records."""
        registry = self
        for event_id in event_ids:
            holders = [a for a in registry.agreements.values() if a.event(event_id) is not None]
            if not holders:
                raise PolicyError(f"no agreement has an event {event_id!r}")
            for agreement in holders:
                registry = registry.with_agreement(agreement.without_event(event_id))
        return registry

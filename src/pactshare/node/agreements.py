"""The node's own copy of its agreements: the files it was given, plus the events that
diplomatic notes have recorded since, with the parties' answers to them. The registry is
rebuilt from all three by :func:`pactshare.domain.authority.settle`, so status stays derived,
never stored, and a note takes effect only as far as the parties required for it made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from pactshare.domain import Amendment, Event, EventKind, Registry, parse_instant
from pactshare.domain.authority import Answer, Proposal, Settled, settle
from pactshare.domain.registry import agreement_problems
from pactshare.errors import InputError, InvariantError, PackageError, ScenarioError, StorageError
from pactshare.scenarios import Source, amendment_from_data, registry_from_sources
from pactshare.store.schema import (
    agreement_events,
    event_answers,
    local_policies,
    registry_version,
    scenario_files,
)

__all__ = [
    "amendment_problem",
    "bump",
    "install_sources",
    "load_registry",
    "load_settled",
    "note_terms",
    "record_event",
    "version",
]


def _stored_names(sources: Iterable[Source]) -> list[Source]:
    """Each file under its file name; a name already taken (a user's ``topics.toml`` beside
    the reference one) gets its directory's name and a number in front."""
    named: list[Source] = []
    taken: set[str] = set()
    for source in sources:
        path = Path(source.name)
        name, number = path.name, 1
        while name in taken:
            number += 1
            name = f"{path.parent.name}-{number}-{path.name}"
        taken.add(name)
        named.append(Source(name, source.text))
    return named


def install_sources(tx: Connection, sources: Iterable[Source], *, at: datetime) -> int:
    """Store scenario files under distinct names (see :func:`_stored_names`); checked as a
    whole first."""
    named = _stored_names(sources)
    registry_from_sources(named)  # refuse a bad set before storing any of it
    for source in named:
        tx.execute(insert(scenario_files).values(name=source.name, text=source.text, loaded_at=at))
    bump(tx)
    return len(named)


_VERSION = select(registry_version.c.version)  # read by every decision: built once


def version(tx: Connection) -> int:
    """The registry's version: it grows with every change to its files, notes or answers."""
    found = tx.execute(_VERSION).scalar_one_or_none()
    return 0 if found is None else int(found)


def bump(tx: Connection) -> None:
    """Mark the registry changed, in the caller's transaction (the row lock orders writers)."""
    changed = tx.execute(
        update(registry_version).values(version=registry_version.c.version + 1)
    ).rowcount
    if not changed:
        tx.execute(insert(registry_version).values(id=1, version=1))


def _proposals(tx: Connection) -> dict[str, list[Proposal]]:
    """Every recorded note with its answers, by agreement."""
    answers: dict[str, list[Answer]] = {}
    for row in tx.execute(select(event_answers)):
        answers.setdefault(row.event_id, []).append(
            Answer(row.party, bool(row.accepted), row.at, row.reason)
        )
    result: dict[str, list[Proposal]] = {}
    for row in tx.execute(select(agreement_events).order_by(agreement_events.c.at)):
        kind, terms = EventKind(row.kind), None
        try:  # only an amendment carries terms (R-AMD-1)
            if kind is EventKind.AMENDMENT:
                terms = note_terms(row.note, where=f"stored note {row.id}")
        except PackageError as exc:  # checked when recorded: only a changed database gets here
            raise StorageError(str(exc)) from exc
        event = Event(row.id, kind, row.at, row.party, row.source, terms)
        result.setdefault(row.agreement_id, []).append(
            Proposal(
                row.agreement_id,
                event,
                issued_at=_issued_at(row.note, row.recorded_at),
                received_at=row.received_at,
                answers=tuple(answers.get(row.id, ())),
            )
        )
    return result


def _issued_at(note: Any, fallback: datetime) -> datetime:
    """The signing instant of a stored note (verified when it was recorded)."""
    try:
        return parse_instant(str(note["body"]["issued_at"]), what="note.issued_at")
    except (KeyError, TypeError, InputError):
        return fallback


def load_settled(tx: Connection) -> tuple[Registry, dict[str, tuple[Settled, ...]]]:
    """The registry as this node knows it, and every note's state, by agreement. The local
    caps come first: an amendment a note carries that the local cap does not fit (its table
    drops the cap's row) is ignored here, and says why."""
    files = tx.execute(select(scenario_files.c.name, scenario_files.c.text).order_by("name"))
    registry = _with_local_caps(
        tx, registry_from_sources(Source(name, text) for name, text in files)
    )
    states: dict[str, tuple[Settled, ...]] = {}
    for agreement_id, proposals in _proposals(tx).items():
        agreement, states[agreement_id] = settle(registry.agreement(agreement_id), proposals)
        registry = registry.with_agreement(agreement)
    return registry, states


def _with_local_caps(tx: Connection, registry: Registry) -> Registry:
    """``registry`` with each agreement's latest local classification cap (AT-26, set by an
    officer: :mod:`pactshare.node.local_policy`) in place of its file's and of any
    amendment's (R-AMD-1), in every version of the terms."""
    caps: dict[str, str | None] = {}
    query = select(local_policies.c.agreement_id, local_policies.c.classification_cap)
    for row in tx.execute(query.order_by(local_policies.c.id)):
        caps[row.agreement_id] = row.classification_cap
    for agreement_id, cap in caps.items():
        agreement = registry.agreements.get(agreement_id)
        if agreement is not None:
            local = replace(agreement, classification_cap=cap, cap_is_local=True)
            registry = registry.with_agreement(local)
    return registry


def note_terms(note: Any, *, where: str) -> Amendment | None:
    """The terms a note's event carries (R-AMD-1), checked; None if it carries none.
    PackageError if they are malformed."""
    try:
        raw = note["body"]["event"].get("amendment")
    except (KeyError, TypeError, AttributeError) as exc:
        raise PackageError(f"{where}: malformed note ({exc})") from exc
    if raw is None:
        return None
    try:
        return amendment_from_data(raw, name=where)
    except ScenarioError as exc:
        raise PackageError(f"{where}: malformed note ({exc})") from exc


def amendment_problem(registry: Registry, agreement_id: str, event: Event) -> str | None:
    """Why the terms ``event`` carries cannot amend ``agreement_id`` as this node knows it
    (its invariants, its parties' levels, the topic vocabulary, the local cap), with the key
    path inside the amendment; None if they can (or it carries none)."""
    if event.amendment is None:
        return None
    try:
        amended = registry.agreement(agreement_id).with_event(event)
    except InvariantError as exc:
        return _in_note(exc.key or "", str(exc))
    index = next(i for i, e in enumerate(amended.events) if e.id == event.id)
    mine = f"events[{index}]."
    for key, problem in agreement_problems(
        amended, registry.parties, registry.agreements, registry.topics
    ):
        if key.startswith(mine):
            return _in_note(key, problem)
    return None


def _in_note(key: str, problem: str) -> str:
    """A problem with the key path an amendment has in a note (``amendment.scope[0]``)."""
    where = key.split("].", 1)[1] if key.startswith("events[") and "]." in key else key
    return f"{where}: {problem}" if where else problem


def load_registry(tx: Connection) -> Registry:
    """The registry as this node knows it: its files plus the notes in effect."""
    return load_settled(tx)[0]


def record_event(
    tx: Connection,
    registry: Registry,
    *,
    agreement_id: str,
    event: Event,
    note: dict[str, Any],
    at: datetime,
    received_at: datetime | None = None,
) -> None:
    """Record an agreement event carried by a diplomatic note (its state is settled when the
    registry is built: the note may wait for acceptances, or be ignored)."""
    agreement = registry.agreement(agreement_id)
    if event.party is not None and event.party not in agreement.parties:
        raise InputError(f"{event.party} is not a party to {agreement_id}")
    if agreement.event(event.id) is not None:
        raise InputError(f"{agreement_id}: event id {event.id!r} already exists")
    tx.execute(
        insert(agreement_events).values(
            id=event.id,
            agreement_id=agreement_id,
            kind=event.kind.value,
            party=event.party,
            at=event.at,
            source=event.source,
            note=note,
            recorded_at=at,
            received_at=received_at,
        )
    )
    bump(tx)

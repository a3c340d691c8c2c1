"""The node's own copy of its agreements: the files it was given, plus the events that
diplomatic notes have recorded since. The registry is rebuilt from both, so status stays
derived, never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from pactshare.domain import Event, EventKind, Registry
from pactshare.errors import InputError
from pactshare.scenarios import Source, registry_from_sources
from pactshare.store.schema import agreement_events, scenario_files

__all__ = ["install_sources", "load_registry", "record_event", "version"]


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
    return len(named)


def version(tx: Connection) -> tuple[int, int]:
    """What the registry is built from, in two counts: files and events (both append-only)."""
    files = tx.execute(select(func.count()).select_from(scenario_files)).scalar_one()
    events = tx.execute(select(func.count()).select_from(agreement_events)).scalar_one()
    return int(files), int(events)


def load_registry(tx: Connection) -> Registry:
    """The registry as this node knows it: its files plus the events recorded since."""
    files = tx.execute(select(scenario_files.c.name, scenario_files.c.text).order_by("name"))
    registry = registry_from_sources(Source(name, text) for name, text in files)
    rows = tx.execute(select(agreement_events).order_by(agreement_events.c.at))
    for row in rows:
        agreement = registry.agreement(row.agreement_id)
        event = Event(row.id, EventKind(row.kind), row.at, row.party, row.source)
        registry = registry.with_agreement(agreement.with_event(event))
    return registry


def record_event(
    tx: Connection,
    registry: Registry,
    *,
    agreement_id: str,
    event: Event,
    note: dict[str, Any],
    at: datetime,
) -> Registry:
    """Record an agreement event carried by a diplomatic note; return the updated registry."""
    agreement = registry.agreement(agreement_id)
    if event.party is not None and event.party not in agreement.parties:
        raise InputError(f"{event.party} is not a party to {agreement_id}")
    try:
        updated = registry.with_agreement(agreement.with_event(event))
    except ValueError as exc:
        raise InputError(f"{agreement_id}: {exc}") from exc
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
        )
    )
    return updated

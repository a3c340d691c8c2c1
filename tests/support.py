"""Helpers shared by the test tiers: the reference registry, instants, what-ifs, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, select

from pactshare.domain import Event, EventKind, Registry, Request, parse_instant
from pactshare.errors import PactshareError
from pactshare.node import NodeHome
from pactshare.node.assurances import ASSURANCE, give_assurance, record_assurance
from pactshare.node.service import Node, init_node
from pactshare.scenarios import load_registry
from pactshare.store.schema import federation_nonces, metadata, outbox
from tests.cli_process import run_pactshare

GSOMIA = "gsomia-kor-jpn-2016"
TISA = "tisa-2014"
NOTICE = "kor-notice-2019"
SUSPENSION = "kor-suspension-2019"
WITHDRAWAL = "kor-withdrawal-2023"


class Clock:
    """A node's clock that the test moves (a simulated clock, as the demo uses)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(text: str) -> datetime:
    """An instant from ISO 8601 text with its offset."""
    return parse_instant(text, what="test instant")


@cache
def reference() -> Registry:
    """The shipped reference scenario (loaded once: registries are immutable)."""
    return load_registry()


def without(*event_ids: str) -> Registry:
    """The reference registry had these GSOMIA events not happened."""
    agreement = reference().agreement(GSOMIA)
    for event_id in event_ids:
        agreement = agreement.without_event(event_id)
    return reference().with_agreement(agreement)


def with_gsomia_events(registry: Registry, *events: tuple[str, EventKind, str]) -> Registry:
    """``registry`` with extra GSOMIA events given as (id, kind, instant)."""
    agreement = registry.agreement(GSOMIA)
    for event_id, kind, when in events:
        agreement = agreement.with_event(Event(event_id, kind, at(when), "KOR"))
    return registry.with_agreement(agreement)


def kor_to_jpn(classification: str = "군사 II급 비밀", *topics: str, **extra: Any) -> Request:
    """A KOR-origin item provided to JPN."""
    return Request("KOR", "JPN", classification, topics or ("dprk-missile",), **extra)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``pactshare`` command in a process of its own, as a user would (in ``cwd``)."""
    return run_pactshare(list(args), {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}, cwd, 120)


def cli_json(*args: str) -> tuple[int, Any]:
    """Run a ``--json`` command; return its exit code and parsed output."""
    done = run_cli(*args, "--json")
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None


def pinned_homes(
    root: Path,
    now: datetime,
    parties: tuple[str, ...] = ("KOR", "JPN", "USA"),
    databases: Mapping[str, str] | None = None,
    agreement_dirs: Mapping[str, tuple[Path, ...]] | None = None,
    *,
    assured: bool = True,
) -> dict[str, NodeHome]:
    """One node home per party in ``root/<party>`` (initialised at ``now``), each pinning every
    other's public key; ``databases`` puts some on another database (default: SQLite in the
    home), and ``agreement_dirs`` gives some their own files beside the reference scenario.
    Unless ``assured`` is False, the parties exchange their assurances before hand-over
    (:func:`exchange_assurances`)."""
    homes = {
        party: init_node(
            root / party.lower(),
            party=party,
            at=now,
            database=(databases or {}).get(party),
            agreement_dirs=(agreement_dirs or {}).get(party, ()),
        )
        for party in parties
    }
    for party, home in homes.items():
        for other, other_home in homes.items():
            if other != party:
                (home.directory / f"{other}.json").write_bytes(other_home.public_key.read_bytes())
    if not assured:
        return homes
    nodes = {party: Node(home, clock=Clock(now)) for party, home in homes.items()}
    try:
        exchange_assurances(nodes)
    finally:
        for node in nodes.values():
            node.close()
    return homes


def exchange_assurances(nodes: Mapping[str, Node]) -> None:
    """Before any hand-over, each party assures each other it shares an agreement with that
    asks for it (R-ACC-4, Art. 7(5); AT-16), as broadly as its file allows: its highest level
    in the table in force, every topic of the scope (``*``), for a century from the node's
    clock, by its first competent authority then (none before it designated one). The document
    is filed on the other node as the network would file it, and taken out of the giver's
    outbox (the tests count what a workflow queues)."""
    for receiving, node in nodes.items():
        now = node.now()
        with node.db.atomic() as tx:
            registry = node.registry(tx)
        authority = next(
            (a.id for a in registry.party(receiving).authorities if a.in_effect(now)), None
        )
        for agreement in sorted(registry.agreements.values(), key=lambda a: a.id):
            if not agreement.assurance_before_provision or receiving not in agreement.parties:
                continue
            for originating in agreement.parties:
                if originating == receiving or originating not in nodes or authority is None:
                    continue
                document = give_assurance(
                    node,
                    to=originating,
                    agreement_id=agreement.id,
                    authority=authority,
                    recipient=f"{receiving} registry officer",
                    level=next(
                        row.levels[receiving][0]
                        for row in agreement.as_of(now).equivalence
                        if receiving in row.levels
                    ),
                    topics=["*"],
                    purpose="the exchanges of the test",
                    until=now + timedelta(days=36_500),
                )
                other = nodes[originating]
                record_assurance(other, document, where="fixture", received_at=other.now())
        with node.db.atomic() as tx:
            tx.execute(delete(outbox).where(outbox.c.kind == ASSURANCE))


def pinned_nodes(
    root: Path,
    clock: Clock,
    parties: tuple[str, ...] = ("KOR", "JPN", "USA"),
    databases: Mapping[str, str] | None = None,
    agreement_dirs: Mapping[str, tuple[Path, ...]] | None = None,
    *,
    assured: bool = True,
) -> dict[str, Node]:
    """The nodes of :func:`pinned_homes`, opened, all on ``clock``."""
    homes = pinned_homes(root, clock.now, parties, databases, agreement_dirs, assured=assured)
    return {party: Node(home, clock=clock) for party, home in homes.items()}


def footprint(node: Node) -> tuple[dict[str, int], list[str]]:
    """What a node holds: the rows of each table (but the federation nonces, which every
    signed request adds) and the files of its home (but the database's): equal before and
    after an input that must be refused."""
    with node.db.atomic() as tx:
        rows = {
            table.name: int(tx.execute(select(func.count()).select_from(table)).scalar_one())
            for table in metadata.sorted_tables
            if table is not federation_nonces
        }
    files = sorted(
        str(path.relative_to(node.home.root))
        for path in node.home.root.rglob("*")
        if path.is_file() and not path.name.startswith(node.home.database_file.name)
    )
    return rows, files


T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T | PactshareError]:
    """Run ``calls`` on as many threads, released together by a barrier (two requests racing,
    as a server's threads or two processes would); each one's answer, or the error it raised."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | PactshareError:
        start.wait()
        try:
            return call()
        except PactshareError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))

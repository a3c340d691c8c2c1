"""Concurrent writers on one node's database: CLI processes and API requests to two servers
of the node appending to the audit log at once must all succeed, each entry at its own
position, and the log must verify.

On PostgreSQL two writers used to read the same next position and one failed with a duplicate
primary key (4 of 50 CLI and 29 of 50 API writes, with 8 writers); appends are now serialised
by a transaction-scoped advisory lock. SQLite takes its write lock at BEGIN IMMEDIATE.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, select

from pactshare import audit
from pactshare.node import journal
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries
from tests.http_support import BEFORE_MIDNIGHT, LABEL_TOML, LiveNode

CLI_WRITERS, CLI_WRITES = 4, 2  # each write starts a Python process: a few, but real ones
API_WRITERS, API_WRITES, API_MAX = 4, 10, 40  # at least 10 each, and on while the CLI runs


@dataclass
class Race:
    """Everyone starts together; the API writers go on while CLI processes are still writing."""

    start: threading.Barrier = field(
        default_factory=lambda: threading.Barrier(CLI_WRITERS + API_WRITERS)
    )
    cli_left: int = CLI_WRITERS
    cli_done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cli_finished(self) -> None:
        with self.lock:
            self.cli_left -= 1
            if self.cli_left == 0:
                self.cli_done.set()


def _cli_writer(live: LiveNode, race: Race, item: Path, label: Path) -> list[str]:
    """Register ``CLI_WRITES`` items, one ``pactshare register`` process after another."""
    env = {**os.environ, "PACTSHARE_CLOCK": BEFORE_MIDNIGHT.isoformat(), "NO_COLOR": "1"}
    home = str(live.node.home.root)
    race.start.wait()
    failures = []
    try:
        for _ in range(CLI_WRITES):
            command = [sys.executable, "-m", "pactshare", "register", str(item)]
            done = subprocess.run(
                [*command, "--label", str(label), "--home", home, "--json"],
                capture_output=True,
                text=True,
                check=False,
                env=env,
                timeout=120,
            )
            if done.returncode != 0:
                failures.append(done.stderr.strip() or done.stdout.strip())
    finally:
        race.cli_finished()
    return failures


def _api_writer(live: LiveNode, url: str, race: Race, number: int) -> tuple[int, list[str]]:
    """Register items over HTTP at ``url``, one request after another: ``API_WRITES`` at
    least, and more (up to ``API_MAX``) while CLI writers are still at work."""
    failures, writes = [], 0
    token = {"Authorization": f"Bearer {live.tokens['originator']}"}
    with httpx.Client(base_url=url, headers=token, timeout=60) as http:
        race.start.wait()
        while writes < API_MAX and (writes < API_WRITES or not race.cli_done.is_set()):
            answer = http.post(
                "/api/v1/items",
                files={"file": ("item.bin", f"writer {number} item {writes}".encode())},
                data={"label": LABEL_TOML},
            )
            writes += 1
            if answer.status_code != 201:
                failures.append(f"{answer.status_code} {answer.text}")
    return writes, failures


@pytest.mark.slow
def test_cli_processes_and_api_requests_all_append_and_the_log_verifies(
    served: LiveNode, tmp_path: Path
) -> None:
    item, label = tmp_path / "item.txt", tmp_path / "label.toml"
    item.write_text("a report")
    label.write_text(LABEL_TOML)
    with served.node.db.atomic() as tx:
        before = journal.size(tx)
    race = Race()
    second = Node(served.node.home, clock=served.node.now)  # a second server on the same database
    try:
        with NodeServer(second) as other, ThreadPoolExecutor(CLI_WRITERS + API_WRITERS) as pool:
            urls = [served.url, other.url]
            clis = [pool.submit(_cli_writer, served, race, item, label) for _ in range(CLI_WRITERS)]
            apis = [
                pool.submit(_api_writer, served, urls[n % 2], race, n) for n in range(API_WRITERS)
            ]
            failures = [failure for run in clis for failure in run.result()]
            api_writes = 0
            for run in apis:
                count, failed = run.result()
                api_writes += count
                failures += failed
    finally:
        second.close()

    writes = CLI_WRITERS * CLI_WRITES + api_writes
    assert not failures, f"{len(failures)} of {writes} writes failed, e.g. {failures[0]}"
    node = served.node
    with node.db.atomic() as tx:
        journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now())
        report = journal.verify(tx, node.keys.signing_key.public_key())
        kinds = [audit.Entry.from_bytes(data).kind for data in _entries_after(tx, before)]
    assert report.ok, report.problems
    assert report.size == before + writes
    assert kinds.count(audit.EntryKind.REGISTRATION) == writes


def _entries_after(tx: Connection, before: int) -> list[bytes]:
    rows = tx.execute(
        select(audit_entries.c.data).where(audit_entries.c.position >= before)
    ).scalars()
    return [bytes(data) for data in rows]

"""Concurrent writers on one node's database: CLI processes and API requests appending to the
audit log at once must all succeed, each entry at its own position, and the log must verify.

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
from pathlib import Path

from sqlalchemy import Connection, select

from pactshare import audit
from pactshare.node import journal
from pactshare.store.schema import audit_entries
from tests.http_support import BEFORE_MIDNIGHT, LABEL_TOML, LiveNode

CLI_WRITERS, CLI_WRITES = 4, 3  # processes each start Python: fewer, but real ones
API_WRITERS, API_WRITES = 4, 10


def _cli_writer(live: LiveNode, start: threading.Barrier, item: Path, label: Path) -> list[str]:
    """Register ``CLI_WRITES`` items, one ``pactshare register`` process after another."""
    env = {**os.environ, "PACTSHARE_CLOCK": BEFORE_MIDNIGHT.isoformat(), "NO_COLOR": "1"}
    home = str(live.node.home.root)
    start.wait()
    failures = []
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
    return failures


def _api_writer(live: LiveNode, start: threading.Barrier, number: int) -> list[str]:
    """Register ``API_WRITES`` items over HTTP, one request after another."""
    failures = []
    with live.client("originator") as http:
        start.wait()
        for index in range(API_WRITES):
            answer = http.post(
                "/api/v1/items",
                files={"file": ("item.bin", f"writer {number} item {index}".encode())},
                data={"label": LABEL_TOML},
            )
            if answer.status_code != 201:
                failures.append(f"{answer.status_code} {answer.text}")
    return failures


def test_cli_processes_and_api_requests_all_append_and_the_log_verifies(
    live: LiveNode, tmp_path: Path
) -> None:
    item, label = tmp_path / "item.txt", tmp_path / "label.toml"
    item.write_text("a report")
    label.write_text(LABEL_TOML)
    with live.node.db.atomic() as tx:
        before = journal.size(tx)
    start = threading.Barrier(CLI_WRITERS + API_WRITERS)
    with ThreadPoolExecutor(CLI_WRITERS + API_WRITERS) as pool:
        runs = [pool.submit(_cli_writer, live, start, item, label) for _ in range(CLI_WRITERS)]
        runs += [pool.submit(_api_writer, live, start, n) for n in range(API_WRITERS)]
        failures = [failure for run in runs for failure in run.result()]

    assert failures == []
    writes = CLI_WRITERS * CLI_WRITES + API_WRITERS * API_WRITES
    node = live.node
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

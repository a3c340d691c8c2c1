"""Nodes as ``pactshare serve`` subprocesses on loopback, set up through the CLI as their
operators would, for the federation tests. Ports are chosen free at run time and kept across
restarts (so peers' URLs stay right); every process is killed at teardown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from pactshare import seal
from pactshare.audit import ProblemKind
from pactshare.federation.delivery import PATH
from pactshare.federation.peers import add_peer
from pactshare.federation.signatures import MESSAGE_ID, RECIPIENT, content_digest, sign_request
from pactshare.federation.storage import outbox_entries
from pactshare.node import NodeHome, journal
from pactshare.node.holdings import inbox
from pactshare.node.service import Node, init_node
from pactshare.store.schema import audit_entries
from tests.cli_process import run_pactshare
from tests.support import GSOMIA, at, exchange_assurances

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], *, timeout: float = 30.0) -> T:
    """Poll ``probe`` every 50 ms until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class NodeProcess:
    """One party's node: its home, its fixed clock, and its ``pactshare serve`` process."""

    def __init__(
        self, root: Path, party: str, clock: str, *, db: str | None = None, cli: bool = False
    ) -> None:
        self.party = party
        self.home = root / party.lower()
        self.clock = clock
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"{party.lower()}.log"
        self.process: subprocess.Popen[bytes] | None = None
        if cli:
            self.cli("node", "init", "--party", party, *(["--db", db] if db else []), check=True)
        else:  # the same, in-process: a CLI call costs seconds of interpreter start-up
            init_node(self.home, party=party, at=at(clock), database=db)

    def open(self) -> Node:
        """The node opened in this process, to read its state (the server keeps running)."""
        return Node(NodeHome(self.home), clock=lambda: at(self.clock))

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PACTSHARE_CLOCK": self.clock,
            "COLUMNS": "200",
            "NO_COLOR": "1",
            **extra,
        }

    def cli(
        self, *args: str, check: bool = False, clock: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = self.env(**({"PACTSHARE_CLOCK": clock} if clock else {}))
        done = run_pactshare([*args, "--home", str(self.home)], env, None, 120)
        if check:
            assert done.returncode == 0, f"pactshare {' '.join(args)}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        done = self.cli(*args, "--json", check=True)
        return json.loads(done.stdout)

    def start(self, *options: str, **extra_env: str) -> NodeProcess:
        """Run ``pactshare serve`` (with ``options``) and wait until it accepts connections."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pactshare", "serve", "--home", str(self.home),
                 "--port", str(self.port), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env(**extra_env),
            )  # fmt: skip
        wait_for(f"{self.party} to serve", self._serving, timeout=30)
        return self

    def _serving(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.party} exited: {self.log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as an operator would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """``kill -9``."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def outbox(self) -> list[dict[str, Any]]:
        node = self.open()
        try:
            return [entry.to_dict() for entry in outbox_entries(node, pending_only=False)]
        finally:
            node.close()

    def holds(self, item: str) -> bool:
        node = self.open()
        try:
            return any(row.item_id == item for row in inbox(node))
        finally:
            node.close()

    def audit_kinds(self) -> list[str]:
        """The kinds of the node's audit entries, in order."""
        node = self.open()
        try:
            with node.db.atomic() as tx:
                return list(tx.execute(select(audit_entries.c.kind)).scalars())
        finally:
            node.close()

    def verify_audit(self) -> None:
        """What ``pactshare audit verify`` checks: the log recomputed, every head verified."""
        node = self.open()
        try:
            with node.db.atomic() as tx:
                report = journal.verify(tx, node.keys.signing_key.public_key())
        finally:
            node.close()
        assert not [p for p in report.problems if p.kind is not ProblemKind.UNCOVERED], report


#: What a party assures under GSOMIA through the CLI (R-ACC-4): its competent authority and
#: its highest level in the table.
ASSURES = {"KOR": ("kor-mnd", "kor-mil-2"), "JPN": ("jpn-mod", "jpn-gokuhi")}


def connect(nodes: list[NodeProcess], *, cli: bool = False) -> None:
    """Every node pins every other's key and knows its URL, and each party assures each
    other before any hand-over that asks for it (R-ACC-4, AT-16): through the CLI (the
    assurances are queued, delivered once the nodes serve), or in-process as the CLI does it
    (:func:`tests.support.exchange_assurances`, filed on both sides at once)."""
    _pin(nodes, cli=cli)
    if cli:
        for node in nodes:
            for other in nodes:
                if other is not node and {node.party, other.party} == set(ASSURES):
                    authority, level = ASSURES[node.party]
                    node.cli("assurance", "give", "--to", other.party, "--agreement", GSOMIA,
                             "--authority", authority, "--recipient", f"{node.party} registry",
                             "--level", level, "--topic", "*", "--purpose", "the e2e exchanges",
                             "--until", "2119-01-01T00:00:00+09:00", check=True)  # fmt: skip
        return
    opened = {node.party: node.open() for node in nodes}
    try:
        exchange_assurances(opened)
    finally:
        for one in opened.values():
            one.close()


def _pin(nodes: list[NodeProcess], *, cli: bool) -> None:
    for node in nodes:
        for other in nodes:
            if other is node:
                continue
            if cli:
                node.cli("directory", "add", str(other.home / "public.key"), check=True)
                node.cli("peer", "add", other.party, "--url", other.url, check=True)
                continue
            record = (other.home / "public.key").read_bytes()
            (node.home / "directory" / f"{other.party}.json").write_bytes(record)
            opened = node.open()
            try:
                add_peer(opened, other.party, other.url)
            finally:
                opened.close()


def signed_headers(
    keys: seal.PartyKeys,
    body: bytes,
    *,
    message_id: str,
    content_type: str = "application/json",
    created: int | None = None,
    nonce: str | None = None,
    path: str = PATH,
    method: str = "POST",
    recipient: str = "JPN",
) -> dict[str, str]:
    """The headers a node would send to ``recipient`` with ``body``, signed with ``keys``
    (JPN, the node every hand-signed request in the tests is meant for, unless told)."""
    headers = {
        "content-type": content_type,
        "content-digest": content_digest([body]),
        MESSAGE_ID: message_id,
        RECIPIENT: recipient,
    }
    signature = sign_request(
        method,
        path,
        headers,
        key=keys.signing_key,
        key_id=keys.signing_key_id,
        created=int(time.time()) if created is None else created,
        nonce=nonce,
    )
    return {**headers, **signature}

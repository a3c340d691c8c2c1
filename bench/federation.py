"""Federation benchmark: provisions delivered end to end between two nodes on loopback.

One provision = decide + wrap + record at the sender, then a signed HTTP delivery, the
receiver's verification, re-decision, storage and signed receipt, and the sender storing
that receipt. Beside it, in the same run: a bare FastAPI endpoint on the same machine,
served the same way, receiving a body of the same size (one POST, nothing done).

- **One at a time**: provide, then one delivery pass, item after item, timed in turn with
  the bare POSTs by rounds of 20 (this machine's load changes from minute to minute: timed
  apart, the ratio moved between 0.05x and 0.11x from run to run).
- **Backlog, batched**: a backlog of items provided first (1,000; 50 with ``--quick``), then
  delivered by passes of the delivery worker's function to a peer that speaks batches
  (``pactshare.federation.batch``): items delivered per second, from the first pass to the
  last receipt stored, against the bare POSTs timed with the provisions one at a time, just
  before (timed right after the backlog, in a process that had just delivered 1,000 items,
  a third fewer bare POSTs a second: a baseline that flattered the figure).
- **Serve mode**: both nodes served with their workers; an item provided in the serving
  process (what an API ``provide`` runs) or by the ``pactshare provide`` command in another
  process, and the time until the worker stored its receipt (from the call for the API, from
  the command's exit for the CLI: its start-up is the interpreter's, not delivery's). The
  worker is woken by the commit (``pactshare.store.wakeups``): no poll interval in the way.

    python bench/federation.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from bench.harness import Figure, Rate, Ticking, main
from fastapi import FastAPI, Request
from tests.support import exchange_assurances

from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node, init_node
from pactshare.server.runner import AppServer, NodeServer

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""
START = datetime(2019, 7, 1, 1, 0, tzinfo=UTC)
PAYLOAD = 4096


def _latencies(step: Callable[[], object], count: int) -> list[float]:
    """Seconds per call of ``step``, ``count`` calls in a row."""
    spent = []
    for _ in range(count):
        start = time.perf_counter()
        step()
        spent.append(time.perf_counter() - start)
    return spent


def _throughput(latencies: list[float]) -> Rate:
    """Calls per second over a run of calls made one after another."""
    rate = len(latencies) / sum(latencies)
    return Rate(median=rate, low=rate, high=rate)


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _latency_rate(values: list[float], q: int) -> Rate:
    ms = _percentile(values, q) * 1000
    return Rate(median=ms, low=ms, high=ms)


def _pair(root: Path) -> tuple[Node, Node]:
    """KOR and JPN in ``root``, pinning each other, with an item and its label to register."""
    root.mkdir(parents=True)
    (root / "label.toml").write_text(LABEL, encoding="utf-8")
    (root / "item.bin").write_bytes(b"\x5a" * PAYLOAD)
    clock = Ticking(START)
    homes = {p: init_node(root / p.lower(), party=p, at=clock()) for p in ("KOR", "JPN")}
    for party, home in homes.items():
        other = "JPN" if party == "KOR" else "KOR"
        (home.directory / f"{other}.json").write_bytes(homes[other].public_key.read_bytes())
    kor, jpn = Node(homes["KOR"], clock=clock), Node(homes["JPN"], clock=clock)
    exchange_assurances({"KOR": kor, "JPN": jpn})  # before any hand-over (AT-16)
    return kor, jpn


def _bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/messages")
    async def messages(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


ROUND = 20  # provisions, then as many bare POSTs, in turn: both timed under the same load


def _poster(client: httpx.Client, url: str, body: bytes) -> Callable[[], None]:
    """One bare POST of ``body`` to the bare app at ``url``."""

    def bare() -> None:
        client.post(f"{url}/messages", content=body).raise_for_status()

    return bare


def _one_at_a_time(root: Path, count: int) -> tuple[list[float], list[float], bytes]:
    """Seconds per provide + delivery, one item after another, and per bare POST of the same
    body, timed in turn by rounds of ``ROUND``; and the package's bytes."""
    kor, jpn = _pair(root)
    try:
        with NodeServer(jpn, port=0) as server, AppServer(_bare_app(), port=0) as bare_server:
            server.worker.stop()
            add_peer(kor, "JPN", server.url)
            items = [register(kor, root / "item.bin", root / "label.toml") for _ in range(count)]
            provide(kor, items.pop(), "JPN", package=root / "sample.zip")  # its size: the body
            body = (root / "sample.zip").read_bytes()
            queue = iter(items)

            with httpx.Client() as sender, httpx.Client() as client:

                def one() -> None:
                    provide(kor, next(queue), "JPN", package=None)
                    deliver_due(kor, client=sender)

                bare = _poster(client, bare_server.url, body)
                ours: list[float] = []
                baseline: list[float] = []
                while len(ours) < len(items):
                    turn = min(ROUND, len(items) - len(ours))
                    ours += _latencies(one, turn)
                    baseline += _latencies(bare, turn)
                return ours, baseline, body
    finally:
        kor.close()
        jpn.close()


def _backlog(root: Path, count: int) -> float:
    """Seconds to deliver a backlog of ``count`` provided items to a peer speaking batches."""
    kor, jpn = _pair(root)
    try:
        with NodeServer(jpn, port=0) as server:
            server.worker.stop()
            add_peer(kor, "JPN", server.url)
            for _ in range(count):
                item = register(kor, root / "item.bin", root / "label.toml")
                provide(kor, item, "JPN", package=None)
            with httpx.Client() as sender:
                start = time.perf_counter()
                while outbox_entries(kor):
                    deliver_due(kor, client=sender)
                return time.perf_counter() - start
    finally:
        kor.close()
        jpn.close()


def _until_delivered(node: Node, deadline: float = 30.0) -> None:
    give_up = time.perf_counter() + deadline
    while outbox_entries(node):
        if time.perf_counter() > give_up:
            raise RuntimeError("the worker did not deliver within 30 s")
        time.sleep(0.002)


def _served(root: Path, api: int, cli: int) -> tuple[list[float], list[float], list[float]]:
    """Both nodes served: seconds from ``api`` provides in the serving process to the receipt
    stored, and from their return (the commit); then from the answer of ``cli`` provides by
    the command in another process (printed once its commit is done) to the receipt stored."""
    kor, jpn = _pair(root)
    try:
        with NodeServer(jpn, port=0) as far, NodeServer(kor, port=0):
            add_peer(kor, "JPN", far.url)
            items = [register(kor, root / "item.bin", root / "label.toml") for _ in range(api)]
            from_call, from_commit = [], []
            for item in items:
                start = time.perf_counter()
                provide(kor, item, "JPN", package=None)
                committed = time.perf_counter()
                _until_delivered(kor)
                from_call.append(time.perf_counter() - start)
                from_commit.append(time.perf_counter() - committed)
            by_command = []
            for _ in range(cli):
                item = register(kor, root / "item.bin", root / "label.toml")
                instant = (kor.now() + timedelta(seconds=1)).isoformat()
                env = {**os.environ, "PACTSHARE_CLOCK": instant}
                command = [sys.executable, "-m", "pactshare", "provide", item, "--to", "JPN"]
                with subprocess.Popen(  # noqa: S603 - our own command, our arguments
                    [*command, "--home", str(kor.home.root)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                ) as process:
                    assert process.stdout is not None  # noqa: S101 - piped just above
                    process.stdout.readline()  # its answer: the provision is committed
                    start = time.perf_counter()
                    _until_delivered(kor)
                    by_command.append(time.perf_counter() - start)
                if process.returncode != 0:
                    raise RuntimeError(f"pactshare provide exited {process.returncode}")
            return from_call, from_commit, by_command
    finally:
        kor.close()
        jpn.close()


def _p50(values: list[float]) -> Rate:
    ms = statistics.median(values) * 1000
    return Rate(median=ms, low=min(values) * 1000, high=max(values) * 1000)


def run(quick: bool) -> list[Figure]:
    count, backlog = (30, 50) if quick else (200, 1000)
    api, cli = (10, 2) if quick else (40, 8)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ours, baseline, body = _one_at_a_time(root / "one", count)
        batched = _backlog(root / "backlog", backlog)
        from_call, from_commit, by_command = _served(root / "served", api, cli)
    label = f"{len(body):,} B package"
    bare_p50 = _latency_rate(baseline, 50)
    return [
        Figure(
            f"provide → receipt over HTTP ({label})",
            "provisions/s",
            _throughput(ours),
            "bare FastAPI POST, same body",
            _throughput(baseline),
            0.1,
            "≥ 0.1×",
        ),
        Figure(
            f"provide → receipt over HTTP, backlog of {backlog:,} items, batched ({label})",
            "provisions/s",
            Rate(median=backlog / batched, low=backlog / batched, high=backlog / batched),
            "bare FastAPI POST, same body, one at a time",
            _throughput(baseline),
            0.25,
            "≥ 0.25×",
        ),
        *(
            Figure(
                f"provide → receipt latency p{q}",
                "ms",
                _latency_rate(ours, q),
                f"bare POST p{q}",
                _latency_rate(baseline, q),
                None,
                "(no target; lower is better)",
                lower_is_better=True,
            )
            for q in (50, 99)
        ),
        Figure(
            "serve mode: API provide → delivered p50",
            "ms",
            _p50(from_call),
            "bare POST p50",
            bare_p50,
            None,
            "≤ 50 ms (idle machine)",
            lower_is_better=True,
        ),
        Figure(
            "serve mode: API provide's commit → delivered p50",
            "ms",
            _p50(from_commit),
            "bare POST p50",
            bare_p50,
            None,
            "(no target; the wake-up and one delivery)",
            lower_is_better=True,
        ),
        Figure(
            "serve mode: CLI provide (from its answer) → delivered p50",
            "ms",
            _p50(by_command),
            "bare POST p50",
            bare_p50,
            None,
            "≤ 250 ms (idle machine)",
            lower_is_better=True,
        ),
    ]


if __name__ == "__main__":
    main(run)

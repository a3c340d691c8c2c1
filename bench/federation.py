"""Federation benchmark: provisions delivered end to end between two nodes on loopback.

One provision = decide + wrap + record at the sender, then a signed HTTP delivery, the
receiver's verification, re-decision, storage and signed receipt, and the sender storing
that receipt. Beside it, in the same run: a bare FastAPI endpoint on the same machine,
served the same way, receiving a body of the same size (one POST, nothing done).

    python bench/federation.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from bench.harness import Figure, Rate, Ticking, main
from fastapi import FastAPI, Request

from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
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
    clock = Ticking(START)
    homes = {p: init_node(root / p.lower(), party=p, at=clock()) for p in ("KOR", "JPN")}
    for party, home in homes.items():
        other = "JPN" if party == "KOR" else "KOR"
        (home.directory / f"{other}.json").write_bytes(homes[other].public_key.read_bytes())
    return Node(homes["KOR"], clock=clock), Node(homes["JPN"], clock=clock)


def _bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/messages")
    async def messages(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


def run(quick: bool) -> list[Figure]:
    count = 30 if quick else 200
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        kor, jpn = _pair(root)
        (root / "label.toml").write_text(LABEL, encoding="utf-8")
        (root / "item.bin").write_bytes(b"\x5a" * PAYLOAD)
        with NodeServer(jpn, port=0) as server:
            add_peer(kor, "JPN", server.url)
            items = [register(kor, root / "item.bin", root / "label.toml") for _ in range(count)]
            provide(kor, items.pop(), "JPN", package=root / "sample.zip")  # its size: the body
            body = (root / "sample.zip").read_bytes()
            queue = iter(items)

            with httpx.Client() as sender:

                def one() -> None:
                    provide(kor, next(queue), "JPN", package=None)
                    deliver_due(kor, client=sender)

                ours = _latencies(one, len(items))
        with AppServer(_bare_app(), port=0) as bare_server, httpx.Client() as client:
            url = bare_server.url

            def bare() -> None:
                client.post(f"{url}/messages", content=body).raise_for_status()

            baseline = _latencies(bare, len(items))
        kor.close()
        jpn.close()
    label = f"{len(body):,} B package"
    return [
        Figure(
            f"provide → receipt over HTTP ({label})",
            "provisions/s",
            _throughput(ours),
            "bare FastAPI POST, same body",
            _throughput(baseline),
            None,
            "(no target)",
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
    ]


if __name__ == "__main__":
    main(run)

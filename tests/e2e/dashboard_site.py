"""A live node for the dashboard tests: JPN's node serving the dashboard from a real uvicorn
server in a background thread on a free loopback port.

KOR registers a SECRET-equivalent DPRK-missile item and hand-carries it to JPN under GSOMIA in
2019; JPN also registers a PRC-naval item that the test person has no need-to-know for (it must
answer 404). One access and one incident are recorded, and one tree head is signed, so no page is empty.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from pactshare.node import journal
from pactshare.node.holdings import open_item
from pactshare.node.incidents import report_incident
from pactshare.node.items import register
from pactshare.node.people import add_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.server import create_app
from tests.support import Clock, at, pinned_nodes

__all__ = ["Site", "serve_site"]

MISSILE_LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""

NAVAL_LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "JPN"
classification = "極秘"
topics = ["prc-naval"]
releasable_to = ["KOR"]
"""


@dataclass(frozen=True)
class Site:
    url: str
    token: str  # Aoki: JPN reader and auditor, SECRET-cleared, need-to-know dprk-missile
    received: str  # the DPRK-missile item KOR provided
    hidden: str  # a PRC-naval item Aoki may not see
    reader_token: str  # Sato: a reader only (no audit role)


def _prepare(root: Path, clock: Clock) -> tuple[Node, tuple[str, str], str, str]:
    nodes = pinned_nodes(root, clock, ("KOR", "JPN"))
    kor, jpn = nodes["KOR"], nodes["JPN"]
    (root / "missile.txt").write_text("SLBM launch telemetry", encoding="utf-8")
    (root / "missile.toml").write_text(MISSILE_LABEL, encoding="utf-8")
    (root / "naval.txt").write_text("Carrier group movements", encoding="utf-8")
    (root / "naval.toml").write_text(NAVAL_LABEL, encoding="utf-8")
    received = register(kor, root / "missile.txt", root / "missile.toml")
    provide(kor, received, "JPN", package=root / "to-jpn.zip")
    receive(jpn, root / "to-jpn.zip")
    hidden = register(jpn, root / "naval.txt", root / "naval.toml")
    with jpn.db.atomic() as tx:
        _, token = add_person(
            tx,
            jpn.party(tx),
            name="Aoki",
            clearance="極秘",
            need_to_know=["dprk-missile"],
            roles=["reader", "auditor"],
            at=clock.now,
        )
        _, reader_token = add_person(
            tx, jpn.party(tx), name="Sato", clearance="極秘", need_to_know=["dprk-missile"],
            roles=["reader"], at=clock.now,
        )  # fmt: skip
    open_item(jpn, received, person_name="Aoki", output=root / "opened.txt")
    report_incident(jpn, received, summary="A printed copy is missing from the reading room")
    with jpn.db.atomic() as tx:
        journal.sign_head(tx, jpn.keys.signing_key, jpn.keys.signing_key_id, at=clock.now)
    kor.close()
    return jpn, (token, reader_token), received, hidden


def serve_site(root: Path) -> Iterator[Site]:
    """Build the nodes, serve JPN's dashboard, and stop the server afterwards."""
    clock = Clock(at("2019-06-03T10:00:00+09:00"))
    node, (token, reader_token), received, hidden = _prepare(root, clock)
    clock.now = at("2026-11-23T09:00:00+09:00")  # the dashboard looks back from "today"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(node), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{port}", token, received, hidden, reader_token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        node.close()

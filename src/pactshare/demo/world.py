"""The demo's world: one node per party (KOR, JPN, USA) in a directory, pinning each other's
keys, with a security officer each, all reading one simulated clock.

The clock is shared because the replay is a story told in order: every node sees the same
instant, which the replay moves forward step by step (never backwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pactshare.domain import parse_instant
from pactshare.federation.peers import add_peer
from pactshare.node.people import enrol_person
from pactshare.node.service import Node, init_node
from pactshare.server.runner import NodeServer

__all__ = ["PARTIES", "SimulatedClock", "World", "running_world"]

PARTIES = ("KOR", "JPN", "USA")
START = "2014-12-29T09:00:00+09:00"  # TISA's signature: the nodes' keys date from then

# Each party's security officer: top clearance of their scheme, need-to-know for the story.
OFFICERS = {
    "KOR": ("Kim Min-jun", "군사 I급 비밀"),
    "JPN": ("Sato Haruka", "機密"),
    "USA": ("Jordan Lee", "TOP SECRET"),
}
TOPICS = ("dprk-nuclear", "dprk-missile", "prc-naval")


class SimulatedClock:
    """The instant every node reads; the replay moves it forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, text: str) -> datetime:
        instant = parse_instant(text, what="demo instant")
        self.now = max(self.now, instant)
        return self.now


@dataclass
class World:
    root: Path
    clock: SimulatedClock
    nodes: dict[str, Node]
    tokens: dict[str, str]  # party → its officer's API token (for the dashboard's sign-in)
    urls: dict[str, str] = field(default_factory=dict)


def _create(root: Path, clock: SimulatedClock) -> World:
    homes = {party: init_node(root / party.lower(), party=party, at=clock.now) for party in PARTIES}
    for party, home in homes.items():
        for other, other_home in homes.items():
            if other != party:
                (home.directory / f"{other}.json").write_bytes(other_home.public_key.read_bytes())
    nodes = {party: Node(home, clock=clock) for party, home in homes.items()}
    tokens = {}
    for party, node in nodes.items():
        name, clearance = OFFICERS[party]
        _, tokens[party] = enrol_person(
            node,
            name=name,
            clearance=clearance,
            need_to_know=TOPICS,
            roles=("security-officer", "originator", "auditor", "admin"),
        )
    return World(root, clock, nodes, tokens)


@contextmanager
def running_world(root: Path, *, host: str = "127.0.0.1") -> Iterator[World]:
    """Create the three nodes in ``root``, serve each on a free port and make them peers."""
    clock = SimulatedClock(parse_instant(START, what="demo start"))
    world = _create(root, clock)
    with ExitStack() as stack:
        for node in world.nodes.values():
            stack.callback(node.close)
        for party, node in world.nodes.items():
            server = stack.enter_context(NodeServer(node, host=host, port=0))
            world.urls[party] = server.url
        for party, node in world.nodes.items():
            for other, url in world.urls.items():
                if other != party:
                    add_peer(node, other, url)
        yield world

"""A KOR node for HTTP tests: people with tokens, and httpx clients signed in as them.

By default the node's app is called in this process (:class:`InProcess`, through
``httpx.ASGITransport``): no server, no socket, no polling. Tests of the server itself
(connection limits, slow clients, real sockets, delivery between nodes) ask for it served by
:class:`pactshare.server.runner.NodeServer`, the one ``pactshare serve`` runs, on a free
loopback port.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from pactshare.api.rate import DEFAULT_OPENS_PER_MINUTE
from pactshare.node import NodeHome
from pactshare.node.people import add_person
from pactshare.node.service import Node, init_node
from pactshare.server.app import create_app
from pactshare.server.runner import NodeServer
from tests.support import Clock, at, exchange_assurances

BEFORE_MIDNIGHT = at("2019-11-22T23:00:00+09:00")  # GSOMIA KOR-JPN in force
LABEL_TOML = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""

# name: (clearance, need-to-know, roles)
PEOPLE: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "admin": ("kor-mil-1", ("*",), ("admin",)),
    "originator": ("kor-mil-2", ("dprk-missile",), ("originator",)),
    "officer": ("kor-mil-2", ("dprk-missile",), ("security-officer",)),
    "auditor": ("kor-mil-2", ("dprk-missile",), ("auditor",)),
    "reader": ("kor-mil-2", ("dprk-missile",), ("reader",)),
    "low": ("kor-mil-3", ("dprk-missile",), ("reader", "originator")),
    "elsewhere": ("kor-mil-1", ("prc-naval",), ("reader", "originator")),
}


@contextmanager
def serving(node: Node, *, opens_per_minute: int = DEFAULT_OPENS_PER_MINUTE) -> Iterator[str]:
    """Serve ``node`` on a free port of 127.0.0.1 (as ``pactshare serve`` does); yield its URL."""
    with NodeServer(node, opens_per_minute=opens_per_minute) as server:
        yield server.url


class _Streamed(httpx.AsyncByteStream):
    """A synchronous request body, read chunk by chunk as the app asks for it."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class InProcess(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app in this process: each request goes
    through ``httpx.ASGITransport`` on one event loop in a helper thread (the app keeps no
    state tied to a loop across requests, but one loop is how a server runs it too)."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)  # a synchronous client's
        body = _Streamed(request.stream)  # an upload reaches the app chunk by chunk

        async def call() -> httpx.Response:
            inner = httpx.Request(request.method, request.url, headers=request.headers, stream=body)
            response = await self._asgi.handle_async_request(inner)
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(raw),
                extensions=response.extensions,
            )

        return self._portal.call(call)


@dataclass
class LiveNode:
    """A KOR node, with JPN pinned and one person per role, answering HTTP at ``url`` (served
    on a socket) or through ``transport`` (in process)."""

    node: Node
    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    transport: httpx.BaseTransport | None = None

    def register(self, content: bytes = b"telemetry") -> str:
        """Register an item with :data:`LABEL_TOML` as the originator; return its id."""
        with self.client("originator") as originator:
            made = originator.post(
                "/api/v1/items", files={"file": ("i.txt", content)}, data={"label": LABEL_TOML}
            )
        assert made.status_code == 201, made.text
        return str(made.json()["item_id"])

    def client(self, who: str | None = None, token: str | None = None) -> httpx.Client:
        chosen = token or (self.tokens[who] if who else None)
        headers = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        return httpx.Client(
            base_url=self.url, headers=headers, timeout=60, transport=self.transport
        )


@contextmanager
def live_kor(
    root: Path,
    database_url: str,
    *,
    opens_per_minute: int = DEFAULT_OPENS_PER_MINUTE,
    served: bool = True,
) -> Iterator[LiveNode]:
    """A KOR node on ``database_url`` with JPN's key pinned and its people; served live on a
    socket, or (``served=False``) its app called in process."""
    clock = Clock(BEFORE_MIDNIGHT)
    kor_home = init_node(root / "kor", party="KOR", at=clock.now, database=database_url)
    jpn_home: NodeHome = init_node(root / "jpn", party="JPN", at=clock.now)
    (kor_home.directory / "JPN.json").write_bytes(jpn_home.public_key.read_bytes())
    (jpn_home.directory / "KOR.json").write_bytes(kor_home.public_key.read_bytes())
    node = Node(kor_home, clock=clock)
    jpn = Node(jpn_home, clock=clock)
    try:
        exchange_assurances({"KOR": node, "JPN": jpn})  # KOR may hand over to JPN (AT-16)
    finally:
        jpn.close()
    tokens = {}
    with node.db.atomic() as tx:
        party = node.party(tx)
        for name, (clearance, topics, roles) in PEOPLE.items():
            _, tokens[name] = add_person(
                tx,
                party,
                name=name,
                clearance=clearance,
                need_to_know=topics,
                roles=roles,
                at=clock.now,
            )
    try:
        with ExitStack() as stack:
            if served:
                url = stack.enter_context(serving(node, opens_per_minute=opens_per_minute))
                yield LiveNode(node, url, tokens)
            else:
                portal = stack.enter_context(start_blocking_portal())
                app = create_app(node, opens_per_minute=opens_per_minute)
                yield LiveNode(node, "http://kor.test", tokens, InProcess(app, portal))
    finally:
        node.close()


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on a dashboard page."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, token: str, next_path: str = "/items") -> httpx.Response:
    """Sign in through the form, as a browser does: fetch it (and its CSRF cookie), post it."""
    csrf = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"token": token, "next": next_path, "csrf": csrf})

"""Slow and idle clients against a node's server (127.0.0.1 only, at most 300 sockets): idle
connections with half a request head, more connections than the limit, and a body sent too
slowly. The node keeps answering, cuts what is late, holds no more than its limit, and its
log does not grow with the attack."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from pactshare.federation.delivery import PATH
from pactshare.node.service import Node
from pactshare.server.limits import Limits
from pactshare.server.runner import NodeServer
from tests.e2e.conftest import MakeNode
from tests.e2e.federation_support import signed_headers
from tests.support import Clock, at, pinned_nodes

ATTACKERS = 300
HALF_A_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[dict[str, Node]]:
    """KOR and JPN pinning each other (JPN is served by each test, with its limits)."""
    nodes = pinned_nodes(tmp_path, Clock(at("2019-11-22T23:00:00+09:00")), ("KOR", "JPN"))
    yield nodes
    for node in nodes.values():
        node.close()


@contextmanager
def half_heads(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections, each having sent half a request head and nothing more."""
    with ExitStack() as stack:
        held = []
        for _ in range(count):
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            conn.sendall(HALF_A_HEAD)
            held.append(conn)
        yield held


def _answer(conn: socket.socket, within: float) -> bytes:
    """What the server sent before closing the connection (b"" if it did not close it)."""
    conn.settimeout(within)
    received = b""
    try:
        while chunk := conn.recv(4096):
            received += chunk
    except TimeoutError:
        return b""
    except ConnectionResetError:
        return received or b"reset"
    return received or b"closed"


def test_a_node_answers_while_300_half_heads_are_held_and_cuts_them_after_the_header_timeout(
    pair: dict[str, Node],
) -> None:
    limits = Limits(max_connections=1000, header_timeout=3, body_timeout=3)
    with (
        NodeServer(pair["JPN"], limits=limits) as server,
        half_heads(server.port, ATTACKERS) as held,
    ):
        started = time.monotonic()
        answer = httpx.get(server.url + "/healthz", timeout=5)
        answered_in = time.monotonic() - started
        cut = [_answer(conn, within=limits.header_timeout + 5) for conn in held]
        cut_in = time.monotonic() - started

    assert answer.status_code == 200
    assert answered_in < 2.0
    assert all(reply.startswith(b"HTTP/1.1 408 ") for reply in cut), {r[:30] for r in cut}
    assert cut_in < limits.header_timeout + 5


def test_a_slowloris_body_is_cut_after_the_body_timeout_on_the_federation_endpoint(
    pair: dict[str, Node],
) -> None:
    limits = Limits(header_timeout=5, body_timeout=1)
    body = json.dumps({"kind": "gossip", "body": {"pad": "x" * 1000}}).encode()
    headers = signed_headers(pair["KOR"].keys, body, message_id=uuid.uuid4().hex)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: {len(body)}\r\n{head}\r\n"
    )
    with NodeServer(pair["JPN"], limits=limits) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            conn.sendall(request.encode() + body[:100])  # a signed head, then the body stalls
            started = time.monotonic()
            reply = _answer(conn, within=10)
            stalled_for = time.monotonic() - started
        healthy = httpx.get(server.url + "/healthz", timeout=5)

    assert reply.startswith(b"HTTP/1.1 408 "), reply[:60]
    assert limits.body_timeout * 0.9 <= stalled_for < limits.body_timeout + 3
    assert healthy.status_code == 200


def test_a_body_that_keeps_coming_slowly_is_not_cut(pair: dict[str, Node]) -> None:
    """The body timeout is a pause between bytes, not a deadline for the whole body: a large
    message on a slow link arrives whole."""
    limits = Limits(header_timeout=5, body_timeout=1)
    form = b"token=" + b"x" * 60 + b"&next=/items"
    request = (
        b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"content-type: application/x-www-form-urlencoded\r\n"
        b"content-length: " + str(len(form)).encode() + b"\r\nconnection: close\r\n\r\n"
    )
    with (
        NodeServer(pair["JPN"], limits=limits) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn,
    ):
        conn.sendall(request)
        for start in range(0, len(form), 20):  # 2.5 s in all, each pause 0.6 s
            time.sleep(0.6)
            conn.sendall(form[start : start + 20])
        reply = _answer(conn, within=10)

    assert not reply.startswith(b"HTTP/1.1 408 "), reply[:60]
    assert reply.startswith(b"HTTP/1.1 "), reply[:60]  # answered (the token is not valid)


@pytest.mark.slow
def test_a_served_node_holds_at_most_max_connections_and_its_log_does_not_grow(
    make_node: MakeNode,
) -> None:
    jpn = make_node("JPN", "2019-11-22T23:00:00+09:00")
    jpn.start("--max-connections", "50", "--header-timeout", "2", "--body-timeout", "2")
    logged = jpn.log.read_bytes()
    started = time.monotonic()
    with half_heads(jpn.port, ATTACKERS) as held:
        replies = [_answer(conn, within=8) for conn in held]
    answer = httpx.get(jpn.url + "/healthz", timeout=5)
    elapsed = time.monotonic() - started
    added = jpn.log.read_bytes()[len(logged) :]
    jpn.stop()

    # refused at once: a 503, or a reset when the refusal raced our half head (unread data)
    refused = [r for r in replies if r.startswith(b"HTTP/1.1 503 ") or r == b"reset"]
    late = [r for r in replies if r.startswith(b"HTTP/1.1 408 ")]
    assert len(late) <= 50  # never more held than the limit
    assert len(refused) + len(late) == ATTACKERS, {r[:30] for r in replies}
    assert answer.status_code == 200
    assert elapsed < 15
    assert added.count(b"\n") <= 2, added.decode(errors="replace")[:2000]


def test_serve_refuses_limits_that_protect_nothing_or_exceed_its_descriptors(
    make_node: MakeNode,
) -> None:
    jpn = make_node("JPN", "2019-11-22T23:00:00+09:00")
    no_timeout = jpn.cli("serve", "--port", "0", "--header-timeout", "0")
    too_many = jpn.cli("serve", "--port", "0", "--max-connections", "100000000")

    assert no_timeout.returncode == 2
    assert no_timeout.stderr.strip().splitlines() == [
        "pactshare: error: --header-timeout: 0.0 s is not between 0 (excluded) and 3600 s"
    ]
    assert too_many.returncode == 2
    assert "--max-connections: 100000000 is more than this process may open" in too_many.stderr

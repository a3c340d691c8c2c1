"""The federation endpoint of a live ``pactshare serve`` process refuses what is not a
properly signed, fresh, unique, well-formed and small enough message (4xx, never 5xx), and
its log never shows a person's token."""

from __future__ import annotations

import json
import time
import uuid

import httpx

from pactshare import seal
from pactshare.federation.delivery import PATH
from tests.e2e.conftest import MakeNode
from tests.e2e.federation_support import connect, signed_headers
from tests.support import at

CLOCK = "2019-11-22T23:59:59+09:00"


def test_a_live_node_refuses_bad_federation_requests_and_logs_no_token(
    make_node: MakeNode,
) -> None:
    kor, jpn = make_node("KOR", CLOCK), make_node("JPN", CLOCK)
    connect([kor, jpn])
    token = jpn.json("person", "add", "Sato", "--clearance", "極秘", "--need-to-know", "dprk-missile", "--role", "reader")["token"]  # fmt: skip
    jpn.start("--max-message-bytes", str(1 << 20))
    keys = seal.load_keys(kor.home / "keys")
    stranger = seal.PartyKeys.generate("KOR", at=at(CLOCK))
    url = jpn.url + PATH
    body = json.dumps({"kind": "gossip", "body": {}}).encode()
    replayed = signed_headers(keys, body, message_id=uuid.uuid4().hex)
    cases = {
        "unsigned": (body, {"content-type": "application/json"}),
        "wrongly signed": (body, signed_headers(stranger, body, message_id="a")),
        "stale": (
            body,
            signed_headers(keys, body, message_id="b", created=int(time.time()) - 600),
        ),
        "malformed": (b"{", signed_headers(keys, b"{", message_id="c")),
        "replay 1": (body, replayed),
        "replay 2": (body, replayed),
        "oversized": (b"x" * (2 << 20), signed_headers(keys, b"x" * (2 << 20), message_id="d")),
        "bearer token": (
            body,
            {"authorization": f"Bearer {token}", "content-type": "application/json"},
        ),
    }
    statuses = {}
    with httpx.Client(timeout=10) as client:
        for name, (content, headers) in cases.items():
            statuses[name] = client.post(url, content=content, headers=headers).status_code
        client.get(jpn.url + "/healthz", headers={"authorization": f"Bearer {token}"})
    jpn.stop()

    assert statuses == {
        "unsigned": 401,
        "wrongly signed": 401,
        "stale": 401,
        "malformed": 400,
        "replay 1": 400,  # well signed, but no such kind of message
        "replay 2": 401,
        "oversized": 413,
        "bearer token": 401,  # people's tokens open nothing here
    }
    log = jpn.log.read_text(encoding="utf-8", errors="replace")
    assert token not in log
    assert "Traceback" not in log

"""/api/v1 (the app called in process): tokens, roles, and 404 (never 403) for what a person
may not see."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pactshare.store.schema import access_log
from tests.http_support import LABEL_TOML, LiveNode
from tests.support import footprint

PROBLEM = "application/problem+json"


def _register(
    live: LiveNode, content: bytes = b"DPRK SLBM telemetry", label: str = LABEL_TOML
) -> str:
    with live.client("originator") as http:
        answer = http.post(
            "/api/v1/items", files={"file": ("item.bin", content)}, data={"label": label}
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["item_id"])


NOT_TOKENS: list[str | None] = [None, "pst_not-a-token", ""]


def _every_operation_is_401(live: LiveNode, token: str | None) -> None:
    before = footprint(live.node)
    with live.client(token=token) as http:
        for path in ("/api/v1/me", "/api/v1/items", "/api/v1/agreements", "/api/v1/audit/head"):
            answer = http.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["content-type"] == PROBLEM
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert answer.json()["status"] == 401
        assert http.get("/healthz").status_code == 200
        assert http.get("/openapi.json").status_code == 200
    assert footprint(live.node) == before


def test_without_a_valid_token_every_operation_is_401(live: LiveNode) -> None:
    """Each missing or wrong token in turn, to one node: every operation 401, nothing kept."""
    for token in NOT_TOKENS:
        _every_operation_is_401(live, token)


def test_me_names_the_person_and_never_their_token(
    live: LiveNode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with live.client("reader") as http:
        me = http.get("/api/v1/me").json()
        http.get("/api/v1/items/nothing")
    expires = datetime.fromisoformat(me.pop("token_expires"))
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert me == {
        "name": "reader",
        "party": "KOR",
        "clearance": "kor-mil-2",
        "need_to_know": ["dprk-missile"],
        "roles": ["reader"],
        "clearance_expires": None,
    }
    assert live.tokens["reader"] not in str(me)
    assert caplog.records, "the server's log was captured"
    assert all(token not in caplog.text for token in live.tokens.values())


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("reader", "POST", "/api/v1/audit/heads", 403),
        ("originator", "GET", "/api/v1/audit/verify", 403),
        ("auditor", "GET", "/api/v1/audit/verify", 200),
        ("admin", "POST", "/api/v1/audit/heads", 201),
        ("reader", "POST", "/api/v1/agreements/gsomia-kor-jpn-2016/notes", 403),
    ],
)
def test_roles_gate_what_a_person_may_do(
    live: LiveNode, who: str, method: str, path: str, status: int
) -> None:
    body = {"kind": "notice_of_termination"} if path.endswith("/notes") else None
    with live.client(who) as http:
        answer = http.request(method, path, json=body)
    assert answer.status_code == status, answer.text


def test_reader_cannot_register_and_originator_can(live: LiveNode) -> None:
    with live.client("reader") as http:
        answer = http.post("/api/v1/items", files={"file": ("x", b"x")}, data={"label": LABEL_TOML})
    assert answer.status_code == 403
    assert answer.json()["detail"] == "reader lacks the role originator"
    assert _register(live)


@pytest.mark.parametrize("who", ["low", "elsewhere"])
def test_an_item_beyond_clearance_or_need_to_know_is_404_like_an_absent_one(
    live: LiveNode, who: str
) -> None:
    item = _register(live)
    absent = "0" * len(item)
    with live.client(who) as http:
        assert item not in http.get("/api/v1/items").text
        for suffix in ("", "/content", "/envelope", "/consents"):
            hidden = http.get(f"/api/v1/items/{item}{suffix}")
            missing = http.get(f"/api/v1/items/{absent}{suffix}")
            assert hidden.status_code == missing.status_code == 404, suffix
            assert hidden.text.replace(item, absent) == missing.text
        provide = http.post(f"/api/v1/items/{item}/provisions", json={"to": "JPN"})
        assert provide.status_code == 404
    with live.client("reader") as http:
        assert http.get(f"/api/v1/items/{item}").status_code == 200


def test_opening_streams_the_content_and_records_every_attempt(live: LiveNode) -> None:
    item = _register(live, b"telemetry " * 1000)
    with live.client("reader") as http:
        opened = http.get(f"/api/v1/items/{item}/content")
    assert opened.status_code == 200
    assert opened.content == b"telemetry " * 1000
    with live.client("low") as http:
        assert http.get(f"/api/v1/items/{item}/content").status_code == 404
    with live.node.db.atomic() as tx:
        rows = tx.execute(select(access_log.c.person, access_log.c.granted)).all()
    assert [tuple(r) for r in rows] == [("reader", True), ("low", False)]
    with live.client("reader") as http:
        access = http.get(f"/api/v1/items/{item}").json()["access"]
    assert [(a["person"], a["granted"]) for a in access] == [("reader", True), ("low", False)]

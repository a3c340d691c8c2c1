"""``pactshare serve --log-format json``: the served node's log is one JSON object a line,
saying what it decided, delivered and refused, with its fields, and never a token."""

from __future__ import annotations

import json
from typing import Any

import httpx

from pactshare.node.people import add_person
from tests.e2e.conftest import MakeNode
from tests.e2e.federation_support import NodeProcess, connect, wait_for
from tests.http_support import LABEL_TOML

GSOMIA_LAST_DAY = "2019-11-22T23:59:59+09:00"
CONTENT = b"SLBM telemetry, never logged"


def _originator(node: NodeProcess) -> str:
    """An originator on ``node``, and their API token."""
    opened = node.open()
    try:
        with opened.db.atomic() as tx:
            _, token = add_person(
                tx,
                opened.party(tx),
                name="originator",
                clearance="kor-mil-2",
                need_to_know=("dprk-missile",),
                roles=("originator",),
                at=opened.now(),
            )
    finally:
        opened.close()
    return token


def _records(node: NodeProcess) -> list[dict[str, Any]]:
    """Every line of the node's log, each parsed as one JSON object."""
    return [json.loads(line) for line in node.log.read_text(encoding="utf-8").splitlines()]


def _delivered(node: NodeProcess) -> bool:
    return any(r["message"] == "message delivered" for r in _records(node))


def test_a_served_node_logs_json_lines_of_what_it_decided_and_delivered_never_a_token(
    make_node: MakeNode,
) -> None:
    kor = make_node("KOR", GSOMIA_LAST_DAY)
    jpn = make_node("JPN", GSOMIA_LAST_DAY)
    connect([kor, jpn])
    token = _originator(kor)
    kor.start("--log-format", "json")
    jpn.start("--log-format", "json")
    with httpx.Client(base_url=kor.url, headers={"Authorization": f"Bearer {token}"}) as http:
        registered = http.post(
            "/api/v1/items", files={"file": ("item.bin", CONTENT)}, data={"label": LABEL_TOML}
        )
        item = registered.json()["item_id"]
        provided = http.post(f"/api/v1/items/{item}/provisions", json={"to": "JPN"})
    assert provided.status_code == 201, provided.text
    unsigned = httpx.post(f"{jpn.url}/federation/v1/messages", content=b"{}")
    assert unsigned.status_code == 401
    wait_for("KOR to log the delivery", lambda: _delivered(kor))
    kor.stop()
    jpn.stop()

    kor_log, jpn_log = _records(kor), _records(jpn)  # every line parses: JSON lines only
    for record in kor_log + jpn_log:
        assert {"time", "level", "logger", "message"} <= set(record), record
    assert (kor_log[0]["message"], kor_log[0]["party"]) == ("serving", "KOR")
    by_message = {r["message"]: r for r in kor_log + jpn_log}
    decided = by_message["provision decided"]
    assert decided["logger"] == "pactshare.node.provision"
    assert (decided["item_id"], decided["to"], decided["outcome"]) == (item, "JPN", "allowed")
    assert decided["agreement"] == "gsomia-kor-jpn-2016"
    delivered = by_message["message delivered"]
    assert delivered["logger"] == "pactshare.federation.delivery"
    assert (delivered["message_id"], delivered["kind"], delivered["to"]) == (
        decided["provision_id"],
        "item",
        "JPN",
    )
    received = by_message["item received"]
    assert (received["item_id"], received["from"]) == (item, "KOR")
    refused = by_message["federation request refused"]
    assert (refused["level"], refused["status"]) == ("warning", 401)
    text = kor.log.read_text(encoding="utf-8") + jpn.log.read_text(encoding="utf-8")
    assert token not in text
    assert CONTENT.decode() not in text

"""Accountability (R-PRO-6, R-STO-1, R-FAC-1) against a live node: a holding is placed only
under a custodian cleared for it, by an officer, with every field checked; the inventory is
signed, audited, and flags what changed since the last one."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pactshare import canonical
from pactshare.node.documents import verify_document
from pactshare.store.schema import audit_entries
from tests.http_support import LiveNode, sign_in
from tests.support import cli_json, footprint, run_cli

PLACE = {"facility": "MND Seoul, building 2", "container": "safe 7", "custodian": "reader"}


def _inventory(live: LiveNode) -> dict[str, Any]:
    with live.client("officer") as officer:
        taken = officer.post("/api/v1/inventories", json={})
    assert taken.status_code == 201, taken.text
    document: dict[str, Any] = taken.json()
    return document


def test_the_inventory_is_signed_audited_and_flags_what_changed(live: LiveNode) -> None:
    placed, moved = live.register(), live.register()
    with live.client("officer") as officer:
        for item_id in (placed, moved):
            answer = officer.post(f"/api/v1/items/{item_id}/location", json=PLACE)
            assert answer.status_code == 200, answer.text
    first = _inventory(live)
    signer, body = verify_document(first, live.node.directory, kind="inventory", where="test")
    assert signer == "KOR"
    assert {line["item_id"]: line["container"] for line in body["items"]} == {
        placed: "safe 7",
        moved: "safe 7",
    }
    assert body["previous"] is None
    assert body["differences"] == []
    unplaced = live.register()
    with live.client("officer") as officer:
        officer.post(f"/api/v1/items/{moved}/location", json={**PLACE, "container": "vault 1"})
    second = _inventory(live)["body"]
    assert second["previous"] == body["at"]
    assert sorted((d["item_id"], d["difference"]) for d in second["differences"]) == sorted(
        [
            (moved, "moved"),
            (unplaced, "not placed"),
            (unplaced, "new since the last inventory"),
        ]
    )
    with live.node.db.atomic() as tx:
        entries = tx.execute(select(audit_entries.c.data)).scalars().all()
    digest = hashlib.sha256(canonical.dumps(first)).hexdigest()
    assert any(digest.encode() in entry for entry in entries)
    with live.client("officer") as officer:
        listed = officer.get("/api/v1/inventories").json()
    assert [(i["digest"], i["items"], len(i["differences"])) for i in listed][1:] == [
        (digest, 2, 0)
    ]
    assert listed[0]["items"] == 3
    with live.client() as browser:
        sign_in(browser, live.tokens["officer"], "/inventory")
        shown = browser.get("/inventory").text
    assert f'<tr data-inventory="{digest}" data-differences="0">' in shown
    assert shown.count('data-placed="no"') == 1  # unplaced, now
    with live.client() as reader:
        sign_in(reader, live.tokens["reader"], "/inventory")
        assert reader.get("/inventory").status_code == 403
        assert reader.get("/api/v1/inventories").status_code in (401, 403)


BAD_LOCATIONS: list[tuple[str, dict[str, str], int, str]] = [
    ("reader", PLACE, 403, "lacks the role"),
    ("officer", {**PLACE, "custodian": "low"}, 400, "R-STO-1"),
    ("officer", {**PLACE, "custodian": "elsewhere"}, 400, "no need to know"),
    ("officer", {**PLACE, "custodian": "nobody"}, 404, "nobody"),
    ("officer", {**PLACE, "facility": ""}, 422, "facility"),
    ("officer", {**PLACE, "container": "x\x07y"}, 400, "control"),
    ("officer", {**PLACE, "facility": "F" * 201}, 422, "facility"),
]


def _refused_precisely(
    live: LiveNode, item_id: str, case: tuple[str, dict[str, str], int, str]
) -> None:
    who, body, status, message = case  # shown in a failure's traceback
    before = footprint(live.node)
    with live.client(who) as client:
        answer = client.post(f"/api/v1/items/{item_id}/location", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert footprint(live.node) == before
    lines = _inventory(live)["body"]["items"]
    assert [line["facility"] for line in lines] == [None]


def test_a_bad_location_is_refused_precisely_and_records_nothing(live: LiveNode) -> None:
    """Each bad location in turn, for one item: refused with its message, nothing recorded."""
    item_id = live.register()
    for case in BAD_LOCATIONS:
        _refused_precisely(live, item_id, case)


def test_an_unknown_item_is_404_and_an_inventory_of_the_future_is_refused(
    live: LiveNode,
) -> None:
    live.register()
    before = live.node.now() - timedelta(seconds=1)
    with live.client("officer") as officer:
        earlier = officer.post("/api/v1/inventories", json={"at": before.isoformat()})
        assert earlier.json()["body"]["items"] == []  # not yet registered then
        assert officer.post("/api/v1/items/nope/location", json=PLACE).status_code == 404
        future = officer.post("/api/v1/inventories", json={"at": "2999-01-01T00:00:00Z"})
        naive = officer.post("/api/v1/inventories", json={"at": "2019-01-01T00:00:00"})
    assert future.status_code == 400
    assert "after the node's now" in future.text
    assert naive.status_code == 422


# The command line's plumbing, on SQLite only: both backends are tried through the API above.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_locate_and_inventory_on_the_command_line(live: LiveNode) -> None:
    item_id, home = live.register(), str(live.node.home.root)
    code, place = cli_json(
        "locate", item_id, "--facility", "HQ", "--container", "safe 1", "--custodian", "reader",
        "--as", "officer", "--home", home,
    )  # fmt: skip
    assert code == 0
    assert place["custodian"] == "reader"
    code, document = cli_json("inventory", "--as", "officer", "--home", home)
    assert code == 0
    assert document["kind"] == "inventory"
    assert document["body"]["items"][0]["container"] == "safe 1"
    refused = run_cli("inventory", "--as", "reader", "--home", home)
    assert refused.returncode == 2
    assert "neither an admin nor a security officer" in refused.stderr

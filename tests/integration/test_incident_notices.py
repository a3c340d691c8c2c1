"""The originator sees the incidents its holders report about its items (R-INC-1, AT-18): a
notice delivered over the network or brought by courier becomes an incident record on the
originator's node — in ``GET /api/v1/incidents``, the item's ``incidents``, its holdings
(flagged while open) and the dashboard's pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.node import NodeHome
from pactshare.node.documents import sign_document, write_document
from pactshare.node.incidents import (
    NOTICE,
    close_incident,
    list_incidents,
    receive_notice,
    receive_notice_file,
    report_incident,
    update_incident,
)
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import incidents
from tests.http_support import LABEL_TOML, LiveNode, sign_in
from tests.support import at_once, run_cli


@dataclass
class Shared:
    """KOR (served live) provided one item to JPN, which received it."""

    kor: LiveNode
    jpn: Node
    item: str


@pytest.fixture
def shared(served: LiveNode, tmp_path: Path) -> Iterator[Shared]:
    kor = served.node
    jpn = Node(NodeHome(tmp_path / "jpn"), clock=kor.now)
    (jpn.home.directory / "KOR.json").write_bytes(kor.home.public_key.read_bytes())
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL_TOML, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "package.zip")
    receive(jpn, tmp_path / "package.zip")
    yield Shared(served, jpn, item)
    jpn.close()


def test_a_notice_delivered_over_the_network_shows_in_the_originators_api_and_holdings(
    shared: Shared,
) -> None:
    add_peer(shared.jpn, "KOR", shared.kor.url)
    notice = report_incident(shared.jpn, shared.item, summary="a courier bag went missing")
    assert deliver_due(shared.jpn).refused == []
    incident_id = notice["body"]["incident_id"]
    with shared.kor.client("officer") as http:
        listed = http.get("/api/v1/incidents").json()
        detail = http.get(f"/api/v1/items/{shared.item}").json()
        holdings = http.get("/api/v1/items").json()
        refused = http.patch(f"/api/v1/incidents/{incident_id}", json={"state": "confirmed"})
    [record] = listed
    assert (record["incident_id"], record["holder"], record["received"]) == (
        incident_id, "JPN", True,
    )  # fmt: skip
    assert (record["state"], record["summary"]) == ("suspected", "a courier bag went missing")
    assert detail["incidents"] == listed
    assert [h["open_incidents"] for h in holdings] == [["suspected"]]
    assert refused.status_code == 409  # only the holder updates its incident
    assert "reported by JPN" in refused.json()["detail"]


def test_notices_brought_by_courier_follow_the_incident_to_its_close_out_report(
    shared: Shared, tmp_path: Path
) -> None:
    jpn, kor = shared.jpn, shared.kor.node
    report = report_incident(jpn, shared.item, summary="laptop stolen", confirmed=True)
    incident_id = report["body"]["incident_id"]
    closing = close_incident(jpn, incident_id, findings="stolen", measures="encrypted disks")
    for name, document in (("report", report), ("close", closing), ("again", closing)):
        write_document(tmp_path / f"{name}.json", document)
        receive_notice_file(kor, tmp_path / f"{name}.json")
    [record] = list_incidents(kor)
    assert (record.holder, record.received, record.state, record.open) == (
        "JPN", True, "closed", False,
    )  # fmt: skip
    assert record.closed_at is not None
    [here] = list_incidents(jpn)
    assert (here.holder, here.received) == ("JPN", False)
    with shared.kor.client("officer") as http:
        [holding] = http.get("/api/v1/items").json()
        history = http.get(f"/api/v1/items/{shared.item}").json()["incidents"]
    assert holding["open_incidents"] == []
    assert [h["state"] for h in history] == ["closed"]


def test_the_dashboard_flags_an_item_with_an_open_incident_and_names_its_reporter(
    shared: Shared, tmp_path: Path
) -> None:
    notice = report_incident(shared.jpn, shared.item, summary="seal found broken")
    write_document(tmp_path / "notice.json", notice)
    receive_notice_file(shared.kor.node, tmp_path / "notice.json")
    update = update_incident(
        shared.jpn, notice["body"]["incident_id"], state="confirmed", note="opened"
    )
    write_document(tmp_path / "update.json", update)
    receive_notice_file(shared.kor.node, tmp_path / "update.json")
    with shared.kor.client() as http:
        sign_in(http, shared.kor.tokens["officer"])
        holdings = http.get("/items").text
        page = http.get(f"/items/{shared.item}").text
    assert 'data-testid="open-incident">incident confirmed</span>' in holdings
    assert "seal found broken — reported by JPN (notice received)" in page


def test_the_cli_receives_a_couriered_notice_and_lists_it_and_names_a_bad_file(
    shared: Shared, tmp_path: Path
) -> None:
    notice = report_incident(shared.jpn, shared.item, summary="bag missing")
    write_document(tmp_path / "notice.json", notice)
    (tmp_path / "bad.json").write_text('{"kind": "incident-notice"}', encoding="utf-8")
    home = str(shared.kor.node.home.root)
    received = run_cli("incident", "receive", str(tmp_path / "notice.json"), "--home", home)
    listed = run_cli("incident", "list", "--home", home)
    bad = run_cli("incident", "receive", str(tmp_path / "bad.json"), "--home", home)
    assert received.returncode == 0, received.stderr
    assert "suspected, received from JPN" in received.stdout
    assert "received from JPN" in listed.stdout
    assert "bag missing" in listed.stdout
    assert bad.returncode == 2
    assert f"{tmp_path / 'bad.json'}: not a signed incident-notice document" in bad.stderr


def _incident_row(node: Node) -> tuple[str, list[dict[str, Any]]]:
    """The one incident's state and its signed steps, as the node recorded them."""
    with node.db.atomic() as tx:
        row = tx.execute(select(incidents.c.state, incidents.c.history)).one()
    return str(row.state), list(row.history)


def test_an_incident_confirmed_and_ruled_out_at_once_takes_one_of_them(shared: Shared) -> None:
    """Two officers answering one suspected incident at once (``PATCH`` twice): one answer
    is recorded, signed and notified; the other is refused, as it would be after it."""
    kor = shared.kor.node
    incident_id = report_incident(kor, shared.item, summary="a safe found open")["body"][
        "incident_id"
    ]
    answers = at_once(
        [
            lambda: update_incident(kor, incident_id, state="confirmed", note="it was opened"),
            lambda: update_incident(kor, incident_id, state="ruled-out", note="it was not"),
        ]
    )
    [updated] = [a for a in answers if isinstance(a, dict)]
    assert [type(a).__name__ for a in answers if not isinstance(a, dict)] == ["NodeError"]
    state, history = _incident_row(kor)
    assert state == updated["body"]["state"]
    assert [step["body"]["state"] for step in history] == ["suspected", state]


def test_a_holders_two_contradicting_notices_at_once_are_not_both_filed(shared: Shared) -> None:
    """The holder's node sends "confirmed" and "ruled-out" for one incident at once (two
    delivery passes, or a holder trying): the originator files one and refuses the other;
    its record keeps every notice it filed."""
    kor, jpn = shared.kor.node, shared.jpn
    report = report_incident(jpn, shared.item, summary="a courier bag went missing")
    receive_notice(kor, report, where="report")
    steps = [
        sign_document(NOTICE, {**report["body"], "state": state, "note": state}, jpn.keys)
        for state in ("confirmed", "ruled-out")
    ]
    answers = at_once([partial(receive_notice, kor, step, where="step") for step in steps])
    assert [type(a).__name__ for a in answers].count("PackageError") == 1, answers
    state, history = _incident_row(kor)
    assert state in ("confirmed", "ruled-out")
    assert [step["body"]["state"] for step in history] == ["suspected", state]

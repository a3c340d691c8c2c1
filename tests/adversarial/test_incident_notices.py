"""Incident notices are a peer's word about our items, filed as first-class records on the
originator's node; a hostile peer must not plant, hijack or rewrite incidents with them.

A notice is accepted only if signed by the holder it names, about an item this node
originated and provided to that holder, for an incident that holder opened, moving as the
states allow; anything else is refused with nothing recorded (by courier or over HTTP).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pactshare.errors import NodeError, PackageError
from pactshare.federation.delivery import PATH
from pactshare.node.consents import grant_consent
from pactshare.node.documents import sign_document
from pactshare.node.incidents import (
    NOTICE,
    close_incident,
    list_incidents,
    receive_notice,
    report_incident,
    update_incident,
)
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries
from tests.e2e.federation_support import signed_headers
from tests.http_support import LABEL_TOML
from tests.support import Clock, at, pinned_nodes


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[dict[str, Node], str]]:
    """KOR, JPN and USA pin each other; KOR provided one item to JPN (not to USA)."""
    nodes = pinned_nodes(tmp_path, Clock(at("2019-11-22T23:00:00+09:00")))
    kor, jpn = nodes["KOR"], nodes["JPN"]
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL_TOML, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "package.zip")
    receive(jpn, tmp_path / "package.zip")
    yield nodes, item
    for node in nodes.values():
        node.close()


def _forged(signer: Node, **body: Any) -> dict[str, Any]:
    """A notice as ``signer`` would sign it, saying whatever ``body`` says."""
    fields = {"incident_id": "f" * 32, "holder": signer.party_code, "state": "suspected",
              "summary": "made up", "at": signer.now().isoformat(), **body}  # fmt: skip
    return sign_document(NOTICE, fields, signer.keys)


def _entries(node: Node) -> int:
    with node.db.atomic() as tx:
        return int(tx.execute(select(func.count()).select_from(audit_entries)).scalar_one())


def _refused(node: Node, document: dict[str, Any], match: str) -> None:
    before = (list_incidents(node), _entries(node))
    with pytest.raises(PackageError, match=match):
        receive_notice(node, document, where="notice.json")
    assert (list_incidents(node), _entries(node)) == before


def test_a_party_we_never_provided_the_item_to_cannot_report_on_it(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    _refused(nodes["KOR"], _forged(nodes["USA"], item_id=item), "never provided to USA")


def test_a_party_we_approved_an_onward_release_to_may_report_on_the_item(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    kor, usa = nodes["KOR"], nodes["USA"]
    grant_consent(kor, item, release_to="USA", for_holder="JPN")
    record = receive_notice(kor, _forged(usa, item_id=item), where="notice.json")
    assert (record.holder, record.received, record.state) == ("USA", True, "suspected")


def test_a_notice_must_be_signed_by_the_holder_it_names(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    notice = _forged(nodes["JPN"], item_id=item, holder="USA")
    _refused(nodes["KOR"], notice, "signed by JPN, but names USA as the holder")


def test_a_notice_about_an_item_we_did_not_originate_is_refused(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, _ = world
    _refused(nodes["KOR"], _forged(nodes["JPN"], item_id="0" * 32), "not an item KOR originated")


def test_a_notice_altered_after_signing_is_refused(world: tuple[dict[str, Node], str]) -> None:
    nodes, item = world
    notice = report_incident(nodes["JPN"], item, summary="bag missing")
    notice["body"]["summary"] = "nothing happened"
    _refused(nodes["KOR"], notice, "signature does not verify")


def test_a_holder_cannot_take_over_an_incident_of_ours(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    ours = report_incident(nodes["KOR"], item, summary="our own copy misplaced")["body"]
    notice = _forged(nodes["JPN"], item_id=item, incident_id=ours["incident_id"], state="closed")
    _refused(nodes["KOR"], notice, f"incident {ours['incident_id']} is KOR's")


def test_a_closed_incident_cannot_be_reopened_by_a_later_notice(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    jpn, kor = nodes["JPN"], nodes["KOR"]
    report = report_incident(jpn, item, summary="bag missing")
    incident_id = report["body"]["incident_id"]
    closing = close_incident(jpn, incident_id, findings="found", measures="two-person rule")
    for notice in (report, closing):
        receive_notice(kor, notice, where="notice.json")
    reopened = _forged(jpn, item_id=item, incident_id=incident_id, state="suspected")
    _refused(kor, reopened, "is closed; it cannot become suspected")


def test_the_originator_cannot_update_or_close_a_holders_incident(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    jpn, kor = nodes["JPN"], nodes["KOR"]
    notice = report_incident(jpn, item, summary="bag missing")
    incident_id = notice["body"]["incident_id"]
    receive_notice(kor, notice, where="notice.json")
    with pytest.raises(NodeError, match="reported by JPN: only they update or close it"):
        update_incident(kor, incident_id, state="ruled-out", note="")
    with pytest.raises(NodeError, match="reported by JPN"):
        close_incident(kor, incident_id, findings="x", measures="y")


def test_a_planted_notice_over_the_network_is_400_and_nothing_is_recorded(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    kor, usa = nodes["KOR"], nodes["USA"]
    body = json.dumps(_forged(usa, item_id=item)).encode()
    before = _entries(kor)
    with NodeServer(kor, port=0) as server:
        server.worker.stop()
        headers = signed_headers(usa.keys, body, message_id="planted-1", recipient="KOR")
        answer = httpx.post(server.url + PATH, content=body, headers=headers, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "never provided to USA" in answer.json()["detail"]
    assert list_incidents(kor) == ()
    assert _entries(kor) == before


def test_a_notice_whose_body_has_no_canonical_form_is_400_not_a_server_error(
    world: tuple[dict[str, Node], str],
) -> None:
    nodes, item = world
    kor, jpn = nodes["KOR"], nodes["JPN"]
    notice = {**_forged(jpn, item_id=item), "body": {"item_id": item, "huge": 2**64}}
    _refused(kor, notice, "the body has no canonical form")
    body = json.dumps(notice).encode()
    with NodeServer(kor, port=0) as server:
        server.worker.stop()
        headers = signed_headers(jpn.keys, body, message_id="huge-1", recipient="KOR")
        answer = httpx.post(server.url + PATH, content=body, headers=headers, timeout=30)
    assert answer.status_code == 400, answer.text
    # over the network the bounded JSON reader refuses it first, naming the integer
    assert "is beyond ±(2**53 - 1)" in answer.json()["detail"]

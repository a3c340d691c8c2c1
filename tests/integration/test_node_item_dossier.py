"""An item's dossier as the node hands it to the API and the dashboard: frozen records, read
in one transaction, and hidden from a person who may not see the item exactly as if absent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from pactshare.errors import NotFoundError
from pactshare.node.dossier import item_dossier
from pactshare.node.holdings import admit, item_for
from pactshare.node.items import ItemState, get_item, register
from pactshare.node.people import PersonRecord, enrol_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from tests.http_support import LABEL_TOML as LABEL
from tests.support import Clock, at, pinned_nodes


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    nodes = pinned_nodes(tmp_path, Clock(at("2019-11-22T23:00:00+09:00")), ("KOR", "JPN"))
    yield nodes["KOR"], nodes["JPN"]
    for node in nodes.values():
        node.close()


def _person(node: Node, name: str, clearance: str, topics: tuple[str, ...]) -> PersonRecord:
    record, _ = enrol_person(
        node, name=name, clearance=clearance, need_to_know=topics, roles=("security-officer",)
    )
    return record


def _received(tmp_path: Path, kor: Node, jpn: Node) -> str:
    (tmp_path / "item.txt").write_text("DPRK SLBM launch telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    receive(jpn, tmp_path / "pkg.zip")
    return item


def test_the_dossier_holds_the_item_its_receipt_and_each_attempt_as_frozen_records(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    kor, jpn = pair
    item = _received(tmp_path, kor, jpn)
    officer = _person(jpn, "sato", "機密", ("dprk-missile",))
    admit(jpn, item, person_name="sato")
    found = item_dossier(jpn, officer, item)
    assert (found.item.id, found.item.state) == (item, ItemState.HELD)
    assert found.item == get_item(jpn, item) == item_for(jpn, officer, item)
    (receipt,) = found.receipts
    assert (receipt.sender, receipt.receipt["body"]["item_id"]) == ("KOR", item)
    assert [a.granted for a in found.access] == [True]
    (provision,) = item_dossier(
        kor, _person(kor, "kim", "군사 I급 비밀", ("dprk-missile",)), item
    ).provisions
    assert (provision.recipient, provision.route[0]["agreement"]) == ("JPN", "gsomia-kor-jpn-2016")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.item.state = ItemState.DESTROYED  # type: ignore[misc]


def test_an_item_a_person_may_not_see_has_no_dossier_as_if_it_did_not_exist(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    kor, jpn = pair
    item = _received(tmp_path, kor, jpn)
    outsider = _person(jpn, "tanaka", "機密", ("prc-naval",))  # no need-to-know for its topic
    with pytest.raises(NotFoundError) as hidden:
        item_dossier(jpn, outsider, item)
    with pytest.raises(NotFoundError) as absent:
        item_dossier(jpn, outsider, "no-such-item")
    assert str(hidden.value) == str(absent.value).replace("no-such-item", item)
    with pytest.raises(NotFoundError):
        item_for(jpn, outsider, item)

"""Providing an item to a party that already holds it: every package is one custody hop.

The attack: KOR provided an item twice to JPN; JPN answered 503
"UNIQUE constraint failed: items.id" and the message stayed in the outbox forever. Now the
same package again answers its first receipt, a new package for a held item is another hop
with its own receipt, an item returned or destroyed may come again, another party's label
under a held item's id is refused for good (4xx, final in the sender's outbox), and item ids
come from the originator's node only.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from pactshare import seal
from pactshare.audit import Entry
from pactshare.errors import LabelError, PackageError
from pactshare.federation.delivery import PATH, deliver_due
from pactshare.federation.inbound import JSON, ZIP, Inbound, accept
from pactshare.federation.peers import add_peer
from pactshare.federation.relay import relay_due
from pactshare.federation.storage import outbox_entries
from pactshare.node.consents import grant_consent, record_consent
from pactshare.node.custody import dispose
from pactshare.node.documents import write_document
from pactshare.node.envelopes import envelope_blocks, find_envelope
from pactshare.node.items import item_row, register, register_label
from pactshare.node.packages import write_package
from pactshare.node.provision import provide
from pactshare.node.reception import (
    ALREADY_RECEIVED,
    ANOTHER_HOP,
    RECEIVED,
    RECEIVED_AGAIN,
    receive_package,
)
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries, items, outbox, receipts, relays
from tests.e2e.federation_support import signed_headers
from tests.http_support import LABEL_TOML, LiveNode
from tests.support import Clock, at, exchange_assurances, pinned_nodes, run_cli

GSOMIA_LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN", "USA"]
"""
TISA_LABEL = GSOMIA_LABEL.replace("gsomia-kor-jpn-2016", "tisa-2014")
IN_FORCE = "2019-08-01T10:00:00+09:00"  # GSOMIA in force, before KOR's notice


@pytest.fixture
def clock() -> Clock:
    return Clock(at(IN_FORCE))


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    """KOR, JPN (the receiver, on the backend under test) and USA, pinning each other."""
    made = pinned_nodes(tmp_path, clock, databases={"JPN": database_url})
    yield made
    for node in made.values():
        node.close()


def _register(node: Node, folder: Path, label: str = GSOMIA_LABEL) -> str:
    (folder / "item.txt").write_text("SLBM telemetry", encoding="utf-8")
    (folder / "label.toml").write_text(label, encoding="utf-8")
    return register(node, folder / "item.txt", folder / "label.toml")


def _count(node: Node, table: object, *where: object) -> int:
    query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
    with node.db.atomic() as tx:
        return int(tx.execute(query).scalar_one())


def _receipt_entries(node: Node) -> int:
    return _count(node, audit_entries, audit_entries.c.kind == "receipt")


def test_the_same_package_again_answers_its_first_receipt_and_changes_nothing(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, jpn = nodes["KOR"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    first = receive_package(jpn, tmp_path / "pkg.zip")
    clock.now = at("2019-08-02T10:00:00+09:00")  # a day later, the courier comes again
    again = receive_package(jpn, tmp_path / "pkg.zip")
    assert (first.custody, again.custody) == (RECEIVED, ALREADY_RECEIVED)
    assert again.receipt == first.receipt
    assert (_count(jpn, receipts), _receipt_entries(jpn)) == (1, 1)


def test_a_second_provision_over_the_network_is_delivered_as_another_hop(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """The finding itself: the second message no longer sticks in KOR's outbox; replaying
    the first package over HTTP (a retry whose answer was lost) answers the first receipt."""
    kor, jpn = nodes["KOR"], nodes["JPN"]
    item = _register(kor, tmp_path)
    with NodeServer(jpn, port=0) as server:
        server.worker.stop()  # this test drives delivery itself
        add_peer(kor, "JPN", server.url)
        first = provide(kor, item, "JPN", package=None)
        clock.now = at("2019-08-01T11:00:00+09:00")
        second = provide(kor, item, "JPN", package=None)
        report = deliver_due(kor)
        with kor.db.atomic() as tx:
            row = tx.execute(select(outbox).where(outbox.c.id == first.provision_id)).one()
            envelope = find_envelope(tx, row.payload["body"]["envelope"]["digest"])
        package = tmp_path / "replayed.zip"
        write_package(package, row.payload, envelope_blocks(kor, envelope))
        body = package.read_bytes()
        headers = signed_headers(
            kor.keys, body, message_id=first.provision_id, content_type="application/zip"
        )
        replayed = httpx.post(server.url + PATH, content=body, headers=headers, timeout=30)
    assert report.delivered == [first.provision_id, second.provision_id]
    assert {r.state for r in outbox_entries(kor, pending_only=False)} == {"delivered"}
    assert replayed.status_code == 200
    assert replayed.json()["receipt"] == row.receipt
    assert (_count(jpn, items), _count(jpn, receipts), _receipt_entries(jpn)) == (1, 2, 2)
    with jpn.db.atomic() as tx:
        entries = tx.execute(
            select(audit_entries.c.data)
            .where(audit_entries.c.kind == "receipt")
            .order_by(audit_entries.c.position)
        ).scalars()
        custody = [Entry.from_bytes(data).details["custody"] for data in entries]
    assert custody == [RECEIVED, ANOTHER_HOP]


def test_an_item_returned_by_its_holder_may_be_provided_again(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, jpn = nodes["KOR"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "first.zip")
    receive_package(jpn, tmp_path / "first.zip")
    dispose(jpn, item, returned=True)  # pactshare destroy ITEM --return
    clock.now = at("2019-08-05T10:00:00+09:00")
    provide(kor, item, "JPN", package=tmp_path / "again.zip")
    again = receive_package(jpn, tmp_path / "again.zip")
    assert again.custody == RECEIVED_AGAIN
    with jpn.db.atomic() as tx:
        row = item_row(tx, item)
    assert (row.state, row.disposal, row.received_from) == ("held", None, "KOR")
    assert (_count(jpn, items), _count(jpn, receipts)) == (1, 2)


def test_a_relay_then_a_direct_provision_are_two_custody_hops(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """Through USA under TISA in 2016 (no GSOMIA yet), then directly under GSOMIA in 2017."""
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    clock.now = at("2016-06-01T10:00:00+09:00")
    item = _register(kor, tmp_path, TISA_LABEL)
    provide(kor, item, "JPN", package=tmp_path / "to-usa.zip")
    receive_package(usa, tmp_path / "to-usa.zip")
    write_document(tmp_path / "approval.json", grant_consent(kor, item, release_to="JPN"))
    record_consent(usa, tmp_path / "approval.json")
    clock.now = at("2016-06-01T10:05:00+09:00")
    provide(usa, item, "JPN", package=tmp_path / "relayed.zip")
    relayed = receive_package(jpn, tmp_path / "relayed.zip")
    clock.now = at("2017-06-01T10:00:00+09:00")
    exchange_assurances(nodes)  # now that GSOMIA is in force and jpn-mod designated (AT-16)
    provide(kor, item, "JPN", package=tmp_path / "direct.zip")
    direct = receive_package(jpn, tmp_path / "direct.zip")

    assert (relayed.custody, direct.custody) == (RECEIVED, ANOTHER_HOP)
    hops = [
        (r.receipt["body"]["sender"], r.receipt["body"]["agreement"]) for r in (relayed, direct)
    ]
    assert hops == [("USA", "tisa-2014"), ("KOR", "gsomia-kor-jpn-2016")]
    with jpn.db.atomic() as tx:
        given = tx.execute(select(receipts.c.sender).order_by(receipts.c.received_at)).scalars()
        assert list(given) == ["USA", "KOR"]
        assert item_row(tx, item).received_under == "tisa-2014"  # held as first received


def _forge_twin(usa: Node, item: str, folder: Path) -> None:
    """USA's node, hostile, seals an item of its own under the id of KOR's item."""
    label = seal.Label.from_mapping(
        {
            "policy": "gsomia-usa-jpn-2007",
            "originator": "USA",
            "classification": "usa-secret",
            "topics": ["dprk-missile"],
            "releasable_to": ["JPN"],
        },
        item_id=item,
        created_at=usa.now(),
    )
    (folder / "twin.txt").write_text("not KOR's item", encoding="utf-8")
    register_label(usa, folder / "twin.txt", label, source="forged")


def test_another_partys_item_under_a_held_items_id_is_refused_and_leaves_nothing(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    receive_package(jpn, tmp_path / "pkg.zip")
    _forge_twin(usa, item, tmp_path)
    twin = tmp_path / "twin.zip"
    provide(usa, item, "JPN", package=twin)
    stored = sorted(p for p in jpn.objects.root.rglob("*") if p.is_file())
    with pytest.raises(PackageError, match="held here under another label"):
        receive_package(jpn, twin)
    assert sorted(p for p in jpn.objects.root.rglob("*") if p.is_file()) == stored
    assert (_count(jpn, receipts), _receipt_entries(jpn)) == (1, 1)
    with jpn.db.atomic() as tx:
        assert item_row(tx, item).originator == "KOR"


def test_over_the_network_the_twin_is_refused_for_good_not_retried(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    receive_package(jpn, tmp_path / "pkg.zip")
    with NodeServer(jpn, port=0) as server:
        server.worker.stop()
        add_peer(usa, "JPN", server.url)
        _forge_twin(usa, item, tmp_path)
        provide(usa, item, "JPN", package=None)
        report = deliver_due(usa)
    assert len(report.refused) == 1
    [row] = [r for r in outbox_entries(usa, pending_only=False) if r.id == report.refused[0]]
    assert row.state == "refused"
    assert "(400)" in (row.last_error or "")
    assert "held here under another label" in (row.last_error or "")


def test_the_cli_says_plainly_that_a_package_was_already_received(
    tmp_path: Path, nodes: dict[str, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    kor, jpn = nodes["KOR"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    provide(kor, item, "JPN", package=tmp_path / "second.zip")
    receive_package(jpn, tmp_path / "pkg.zip")
    home = str(jpn.home.root)
    monkeypatch.setenv("PACTSHARE_CLOCK", IN_FORCE)
    again = run_cli("receive", str(tmp_path / "pkg.zip"), "--home", home)
    hop = run_cli("receive", str(tmp_path / "second.zip"), "--home", home, "--json")
    assert (again.returncode, hop.returncode) == (0, 0)
    assert again.stdout.startswith("already received: package ")
    assert "nothing changed" in again.stdout
    assert "UNIQUE" not in again.stdout + again.stderr
    assert json.loads(hop.stdout)["custody"] == ANOTHER_HOP


def test_a_label_file_that_names_an_item_id_is_refused(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    kor = nodes["KOR"]
    item = _register(kor, tmp_path)
    (tmp_path / "claims.toml").write_text(f'item_id = "{item}"\n{GSOMIA_LABEL}', encoding="utf-8")
    with pytest.raises(LabelError, match="item_id: an item's id is generated"):
        register(kor, tmp_path / "item.txt", tmp_path / "claims.toml")
    done = run_cli(
        "register", str(tmp_path / "item.txt"), "--label", str(tmp_path / "claims.toml"),
        "--home", str(kor.home.root),
    )  # fmt: skip
    assert done.returncode == 2
    assert "item_id" in done.stderr
    assert "Traceback" not in done.stderr
    assert _count(kor, items) == 1


def test_the_api_refuses_a_label_that_names_an_item_id(live: LiveNode) -> None:
    claimed = uuid.uuid4().hex
    labels = {
        "toml": f'item_id = "{claimed}"\n{LABEL_TOML}',
        "json": json.dumps({"item_id": claimed, "policy": "gsomia-kor-jpn-2016",
                            "originator": "KOR", "classification": "군사 II급 비밀",
                            "topics": ["dprk-missile/slbm"], "releasable_to": ["JPN"]}),
    }  # fmt: skip
    with live.client("originator") as client:
        for label in labels.values():
            answer = client.post(
                "/api/v1/items", files={"file": ("x.txt", b"x")}, data={"label": label}
            )
            assert answer.status_code == 400, answer.text
            assert "item_id" in answer.json()["detail"]
        listed = client.get("/api/v1/items").json()
    assert listed == []


def test_the_hub_asks_the_originator_again_when_a_relayed_item_comes_again(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """KOR provides the item through USA a second time, after the hub relayed the first: the
    earlier approval was for the earlier release, so the hub asks KOR again; a package
    delivered twice asks nothing more."""
    kor, usa = nodes["KOR"], nodes["USA"]
    clock.now = at("2016-06-01T10:00:00+09:00")
    item = _register(kor, tmp_path, TISA_LABEL)

    def arrives(sender: str, message_id: str, body: Path, media_type: str = ZIP) -> None:
        accept(usa, Inbound(sender, message_id, media_type, body))

    def requests() -> int:
        return sum(r.kind == "consent-request" for r in outbox_entries(usa, pending_only=False))

    first = provide(kor, item, "JPN", package=tmp_path / "first.zip")
    arrives("KOR", first.provision_id, tmp_path / "first.zip")
    arrives("KOR", first.provision_id, tmp_path / "first.zip")  # a retry: one request
    assert requests() == 1
    write_document(tmp_path / "approval.json", grant_consent(kor, item, release_to="JPN"))
    arrives("KOR", uuid.uuid4().hex, tmp_path / "approval.json", JSON)
    clock.now = at("2016-06-01T10:05:00+09:00")
    assert len(relay_due(usa)) == 1

    clock.now = at("2016-07-01T10:00:00+09:00")
    second = provide(kor, item, "JPN", package=tmp_path / "second.zip")
    arrives("KOR", second.provision_id, tmp_path / "second.zip")
    arrives("KOR", first.provision_id, tmp_path / "first.zip")  # an old retry: nothing new
    assert requests() == 2
    with usa.db.atomic() as tx:
        assert tx.execute(select(relays.c.state)).scalar_one() == "awaiting-consent"
    assert relay_due(usa) == []  # until KOR approves this release too


def test_the_same_package_received_four_times_at_once_has_one_effect(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    """Retries racing each other: every attempt answers the one receipt that was recorded."""
    kor, jpn = nodes["KOR"], nodes["JPN"]
    item = _register(kor, tmp_path)
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    start = threading.Barrier(4)

    def attempt() -> dict[str, object]:
        start.wait()
        return receive_package(jpn, tmp_path / "pkg.zip").receipt

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: attempt(), range(4)))
    assert all(answer == answers[0] for answer in answers)
    assert (_count(jpn, items), _count(jpn, receipts), _receipt_entries(jpn)) == (1, 1, 1)
    assert not list(jpn.objects.root.glob(".incoming-*"))

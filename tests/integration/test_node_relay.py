"""A TISA relay across three nodes by hand-carried packages: KOR → USA → JPN in 2016, before
GSOMIA, with the hub's onward release waiting for KOR's consent (R-TISA-5/6/7, AT-22/23)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from pactshare.errors import RefusedError
from pactshare.federation.inbound import JSON, ZIP, Inbound, accept
from pactshare.federation.relay import relay_due
from pactshare.node.consents import grant_consent, record_consent, request_consent
from pactshare.node.documents import write_document
from pactshare.node.holdings import inbox
from pactshare.node.items import item_row, register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import provisions, relays
from tests.support import Clock, at, at_once, pinned_nodes

LABEL = """policy = "tisa-2014"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["USA", "JPN"]
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2016-06-01T10:00:00+09:00"))


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    """KOR, USA (the hub, on the backend under test) and JPN, pinning each other."""
    ticking = pinned_nodes(tmp_path, clock, ("KOR", "USA", "JPN"), {"USA": database_url})
    yield ticking
    for node in ticking.values():
        node.close()


def test_AT_23_relay_through_the_hub_waits_for_the_originators_consent(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    (tmp_path / "item.txt").write_text("SLBM telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")

    first = provide(kor, item, "JPN", package=tmp_path / "to-usa.zip")  # no GSOMIA yet
    assert first.decision["outcome"] == "relay"
    assert [hop["to"] for hop in first.decision["route"]] == ["USA", "JPN"]
    receive(usa, tmp_path / "to-usa.zip")
    with usa.db.atomic() as tx:
        held = item_row(tx, item)
    assert (held.received_under, held.marking) == ("tisa-2014", "KOR / SECRET")  # R-TISA-7

    with pytest.raises(RefusedError) as refused:
        provide(usa, item, "JPN", package=tmp_path / "to-jpn.zip")
    assert any("R-TISA-6" in reason for reason in refused.value.reasons)

    write_document(tmp_path / "request.json", request_consent(usa, item, release_to="JPN"))
    write_document(tmp_path / "approval.json", grant_consent(kor, item, release_to="JPN"))
    record_consent(usa, tmp_path / "approval.json")
    clock.now = at("2016-06-01T10:05:00+09:00")  # the release comes after the filing

    onward = provide(usa, item, "JPN", package=tmp_path / "to-jpn.zip")
    assert onward.decision["route"][0]["agreement"] == "tisa-2014"
    receipt = receive(jpn, tmp_path / "to-jpn.zip")
    assert receipt["body"]["marking"] == "KOR / 極秘 (SECRET)"
    assert [h.item_id for h in inbox(jpn)] == [item]


def test_two_relay_passes_at_once_release_the_item_onward_once(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """The hub's delivery worker and a ``federation deliver`` command (or two ``serve``
    processes) relaying at once: both saw the relay approved, but one approval is one release;
    the second pass finds it provided and does nothing."""
    kor, usa = nodes["KOR"], nodes["USA"]
    (tmp_path / "item.txt").write_text("SLBM telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    first = provide(kor, item, "JPN", package=tmp_path / "to-usa.zip")
    accept(usa, Inbound("KOR", first.provision_id, ZIP, tmp_path / "to-usa.zip"))
    write_document(tmp_path / "approval.json", grant_consent(kor, item, release_to="JPN"))
    accept(usa, Inbound("KOR", uuid.uuid4().hex, JSON, tmp_path / "approval.json"))
    clock.now = at("2016-06-01T10:05:00+09:00")

    passes = at_once([partial(relay_due, usa), partial(relay_due, usa)])
    done = [provision for one in passes if isinstance(one, list) for provision in one]
    assert not [one for one in passes if not isinstance(one, list)], passes
    with usa.db.atomic() as tx:
        onward = tx.execute(select(provisions.c.id).where(provisions.c.item_id == item)).all()
        relay = tx.execute(select(relays.c.state, relays.c.provision_id)).one()
    assert len(done) == 1, done
    assert [row.id for row in onward] == done
    assert (relay.state, relay.provision_id) == ("provided", done[0])

"""Approvals and revocations from a party that is not the item's originator: a peer signed an "approval" for KOR's item held by the hub; the hub filed it,
forwarded it with its onward release, and the next party refused that release. Only the
originator's approvals are accepted now: over the network, by courier (``consent record``),
and even when one arrives before its item, squatting the id of the originator's own approval.

The scene is the TISA relay of 2016 (no GSOMIA yet): KOR's item for JPN waits at USA, the
hub, for KOR's written approval; JPN, not the originator, forges one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pactshare.errors import PackageError
from pactshare.federation.delivery import PATH
from pactshare.node.consents import grant_consent, record_consent, revoke_consent
from pactshare.node.documents import sign_document, write_document
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import approvals
from tests.e2e.federation_support import signed_headers
from tests.support import Clock, at, pinned_nodes, run_cli

NOW = "2016-06-01T10:00:00+09:00"
LATER = "2016-06-01T10:05:00+09:00"
LABEL = """policy = "tisa-2014"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["USA", "JPN"]
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(at(NOW))


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    """KOR, USA (the hub, on the backend under test) and JPN, pinning each other."""
    made = pinned_nodes(tmp_path, clock, databases={"USA": database_url})
    yield made
    for node in made.values():
        node.close()


def _item(kor: Node, folder: Path) -> str:
    (folder / "item.txt").write_text("x", encoding="utf-8")
    (folder / "label.toml").write_text(LABEL, encoding="utf-8")
    return register(kor, folder / "item.txt", folder / "label.toml")


def _at_the_hub(kor: Node, usa: Node, item: str, folder: Path) -> None:
    """KOR provides the item for JPN: it goes to USA, the hub, and waits there."""
    provide(kor, item, "JPN", package=folder / "to-usa.zip")
    receive(usa, folder / "to-usa.zip")


def _jpn_approval(jpn: Node, item: str, approval_id: str | None = None) -> dict[str, Any]:
    """JPN, not the originator, approves the release of KOR's item to itself."""
    body = {
        "approval_id": approval_id or uuid.uuid4().hex,
        "item_id": item,
        "originator": "JPN",  # signed by JPN, as the signer check demands
        "kind": "release",
        "subject": "JPN",
        "granted_at": jpn.now().isoformat(),
    }
    return sign_document("approval", body, jpn.keys)


def _filed(hub: Node) -> list[tuple[str, bool]]:
    """The approvals on file at the hub: (originator, revoked)."""
    with hub.db.atomic() as tx:
        rows = tx.execute(select(approvals.c.originator, approvals.c.revoked_at)).all()
    return [(r.originator, r.revoked_at is not None) for r in rows]


def _relay(nodes: dict[str, Node], item: str, folder: Path, clock: Clock) -> None:
    """KOR's own approval goes on file at the hub, which relays to JPN; JPN receives it."""
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    write_document(folder / "kor-approval.json", grant_consent(kor, item, release_to="JPN"))
    record_consent(usa, folder / "kor-approval.json")
    clock.now = at(LATER)  # the release comes after the filing
    provide(usa, item, "JPN", package=folder / "to-jpn.zip")
    receive(jpn, folder / "to-jpn.zip")


def test_a_foreign_approval_by_courier_is_refused_and_does_not_block_the_release(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _item(kor, tmp_path)
    _at_the_hub(kor, usa, item, tmp_path)
    write_document(tmp_path / "forged.json", _jpn_approval(jpn, item))
    with pytest.raises(PackageError, match="is signed by JPN, not by its originator KOR"):
        record_consent(usa, tmp_path / "forged.json")
    done = run_cli("consent", "record", str(tmp_path / "forged.json"),
                   "--home", str(usa.home.root))  # fmt: skip
    assert done.returncode == 2
    assert "not by its originator KOR" in done.stderr
    assert _filed(usa) == []
    _relay(nodes, item, tmp_path, clock)
    assert _filed(usa) == [("KOR", False)]


def test_a_foreign_approval_over_the_network_is_a_final_400(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _item(kor, tmp_path)
    _at_the_hub(kor, usa, item, tmp_path)
    body = json.dumps(_jpn_approval(jpn, item)).encode()
    headers = signed_headers(jpn.keys, body, message_id=uuid.uuid4().hex, recipient="USA")
    with NodeServer(usa, port=0) as server:
        server.worker.stop()
        answer = httpx.post(server.url + PATH, content=body, headers=headers, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "not by its originator KOR" in answer.json()["detail"]
    assert _filed(usa) == []


def test_a_foreign_revocation_of_the_originators_approval_is_refused(
    tmp_path: Path, nodes: dict[str, Node]
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _item(kor, tmp_path)
    _at_the_hub(kor, usa, item, tmp_path)
    approval = grant_consent(kor, item, release_to="JPN")
    write_document(tmp_path / "approval.json", approval)
    record_consent(usa, tmp_path / "approval.json")
    revocation = {
        "approval_id": approval["body"]["approval_id"],
        "item_id": item,
        "originator": "JPN",
        "revoked_at": jpn.now().isoformat(),
    }
    write_document(tmp_path / "revocation.json", sign_document("revocation", revocation, jpn.keys))
    with pytest.raises(PackageError, match="not by its originator KOR"):
        record_consent(usa, tmp_path / "revocation.json")
    assert _filed(usa) == [("KOR", False)]
    write_document(
        tmp_path / "kor-revocation.json", revoke_consent(kor, approval["body"]["approval_id"])
    )
    record_consent(usa, tmp_path / "kor-revocation.json")  # KOR's own revocation still counts
    assert _filed(usa) == [("KOR", True)]


def test_an_approval_that_squats_the_originators_id_before_the_item_comes_is_replaced(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """JPN learns the id of KOR's approval and files its own under it at the hub before the
    hub holds the item (so nobody there knows yet whose item it is); KOR's approval wins."""
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _item(kor, tmp_path)
    approval = grant_consent(kor, item, release_to="JPN")
    squatter = _jpn_approval(jpn, item, approval_id=approval["body"]["approval_id"])
    write_document(tmp_path / "squatter.json", squatter)
    record_consent(usa, tmp_path / "squatter.json")  # no item yet: filed, counts for nothing
    _at_the_hub(kor, usa, item, tmp_path)
    write_document(tmp_path / "kor-approval.json", approval)
    record_consent(usa, tmp_path / "kor-approval.json")
    assert _filed(usa) == [("KOR", False)]
    clock.now = at(LATER)
    provide(usa, item, "JPN", package=tmp_path / "to-jpn.zip")
    receive(jpn, tmp_path / "to-jpn.zip")


def test_a_foreign_approval_filed_before_its_item_is_not_forwarded(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    item = _item(kor, tmp_path)
    write_document(tmp_path / "early.json", _jpn_approval(jpn, item))
    record_consent(usa, tmp_path / "early.json")  # no item yet: filed, counts for nothing
    _at_the_hub(kor, usa, item, tmp_path)
    _relay(nodes, item, tmp_path, clock)  # JPN does not refuse it: the forgery stayed behind

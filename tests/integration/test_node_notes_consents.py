"""Diplomatic notes converge across nodes; consents decide third-party releases (AT-13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pactshare.domain import Status, status_at
from pactshare.errors import NodeError, PackageError, RefusedError
from pactshare.node.consents import grant_consent, record_consent, request_consent, revoke_consent
from pactshare.node.documents import write_document
from pactshare.node.items import register
from pactshare.node.notes import give_note, receive_note
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from tests.support import Clock, at, pinned_nodes

NOW = at("2026-01-10T10:00:00+09:00")
LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-3"
topics = ["dprk-missile"]
releasable_to = ["JPN", "USA"]
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def world(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    """KOR, JPN (on the backend under test) and USA nodes, all pinning each other."""
    nodes = pinned_nodes(tmp_path, clock, databases={"JPN": database_url})
    yield nodes
    for node in nodes.values():
        node.close()


def _gsomia_status(node: Node, when: str) -> Status:
    with node.db.atomic() as tx:
        return status_at(node.registry(tx).agreement("gsomia-kor-jpn-2016"), at(when)).status


def test_a_note_given_by_kor_converges_on_jpns_copy(tmp_path: Path, world: dict[str, Node]) -> None:
    note = give_note(
        world["KOR"], "gsomia-kor-jpn-2016", "notice_of_termination", source="test notice"
    )
    assert _gsomia_status(world["KOR"], "2026-02-01T00:00:00+09:00") is Status.TERMINATION_PENDING
    assert _gsomia_status(world["JPN"], "2026-02-01T00:00:00+09:00") is Status.IN_FORCE
    write_document(tmp_path / "note.json", note)
    receive_note(world["JPN"], tmp_path / "note.json")
    receive_note(world["JPN"], tmp_path / "note.json")  # one effect
    for node in (world["KOR"], world["JPN"]):
        assert _gsomia_status(node, "2026-11-23T00:00:00+09:00") is Status.TERMINATED


def test_a_note_from_a_non_party_or_forged_is_refused(
    tmp_path: Path, world: dict[str, Node]
) -> None:
    with pytest.raises(Exception, match="not a party"):
        give_note(world["USA"], "gsomia-kor-jpn-2016", "notice_of_termination")
    note = give_note(world["KOR"], "gsomia-kor-jpn-2016", "notice_of_termination")
    note["body"]["event"]["kind"] = "termination"
    write_document(tmp_path / "forged.json", note)
    with pytest.raises(PackageError, match="signature does not verify"):
        receive_note(world["JPN"], tmp_path / "forged.json")


def test_AT_13_release_to_a_third_country_follows_the_originators_written_approval(
    tmp_path: Path, world: dict[str, Node], clock: Clock
) -> None:
    kor, jpn = world["KOR"], world["JPN"]
    (tmp_path / "item.txt").write_text("x", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "to-jpn.zip")
    receive(jpn, tmp_path / "to-jpn.zip")
    with pytest.raises(RefusedError) as refused:
        provide(jpn, item, "USA", package=tmp_path / "to-usa.zip")
    assert any("R-PRO-1" in reason for reason in refused.value.reasons)
    assert request_consent(jpn, item, release_to="USA")["body"]["originator"] == "KOR"
    with pytest.raises(NodeError, match="only the originator"):
        grant_consent(jpn, item, release_to="USA")
    approval = grant_consent(kor, item, release_to="USA")
    write_document(tmp_path / "approval.json", approval)
    record_consent(jpn, tmp_path / "approval.json")
    clock.now = at("2026-01-10T10:00:01+09:00")  # the release comes after the filing
    allowed = provide(jpn, item, "USA", package=tmp_path / "to-usa.zip")
    assert allowed.decision["route"][0]["agreement"] == "gsomia-usa-jpn-2007"
    revocation = revoke_consent(kor, approval["body"]["approval_id"])
    write_document(tmp_path / "revocation.json", revocation)
    record_consent(jpn, tmp_path / "revocation.json")
    clock.now = at("2026-01-10T10:00:02+09:00")
    with pytest.raises(RefusedError):
        provide(jpn, item, "USA", package=tmp_path / "again.zip")

"""After receipt: incidents (AT-18), reclassification (AT-12), return or destruction (R-PRO-8)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from pactshare.errors import InputError, NodeError
from pactshare.node.custody import apply_reclassification, dispose, reclassify
from pactshare.node.documents import write_document
from pactshare.node.incidents import close_incident, report_incident, update_incident
from pactshare.node.items import item_row, register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import incidents, outbox
from tests.support import Clock, at, at_once, pinned_nodes

JPN_LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "JPN"
classification = "極秘"
topics = ["dprk-missile"]
releasable_to = ["KOR"]
"""


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, str]]:
    """JPN provided one item to KOR (KOR on the backend under test); returns both and the item."""
    clock = Clock(at("2018-05-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("JPN", "KOR"), databases={"KOR": database_url})
    jpn, kor = nodes["JPN"], nodes["KOR"]
    (tmp_path / "item.txt").write_text("x", encoding="utf-8")
    (tmp_path / "label.toml").write_text(JPN_LABEL, encoding="utf-8")
    item = register(jpn, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(jpn, item, "KOR", package=tmp_path / "pkg.zip")
    receive(kor, tmp_path / "pkg.zip")
    yield jpn, kor, item
    jpn.close()
    kor.close()


def _outbox_kinds(node: Node) -> list[str]:
    with node.db.atomic() as tx:
        return list(tx.execute(select(outbox.c.kind).order_by(outbox.c.created_at)).scalars())


def test_AT_18_suspicion_notifies_at_once_and_closing_needs_the_report(
    pair: tuple[Node, Node, str],
) -> None:
    _, kor, item = pair
    notice = report_incident(kor, item, summary="a courier bag went missing for two hours")
    assert notice["body"]["state"] == "suspected"
    assert _outbox_kinds(kor) == ["incident"]  # to JPN, before anything is confirmed
    incident_id = notice["body"]["incident_id"]
    update_incident(kor, incident_id, state="confirmed", note="the seal was broken")
    with pytest.raises(InputError, match="R-INC-1"):
        close_incident(kor, incident_id, findings="seal broken in transit", measures="")
    close_incident(
        kor, incident_id, findings="seal broken in transit", measures="two-person courier rule"
    )
    with kor.db.atomic() as tx:
        row = tx.execute(select(incidents)).one()
    assert row.state == "closed"
    assert [step["body"]["state"] for step in row.history] == ["suspected", "confirmed", "closed"]
    assert _outbox_kinds(kor) == ["incident"] * 3
    with pytest.raises(NodeError, match="already closed"):
        close_incident(kor, incident_id, findings="x", measures="y")


def test_an_incident_state_cannot_go_backwards(pair: tuple[Node, Node, str]) -> None:
    _, kor, item = pair
    incident_id = report_incident(kor, item, summary="laptop stolen", confirmed=True)["body"][
        "incident_id"
    ]
    with pytest.raises(NodeError, match="cannot become ruled-out"):
        update_incident(kor, incident_id, state="ruled-out", note="")


def test_AT_12_downgrade_remarks_the_holding_and_flags_derived_documents(
    tmp_path: Path, pair: tuple[Node, Node, str]
) -> None:
    jpn, kor, item = pair
    (tmp_path / "kor-label.toml").write_text(
        JPN_LABEL.replace('"JPN"', '"KOR"')
        .replace("極秘", "kor-mil-2")
        .replace('["KOR"]', '["JPN"]'),
        encoding="utf-8",
    )
    derived = register(kor, tmp_path / "item.txt", tmp_path / "kor-label.toml", derived_from=item)
    with pytest.raises(NodeError, match="only the originator"):
        reclassify(kor, item, "kor-mil-3")
    notice = reclassify(jpn, item, "秘")
    write_document(tmp_path / "notice.json", notice)
    result = apply_reclassification(kor, tmp_path / "notice.json")
    assert result.marking == "JPN / 군사 III급 비밀 (CONFIDENTIAL)"
    with kor.db.atomic() as tx:
        assert item_row(tx, item).marking_level == "kor-mil-3"
        assert item_row(tx, derived).needs_remarking
    assert _outbox_kinds(jpn) == ["reclassification"]


def test_R_PRO_8_destruction_certifies_and_ends_provision(
    tmp_path: Path, pair: tuple[Node, Node, str]
) -> None:
    _, kor, item = pair
    certificate = dispose(kor, item)
    assert certificate["body"]["disposal"] == "destroyed"
    assert _outbox_kinds(kor) == ["disposal"]
    with pytest.raises(NodeError, match="is destroyed"):
        provide(kor, item, "USA", package=tmp_path / "x.zip")
    with pytest.raises(NodeError, match="already destroyed"):
        dispose(kor, item)


def test_a_holding_destroyed_and_returned_at_once_is_disposed_of_once(
    pair: tuple[Node, Node, str],
) -> None:
    """Two officers disposing of one holding at once, one destroying it, one returning it:
    one certificate is signed and sent; the other is refused as already disposed of."""
    _, kor, item = pair
    outcomes = at_once([partial(dispose, kor, item, returned=flag) for flag in (False, True)])
    [certificate] = [o for o in outcomes if isinstance(o, dict)]
    [refused] = [o for o in outcomes if isinstance(o, NodeError)]
    assert "is already" in str(refused)
    assert _outbox_kinds(kor) == ["disposal"]
    with kor.db.atomic() as tx:
        assert item_row(tx, item).disposal == certificate

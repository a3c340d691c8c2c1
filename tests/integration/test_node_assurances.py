"""The assurance before hand-over over the federation (R-ACC-4, Art. 7(5); AT-16): KOR's node
hands an item over to JPN under GSOMIA only once JPN's assurance — (a) the recipient's
clearance, (b) its official need, (c) equivalent protection — is on its record, and not after
it expired or was withdrawn; each refusal is audited and names what is missing.

KOR is on the backend under test, JPN on SQLite; both are served in process and the tests
drive delivery themselves. The nodes start without the fixtures' standing assurances.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pactshare.audit import EntryKind
from pactshare.errors import RefusedError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.assurances import give_assurance, list_assurances, withdraw_assurance
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries
from tests.support import GSOMIA, Clock, at, pinned_nodes

Served = tuple[Node, Node, Clock]


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """KOR and JPN on one clock (2020-02-03, GSOMIA in force), served and peered, with no
    assurance exchanged."""
    clock = Clock(at("2020-02-03T10:00:00+09:00"))
    nodes = pinned_nodes(
        tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url}, assured=False
    )
    kor, jpn = nodes["KOR"], nodes["JPN"]
    try:
        with NodeServer(kor, port=0) as kor_server, NodeServer(jpn, port=0) as jpn_server:
            for server in (kor_server, jpn_server):
                server.worker.stop()  # the tests deliver themselves
            add_peer(kor, "JPN", jpn_server.url)
            add_peer(jpn, "KOR", kor_server.url)
            yield kor, jpn, clock
    finally:
        kor.close()
        jpn.close()


def _deliver(node: Node) -> None:
    report = deliver_due(node)
    assert report.retrying == report.refused == [], outbox_entries(node, pending_only=False)


def kor_item(kor: Node, tmp_path: Path, topic: str = "dprk-missile/slbm") -> str:
    """A KOR item at 군사 II급 비밀 (SECRET: JPN marks it 極秘, jpn-gokuhi)."""
    (tmp_path / "item.txt").write_text("launch telemetry", encoding="utf-8")
    label = (
        f'policy = "{GSOMIA}"\noriginator = "KOR"\nclassification = "군사 II급 비밀"\n'
        f'topics = ["{topic}"]\nreleasable_to = ["JPN"]\n'
    )
    (tmp_path / "label.toml").write_text(label, encoding="utf-8")
    return register(kor, tmp_path / "item.txt", tmp_path / "label.toml")


def assure(jpn: Node, clock: Clock, **changes: Any) -> dict[str, Any]:
    """JPN's assurance to KOR: up to 極秘, DPRK missiles, for a week."""
    terms: dict[str, Any] = {
        "to": "KOR",
        "agreement_id": GSOMIA,
        "authority": "jpn-mod",
        "recipient": "JPN MOD Defense Intelligence HQ registry",
        "level": "極秘",
        "topics": ["dprk-missile"],
        "purpose": "DPRK missile warning",
        "until": clock.now + timedelta(days=7),
        **changes,
    }
    return give_assurance(jpn, **terms)


def refusal(kor: Node, item: str) -> str:
    with pytest.raises(RefusedError) as refused:
        provide(kor, item, "JPN", package=None)
    [reason] = [r for r in refused.value.reasons if r.startswith("R-ACC-4")]
    return reason


def test_AT_16_hand_over_waits_for_the_assurance_on_record(served: Served, tmp_path: Path) -> None:
    kor, jpn, clock = served
    item = kor_item(kor, tmp_path)
    reason = refusal(kor, item)
    assert "no assurance from JPN is on record" in reason
    assert "gsomia-kor-jpn-2016 Art. 7(5)" in reason
    for part in ("(a) a clearance at or above jpn-gokuhi", "(b) an official need for", "(c)"):
        assert part in reason
    with kor.db.atomic() as tx:
        kinds = list(tx.execute(select(audit_entries.c.kind)).scalars())
    assert kinds[-1] == EntryKind.REFUSAL.value  # audited like every refused provide

    given = assure(jpn, clock)
    assert refusal(kor, item)  # given, not yet delivered: not on KOR's record
    _deliver(jpn)
    provision = provide(kor, item, "JPN", package=None)
    note, permit = [r for r in provision.decision["reasons"] if r["rule"] == "R-ACC-4"]
    assert (note["effect"], permit["effect"]) == ("note", "permit")
    assert given["body"]["assurance_id"] in permit["text"]
    assert [(r.assurance.id, r.state) for r in list_assurances(kor)] == [
        (given["body"]["assurance_id"], "in effect")
    ]
    assert [r.assurance.recorded_at for r in list_assurances(jpn)] == [clock.now]

    clock.now += timedelta(days=7)
    assert "expired at" in refusal(kor, kor_item(kor, tmp_path))


def test_a_withdrawn_assurance_covers_no_further_hand_over(served: Served, tmp_path: Path) -> None:
    kor, jpn, clock = served
    given = assure(jpn, clock)["body"]["assurance_id"]
    _deliver(jpn)
    provide(kor, kor_item(kor, tmp_path), "JPN", package=None)
    clock.now += timedelta(hours=1)
    withdraw_assurance(jpn, given)
    _deliver(jpn)
    assert f"{given}: withdrawn at" in refusal(kor, kor_item(kor, tmp_path))
    assert [r.state for r in list_assurances(kor)] == ["withdrawn"]


def test_an_assurance_covers_only_its_level_and_topics(served: Served, tmp_path: Path) -> None:
    kor, jpn, clock = served
    low = assure(jpn, clock, level="jpn-hi")["body"]["assurance_id"]
    narrow = assure(jpn, clock, topics=["dprk-missile/icbm"])["body"]["assurance_id"]
    _deliver(jpn)
    reason = refusal(kor, kor_item(kor, tmp_path))
    assert f"{low}: (a) covers only up to jpn-hi" in reason
    assert f"{narrow}: (b) no official need for dprk-missile/slbm" in reason

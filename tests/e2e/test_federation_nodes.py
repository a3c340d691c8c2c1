"""Three parties' nodes as ``pactshare serve`` processes on loopback, set up through the CLI:
a direct provision, a hub relay with the originator's consent through the federation, a
refusal, and a diplomatic note that every copy of the agreement converges on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pactshare.node import NodeHome
from pactshare.node.items import item_row
from pactshare.node.service import Node
from tests.e2e.conftest import MakeNode
from tests.e2e.federation_support import NodeProcess, connect, wait_for
from tests.support import GSOMIA, at

GSOMIA_LAST_DAY = "2019-11-22T23:59:59+09:00"
BEFORE_GSOMIA = "2016-06-01T10:00:00+09:00"


def label(policy: str, topic: str, releasable_to: str) -> str:
    return (
        f'policy = "{policy}"\noriginator = "KOR"\nclassification = "군사 II급 비밀"\n'
        f'topics = ["{topic}"]\nreleasable_to = [{releasable_to}]\n'
    )


def register(node: NodeProcess, tmp_path: Path, text: str, policy_label: str) -> str:
    (tmp_path / "item.txt").write_text(text, encoding="utf-8")
    (tmp_path / "label.toml").write_text(policy_label, encoding="utf-8")
    done = node.cli("register", str(tmp_path / "item.txt"), "--label", str(tmp_path / "label.toml"), check=True)  # fmt: skip
    return done.stdout.strip()


def delivered(node: NodeProcess, kind: str) -> list[dict[str, object]]:
    return [row for row in node.outbox() if row["kind"] == kind and row["state"] == "delivered"]


@pytest.mark.slow
def test_direct_provision_kor_to_jpn_is_delivered_with_a_signed_receipt(
    tmp_path: Path, make_node: MakeNode
) -> None:
    kor = make_node("KOR", GSOMIA_LAST_DAY, cli=True)
    jpn = make_node("JPN", GSOMIA_LAST_DAY, cli=True)
    connect([kor, jpn], cli=True)
    kor.start()
    jpn.start()
    item = register(kor, tmp_path, "SLBM telemetry", label("gsomia-kor-jpn-2016", "dprk-missile/slbm", '"JPN"'))  # fmt: skip
    wait_for("KOR's assurance delivered", lambda: delivered(kor, "assurance"))
    wait_for("JPN's assurance delivered (AT-16)", lambda: delivered(jpn, "assurance"))
    assert [a["state"] for a in kor.json("assurance", "list")] == ["in effect", "in effect"]

    provided = kor.json("provide", item, "--to", "JPN")

    assert provided["decision"]["outcome"] == "allowed"
    wait_for("JPN to hold the item", lambda: jpn.holds(item))
    [row] = wait_for("the delivery to be recorded", lambda: delivered(kor, "item"))
    assert row["id"] == provided["provision"]
    assert row["attempts"] == 1
    assert kor.json("outbox") == []  # nothing pending
    assert [row["item_id"] for row in jpn.json("inbox")] == [item]
    for node in (kor, jpn):
        node.verify_audit()


@pytest.mark.slow
def test_hub_relay_kor_usa_jpn_waits_for_consent_through_the_federation(
    tmp_path: Path, make_node: MakeNode, database_url: str
) -> None:
    """R-TISA-5/6/7 over the network: the hub asks KOR, KOR approves, the hub releases after."""
    usa_db = database_url if database_url.startswith("postgresql") else None
    kor = make_node("KOR", BEFORE_GSOMIA)
    usa = make_node("USA", BEFORE_GSOMIA, db=usa_db)
    jpn = make_node("JPN", BEFORE_GSOMIA)
    connect([kor, usa, jpn])
    for node in (kor, usa, jpn):  # no witnessing rounds: the deliveries are counted below
        node.start("--witness-every", "0")
    item = register(kor, tmp_path, "SLBM telemetry", label("tisa-2014", "dprk-missile/slbm", '"USA", "JPN"'))  # fmt: skip

    provided = kor.json("provide", item, "--to", "JPN")  # no GSOMIA yet: through the hub
    assert provided["decision"]["outcome"] == "relay"
    wait_for("the hub to hold the item", lambda: usa.holds(item))
    wait_for("the hub's consent request to reach KOR", lambda: delivered(usa, "consent-request"))
    assert not jpn.holds(item)  # nothing onward before the originator's approval

    kor.cli("consent", "grant", item, "--to", "JPN", check=True, clock="2016-06-01T10:01:00+09:00")
    wait_for("KOR's approval to reach the hub", lambda: delivered(kor, "approval"))
    # The hub filed the approval at its clock's instant; the release must come after it
    # (AT-13): the hub's operator restarts it later in the day.
    usa.stop()
    usa.clock = "2016-06-01T10:05:00+09:00"
    usa.start("--witness-every", "0")
    wait_for("JPN to hold the relayed item", lambda: jpn.holds(item))

    opened = jpn.open()
    with opened.db.atomic() as tx:
        held = item_row(tx, item)
    opened.close()
    assert (held.received_from, held.marking) == ("USA", "KOR / 極秘 (SECRET)")
    wait_for("the hub's onward delivery", lambda: delivered(usa, "item"))
    # Every log shows the hop: KOR provided, was asked, granted; the hub received, asked,
    # filed the approval and provided onward; JPN received from the hub.
    kor_log, usa_log = Counter(kor.audit_kinds()), Counter(usa.audit_kinds())
    assert kor_log["provision"] == 1
    assert kor_log["consent"] == 2  # the hub's request received, the approval granted
    assert kor_log["delivery"] == 2  # the item to USA, the approval to USA
    assert (usa_log["receipt"], usa_log["provision"], usa_log["consent"]) == (1, 1, 2)
    assert usa_log["delivery"] == 2  # the consent request to KOR, the item to JPN
    assert Counter(jpn.audit_kinds())["receipt"] == 1
    for node in (kor, usa, jpn):
        node.verify_audit()


def test_a_prc_naval_item_is_refused_through_the_hub_and_nothing_is_queued(
    tmp_path: Path, make_node: MakeNode
) -> None:
    """AT-3: TISA carries DPRK nuclear and missile information only."""
    kor = make_node("KOR", BEFORE_GSOMIA)
    item = register(kor, tmp_path, "fleet movements", label("tisa-2014", "prc-naval", '"USA", "JPN"'))  # fmt: skip

    refused = kor.cli("provide", item, "--to", "JPN")

    assert refused.returncode == 1, refused.stderr
    assert kor.outbox() == []


def test_a_diplomatic_note_converges_on_every_copy_of_the_agreement(
    make_node: MakeNode,
) -> None:
    kor, jpn = make_node("KOR", "2019-08-23T12:00:00+09:00"), make_node("JPN", "2019-08-23T12:00:00+09:00")  # fmt: skip
    connect([kor, jpn])
    jpn.start()
    kor.start()

    note = kor.json("note", "give", "gsomia-kor-jpn-2016", "--kind", "notice_of_termination", "--source", "federation test")  # fmt: skip

    event_id = note["body"]["event"]["id"]
    wait_for("the note to be acknowledged", lambda: delivered(kor, "note"))
    [row] = delivered(kor, "note")
    assert row["recipient"] == "JPN"
    assert event_id in gsomia_events(jpn) == gsomia_events(kor)
    for node in (kor, jpn):
        node.verify_audit()


@pytest.mark.slow
def test_a_proposal_takes_effect_on_both_copies_once_the_other_party_accepted_it(
    make_node: MakeNode,
) -> None:
    """``note give|accept|list`` through the CLI, between served nodes."""
    kor, jpn = make_node("KOR", "2016-09-09T10:00:00+09:00"), make_node("JPN", "2016-09-09T10:00:00+09:00")  # fmt: skip
    connect([kor, jpn])
    jpn.start()
    kor.start()

    backdated = jpn.cli("note", "give", GSOMIA, "--kind", "entry_into_force", "--effective", "2016-08-01T00:00:00+09:00")  # fmt: skip
    proposal = jpn.json("note", "give", GSOMIA, "--kind", "entry_into_force")
    event_id = proposal["body"]["event"]["id"]
    wait_for("the proposal to reach KOR", lambda: delivered(jpn, "note"))
    proposed = [n for n in kor.json("note", "list") if n["event_id"] == event_id]
    own = jpn.cli("note", "accept", GSOMIA, event_id)
    kor.json("note", "accept", GSOMIA, event_id)
    wait_for("the acceptance to reach JPN", lambda: delivered(kor, "note-acceptance"))

    assert backdated.returncode == 2
    assert "backdated" in backdated.stderr
    assert [n["summary"] for n in proposed] == ["proposed, waiting for KOR"]
    assert own.returncode == 1
    copies = [[n for n in node.json("note", "list") if n["event_id"] == event_id] for node in (kor, jpn)]  # fmt: skip
    assert [c[0]["state"] for c in copies] == ["in_effect", "in_effect"]
    assert copies[0][0]["effective_at"] == copies[1][0]["effective_at"]


def gsomia_events(node: NodeProcess) -> set[str]:
    """The events of the node's own copy of GSOMIA, read from its database."""
    opened = Node(NodeHome(node.home), clock=lambda: at(node.clock))
    try:
        with opened.db.atomic() as tx:
            return {event.id for event in opened.registry(tx).agreement(GSOMIA).events}
    finally:
        opened.close()

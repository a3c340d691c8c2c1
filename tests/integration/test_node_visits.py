"""Visits over the federation (R-VIS-1, R-SEC-1, R-DEF-3, AT-20): a request goes from KOR's
competent authority to JPN's, only JPN approves an R-VIS-1 visit (and tells the facility),
both parties agree an R-SEC-1 one, and an approved visitor opens only what the visit allows,
each attempt in the access registry.

KOR is on the backend under test, JPN on SQLite; both are served in process and the tests
drive delivery themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pactshare.domain import Amendment
from pactshare.domain.visits import VisitKind
from pactshare.errors import NotFoundError, PackageError, RefusedError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.answers import accept_note
from pactshare.node.authorities import list_authorities, notify_authority
from pactshare.node.copies import copy_item
from pactshare.node.documents import write_document
from pactshare.node.holdings import open_item
from pactshare.node.inventory import locate
from pactshare.node.items import register
from pactshare.node.notes import give_note, receive_note
from pactshare.node.people import enrol_person
from pactshare.node.service import Node
from pactshare.node.visits import (
    VisitRecord,
    answer_visit,
    list_visits,
    receive_visit_document,
    request_visit,
)
from pactshare.server.runner import NodeServer
from pactshare.store.schema import access_log
from tests.support import GSOMIA, Clock, at, pinned_nodes

Served = tuple[Node, Node, Clock]
VISITOR = "Kim Min-su"
ICHIGAYA = "jpn-mod-ichigaya"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """KOR and JPN on one clock (2020-02-03, GSOMIA in force), served and peered."""
    clock = Clock(at("2020-02-03T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url})
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


def _deliver(*nodes: Node) -> None:
    for node in nodes:
        report = deliver_due(node)
        assert report.retrying == report.refused == [], outbox_entries(node, pending_only=False)


def request(kor: Node, **changes: Any) -> dict[str, Any]:
    """KOR's request for a visit to JPN's MOD in February 2020, up to 極秘."""
    terms: dict[str, Any] = {
        "agreement_id": GSOMIA,
        "host": "JPN",
        "from_authority": "kor-mnd",
        "to_authority": "jpn-mod",
        "purpose": "DPRK missile warning liaison",
        "facility": "jpn-mod-ichigaya",
        "starts": at("2020-02-10T09:00:00+09:00"),
        "ends": at("2020-02-12T18:00:00+09:00"),
        "topics": ["dprk-missile"],
        "highest_level": "極秘",
        "visitors": [VISITOR],
        **changes,
    }
    return request_visit(kor, **terms)


def refusal(action: Callable[[], object]) -> str:
    """The reasons ``action`` was refused with, one a line."""
    with pytest.raises(RefusedError) as refused:
        action()
    return "\n".join(refused.value.reasons)


def visit(node: Node, visit_id: str) -> VisitRecord:
    [record] = [r for r in list_visits(node) if r.id == visit_id]
    return record


def jpn_item(
    jpn: Node, tmp_path: Path, level: str, topic: str = "dprk-missile", facility: str = ICHIGAYA
) -> str:
    """A JPN item kept at ``facility`` (R-PRO-6) in Sato's custody."""
    (tmp_path / "item.txt").write_text("order of battle", encoding="utf-8")
    label = (
        f'policy = "{GSOMIA}"\noriginator = "JPN"\nclassification = "{level}"\n'
        f'topics = ["{topic}"]\nreleasable_to = ["KOR"]\n'
    )
    (tmp_path / "label.toml").write_text(label, encoding="utf-8")
    item = register(jpn, tmp_path / "item.txt", tmp_path / "label.toml")
    locate(jpn, item, facility=facility, container="safe 3", custodian="Sato", by=None)
    return item


def test_an_r_vis_1_visit_is_approved_by_the_host_alone_which_tells_the_facility(
    served: Served,
) -> None:
    kor, jpn, _ = served
    visit_id = request(kor)["body"]["visit_id"]
    _deliver(kor)
    assert visit(jpn, visit_id).state == visit(kor, visit_id).state == "requested"
    assert visit(jpn, visit_id).highest_level == "jpn-gokuhi"
    assert re.search(
        "granted only by JPN", refusal(lambda: answer_visit(kor, visit_id, approve=True))
    )
    answer_visit(jpn, visit_id, approve=True)
    _deliver(jpn)
    for node in (kor, jpn):
        assert visit(node, visit_id).state == "approved"
        assert visit(node, visit_id).approved_by == ("JPN",)
    assert visit(jpn, visit_id).facility_told_at is not None  # R-VIS-1: the facility is told
    assert visit(kor, visit_id).facility_told_at is None  # KOR has no facility in it


def test_a_refusal_carries_its_reason_to_the_visiting_party(served: Served) -> None:
    kor, jpn, _ = served
    visit_id = request(kor)["body"]["visit_id"]
    _deliver(kor)
    answer_visit(jpn, visit_id, approve=False, reason="no escort available that week")
    _deliver(jpn)
    assert visit(kor, visit_id).refused_by == {"JPN": "no escort available that week"}
    assert re.search("already answered", refusal(lambda: answer_visit(jpn, visit_id, approve=True)))


def test_an_r_sec_1_visit_is_agreed_by_both_parties(served: Served) -> None:
    kor, jpn, _ = served
    kind = VisitKind.SECURITY_REPRESENTATIVE
    visit_id = request(kor, kind=kind, highest_level=None, visitors=[])["body"]["visit_id"]
    _deliver(kor)
    answer_visit(jpn, visit_id, approve=True)
    _deliver(jpn)
    assert visit(kor, visit_id).waiting_for == ("KOR",)
    answer_visit(kor, visit_id, approve=True)
    _deliver(kor)
    for node in (kor, jpn):
        assert visit(node, visit_id).state == "approved"
    assert visit(jpn, visit_id).facility_told_at is not None


def test_an_approved_visitor_opens_only_within_the_visits_level_topics_and_dates(
    tmp_path: Path, served: Served
) -> None:
    kor, jpn, clock = served
    enrol_person(jpn, name="Sato", clearance="機密", need_to_know=["*"], roles=["reader"])
    gokuhi = jpn_item(jpn, tmp_path, "極秘")
    kimitsu = jpn_item(jpn, tmp_path, "機密")
    naval = jpn_item(jpn, tmp_path, "極秘", "prc-naval")
    yokosuka = jpn_item(jpn, tmp_path, "秘", facility="jpn-yokosuka")
    visit_id = request(kor)["body"]["visit_id"]
    _deliver(kor)
    out = tmp_path / "out.txt"
    clock.now = at("2020-02-11T10:00:00+09:00")
    assert re.search(
        "R-VIS-1: visit .* is requested, not approved",
        refusal(lambda: open_item(jpn, gokuhi, person_name=VISITOR, output=out, visit_id=visit_id)),
    )
    answer_visit(jpn, visit_id, approve=True)
    assert open_item(jpn, gokuhi, person_name=VISITOR, output=out, visit_id=visit_id) > 0
    with pytest.raises(NotFoundError):  # a visit gives access, never a copy (R-REP-1)
        copy_item(jpn, gokuhi, person_name=VISITOR)
    assert re.search(
        "above the visit's highest level",
        refusal(
            lambda: open_item(jpn, kimitsu, person_name=VISITOR, output=out, visit_id=visit_id)
        ),
    )
    assert re.search(
        "outside visit .*'s topics: prc-naval",
        refusal(lambda: open_item(jpn, naval, person_name=VISITOR, output=out, visit_id=visit_id)),
    )
    assert re.search(
        "is kept at jpn-yokosuka, not at visit .*'s jpn-mod-ichigaya",
        refusal(
            lambda: open_item(jpn, yokosuka, person_name=VISITOR, output=out, visit_id=visit_id)
        ),
    )
    assert re.search(
        "names no visitor",
        refusal(
            lambda: open_item(jpn, gokuhi, person_name="Park Ji-won", output=out, visit_id=visit_id)
        ),
    )
    clock.now = at("2020-02-12T18:00:00+09:00")  # the visit has ended
    assert re.search(
        "is outside visit",
        refusal(lambda: open_item(jpn, gokuhi, person_name=VISITOR, output=out, visit_id=visit_id)),
    )
    with jpn.db.atomic() as tx:
        rows = tx.execute(select(access_log.c.granted, access_log.c.reasons)).all()
    assert [granted for granted, _ in rows] == [False, True, False, False, False, False, False]
    assert all(r["rule"] == "R-VIS-1" for _, reasons in rows for r in reasons)


def test_a_partys_notice_changes_its_competent_authorities_on_both_nodes(served: Served) -> None:
    """R-DEF-3: JPN designates ATLA and withdraws MOD by notice; KOR's requests follow."""
    kor, jpn, clock = served
    notify_authority(jpn, "jpn-atla", name="Acquisition, Technology & Logistics Agency")
    clock.now = at("2020-02-03T11:00:00+09:00")
    notify_authority(jpn, "jpn-mod", withdraw=True)
    report = deliver_due(jpn)  # to KOR; USA, a partner too (TISA), has no node here
    assert (len(report.delivered), report.refused) == (2, [])
    assert report.retrying  # USA's copies wait for a URL
    clock.now = at("2020-02-03T12:00:00+09:00")
    reasons = refusal(lambda: request(kor))
    assert "R-DEF-3: a visit request goes to a competent authority of JPN: 'jpn-mod'" in reasons
    assert "designated: jpn-atla" in reasons
    request(kor, to_authority="jpn-atla")
    _deliver(kor)
    shown = {(r.party, r.id): r for r in list_authorities(kor)}
    assert shown["JPN", "jpn-atla"].origin == "notice"
    assert shown["JPN", "jpn-mod"].effective_until == at("2020-02-03T11:00:00+09:00")
    assert "already designated" in refusal(lambda: notify_authority(jpn, "jpn-atla", name="x"))


def test_a_visit_goes_by_courier_with_the_networks_checks(
    tmp_path: Path, database_url: str
) -> None:
    """The request and the host's answer travel as files (``-o`` / ``visit receive``): filed
    once, with exactly the checks of the network path, counting from their receipt."""
    clock = Clock(at("2020-02-03T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url})
    kor, jpn = nodes["KOR"], nodes["JPN"]
    try:
        carried = tmp_path / "request.json"
        write_document(carried, request(kor))
        visit_id = receive_visit_document(jpn, carried)["visit_id"]
        assert receive_visit_document(jpn, carried)["visit_id"] == visit_id  # once
        assert visit(jpn, visit_id).state == "requested"
        with pytest.raises(RefusedError, match="visit request refused"):
            receive_visit_document(kor, carried)  # KOR is not the host
        answer = tmp_path / "answer.json"
        write_document(answer, answer_visit(jpn, visit_id, approve=True))
        receive_visit_document(kor, answer)
        assert visit(kor, visit_id).state == "approved"
        other = tmp_path / "other.json"
        other.write_text('{"kind": "diplomatic-note"}', encoding="utf-8")
        with pytest.raises(PackageError, match="not a visit request or answer"):
            receive_visit_document(kor, other)
    finally:
        kor.close()
        jpn.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_approval_holds_the_request_to_the_terms_in_force_when_it_is_given(
    tmp_path: Path, database_url: str
) -> None:
    """R-AMD-1: the request fitted GSOMIA's scope when signed, but an amendment in force
    since took its topic out of scope: the host cannot approve it now (the approval is the
    decision that lets the visitor open holdings), and nothing is recorded."""
    clock = Clock(at("2020-02-03T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url})
    kor, jpn = nodes["KOR"], nodes["JPN"]
    try:
        write_document(tmp_path / "request.json", request(kor))
        visit_id = receive_visit_document(jpn, tmp_path / "request.json")["visit_id"]
        clock.now = at("2020-02-04T10:00:00+09:00")
        note = give_note(jpn, GSOMIA, "amendment", terms=Amendment(scope=("dprk-nuclear",)))
        write_document(tmp_path / "note.json", note)
        receive_note(kor, tmp_path / "note.json")
        write_document(tmp_path / "yes.json", accept_note(kor, GSOMIA, note["body"]["event"]["id"]))
        receive_note(jpn, tmp_path / "yes.json")
        clock.now = at("2020-02-05T10:00:00+09:00")
        why = refusal(lambda: answer_visit(jpn, visit_id, approve=True))
        assert "outside gsomia-kor-jpn-2016's scope: dprk-missile" in why
        assert visit(jpn, visit_id).state == "requested"
        answer_visit(jpn, visit_id, approve=False, reason="outside the amended scope")
        assert visit(jpn, visit_id).state == "refused"
    finally:
        kor.close()
        jpn.close()

"""Notes over the federation: proposals, acceptances and rejections converge on every copy,
notices count from their receipt, and one party alone never changes what the other releases.

KOR is on the backend under test, JPN on SQLite; both are served in process and the tests
drive delivery themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pactshare.domain import Request, decide
from pactshare.errors import InputError, PackageError, RefusedError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import outbox_entries
from pactshare.node.agreements import version
from pactshare.node.answers import accept_note, reject_note
from pactshare.node.documents import (
    ACKNOWLEDGEMENT,
    read_document,
    sign_document,
    write_document,
)
from pactshare.node.items import register
from pactshare.node.notes import NoteRecord, give_note, list_notes, receive_note
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.support import GSOMIA, Clock, at, exchange_assurances, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, Clock, Clock]]:
    """KOR and JPN, each on its own clock (2016-09-09, before GSOMIA), served and peered."""
    kor_clock = Clock(at("2016-09-09T10:00:00+09:00"))
    jpn_clock = Clock(kor_clock.now)
    nodes = pinned_nodes(tmp_path, kor_clock, ("KOR", "JPN"), databases={"KOR": database_url})
    nodes["JPN"].close()
    kor, jpn = nodes["KOR"], Node(nodes["JPN"].home, clock=jpn_clock)
    try:
        with NodeServer(kor, port=0) as kor_server, NodeServer(jpn, port=0) as jpn_server:
            for server in (kor_server, jpn_server):
                server.worker.stop()  # the tests deliver themselves
            add_peer(kor, "JPN", jpn_server.url)
            add_peer(jpn, "KOR", kor_server.url)
            yield kor, jpn, kor_clock, jpn_clock
    finally:
        kor.close()
        jpn.close()


def _secret_item(kor: Node, tmp_path: Path) -> str:
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    return register(kor, tmp_path / "item.txt", tmp_path / "label.toml")


def _note(node: Node, event_id: str) -> NoteRecord:
    [record] = [r for r in list_notes(node, GSOMIA) if r.event_id == event_id]
    return record


def _deliver(*nodes: Node) -> None:
    for node in nodes:
        report = deliver_due(node)
        assert report.retrying == report.refused == [], outbox_entries(node, pending_only=False)


Served = tuple[Node, Node, Clock, Clock]


def test_jpn_alone_cannot_put_gsomia_in_force_before_it_existed(
    tmp_path: Path, served: Served
) -> None:
    """The attack on note authority: a backdated entry into force is refused by its giver; one
    given now is only a proposal, and KOR's node still refuses to provide."""
    kor, jpn, kor_clock, _ = served
    item = _secret_item(kor, tmp_path)
    with pytest.raises(InputError, match="backdated"):
        give_note(jpn, GSOMIA, "entry_into_force", effective=at("2016-08-01T00:00:00+09:00"))
    proposal = give_note(jpn, GSOMIA, "entry_into_force")
    _deliver(jpn)
    event_id = proposal["body"]["event"]["id"]
    assert _note(kor, event_id).summary == "proposed, waiting for KOR"
    kor_clock.now = at("2016-09-09T11:00:00+09:00")
    with pytest.raises(RefusedError):
        provide(kor, item, "JPN", package=tmp_path / "to-jpn.zip")


def test_an_accepted_proposal_takes_effect_on_both_copies_at_the_acceptances_receipt(
    tmp_path: Path, served: Served
) -> None:
    kor, jpn, kor_clock, jpn_clock = served
    item = _secret_item(kor, tmp_path)
    proposal = give_note(jpn, GSOMIA, "entry_into_force")
    _deliver(jpn)
    event_id = proposal["body"]["event"]["id"]
    kor_clock.now = at("2016-09-10T09:00:00+09:00")
    accept_note(kor, GSOMIA, event_id)
    jpn_clock.now = at("2016-09-10T09:30:00+09:00")  # JPN receives KOR's acceptance later
    kor_clock.now = at("2016-09-10T10:00:00+09:00")
    _deliver(kor)
    kor_copy, jpn_copy = _note(kor, event_id), _note(jpn, event_id)
    assert kor_copy.state == jpn_copy.state == "in_effect"
    assert kor_copy.effective_at == jpn_copy.effective_at == at("2016-09-10T09:30:00+09:00")
    assert kor_copy.accepted_by == jpn_copy.accepted_by == ("KOR",)
    with pytest.raises(RefusedError) as refused:  # GSOMIA is in force: only JPN's assurance
        provide(kor, item, "JPN", package=tmp_path / "to-jpn.zip")  # is missing (AT-16), which
    assert [r[:8] for r in refused.value.reasons] == ["R-ACC-4:"]  # jpn-mod gives from 11-23


def test_a_refused_proposal_shows_rejected_by_the_refusing_party_on_the_givers_node(
    served: Served,
) -> None:
    kor, jpn, kor_clock, jpn_clock = served
    kor_clock.now = jpn_clock.now = at("2016-11-24T10:00:00+09:00")
    proposal = give_note(jpn, GSOMIA, "termination", source="end it now")
    _deliver(jpn)
    event_id = proposal["body"]["event"]["id"]
    reject_note(kor, GSOMIA, event_id, reason="Korea does not consent")
    _deliver(kor)
    for node in (kor, jpn):
        record = _note(node, event_id)
        assert record.summary == "rejected by KOR"
        assert record.rejected_by == {"KOR": "Korea does not consent"}
    with pytest.raises(RefusedError, match="cannot answer"):
        accept_note(kor, GSOMIA, event_id)


def test_a_notice_counts_from_its_receipt_on_both_copies(served: Served) -> None:
    """KOR signs its notice on the last day before the deadline; JPN receives it after the
    deadline: both copies count it from the receipt, so it ends GSOMIA a year later."""
    kor, jpn, kor_clock, jpn_clock = served
    kor_clock.now = at("2020-08-24T23:50:00+09:00")
    jpn_clock.now = at("2020-08-25T00:10:00+09:00")
    note = give_note(kor, GSOMIA, "notice_of_termination")
    event_id = note["body"]["event"]["id"]
    assert _note(kor, event_id).effective_at == kor_clock.now  # until acknowledged
    kor_clock.now = at("2020-08-25T00:20:00+09:00")
    _deliver(kor)
    kor_copy, jpn_copy = _note(kor, event_id), _note(jpn, event_id)
    assert kor_copy.received_at == jpn_copy.received_at == at("2020-08-25T00:10:00+09:00")
    assert kor_copy.effective_at == jpn_copy.effective_at == at("2020-08-25T00:10:00+09:00")


def test_a_dispute_raised_by_one_party_is_cited_on_both_copies_until_both_settle_it(
    tmp_path: Path, served: Served
) -> None:
    """R-DSP-1: JPN raises a dispute alone; both nodes' decisions cite it and still allow the
    provision (protection continues); a settlement takes effect once KOR accepts it."""
    kor, jpn, kor_clock, jpn_clock = served
    kor_clock.now = jpn_clock.now = at("2019-09-02T10:00:00+09:00")
    exchange_assurances({"KOR": kor, "JPN": jpn})  # the nodes began in 2016, before jpn-mod
    item = _secret_item(kor, tmp_path)
    give_note(jpn, GSOMIA, "dispute", source="interpretation of Art. 6")
    _deliver(jpn)
    kor_clock.now = jpn_clock.now = at("2019-09-03T10:00:00+09:00")
    request = Request("KOR", "JPN", "kor-mil-2", ("dprk-missile",))
    for node in (kor, jpn):
        decision = decide(request, node.prepared_now(), node.now())
        assert decision.allowed
        assert [r.rule for r in decision.reasons].count("R-DSP-1") == 1
    provide(kor, item, "JPN", package=tmp_path / "to-jpn.zip")  # protection continues
    settlement = give_note(kor, GSOMIA, "dispute_settled", source="settled by consultation")
    _deliver(kor)
    assert _note(jpn, settlement["body"]["event"]["id"]).summary == "proposed, waiting for JPN"
    accept_note(jpn, GSOMIA, settlement["body"]["event"]["id"])
    _deliver(jpn)
    kor_clock.now = jpn_clock.now = at("2019-09-04T10:00:00+09:00")
    for node in (kor, jpn):
        decision = decide(request, node.prepared_now(), node.now())
        assert "R-DSP-1" not in [r.rule for r in decision.reasons]


def test_note_list_shows_the_files_events_as_authoritative_and_they_cannot_be_answered(
    served: Served,
) -> None:
    kor, _, _, _ = served
    records = {r.event_id: r for r in list_notes(kor, GSOMIA)}
    assert records["kor-notice-2019"].origin == "file"
    assert records["kor-notice-2019"].state == "in_effect"
    with pytest.raises(InputError, match="authoritative"):
        reject_note(kor, GSOMIA, "kor-notice-2019", reason="no")


def test_every_change_of_state_bumps_the_registry_version_seen_by_other_processes(
    served: Served,
) -> None:
    """A second node object on KOR's database (another process) caches its registry: an
    acceptance recorded by the first one reaches its next decision."""
    kor, jpn, kor_clock, jpn_clock = served
    other = Node(kor.home, clock=kor_clock)
    try:
        with other.db.atomic() as tx:
            before = version(tx)
            assert other.registry(tx).agreement(GSOMIA).event("x") is None  # cached now
        proposal = give_note(jpn, GSOMIA, "entry_into_force")
        _deliver(jpn)
        event_id = proposal["body"]["event"]["id"]
        with other.db.atomic() as tx:
            proposed = version(tx)
        kor_clock.now = jpn_clock.now = at("2016-09-10T10:00:00+09:00")
        accept_note(kor, GSOMIA, event_id)
        with other.db.atomic() as tx:
            accepted = version(tx)
            in_effect = other.registry(tx).agreement(GSOMIA).event(event_id)
        assert before < proposed < accepted
        assert in_effect is not None
    finally:
        other.close()


def test_a_note_the_receivers_node_refused_shows_so_on_the_givers_node(served: Served) -> None:
    """JPN's clock is a day behind: KOR's note looks signed after its receipt, JPN refuses it
    (422), and KOR's node says so beside the note."""
    kor, _, kor_clock, jpn_clock = served
    kor_clock.now = at("2026-01-10T10:00:00+09:00")
    jpn_clock.now = at("2026-01-09T10:00:00+09:00")
    note = give_note(kor, GSOMIA, "notice_of_termination")
    assert deliver_due(kor).refused
    record = _note(kor, note["body"]["event"]["id"])
    assert record.summary == "in effect here, refused on receipt by JPN"
    assert "after it was received" in (record.refused_on_receipt or {})["JPN"]


def test_by_courier_the_receivers_acknowledgement_brings_both_copies_to_one_instant(
    tmp_path: Path, served: Served
) -> None:
    kor, jpn, kor_clock, jpn_clock = served
    kor_clock.now = at("2026-01-10T10:00:00+09:00")
    note = give_note(kor, GSOMIA, "notice_of_termination")
    event_id = note["body"]["event"]["id"]
    write_document(tmp_path / "note.json", note)
    jpn_clock.now = at("2026-01-12T09:00:00+09:00")  # the courier took two days
    receive_note(jpn, tmp_path / "note.json", acknowledgement=tmp_path / "ack.json")
    kor_clock.now = at("2026-01-14T09:00:00+09:00")
    ours = sign_document(ACKNOWLEDGEMENT, read_document(tmp_path / "ack.json")["body"], kor.keys)
    write_document(tmp_path / "own.json", ours)  # KOR acknowledging its own note
    with pytest.raises(PackageError, match="not by a receiver"):
        receive_note(kor, tmp_path / "own.json")
    receive_note(kor, tmp_path / "ack.json")
    kor_copy, jpn_copy = _note(kor, event_id), _note(jpn, event_id)
    assert kor_copy.effective_at == jpn_copy.effective_at == at("2026-01-12T09:00:00+09:00")

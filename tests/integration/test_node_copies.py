"""Copies and translations (R-REP-1, R-TRA-1): a derived item under the holder's signed label,
within the originator's copy_limit, by a cleared person, and under every control of its
original (re-marking, destruction, incidents)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from pactshare import seal
from pactshare.audit import Entry
from pactshare.errors import NodeError, NotFoundError, RefusedError
from pactshare.node.copies import copy_item, translate_item
from pactshare.node.custody import apply_reclassification, dispose, reclassify
from pactshare.node.documents import write_document
from pactshare.node.holdings import open_item
from pactshare.node.incidents import receive_notice, report_incident
from pactshare.node.items import ItemState, get_item, register
from pactshare.node.people import enrol_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import access_log, audit_entries, derivations, incidents
from tests.support import Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
caveats = ["KOR-JPN EYES ONLY"]
copy_limit = 2
"""


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, str]]:
    """KOR provided one item (copy_limit 2) to JPN (on the backend under test); sato may
    open it there."""
    nodes = pinned_nodes(
        tmp_path,
        Clock(at("2019-11-22T23:00:00+09:00")),
        ("KOR", "JPN"),
        databases={"JPN": database_url},
    )
    kor, jpn = nodes["KOR"], nodes["JPN"]
    (tmp_path / "item.txt").write_text("DPRK SLBM launch telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    receive(jpn, tmp_path / "pkg.zip")
    enrol_person(jpn, name="sato", clearance="機密", need_to_know=("dprk-missile",), roles=())
    yield kor, jpn, item
    kor.close()
    jpn.close()


def test_R_REP_1_a_copy_carries_every_marking_under_the_holders_signature(
    tmp_path: Path, pair: tuple[Node, Node, str]
) -> None:
    _, jpn, item = pair
    made = copy_item(jpn, item, person_name="sato")
    original = get_item(jpn, item)
    label = made.label
    assert (made.number, made.copy_limit, made.kind) == (1, 2, "copy")
    fresh = ("item_id", "created_at")
    kept = {k: v for k, v in label.items() if k not in fresh}
    digest = seal.Label.from_mapping(original.label).canonical_digest()
    assert kept == {
        **{k: v for k, v in original.label.items() if k not in fresh},
        "derived_by": "JPN",
        "derivation": "copy",
        "derived_from": digest,
    }
    copy = get_item(jpn, made.item_id)
    assert (copy.origin, copy.derived_from, copy.marking) == ("copy", item, original.marking)
    # The copy is sealed by JPN and verifies against the pinned directory; it opens as the
    # original does, for a cleared person, recorded in the access registry.
    with jpn.objects.open(copy.envelope) as sealed:
        info = seal.verify(sealed, jpn.directory)
    assert info.label.signer == "JPN"
    assert info.label.originator == "KOR"
    open_item(jpn, made.item_id, person_name="sato", output=tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == "DPRK SLBM launch telemetry"
    with pytest.raises(RefusedError) as provided:  # a copy stays with its maker, at the source
        provide(jpn, made.item_id, "KOR", package=tmp_path / "copy.zip")
    assert "copies and translations stay with the party that made them" in provided.value.reasons[0]
    assert not (tmp_path / "copy.zip").exists()
    with jpn.db.atomic() as tx:
        last = tx.execute(
            select(audit_entries.c.data).where(audit_entries.c.kind == "registration")
        ).scalar_one()
    entry = Entry.from_bytes(last)
    assert (entry.actor, entry.subject, entry.details["derived_from"]) == (
        "sato",
        made.item_id,
        item,
    )


def test_R_TRA_1_a_translation_carries_the_note_in_its_language_and_counts_with_copies(
    tmp_path: Path, pair: tuple[Node, Node, str]
) -> None:
    _, jpn, item = pair
    text = tmp_path / "ja.txt"
    text.write_text("北朝鮮SLBM発射の遠隔測定", encoding="utf-8")
    made = translate_item(jpn, item, person_name="sato", language="ja", text=text)
    assert made.label["note"] == "この翻訳には提供締約国（KOR）の秘密軍事情報が含まれている。"
    assert (made.label["language"], made.number) == ("ja", 1)
    open_item(jpn, made.item_id, person_name="sato", output=tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == text.read_text(encoding="utf-8")
    copy_item(jpn, item, person_name="sato")
    with pytest.raises(RefusedError) as refused:
        copy_item(jpn, item, person_name="sato")  # the third of a limit of two
    assert "R-REP-1: KOR allows 2 copies and translations" in "\n".join(refused.value.reasons)
    with jpn.db.atomic() as tx:
        granted = list(tx.execute(select(access_log.c.granted).order_by(access_log.c.id)).scalars())
    assert granted == [True, True, True, False]  # the translation opened, two made, one refused


def test_reclassification_destruction_and_incidents_reach_the_copies(
    tmp_path: Path, pair: tuple[Node, Node, str]
) -> None:
    kor, jpn, item = pair
    made = copy_item(jpn, item, person_name="sato")
    write_document(tmp_path / "notice.json", reclassify(kor, item, "kor-mil-3"))
    result = apply_reclassification(jpn, tmp_path / "notice.json")
    assert (result.copies_remarked, result.derived_flagged) == (1, 0)
    copy = get_item(jpn, made.item_id)
    assert copy.marking == get_item(jpn, item).marking
    assert not copy.needs_remarking
    notice = report_incident(jpn, made.item_id, summary="the copy was left on a printer")
    assert (notice["body"]["item_id"], notice["body"]["derived_item"]) == (item, made.item_id)
    with jpn.db.atomic() as tx:
        assert tx.execute(select(incidents.c.item_id)).scalar_one() == item
    filed = receive_notice(kor, notice, where="courier")  # the originator files it as its item's
    assert (filed.item_id, filed.holder, filed.received) == (item, "JPN", True)
    certificate = dispose(jpn, item)
    assert certificate["body"]["derived"] == [made.item_id]
    copy = get_item(jpn, made.item_id)
    assert copy.state is ItemState.DESTROYED
    assert copy.disposal is not None
    assert copy.disposal["body"]["derived_from"] == item
    with pytest.raises(RefusedError, match="may not make a copy"):
        copy_item(jpn, item, person_name="sato")


def test_an_uncleared_person_and_an_absent_item_are_refused_and_recorded(
    pair: tuple[Node, Node, str],
) -> None:
    _, jpn, item = pair
    enrol_person(jpn, name="tanaka", clearance=None, need_to_know=("dprk-missile",), roles=())
    with pytest.raises(RefusedError) as refused:
        copy_item(jpn, item, person_name="tanaka")
    assert refused.value.reasons == ("R-ACC-2: tanaka holds no security clearance",)
    with pytest.raises(NotFoundError):
        copy_item(jpn, "no-such-item", person_name="sato")
    with jpn.db.atomic() as tx:
        rows = tx.execute(select(access_log.c.item_id, access_log.c.granted)).all()
    assert [tuple(r) for r in rows] == [(item, False), ("no-such-item", False)]


def test_copies_made_at_once_never_pass_the_limit(pair: tuple[Node, Node, str]) -> None:
    """Four people copy at once an item whose limit is two: exactly two copies are made,
    numbered 1 and 2; the others are refused (the last number is taken once, R-REP-1)."""
    _, jpn, item = pair
    for name in ("ito", "mori", "abe"):
        enrol_person(jpn, name=name, clearance="機密", need_to_know=("dprk-missile",), roles=())
    barrier = threading.Barrier(4)

    def attempt(name: str) -> int | str:
        barrier.wait()
        try:
            return copy_item(jpn, item, person_name=name).number
        except NodeError as exc:  # refused at the decision, or when recorded
            return type(exc).__name__

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, ["sato", "ito", "mori", "abe"]))
    assert sorted(o for o in outcomes if isinstance(o, int)) == [1, 2]
    assert {o for o in outcomes if isinstance(o, str)} <= {"RefusedError", "NodeError"}
    with jpn.db.atomic() as tx:
        numbers = sorted(tx.execute(select(derivations.c.number)).scalars())
    assert numbers == [1, 2]

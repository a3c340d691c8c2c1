"""Hostile copies and translations (R-REP-1, R-TRA-1): over the originator's limit, by an
uncleared person, into a language without a note, from a huge or binary file, of an item not
held or destroyed, of a copy, and a derived label forged or sent by a peer. Each is refused
precisely, records nothing it should not, and answers 4xx through the API."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from pactshare import seal
from pactshare.errors import (
    EnvelopeKeyError,
    InputError,
    LabelError,
    NotFoundError,
    PackageError,
    RefusedError,
)
from pactshare.limits import MAX_TRANSLATION
from pactshare.node import NodeHome
from pactshare.node.contractors import add_contractor, attach
from pactshare.node.copies import copy_item, translate_item
from pactshare.node.custody import dispose
from pactshare.node.items import register
from pactshare.node.packages import sign_manifest, write_package
from pactshare.node.people import add_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import access_log, derivations, items
from tests.http_support import BEFORE_MIDNIGHT, LiveNode, live_kor, sign_in
from tests.support import Clock

JPN_LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "JPN"
classification = "極秘"
topics = ["dprk-missile/slbm"]
releasable_to = ["KOR"]
copy_limit = 1
"""


Held = tuple[LiveNode, str, Node]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveNode, str, Node]]:
    """A KOR node (its app in process) holding one item JPN provided, copy_limit 1; and JPN."""
    with live_kor(tmp_path, f"sqlite:///{tmp_path / 'kor.db'}", served=False) as kor:
        jpn_home = NodeHome(tmp_path / "jpn")
        shutil.copy(kor.node.home.public_key, jpn_home.directory / "KOR.json")
        jpn = Node(jpn_home, clock=Clock(BEFORE_MIDNIGHT))
        (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
        (tmp_path / "label.toml").write_text(JPN_LABEL, encoding="utf-8")
        item = register(jpn, tmp_path / "item.txt", tmp_path / "label.toml")
        provide(jpn, item, "KOR", package=tmp_path / "pkg.zip")
        receive(kor.node, tmp_path / "pkg.zip")
        yield kor, item, jpn
        jpn.close()


def _derived_count(node: Node) -> int:
    with node.db.atomic() as tx:
        return int(tx.execute(select(func.count()).select_from(derivations)).scalar_one())


def test_over_the_limit_is_422_with_the_rule_and_records_nothing_more(
    live: Held,
) -> None:
    kor, item, _ = live
    with kor.client("reader") as http:
        first = http.post(f"/api/v1/items/{item}/copies")
        second = http.post(f"/api/v1/items/{item}/copies")
    assert first.status_code == 201, first.text
    assert (first.json()["number"], first.json()["copy_limit"]) == (1, 1)
    assert second.status_code == 422
    assert second.json()["reasons"] == [
        "R-REP-1: JPN allows 1 copies and translations of " + item + "; 1 are made"
    ]
    assert _derived_count(kor.node) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("low", 404), ("elsewhere", 404), ("auditor", 403)],
)
def test_a_person_who_may_not_open_it_cannot_copy_it(live: Held, who: str, status: int) -> None:
    kor, item, _ = live
    with kor.client(who) as http:
        answer = http.post(f"/api/v1/items/{item}/copies")
        absent = http.post("/api/v1/items/never-held/copies")
    assert answer.status_code == status
    if status == 404:  # refused, recorded, and answered as for an item that does not exist
        assert answer.json()["detail"] == absent.json()["detail"].replace("never-held", item)
        with kor.node.db.atomic() as tx:
            tried = tx.execute(select(access_log.c.person, access_log.c.granted)).all()
        assert [tuple(t) for t in tried] == [(who, False), (who, False)]
    assert _derived_count(kor.node) == 0


def test_an_uncleared_person_is_refused_with_the_rule(live: Held) -> None:
    kor, item, _ = live
    with kor.node.db.atomic() as tx:
        add_person(
            tx, kor.node.party(tx), name="kim", clearance=None,
            need_to_know=["dprk-missile"], roles=["reader"], at=BEFORE_MIDNIGHT,
        )  # fmt: skip
    with pytest.raises(RefusedError) as refused:
        copy_item(kor.node, item, person_name="kim")
    assert refused.value.reasons == ("R-ACC-2: kim holds no security clearance",)


@pytest.mark.parametrize(
    ("language", "content", "named"),
    [
        ("fr", "traduction", "--language 'fr': no note text for that language"),
        ("ko", b"\x00\x01binary\xff", "not UTF-8 text"),
        ("ko", "text with a NUL \x00", "U+0000"),
        ("ko", "", ""),  # empty text is a translation (of nothing); allowed
    ],
)
def test_a_translation_in_an_unknown_language_or_binary_is_refused_before_anything(
    tmp_path: Path, live: Held, language: str, content: str | bytes, named: str
) -> None:
    kor, item, _ = live
    text = tmp_path / "t.txt"
    if isinstance(content, bytes):
        text.write_bytes(content)
    else:
        text.write_text(content, encoding="utf-8")
    with kor.client("reader") as http:
        answer = http.post(
            f"/api/v1/items/{item}/translations",
            data={"language": language},
            files={"file": ("t.txt", text.read_bytes())},
        )
    if not named:
        assert answer.status_code == 201, answer.text
        assert answer.json()["label"]["note"].startswith("이 번역물에는 제공당사자(JPN)")
        return
    assert answer.status_code == 400
    assert named in answer.json()["detail"]
    assert _derived_count(kor.node) == 0


def test_a_huge_translation_is_refused_by_its_size(tmp_path: Path, live: Held) -> None:
    kor, item, _ = live
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as out:
        out.truncate(MAX_TRANSLATION + 1)  # sparse: no disk, still too large
    with pytest.raises(InputError, match=f"at most {MAX_TRANSLATION} bytes"):
        translate_item(kor.node, item, person_name="reader", language="en", text=huge)
    assert _derived_count(kor.node) == 0


def test_not_held_destroyed_own_and_derived_items_are_refused(
    live: Held,
) -> None:
    kor, item, _ = live
    with pytest.raises(NotFoundError):
        copy_item(kor.node, "never-held", person_name="reader")
    copied = copy_item(kor.node, item, person_name="admin").item_id
    with pytest.raises(RefusedError, match="may not make a copy") as chained:
        copy_item(kor.node, copied, person_name="admin")
    assert any("is itself a copy of" in r for r in chained.value.reasons)
    dispose(kor.node, item)
    with pytest.raises(RefusedError) as destroyed:
        copy_item(kor.node, item, person_name="admin")
    assert f"R-PRO-8: {item} is destroyed: nothing is made from a disposed item" in (
        destroyed.value.reasons
    )
    with kor.client("originator") as http:
        own = http.post(
            "/api/v1/items",
            files={"file": ("i", b"x")},
            data={"label": JPN_LABEL.replace("JPN", "KOR").replace("極秘", "군사 II급 비밀")
                  .replace('["KOR"]', '["JPN"]')},
        )  # fmt: skip
        assert own.status_code == 201, own.text
        refused = http.post(f"/api/v1/items/{own.json()['item_id']}/copies")
    assert refused.status_code == 422
    assert "the originator registers its own item again" in refused.json()["reasons"][0]


def test_a_derived_label_cannot_be_registered_or_forged(tmp_path: Path, live: Held) -> None:
    kor, item, _ = live
    copied = copy_item(kor.node, item, person_name="admin")
    # Registering: the derived fields are the copy command's, not a person's.
    with kor.client("originator") as http:
        answer = http.post(
            "/api/v1/items",
            files={"file": ("i", b"x")},
            data={"label": JPN_LABEL + 'derived_by = "KOR"\n'},
        )
    assert answer.status_code == 400
    assert "label: derived_by" in answer.json()["detail"]
    # Forged: a label naming USA as the deriving holder, sealed with KOR's keys.
    forged = seal.Label.from_mapping({**copied.label, "derived_by": "USA"})
    with pytest.raises(EnvelopeKeyError, match="USA as the holder that derived it"):
        b"".join(seal.seal(b"x", forged, kor.node.keys, [kor.node.keys.public()]))
    # A derived label without its derivation, or a translation without its note.
    for broken, key in (
        ({k: v for k, v in copied.label.items() if k != "derivation"}, "derivation"),
        ({**copied.label, "derivation": "translation", "language": "ko"}, "note"),
        ({**copied.label, "derived_from": "sha256:00"}, "derived_from"),
        ({**copied.label, "derived_by": "JPN"}, "derived_by"),  # the originator itself
        ({**copied.label, "copy_limit": -1}, "copy_limit"),
        ({**copied.label, "copy_limit": True}, "copy_limit"),
    ):
        with pytest.raises(LabelError, match=key):
            seal.Label.from_mapping(broken)


def test_a_peer_cannot_send_a_copy_or_translation(tmp_path: Path, live: Held) -> None:
    """JPN sends KOR a copy of a KOR item under its own derived label, correctly signed and
    packaged: copies and translations stay with the party that made them."""
    kor, _, jpn = live
    original = seal.Label.from_mapping(
        {
            "policy": "gsomia-kor-jpn-2016", "originator": "KOR", "classification": "kor-mil-2",
            "topics": ["dprk-missile/slbm"], "releasable_to": ["JPN"], "copy_limit": 5,
            "item_id": "kor-original", "created_at": BEFORE_MIDNIGHT,
        }
    )  # fmt: skip
    label = seal.Label.from_mapping(
        {
            **original.as_json(), "item_id": "jpn-copy", "derived_from": original.canonical_digest(),
            "derived_by": "JPN", "derivation": "copy",
        }
    )  # fmt: skip
    envelope = b"".join(seal.seal(b"copied", label, jpn.keys, [jpn.directory.current("KOR")]))
    body = {
        "package_id": "p-derived", "sender": "JPN", "recipient": "KOR", "final_recipient": "KOR",
        "item_id": label.item_id, "created_at": BEFORE_MIDNIGHT.isoformat(),
        "envelope": {"digest": hashlib.sha256(envelope).hexdigest(), "size": len(envelope)},
        "label": label.as_json(), "decision": {}, "approvals": [],
    }  # fmt: skip
    write_package(tmp_path / "derived.zip", sign_manifest(body, jpn.keys), iter([envelope]))
    with pytest.raises(PackageError, match="stay with the party that made them"):
        receive(kor.node, tmp_path / "derived.zip")
    with kor.node.db.atomic() as tx:
        assert tx.execute(select(items.c.id).where(items.c.id == "jpn-copy")).first() is None


def test_the_translation_endpoint_refuses_bad_forms(live: Held) -> None:
    kor, item, _ = live
    with kor.client("reader") as http:
        missing = http.post(f"/api/v1/items/{item}/translations", data={"language": "ko"})
        long = http.post(
            f"/api/v1/items/{item}/translations",
            data={"language": "kor-x"},
            files={"file": ("t", b"x")},
        )
        absent = http.post("/api/v1/items/nope/copies")
    assert (missing.status_code, long.status_code, absent.status_code) == (422, 422, 404)
    assert isinstance(absent, httpx.Response)


def test_the_item_record_and_page_show_each_copy_and_how_it_was_made(live: Held) -> None:
    kor, item, _ = live
    with kor.client("reader") as http:
        made = http.post(f"/api/v1/items/{item}/copies").json()
        original = http.get(f"/api/v1/items/{item}").json()
        copy = http.get(f"/api/v1/items/{made['item_id']}").json()
    assert [(d["item_id"], d["number"], d["made_by"]) for d in original["derived"]] == [
        (made["item_id"], 1, "reader")
    ]
    assert original["derivation"] is None
    assert (copy["derivation"]["derived_from"], copy["derived"]) == (item, [])
    with kor.client() as browser:
        sign_in(browser, kor.tokens["reader"])
        page = browser.get(f"/items/{item}").text
        copy_page = browser.get(f"/items/{made['item_id']}").text
    assert f'<a href="/items/{made["item_id"]}">' in page
    assert "Copy limit (R-REP-1 [L])</dt><dd>1 copies and translations" in page
    assert "copy 1 of 1, made on this node by reader" in copy_page
    assert "signed by KOR, the holder that made this copy" in copy_page


def test_a_contractors_staff_copies_only_what_their_facility_may_hold(live: Held) -> None:
    """R-CON-1 (n), (o): reproduction and translation at a contractor follow the same rules;
    staff of a facility the item was not handed over to may not copy it, as they may not
    open it."""
    kor, item, _ = live
    node = kor.node
    add_contractor(node, "hanwha", name="Hanwha Systems", facility="Daejeon plant 3",
                   protects=True, registry=True, custodian="officer", by="admin")  # fmt: skip
    with node.db.atomic() as tx:
        add_person(
            tx, node.party(tx), name="Kim Engineer", clearance="kor-mil-1",
            need_to_know=["dprk-missile"], roles=["reader"], at=node.now(),
        )  # fmt: skip
    attach(node, "hanwha", "Kim Engineer", briefed=True, by="officer")
    with pytest.raises(RefusedError) as refused:
        copy_item(node, item, person_name="Kim Engineer")
    assert any(r.startswith("R-CON-1") and "not handed over" in r for r in refused.value.reasons)
    assert _derived_count(node) == 0

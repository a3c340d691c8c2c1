"""The auditor role used to read every item's metadata (id, label, topics, marking, decisions,
other people's refusals) through audit proofs, whatever its clearance and need-to-know.

A person now sees an entry whole only if it concerns no item or an item their clearance and
need-to-know cover; otherwise the entry is redacted whole (kind and time; the proof keeps its
position and leaf hash), and the proof still verifies.
"""

from __future__ import annotations

from typing import Any

import rfc8785
from sqlalchemy import select

from pactshare import audit
from pactshare.store.schema import audit_entries
from tests.http_support import LABEL_TOML, LiveNode, sign_in

NAVAL_LABEL = LABEL_TOML.replace('"dprk-missile/slbm"', '"prc-naval"')


def _register(live: LiveNode, who: str, label: str) -> str:
    with live.client(who) as http:
        answer = http.post(
            "/api/v1/items", files={"file": ("i", b"content")}, data={"label": label}
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["item_id"])


def _position(live: LiveNode, kind: str, subject: str) -> int:
    with live.node.db.atomic() as tx:
        rows = tx.execute(select(audit_entries.c.position, audit_entries.c.data)).all()
    (position,) = (
        row.position
        for row in rows
        if (entry := audit.Entry.from_bytes(bytes(row.data))).kind == kind
        and entry.subject == subject
    )
    return int(position)


def _proofs(live: LiveNode, who: str, *positions: int) -> list[dict[str, Any]]:
    with live.client(who) as http:
        assert http.post("/api/v1/audit/heads").status_code == 201
        answers = [http.get(f"/api/v1/audit/proofs/{position}") for position in positions]
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    return [answer.json() for answer in answers]


def _verifies(proof: dict[str, Any]) -> None:
    leaf = bytes.fromhex(proof["leaf_hash"])
    hashes = [bytes.fromhex(h) for h in proof["proof"]]
    audit.verify_inclusion(
        leaf, proof["position"], proof["size"], hashes, bytes.fromhex(proof["root"])
    )


def test_an_auditor_without_need_to_know_sees_the_entry_redacted_whole(live: LiveNode) -> None:
    hidden = _register(live, "elsewhere", NAVAL_LABEL)  # the auditor has no need to know prc-naval
    position = _position(live, "registration", hidden)
    (proof,) = _proofs(live, "auditor", position)
    assert proof["entry"] == {"kind": "registration", "at": proof["entry"]["at"], "redacted": True}
    assert hidden not in str(proof)
    assert "prc-naval" not in str(proof)
    _verifies(proof)  # the v1 leaf is one hash: the proof stands without the entry


def test_an_auditor_who_may_see_the_item_sees_the_entry_whole(live: LiveNode) -> None:
    seen = _register(live, "originator", LABEL_TOML)
    hidden = _register(live, "elsewhere", NAVAL_LABEL)
    node_event = 0  # the node's own events concern no item
    proofs = _proofs(
        live,
        "auditor",
        _position(live, "registration", seen),
        _position(live, "registration", hidden),
        node_event,
    )
    whole, redacted, event = proofs
    assert whole["entry"]["subject"] == seen
    assert whole["entry"]["details"]["label"]["topics"] == ["dprk-missile/slbm"]
    leaf = audit.leaf_hash(audit.ENTRY_DOMAIN + rfc8785.dumps(whole["entry"]))
    assert leaf.hex() == whole["leaf_hash"]
    assert redacted["entry"].get("redacted") is True
    assert event["entry"]["subject"] == "node"
    for proof in proofs:
        _verifies(proof)


def test_a_person_cleared_for_everything_sees_every_entry_whole(live: LiveNode) -> None:
    hidden = _register(live, "elsewhere", NAVAL_LABEL)
    (proof,) = _proofs(live, "admin", _position(live, "registration", hidden))
    assert proof["entry"]["subject"] == hidden


def test_the_dashboard_audit_page_shows_an_auditor_no_item_metadata(live: LiveNode) -> None:
    hidden = _register(live, "elsewhere", NAVAL_LABEL)
    _proofs(live, "admin")  # a signed head, so the page has something to show
    with live.client() as browser:
        signed_in = sign_in(browser, live.tokens["auditor"], "/")
        assert signed_in.status_code == 303
        page = browser.get("/audit", params={"verify": "1"})
    assert page.status_code == 200
    assert 'data-ok="true"' in page.text
    assert hidden not in page.text
    assert "prc-naval" not in page.text

"""Attacks on who may make which event: a peer (or a stranger) sends KOR's node notes,
acceptances and rejections it has no standing to make, over a real loopback socket. KOR's node
refuses them (4xx, never 5xx) or records them without effect: its decisions never change.

KOR is on the backend under test (SQLite, and PostgreSQL with CI=true); JPN and USA are the
attackers, signing with their own pinned keys.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import rfc8785

from pactshare.domain import Status, status_at
from pactshare.errors import RefusedError
from pactshare.federation.delivery import PATH
from pactshare.node.answers import ACCEPTANCE, REJECTION, accept_note, reject_note
from pactshare.node.documents import sign_document, write_document
from pactshare.node.items import register
from pactshare.node.notes import KIND, give_note, list_notes, receive_note
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.e2e.federation_support import signed_headers
from tests.support import GSOMIA, Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""


@dataclass
class Target:
    """KOR's node served on loopback, with the attackers' nodes (for their keys)."""

    kor: Node
    jpn: Node
    usa: Node
    clock: Clock
    url: str

    def post(self, sender: Node, document: Any) -> httpx.Response:
        """Send ``document`` to KOR as ``sender``'s node would (a signed request)."""
        body = json.dumps(document).encode()
        headers = signed_headers(sender.keys, body, message_id=uuid.uuid4().hex, recipient="KOR")
        return httpx.post(self.url + PATH, content=body, headers=headers, timeout=30)

    def gsomia(self, when: str) -> Status:
        with self.kor.db.atomic() as tx:
            return status_at(self.kor.registry(tx).agreement(GSOMIA), at(when)).status

    def state(self, event_id: str) -> str:
        [record] = [r for r in list_notes(self.kor, GSOMIA) if r.event_id == event_id]
        return record.state


@pytest.fixture
def target(tmp_path: Path, database_url: str) -> Iterator[Target]:
    clock = Clock(at("2016-09-09T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, databases={"KOR": database_url})
    try:
        with NodeServer(nodes["KOR"], port=0) as server:
            server.worker.stop()
            yield Target(nodes["KOR"], nodes["JPN"], nodes["USA"], clock, server.url)
    finally:
        for node in nodes.values():
            node.close()


def note(
    party: str, kind: str, when: datetime, *, issued: datetime | None = None, acts_for: str = ""
) -> dict[str, Any]:
    """The body of a note ``party`` signs, naming ``when``, signed at ``issued``."""
    return {
        "agreement": GSOMIA,
        "event": {
            "id": f"{party.lower()}-{uuid.uuid4().hex[:8]}",
            "kind": kind,
            "party": acts_for or party,
            "at": when.isoformat(),
            "source": "attack",
        },
        "issued_at": (issued or when).isoformat(),
    }


def answer(signer: Node, kind: str, event_id: str, noted: Any, **extra: Any) -> dict[str, Any]:
    body = {
        "agreement": GSOMIA,
        "event_id": event_id,
        "party": signer.party_code,
        "note_digest": hashlib.sha256(rfc8785.dumps(noted)).hexdigest() if noted else "0" * 64,
        "reason": "attack" if kind == REJECTION else "",
        "issued_at": "2026-01-10T10:00:00+09:00",
        **extra,
    }
    return sign_document(kind, body, signer.keys)


def test_a_backdated_entry_into_force_never_lets_kor_provide(
    tmp_path: Path, target: Target
) -> None:
    """JPN, before GSOMIA existed, says it entered into force on 2016-08-01."""
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(target.kor, tmp_path / "item.txt", tmp_path / "label.toml")
    backdated = note(
        "JPN",
        "entry_into_force",
        at("2016-08-01T00:00:00+09:00"),
        issued=at("2016-09-09T10:00:00+09:00"),
    )
    assert (
        target.post(target.jpn, sign_document(KIND, backdated, target.jpn.keys)).status_code == 422
    )
    # Signed "in the past" so that it is not backdated: a proposal, waiting for KOR.
    early = note("JPN", "entry_into_force", at("2016-08-01T00:00:00+09:00"))
    assert target.post(target.jpn, sign_document(KIND, early, target.jpn.keys)).status_code == 200
    assert target.state(early["event"]["id"]) == "proposed"
    with pytest.raises(RefusedError):
        provide(target.kor, item, "JPN", package=tmp_path / "to-jpn.zip")


def test_forged_party_notes_are_refused(target: Target) -> None:
    target.clock.now = at("2026-01-10T10:00:00+09:00")
    now = target.clock.now
    for_kor = note("JPN", "notice_of_termination", now, acts_for="KOR")
    by_usa = note("USA", "notice_of_termination", now)
    assert target.post(target.jpn, sign_document(KIND, for_kor, target.jpn.keys)).status_code == 400
    assert target.post(target.usa, sign_document(KIND, by_usa, target.usa.keys)).status_code == 400
    relayed = sign_document(KIND, note("JPN", "notice_of_termination", now), target.jpn.keys)
    assert target.post(target.usa, relayed).status_code == 400  # USA relays JPN's words
    assert target.gsomia("2026-12-01T00:00:00+09:00") is Status.IN_FORCE


def test_backdated_notes_and_notes_signed_after_their_receipt_are_refused(target: Target) -> None:
    target.clock.now = now = at("2026-01-10T10:00:00+09:00")
    backdated = note("JPN", "notice_of_termination", now - timedelta(days=1), issued=now)
    future = note("JPN", "notice_of_termination", now + timedelta(days=2))
    for body in (backdated, future):
        answer_ = target.post(target.jpn, sign_document(KIND, body, target.jpn.keys))
        assert answer_.status_code == 422, answer_.text
    assert target.gsomia("2027-12-01T00:00:00+09:00") is Status.IN_FORCE


def test_a_note_signed_after_the_request_carrying_it_is_refused(target: Target) -> None:
    """The request's RFC 9421 ``created`` is real time: a note cannot be signed after it, even
    when the receiver's clock runs ahead (a replayed or simulated clock)."""
    real = datetime.now(UTC)
    target.clock.now = real + timedelta(days=2)
    ahead = note("JPN", "notice_of_termination", real + timedelta(days=1))
    answer_ = target.post(target.jpn, sign_document(KIND, ahead, target.jpn.keys))
    assert answer_.status_code == 422, answer_.text
    assert "after the request carrying it" in answer_.text


def test_a_suspension_of_a_notice_nobody_gave_or_of_anothers_notice_changes_nothing(
    target: Target,
) -> None:
    target.clock.now = now = at("2026-01-10T10:00:00+09:00")
    nobodys = note("JPN", "notice_suspension", now)
    assert target.post(target.jpn, sign_document(KIND, nobodys, target.jpn.keys)).status_code == 200
    assert target.state(nobodys["event"]["id"]) == "ignored"
    target.clock.now = then = at("2019-10-01T10:00:00+09:00")  # KOR's 2019 notice is running
    korss = note("JPN", "notice_suspension", then)
    assert target.post(target.jpn, sign_document(KIND, korss, target.jpn.keys)).status_code == 200
    assert target.state(korss["event"]["id"]) == "ignored"
    assert target.gsomia("2019-10-02T00:00:00+09:00") is Status.TERMINATION_PENDING


def test_a_valid_notice_cannot_be_rejected(tmp_path: Path, target: Target) -> None:
    target.clock.now = at("2026-01-10T10:00:00+09:00")
    given = give_note(target.kor, GSOMIA, "notice_of_termination")
    event_id = given["body"]["event"]["id"]
    write_document(tmp_path / "note.json", given)
    receive_note(target.jpn, tmp_path / "note.json")
    with pytest.raises(RefusedError) as refused:
        reject_note(target.jpn, GSOMIA, event_id, reason="we do not like it")
    assert "cannot be rejected" in refused.value.reasons[0]
    forged = answer(target.jpn, REJECTION, event_id, given)
    assert target.post(target.jpn, forged).status_code == 422
    assert target.state(event_id) == "in_effect"


def test_a_file_event_cannot_be_rejected(target: Target) -> None:
    forged = answer(target.jpn, REJECTION, "kor-notice-2019", None)
    assert target.post(target.jpn, forged).status_code == 422
    assert target.gsomia("2019-09-01T00:00:00+09:00") is Status.TERMINATION_PENDING


def test_a_party_cannot_accept_its_own_proposal(target: Target) -> None:
    target.clock.now = now = at("2026-01-10T10:00:00+09:00")
    own = give_note(target.kor, GSOMIA, "termination")
    with pytest.raises(RefusedError) as refused:
        accept_note(target.kor, GSOMIA, own["body"]["event"]["id"])
    assert "does not answer its own note" in refused.value.reasons[0]
    proposal = sign_document(KIND, note("JPN", "termination", now), target.jpn.keys)
    event_id = proposal["body"]["event"]["id"]
    assert target.post(target.jpn, proposal).status_code == 200
    own_answer = target.post(target.jpn, answer(target.jpn, ACCEPTANCE, event_id, proposal))
    strangers = [
        target.post(target.usa, answer(target.usa, kind, event_id, proposal))
        for kind in (ACCEPTANCE, REJECTION)  # USA is no party to GSOMIA
    ]
    assert [a.status_code for a in (own_answer, *strangers)] == [422, 422, 422]
    assert "not a party" in strangers[1].text
    assert target.state(event_id) == "proposed"
    assert target.gsomia("2026-02-01T00:00:00+09:00") is Status.IN_FORCE


def test_hostile_answer_bodies_get_a_4xx_never_a_5xx(target: Target) -> None:
    """KOR proposed; JPN may answer, but every body below is hostile."""
    target.clock.now = now = at("2026-01-10T10:00:00+09:00")
    proposal = give_note(target.kor, GSOMIA, "termination")
    event_id = proposal["body"]["event"]["id"]
    jpn = target.jpn

    def with_event(**changes: Any) -> dict[str, Any]:
        body = note("JPN", "termination", now)
        return sign_document(KIND, {**body, "event": {**body["event"], **changes}}, jpn.keys)

    cases = {
        "unknown note": answer(jpn, REJECTION, "no-such-event", None),
        "another note's digest": answer(jpn, REJECTION, event_id, {"other": 1}),
        "answers for KOR": answer(jpn, REJECTION, event_id, proposal, party="KOR"),
        "no reason": answer(jpn, REJECTION, event_id, proposal, reason=" "),
        "huge reason": answer(jpn, REJECTION, event_id, proposal, reason="x" * 5000),
        "reason not text": answer(jpn, REJECTION, event_id, proposal, reason=["x"]),
        "bad instant": answer(jpn, ACCEPTANCE, event_id, proposal, issued_at="0001-01-01"),
        "unknown agreement": answer(jpn, ACCEPTANCE, event_id, proposal, agreement="nope"),
        "event id not text": sign_document(
            ACCEPTANCE,
            {**answer(jpn, ACCEPTANCE, event_id, proposal)["body"], "event_id": {}},
            jpn.keys,
        ),
        "missing fields": sign_document(ACCEPTANCE, {"agreement": GSOMIA}, jpn.keys),
        "note body a list": {**sign_document(KIND, {}, jpn.keys), "body": []},
        "note missing event": sign_document(KIND, {"agreement": GSOMIA}, jpn.keys),
        "note event not an object": sign_document(
            KIND, {**note("JPN", "termination", now), "event": 3}, jpn.keys
        ),
        "note unknown kind": sign_document(KIND, note("JPN", "coup", now), jpn.keys),
        "note id too long": with_event(id="x" * 101),
        "note source with NUL": with_event(source="a\x00b"),
        "note id reused": with_event(id=event_id, kind="amendment"),
        "reason with NUL": answer(jpn, REJECTION, event_id, proposal, reason="a\x00b"),
        "acceptance with a reason": answer(jpn, ACCEPTANCE, event_id, proposal, reason="x"),
    }
    statuses = {name: target.post(jpn, document).status_code for name, document in cases.items()}
    assert all(400 <= status < 500 for status in statuses.values()), statuses
    assert target.state(event_id) == "proposed"
    valid = target.post(jpn, answer(jpn, ACCEPTANCE, event_id, proposal))
    assert valid.status_code == 200, valid.text  # the hostile bodies were refused for themselves
    assert target.state(event_id) == "in_effect"

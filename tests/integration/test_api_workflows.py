"""/api/v1 beyond items (the app called in process): agreements at an instant, dry-run decisions,
consents, incidents, diplomatic notes and the audit log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from pactshare.domain import Amendment
from pactshare.node import NodeHome
from pactshare.node.documents import write_document
from pactshare.node.notes import give_note, receive_note
from pactshare.node.service import Node
from pactshare.store.schema import outbox
from tests.http_support import BEFORE_MIDNIGHT, LiveNode

GSOMIA = "gsomia-kor-jpn-2016"


def test_agreements_status_at_an_instant_and_timeline(live: LiveNode) -> None:
    with live.client("reader") as http:
        listed = http.get("/api/v1/agreements", params={"at": "2019-11-22T23:59:59+09:00"})
        status = http.get(f"/api/v1/agreements/{GSOMIA}/status", params={"at": "2023-06-01T00:00Z"})
        shown = http.get(f"/api/v1/agreements/{GSOMIA}")
        timeline = http.get(f"/api/v1/agreements/{GSOMIA}/timeline")
        events = http.get(f"/api/v1/agreements/{GSOMIA}/events")
        unknown = http.get("/api/v1/agreements/no-such-agreement/status")
    by_id = {a["id"]: a for a in listed.json()}
    assert by_id[GSOMIA]["status"] == "notice_suspended"
    assert by_id[GSOMIA]["at"] == "2019-11-22T23:59:59+09:00"
    assert status.json()["status"] == "in_force"
    assert status.json()["agreement"] == GSOMIA
    assert shown.json()["parties"] == ["KOR", "JPN"]
    assert [e["id"] for e in events.json()] == [e["id"] for e in shown.json()["events"]]
    assert timeline.json()["bands"][0]["start"]
    assert unknown.status_code == 404


def test_the_topic_vocabulary_is_listed_with_each_parent(live: LiveNode) -> None:
    with live.client("reader") as http:
        topics = {t["topic"]: t for t in http.get("/api/v1/topics").json()}
    assert topics["dprk-missile/slbm"]["parent"] == "dprk-missile"
    assert topics["dprk-missile"]["parent"] is None
    assert "prc-naval" in topics
    assert all(t["description"] for t in topics.values())


def test_a_dry_run_decision_records_nothing(live: LiveNode) -> None:
    request = {
        "from": "KOR",
        "to": "JPN",
        "classification": "군사 II급 비밀",
        "topics": ["dprk-missile/slbm"],
        "at": "2019-11-22T23:59:59+09:00",
    }
    with live.client("reader") as http:
        allowed = http.post("/api/v1/decisions", json=request)
        early = http.post("/api/v1/decisions", json={**request, "at": "2010-01-01T00:00Z"})
        after_midnight = {**request, "at": "2019-11-23T00:00:01+09:00"}
        suspended = http.post("/api/v1/decisions", json=after_midnight)
        what_if = http.post(
            "/api/v1/decisions", json={**after_midnight, "drop_event": ["kor-suspension-2019"]}
        )
        bad = http.post("/api/v1/decisions", json={**request, "at": "soon"})
        typo = http.post("/api/v1/decisions", json={**request, "topics": ["dprk-missle"]})
    assert typo.status_code == 400
    assert typo.json()["detail"].startswith("topics: unknown topic 'dprk-missle'; did you mean")
    assert allowed.json()["outcome"] == "allowed"
    assert allowed.json()["route"][0]["marking"] == "KOR / 極秘 (SECRET)"
    assert early.json()["outcome"] == "refused"
    assert suspended.json()["outcome"] == "allowed"
    assert what_if.json()["outcome"] == "relay"  # terminated: only through the TISA hub
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("at:")
    with live.node.db.atomic() as tx:
        assert tx.execute(select(outbox)).first() is None


def test_consents_granted_listed_and_revoked_by_the_officer(live: LiveNode) -> None:
    item = live.register()
    with live.client("officer") as http:
        granted = http.post(f"/api/v1/items/{item}/consents", json={"to": "USA"})
        both = http.post(f"/api/v1/items/{item}/consents", json={"to": "USA", "purpose": "x"})
        approval = granted.json()["body"]["approval_id"]
        revoked = http.delete(f"/api/v1/consents/{approval}")
        again = http.delete(f"/api/v1/consents/{approval}")
        listed = http.get(f"/api/v1/items/{item}/consents").json()
    assert granted.status_code == 201
    assert granted.json()["kind"] == "approval"
    assert both.status_code == 400
    assert revoked.json()["kind"] == "revocation"
    assert again.status_code == 409  # revoked once: its instant stays, nothing is sent again
    assert "was already revoked at" in again.json()["detail"]
    instant = datetime.fromisoformat(revoked.json()["body"]["revoked_at"])
    assert [(c["approval_id"], datetime.fromisoformat(c["revoked_at"])) for c in listed] == [
        (approval, instant)
    ]
    with live.client("reader") as http:
        assert http.post(f"/api/v1/items/{item}/consents", json={"to": "USA"}).status_code == 403


def test_an_incident_is_reported_confirmed_and_closed(live: LiveNode) -> None:
    item = live.register()
    with live.client("officer") as http:
        reported = http.post(f"/api/v1/items/{item}/incidents", json={"summary": "laptop lost"})
        incident = reported.json()["body"]["incident_id"]
        confirmed = http.patch(f"/api/v1/incidents/{incident}", json={"state": "confirmed"})
        unfinished = http.post(
            f"/api/v1/incidents/{incident}/close", json={"findings": "", "measures": "x"}
        )
        closed = http.post(
            f"/api/v1/incidents/{incident}/close",
            json={"findings": "left on a train", "measures": "encrypted disks"},
        )
        listed = http.get("/api/v1/incidents").json()
    assert reported.status_code == 201
    assert confirmed.json()["body"]["state"] == "confirmed"
    assert unfinished.status_code == 422
    assert closed.json()["body"]["state"] == "closed"
    assert [(i["incident_id"], i["state"]) for i in listed] == [(incident, "closed")]
    with live.client("low") as http:
        assert http.get("/api/v1/incidents").json() == []
        assert http.patch(
            f"/api/v1/incidents/{incident}", json={"state": "ruled-out"}
        ).status_code in (
            403,
            404,
        )


def test_a_note_given_by_the_officer_changes_the_status_and_is_queued(live: LiveNode) -> None:
    with live.client("officer") as http:
        note = http.post(
            f"/api/v1/agreements/{GSOMIA}/notes",
            json={"kind": "notice_of_termination", "effective": "2024-01-01T00:00:00+09:00"},
        )
        status = http.get(
            f"/api/v1/agreements/{GSOMIA}/status", params={"at": "2024-02-01T00:00:00+09:00"}
        )
    assert note.status_code == 201, note.text
    assert note.json()["kind"] == "diplomatic-note"
    assert note.json()["body"]["event"]["id"] in status.json()["applied_events"]
    with live.node.db.atomic() as tx:
        queued = tx.execute(select(outbox.c.kind, outbox.c.recipient)).all()
    assert [tuple(r) for r in queued] == [("note", "JPN")]


def test_an_amendment_proposed_by_the_officer_carries_its_terms_signed(live: LiveNode) -> None:
    """R-AMD-1: the note signs the new terms; terms that do not fit the agreement are a 400
    naming the key inside the amendment, and nothing is recorded."""
    base = f"/api/v1/agreements/{GSOMIA}/notes"
    with live.client("officer") as http:
        note = http.post(base, json={"kind": "amendment", "amendment": {"scope": ["dprk-missile"]}})
        bad = http.post(base, json={"kind": "amendment", "amendment": {"scope": ["dprk-missle"]}})
        wrong = http.post(base, json={"kind": "dispute", "amendment": {"notice_days": 1}})
        malformed = http.post(base, json={"kind": "amendment", "amendment": {"scope": 1}})
        listed = http.get(base).json()
    assert note.status_code == 201, note.text
    assert note.json()["body"]["event"]["amendment"] == {"scope": ["dprk-missile"]}
    assert (bad.status_code, wrong.status_code, malformed.status_code) == (400, 400, 400)
    assert "amendment.scope[0]: unknown topic" in bad.text
    assert "amendment.scope" in malformed.text
    assert [n["kind"] for n in listed].count("amendment") == 1


def test_the_agreement_page_shows_each_version_of_the_terms(tmp_path: Path, live: LiveNode) -> None:
    """R-AMD-1: JPN proposes new terms, KOR's officer accepts; the dashboard lists both
    versions with the amendment's event id and shows the terms in force at the instant."""
    jpn = Node(NodeHome(tmp_path / "jpn"), clock=lambda: BEFORE_MIDNIGHT)
    try:
        terms = Amendment(scope=("dprk-missile",), notice_days=30)
        note = give_note(jpn, GSOMIA, "amendment", terms=terms)
    finally:
        jpn.close()
    write_document(tmp_path / "note.json", note)
    receive_note(live.node, tmp_path / "note.json")
    event_id = note["body"]["event"]["id"]
    with live.client("officer") as http:
        accepted = http.post(f"/api/v1/agreements/{GSOMIA}/notes/{event_id}/acceptance")
        after = http.get(f"/agreements/{GSOMIA}", params={"at": "2020-01-01T00:00:00+09:00"})
        before = http.get(f"/agreements/{GSOMIA}", params={"at": "2019-01-01T00:00:00+09:00"})
        dropped = http.get(f"/agreements/{GSOMIA}", params={"drop_event": "no-such-event"})
        events = http.get(f"/api/v1/agreements/{GSOMIA}/events").json()
    assert accepted.status_code == 201, accepted.text
    assert 'data-version="signed"' in after.text
    assert f'data-version="{event_id}"' in after.text
    assert 'data-testid="scope">dprk-missile only' in after.text
    assert 'data-testid="scope">all military information' in before.text
    assert dropped.status_code == 400
    assert [e["amendment"] for e in events if e["id"] == event_id] == [
        {"scope": ["dprk-missile"], "notice_days": 30}
    ]


def test_the_auditor_signs_proves_and_verifies(live: LiveNode) -> None:
    live.register()
    with live.client("auditor") as http:
        assert http.get("/api/v1/audit/head").status_code == 404
        signed = http.post("/api/v1/audit/heads")
        head = http.get("/api/v1/audit/head")
        proof = http.get("/api/v1/audit/proofs/1")
        beyond = http.get(f"/api/v1/audit/proofs/{signed.json()['size']}")
        verified = http.get("/api/v1/audit/verify")
    assert signed.status_code == 201
    assert head.json() == signed.json()
    assert proof.json()["root"] == signed.json()["root"]
    assert proof.json()["position"] == 1
    assert beyond.status_code == 409
    assert verified.json()["ok"] is True
    assert verified.json()["heads_verified"] == 1


def test_the_officer_accepts_and_refuses_proposals_and_every_events_state_is_shown(
    tmp_path: Path, live: LiveNode
) -> None:
    jpn = Node(NodeHome(tmp_path / "jpn"), clock=lambda: BEFORE_MIDNIGHT)
    try:
        amendment, termination = (give_note(jpn, GSOMIA, kind) for kind in ("amendment", "termination"))  # fmt: skip
    finally:
        jpn.close()
    for document in (amendment, termination):
        write_document(tmp_path / "note.json", document)
        receive_note(live.node, tmp_path / "note.json")
    base = f"/api/v1/agreements/{GSOMIA}/notes"
    accept = f"{base}/{amendment['body']['event']['id']}/acceptance"
    refuse = f"{base}/{termination['body']['event']['id']}/rejection"
    with live.client("low") as http:
        forbidden = http.post(accept)
    with live.client("officer") as http:
        accepted = http.post(accept)
        again = http.post(accept)
        refused = http.post(refuse, json={"reason": "Korea does not consent"})
        file_event = http.post(f"{base}/kor-notice-2019/rejection", json={"reason": "no"})
        absent = http.post(f"{base}/no-such-note/acceptance")
        listed = {n["event_id"]: n for n in http.get(base).json()}
        everything = http.get("/api/v1/notes").json()
        page = http.get(f"/agreements/{GSOMIA}").text  # the dashboard's agreement page
    assert forbidden.status_code == 403
    assert (accepted.status_code, accepted.json()["kind"]) == (201, "note-acceptance")
    assert (again.status_code, refused.status_code) == (422, 201)
    assert (file_event.status_code, absent.status_code) == (400, 404)
    assert listed[amendment["body"]["event"]["id"]]["state"] == "in_effect"
    assert listed[termination["body"]["event"]["id"]]["summary"] == "rejected by KOR"
    assert listed["kor-notice-2019"]["origin"] == "file"
    assert len(everything) > len(listed)
    assert f'data-note="{termination["body"]["event"]["id"]}" data-state="rejected"' in page
    assert "rejected by KOR" in page

"""/api/v1/visits (the app called in process): a security officer requests, approves and
refuses visits (R-VIS-1, R-SEC-1); the rules' refusals answer 422 naming the rule, bad input
400, other roles 403."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pactshare.store.schema import outbox
from tests.http_support import LiveNode, sign_in

GSOMIA = "gsomia-kor-jpn-2016"


def visit(**changes: Any) -> dict[str, Any]:
    return {
        "host": "JPN",
        "agreement": GSOMIA,
        "from_authority": "kor-mnd",
        "to_authority": "jpn-mod",
        "purpose": "DPRK missile warning liaison",
        "facility": "jpn-mod-ichigaya",
        "starts": "2019-12-02T09:00:00+09:00",
        "ends": "2019-12-04T18:00:00+09:00",
        "topics": ["dprk-missile"],
        "highest_level": "jpn-gokuhi",
        "visitors": ["Kim Min-su"],
        **changes,
    }


def test_an_officer_requests_a_visit_and_it_is_queued_for_the_host(live: LiveNode) -> None:
    with live.client("reader") as http:
        forbidden = http.post("/api/v1/visits", json=visit())
    with live.client("officer") as http:
        made = http.post("/api/v1/visits", json=visit())
        listed = http.get("/api/v1/visits").json()
        own = http.post(f"/api/v1/visits/{made.json()['body']['visit_id']}/approval")
        absent = http.post("/api/v1/visits/visit-none/refusal", json={"reason": "no"})
    assert forbidden.status_code == 403
    assert (made.status_code, made.json()["kind"]) == (201, "visit-request")
    [shown] = listed
    assert (shown["rule"], shown["state"], shown["waiting_for"]) == (
        "R-VIS-1",
        "requested",
        ["JPN"],
    )
    assert own.status_code == 422
    assert "R-VIS-1: permission to visit JPN's facility is granted only by JPN" in own.text
    assert absent.status_code == 404
    with live.node.db.atomic() as tx:
        queued = tx.execute(select(outbox.c.kind, outbox.c.recipient)).all()
    assert [tuple(row) for row in queued] == [("visit-request", "JPN")]
    with live.client() as browser:
        assert sign_in(browser, live.tokens["reader"], "/visits").status_code == 303
        shown = browser.get("/visits").text  # the dashboard's visits page
    assert f'data-visit="{shown_id(made.json())}" data-state="requested"' in shown
    assert 'data-authority="jpn-mod"' in shown


def shown_id(document: dict[str, Any]) -> str:
    return str(document["body"]["visit_id"])


def test_broken_rules_answer_422_naming_the_rule_and_bad_input_400(live: LiveNode) -> None:
    with live.client("officer") as http:
        reversed_ = http.post(
            "/api/v1/visits",
            json=visit(starts="2019-12-04T18:00:00+09:00", ends="2019-12-02T09:00:00+09:00"),
        )
        above = http.post("/api/v1/visits", json=visit(highest_level="機密"))
        unit = http.post("/api/v1/visits", json=visit(from_authority="kor-army-unit"))
        naive = http.post("/api/v1/visits", json=visit(starts="2019-12-02T09:00:00"))
        listed = http.get("/api/v1/visits").json()
    assert reversed_.status_code == above.status_code == unit.status_code == 422
    assert "R-VIS-1: the visit's dates are reversed" in reversed_.text
    assert "R-CLS-2: jpn-kimitsu" in above.text
    assert "R-DEF-3" in unit.text
    assert naive.status_code == 400
    assert listed == []


def test_an_officer_designates_an_authority_by_notice_and_everyone_lists_them(
    live: LiveNode,
) -> None:
    body = {"authority": "kor-dapa", "name": "Defense Acquisition Program Administration"}
    with live.client("reader") as http:
        forbidden = http.post("/api/v1/authorities", json=body)
    with live.client("officer") as http:
        made = http.post("/api/v1/authorities", json=body)
        again = http.post("/api/v1/authorities", json=body)
        backdated = http.post(
            "/api/v1/authorities",
            json={"authority": "kor-mnd", "withdraw": True, "effective": "2019-01-01T00:00Z"},
        )
        listed = {(a["party"], a["id"]): a for a in http.get("/api/v1/authorities").json()}
    assert (forbidden.status_code, made.status_code) == (403, 201)
    assert again.status_code == 422
    assert "R-DEF-3: kor-dapa is already designated" in again.text
    assert backdated.status_code == 400
    assert listed["KOR", "kor-dapa"]["origin"] == "notice"
    assert listed["JPN", "jpn-mod"]["origin"] == "file"

"""/api/v1/assurances (the app called in process): a security officer of the receiving party
gives and withdraws assurances before hand-over (R-ACC-4, Art. 7(5); AT-16), queued for the
providing party; broken rules answer 422 naming the rule, bad input 400 or 422, other roles
403; the agreement's dashboard page lists them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pactshare.store.schema import assurances, outbox
from tests.http_support import LiveNode, sign_in

GSOMIA = "gsomia-kor-jpn-2016"


def assurance(**changes: Any) -> dict[str, Any]:
    """KOR, receiving, assures JPN: up to 군사 II급 비밀, DPRK missiles, for 30 days."""
    return {
        "to": "JPN",
        "agreement": GSOMIA,
        "authority": "kor-mnd",
        "recipient": "ROK MND intelligence registry",
        "level": "군사 II급 비밀",
        "topics": ["dprk-missile"],
        "purpose": "DPRK missile warning",
        "days": 30,
        **changes,
    }


def test_an_officer_assures_and_withdraws_and_each_is_queued_for_the_provider(
    live: LiveNode,
) -> None:
    with live.client("reader") as http:
        forbidden = http.post("/api/v1/assurances", json=assurance())
    with live.client("officer") as http:
        given = http.post("/api/v1/assurances", json=assurance())
        ident = given.json()["body"]["assurance_id"]
        withdrawn = http.post(f"/api/v1/assurances/{ident}/withdrawal")
        again = http.post(f"/api/v1/assurances/{ident}/withdrawal")
        listed = {a["id"]: a for a in http.get("/api/v1/assurances").json()}
    assert forbidden.status_code == 403
    assert (given.status_code, given.json()["kind"]) == (201, "assurance")
    assert given.json()["body"]["level"] == "kor-mil-2"  # the national name, as the level id
    assert (withdrawn.status_code, withdrawn.json()["kind"]) == (201, "assurance-withdrawal")
    assert again.status_code == 400
    assert (listed[ident]["state"], listed[ident]["originating"]) == ("withdrawn", "JPN")
    with live.node.db.atomic() as tx:
        queued = tx.execute(select(outbox.c.kind, outbox.c.recipient)).all()
    assert [tuple(row) for row in queued] == [
        ("assurance", "JPN"),
        ("assurance-withdrawal", "JPN"),
    ]
    with live.client() as browser:
        assert sign_in(browser, live.tokens["reader"], f"/agreements/{GSOMIA}").status_code == 303
        page = browser.get(f"/agreements/{GSOMIA}").text
    assert f'data-assurance="{ident}" data-state="withdrawn"' in page


def test_broken_rules_answer_422_naming_the_rule_and_nothing_is_recorded(
    live: LiveNode,
) -> None:
    with live.node.db.atomic() as tx:
        before = tx.execute(select(assurances.c.id)).scalars().all()
    with live.client("officer") as http:
        above = http.post("/api/v1/assurances", json=assurance(level="군사 I급 비밀"))
        unit = http.post("/api/v1/assurances", json=assurance(authority="kor-army-unit"))
        tisa = http.post("/api/v1/assurances", json=assurance(agreement="tisa-2014"))
        reversed_ = http.post(
            "/api/v1/assurances",
            json=assurance(days=None, valid_from="2019-12-04T00:00:00+09:00",
                           until="2019-12-02T00:00:00+09:00"),
        )  # fmt: skip
        both = http.post("/api/v1/assurances", json=assurance(until="2030-01-01T00:00:00+09:00"))
        naive = http.post("/api/v1/assurances", json=assurance(days=None, until="2030-01-01"))
        unknown = http.post("/api/v1/assurances", json=assurance(topics=["arctic-ice"]))
    assert above.status_code == unit.status_code == tisa.status_code == 422
    assert "R-CLS-2: (a) kor-mil-1" in above.text
    assert "R-DEF-3: an assurance is given by a competent authority of KOR" in unit.text
    assert "tisa-2014 asks for no assurance before provision" in tisa.text
    assert reversed_.status_code == 422
    assert "its validity is reversed" in reversed_.text
    assert both.status_code == naive.status_code == 400
    assert unknown.status_code == 422
    assert "arctic-ice" in unknown.text
    with live.node.db.atomic() as tx:
        assert tx.execute(select(assurances.c.id)).scalars().all() == before

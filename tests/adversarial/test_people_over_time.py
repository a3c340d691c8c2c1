"""People over time (R-ACC-3) against a live node: clearances downgraded, expired or revoked,
need-to-know changed and people leaving take effect at once, on the API and the dashboard;
only an officer makes the change, with a reason, audited; the access review says who may open
what."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from pactshare.store.schema import audit_entries, persons, sessions
from tests.http_support import LiveNode, sign_in
from tests.support import cli_json, footprint, run_cli


def _sees(live: LiveNode, who: str, item_id: str) -> int:
    with live.client(who) as client:
        return client.get(f"/api/v1/items/{item_id}").status_code


def _review(live: LiveNode) -> dict[str, list[str]]:
    with live.client("officer") as officer:
        rows: list[dict[str, Any]] = officer.get("/api/v1/access-review").json()
    return {row["person"]["name"]: row["may_open"] for row in rows}


def test_a_downgrade_a_changed_need_to_know_and_a_restored_clearance_apply_at_once(
    live: LiveNode,
) -> None:
    item_id = live.register()
    assert _sees(live, "reader", item_id) == 200
    assert item_id in _review(live)["reader"]
    with live.client("officer") as officer:
        down = officer.post(
            "/api/v1/persons/reader/clearance",
            json={"clearance": "군사 III급 비밀", "reason": "periodic reinvestigation"},
        )
        assert down.status_code == 200, down.text
        assert down.json()["clearance"] == "kor-mil-3"
        assert _sees(live, "reader", item_id) == 404  # what one may not open, one may not see
        assert item_id not in _review(live)["reader"]
        back = officer.post(
            "/api/v1/persons/reader/clearance",
            json={"clearance": "kor-mil-2", "reason": "cleared again",
                  "expires": "2030-01-01T00:00:00+09:00"},
        )  # fmt: skip
        assert back.json()["clearance_expires"].startswith("2029-12-31T15:00:00")
        assert _sees(live, "reader", item_id) == 200
        narrowed = officer.post(
            "/api/v1/persons/reader/need-to-know",
            json={"topics": ["prc-naval"], "reason": "new post"},
        )
        assert narrowed.json()["need_to_know"] == ["prc-naval"]
    assert _sees(live, "reader", item_id) == 404
    with live.node.db.atomic() as tx:
        entries = tx.execute(select(audit_entries.c.data)).scalars().all()
    changes = [e for e in entries if b"clearance-changed" in e or b"need-to-know-changed" in e]
    assert len(changes) == 3
    assert b"periodic reinvestigation" in changes[0]


def test_a_person_who_leaves_loses_token_sessions_and_access_in_one_step(
    live: LiveNode,
) -> None:
    token = live.tokens["reader"]
    with live.client() as browser:
        assert sign_in(browser, token).status_code == 303
        with live.client("officer") as officer:
            left = officer.post("/api/v1/persons/reader/leave", json={"reason": "retired"})
        assert left.status_code == 200, left.text
        assert left.json()["clearance"] is None
        assert browser.get("/items").status_code == 303  # the session ended
    assert live.client(token=token).get("/api/v1/me").status_code == 401
    with live.node.db.atomic() as tx:
        assert tx.execute(select(sessions).where(sessions.c.person == "reader")).first() is None
    assert _review(live)["reader"] == []


BAD_CHANGES: list[tuple[str, str, dict[str, object], int, str]] = [
    ("reader", "clearance", {"clearance": None, "reason": "r"}, 403, "lacks the role"),
    ("officer", "clearance", {"clearance": "kor-mil-9", "reason": "r"}, 400, "kor-mil-9"),
    ("officer", "clearance", {"clearance": "kor-mil-2", "reason": ""}, 422, "reason"),
    ("officer", "clearance", {"clearance": "kor-mil-2", "reason": "a\x00"}, 400, "control"),
    ("officer", "clearance",
     {"clearance": "kor-mil-2", "reason": "r", "expires": "2030-01-01T00:00:00"}, 422,
     "timezone"),
    ("officer", "clearance",
     {"clearance": "kor-mil-2", "reason": "r", "expires": "2001-01-01T00:00:00Z"}, 400,
     "not after"),
    ("officer", "clearance",
     {"clearance": None, "reason": "r", "expires": "2030-01-01T00:00:00Z"}, 400,
     "no validity"),
    ("officer", "need-to-know", {"topics": ["dprk-missle"], "reason": "r"}, 400,
     "dprk-missile"),
    ("officer", "leave", {}, 422, "reason"),
]  # fmt: skip


def _reader(live: LiveNode) -> tuple[object, ...]:
    with live.node.db.atomic() as tx:
        return tuple(tx.execute(select(persons).where(persons.c.name == "reader")).one())


def _refused_precisely(
    live: LiveNode, item_id: str, case: tuple[str, str, dict[str, object], int, str]
) -> None:
    who, path, body, status, message = case  # shown in a failure's traceback
    before = footprint(live.node), _reader(live)
    with live.client(who) as client:
        answer = client.post(f"/api/v1/persons/reader/{path}", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert (footprint(live.node), _reader(live)) == before
    assert _sees(live, "reader", item_id) == 200


def test_a_bad_change_is_refused_precisely_and_changes_nothing(live: LiveNode) -> None:
    """Each bad change in turn, to one node: refused with its message, and nothing changed."""
    item_id = live.register()
    for case in BAD_CHANGES:
        _refused_precisely(live, item_id, case)


def test_an_unknown_person_is_404(live: LiveNode) -> None:
    with live.client("officer") as officer:
        answer = officer.post("/api/v1/persons/nobody/leave", json={"reason": "r"})
    assert answer.status_code == 404


# The command line's plumbing, on SQLite only: both backends are tried through the API above.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_people_over_time_on_the_command_line(live: LiveNode) -> None:
    home = str(live.node.home.root)
    code, out = cli_json(
        "person", "clearance", "reader", "kor-mil-3", "--reason", "review", "--as", "admin",
        "--home", home,
    )  # fmt: skip
    assert code == 0
    assert out["clearance"] == "kor-mil-3"
    code, rows = cli_json("person", "review", "--home", home)
    assert code == 0
    assert {row["name"] for row in rows} >= {"reader", "officer"}
    refused = run_cli("person", "leave", "officer", "--reason", "x", "--as", "low", "--home", home)
    assert refused.returncode == 2
    assert "neither an admin nor a security officer" in refused.stderr


def test_the_people_page_shows_the_review_to_an_officer_only(live: LiveNode) -> None:
    item_id = live.register()
    with live.client() as officer:
        assert sign_in(officer, live.tokens["officer"], "/people").status_code == 303
        page = officer.get("/people")
    assert page.status_code == 200
    assert '<tr data-person="reader" data-count="1">' in page.text
    assert f'<a href="/items/{item_id}">' in page.text
    with live.client() as reader:
        sign_in(reader, live.tokens["reader"], "/people")
        assert reader.get("/people").status_code == 403

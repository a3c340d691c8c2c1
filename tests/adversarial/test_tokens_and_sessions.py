"""Stolen, stale and forged credentials against a live node on each backend: tokens that
expire and can be revoked or rotated, dashboard sessions kept server-side (the cookie holds a
random id, never the token), CSRF tokens on the forms and on cookie-authenticated API
changes, and answers carrying item data that no cache keeps and no browser sniffs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from pactshare import store
from pactshare.api.auth import COOKIE, CSRF_HEADER
from pactshare.node.people import add_person, person_by_token
from pactshare.store import Database
from pactshare.store.schema import audit_entries, sessions
from tests.http_support import LABEL_TOML, LiveNode, csrf_of, sign_in
from tests.support import footprint, run_cli

PRIVATE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


def _me(live: LiveNode, token: str) -> int:
    return live.client(token=token).get("/api/v1/me").status_code


def test_an_expired_token_is_refused_at_the_api_and_the_sign_in_form(live: LiveNode) -> None:
    with live.node.db.atomic() as tx:
        _, token = add_person(
            tx,
            live.node.party(tx),
            name="stale",
            clearance=None,
            need_to_know=[],
            roles=["reader"],
            at=live.node.now(),
            expires_in_days=1,
            now=datetime.now(UTC) - timedelta(days=1, seconds=1),
        )
    with live.client() as browser:
        signed_in = sign_in(browser, token)

    assert _me(live, token) == 401
    assert signed_in.status_code == 401
    assert "expired" in signed_in.text


def test_a_revoked_token_and_its_sessions_stop_working_at_once(live: LiveNode) -> None:
    token = live.tokens["reader"]
    with live.client() as browser, live.client("officer") as officer:
        assert sign_in(browser, token).status_code == 303
        assert browser.get("/items").status_code == 200
        revoked = officer.post("/api/v1/persons/reader/revoke")
        page = browser.get("/items")
        api = browser.get("/api/v1/me")

    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"name": "reader", "revoked": True}
    assert _me(live, token) == 401
    assert page.status_code == 303  # back to the sign-in page
    assert api.status_code == 401
    with live.node.db.atomic() as tx:
        assert tx.execute(select(sessions).where(sessions.c.person == "reader")).first() is None
        kinds = tx.execute(
            select(audit_entries.c.data).where(audit_entries.c.kind == "key")
        ).scalars()
        assert any(b"token-revoked" in bytes(data) for data in kinds)


def test_a_rotated_token_replaces_the_old_one(live: LiveNode) -> None:
    old = live.tokens["reader"]
    with live.client("admin") as admin:
        rotated = admin.post("/api/v1/persons/reader/token-rotate", json={"expires_in_days": 7})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    expires = datetime.fromisoformat(rotated.json()["token_expires"])

    assert _me(live, old) == 401
    assert _me(live, new) == 200
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)


NOT_ALLOWED: list[tuple[str, str, int]] = [
    ("reader", "/api/v1/persons/low/revoke", 403),
    ("originator", "/api/v1/persons/low/token-rotate", 403),
    ("auditor", "/api/v1/persons/low/revoke", 403),
    ("officer", "/api/v1/persons/nobody/revoke", 404),
]


def _refused(live: LiveNode, case: tuple[str, str, int]) -> None:
    who, path, status = case  # shown in a failure's traceback
    before = footprint(live.node)
    with live.client(who) as http:
        answer = http.post(path)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert footprint(live.node) == before
    assert _me(live, live.tokens["low"]) == 200


def test_only_an_admin_or_security_officer_revokes_or_rotates(live: LiveNode) -> None:
    """Each one not allowed in turn, on one node: refused, and the token still good."""
    for case in NOT_ALLOWED:
        _refused(live, case)


def test_the_session_cookie_holds_a_random_id_stored_only_as_its_hash(live: LiveNode) -> None:
    token = live.tokens["reader"]
    with live.client() as browser:
        answer = sign_in(browser, token)
        session_id = browser.cookies[COOKIE]
    with live.node.db.atomic() as tx:
        stored = tx.execute(select(sessions.c.id_hash)).scalars().all()

    assert answer.status_code == 303
    assert token not in answer.headers["set-cookie"]
    assert session_id != token
    assert session_id not in stored
    assert hashlib.sha256(session_id.encode()).hexdigest() in stored


def test_a_forged_sign_in_without_the_forms_csrf_token_is_refused(live: LiveNode) -> None:
    token = live.tokens["reader"]
    with live.client() as attacker:  # a cross-site form: no CSRF cookie, a guessed field
        cross_site = attacker.post("/signin", data={"token": token, "csrf": "guess"})
    with live.client() as browser:
        form = csrf_of(browser.get("/signin").text)
        wrong = browser.post("/signin", data={"token": token, "csrf": form[:-1] + "x"})

    for answer in (cross_site, wrong):
        assert answer.status_code == 403
        assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "")


def test_sign_out_needs_the_sessions_csrf_token(live: LiveNode) -> None:
    with live.client() as browser:
        sign_in(browser, live.tokens["reader"])
        forged = browser.post("/signout", data={"csrf": "guess"})
        still = browser.get("/items").status_code
        page = browser.get("/items").text
        out = browser.post("/signout", data={"csrf": csrf_of(page)})
        browser.cookies.clear()

    assert forged.status_code == 403
    assert still == 200
    assert out.status_code == 303


def test_a_cookie_authenticated_api_change_needs_the_csrf_header(live: LiveNode) -> None:
    upload = {"files": {"file": ("i", b"x")}, "data": {"label": LABEL_TOML}}
    with live.client() as browser:
        sign_in(browser, live.tokens["originator"])
        csrf = csrf_of(browser.get("/items").text)
        refused = browser.post("/api/v1/items", **upload)  # type: ignore[arg-type]
        allowed = browser.post("/api/v1/items", headers={CSRF_HEADER: csrf}, **upload)  # type: ignore[arg-type]
        read = browser.get("/api/v1/me")

    assert refused.status_code == 403
    assert CSRF_HEADER in refused.json()["detail"]
    assert allowed.status_code == 201, allowed.text
    assert read.status_code == 200  # reading needs no CSRF token


def test_every_answer_carrying_item_data_is_no_store_and_nosniff(live: LiveNode) -> None:
    with live.client("originator") as http:
        item = http.post("/api/v1/items", files={"file": ("i", b"x")}, data={"label": LABEL_TOML})
        item_id = item.json()["item_id"]
        answers = [
            item,
            *(
                http.get(path)
                for path in (
                    "/api/v1/items",
                    "/api/v1/inbox",
                    f"/api/v1/items/{item_id}",
                    f"/api/v1/items/{item_id}/content",
                    f"/api/v1/items/{item_id}/envelope",
                    "/api/v1/items/absent/content",
                    f"/items/{item_id}",
                )
            ),
        ]
        static = http.get("/static/dashboard.css")

    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200, 200, 404, 200]
    for answer in answers:
        assert {k: answer.headers.get(k) for k in PRIVATE} == PRIVATE, answer.request.url
    assert static.headers.get("cache-control") != "no-store"  # no item data: cacheable


@pytest.mark.slow
def test_user_revoke_and_token_rotate_on_the_command_line(tmp_path: Path) -> None:
    home = str(tmp_path / "kor")
    assert run_cli("node", "init", "--party", "KOR", "--home", home).returncode == 0
    for name, role in (("Kim", "security-officer"), ("Lee", "reader"), ("Park", "reader")):
        added = run_cli("user", "add", name, "--role", role, "--expires-in", "30", "--home", home)
        assert added.returncode == 0, added.stderr
    by_reader = run_cli("user", "revoke", "Park", "--as", "Lee", "--home", home)
    revoked = run_cli("person", "revoke", "Park", "--as", "Kim", "--home", home, "--json")
    rotated = run_cli("user", "token-rotate", "Park", "--expires-in", "5", "--home", home)
    too_long = run_cli("user", "token-rotate", "Park", "--expires-in", "100000", "--home", home)

    assert by_reader.returncode == 2
    assert by_reader.stderr.strip().endswith("--as: Lee is neither an admin nor a security officer")
    assert revoked.returncode == 0, revoked.stderr
    assert rotated.returncode == 0, rotated.stderr
    assert "pst_" in rotated.stdout
    assert too_long.returncode == 2
    assert "--expires-in" in too_long.stderr


def test_tokens_issued_before_the_migration_get_an_expiry_and_keep_working(
    tmp_path: Path, database_url: str
) -> None:
    """A node migrated from 0003: its people's tokens expire 90 days after the migration."""
    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003_witnessing")
        legacy = "pst_legacy-token"
        connection.execute(
            text(
                "INSERT INTO persons (name, need_to_know, roles, token_hash, created_at) "
                "VALUES ('old', '[]', '[\"reader\"]', :hash, :at)"
            ),
            {"hash": hashlib.sha256(legacy.encode()).hexdigest(), "at": datetime.now(UTC)},
        )
    engine.dispose()
    db = Database(database_url)
    try:
        db.migrate()
        with db.atomic() as tx:
            person = person_by_token(tx, legacy)
            later = person_by_token(tx, legacy, now=datetime.now(UTC) + timedelta(days=91))
    finally:
        db.dispose()

    assert person is not None
    assert timedelta(days=89) < person.token_expires - datetime.now(UTC) <= timedelta(days=90)
    assert later is None


def test_an_open_session_answers_through_the_api_like_its_person(live: LiveNode) -> None:
    with live.client() as browser:
        sign_in(browser, live.tokens["reader"])
        me = browser.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["name"] == "reader"

"""The local classification cap (AT-26, R-TISA-10) against a live node: only an officer changes
it, only to a label of the agreement's equivalence table and with a reason; every change is
audited, and decisions follow at once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from pactshare.store.schema import audit_entries
from tests.http_support import LiveNode
from tests.support import cli_json, footprint, run_cli

TISA = "tisa-2014"
CLASS_I = {  # a KOR Class I (TOP SECRET) missile item for Tokyo: GSOMIA excludes Class I
    "from": "KOR",
    "to": "JPN",
    "classification": "kor-mil-1",
    "topics": ["dprk-missile"],
    "at": "2019-11-22T12:00:00+09:00",
}


def _decide(client: httpx.Client) -> dict[str, object]:
    answer = client.post("/api/v1/decisions", json=CLASS_I)
    assert answer.status_code == 200, answer.text
    decision: dict[str, object] = answer.json()
    return decision


def test_raising_the_tisa_cap_is_an_officers_audited_act_and_decisions_follow(
    live: LiveNode,
) -> None:
    with live.client("officer") as officer:
        before = _decide(officer)
        assert before["outcome"] == "refused"
        assert "local policy cap (not a treaty rule)" in str(before["reasons"])
        raised = officer.post(
            f"/api/v1/agreements/{TISA}/cap",
            json={"classification_cap": "TOP SECRET", "reason": "exercise Vigilant Shield"},
        )
        assert raised.status_code == 200, raised.text
        assert raised.json()["previous"] == "SECRET"
        assert raised.json()["set_by"] == "officer"
        after = _decide(officer)
        assert after["outcome"] == "relay"
        page = officer.get(f"/agreements/{TISA}").text
        assert "SECRET → TOP SECRET by officer: exercise Vigilant Shield" in page
        removed = officer.post(
            f"/api/v1/agreements/{TISA}/cap",
            json={"classification_cap": None, "reason": "no cap"},
        )
        assert removed.json()["classification_cap"] is None
    with live.node.db.atomic() as tx:
        entries = tx.execute(select(audit_entries.c.data)).scalars().all()
    changes = [entry for entry in entries if b"classification-cap" in entry]
    assert len(changes) == 2
    assert b"exercise Vigilant Shield" in changes[0]


BAD_CAP_CHANGES: list[tuple[str | None, dict[str, object], int, str]] = [
    ("reader", {"classification_cap": "TOP SECRET", "reason": "r"}, 403, "lacks the role"),
    (None, {"classification_cap": "TOP SECRET", "reason": "r"}, 401, "token"),
    ("officer", {"classification_cap": "COSMIC", "reason": "r"}, 400, "TOP SECRET"),
    ("officer", {"classification_cap": "TOP SECRET", "reason": ""}, 422, "reason"),
    ("officer", {"classification_cap": "TOP SECRET", "reason": "a\x00b"}, 400, "control"),
    ("officer", {"classification_cap": "X" * 101, "reason": "r"}, 422, "classification_cap"),
    ("officer", {"classification_cap": "SECRET", "reason": "same"}, 400, "already SECRET"),
    ("officer", {"reason": "r"}, 422, "classification_cap"),
]


def _refused_precisely(
    live: LiveNode, case: tuple[str | None, dict[str, object], int, str]
) -> None:
    who, body, status, message = case  # shown in a failure's traceback
    before = footprint(live.node)
    with live.client(who) as client:
        answer = client.post(f"/api/v1/agreements/{TISA}/cap", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert footprint(live.node) == before
    with live.client("officer") as officer:
        assert _decide(officer)["outcome"] == "refused"


def test_a_bad_cap_change_is_refused_precisely_and_changes_nothing(live: LiveNode) -> None:
    """Each bad cap change in turn, to one node: refused with its message, nothing changed."""
    for case in BAD_CAP_CHANGES:
        _refused_precisely(live, case)


def test_an_unknown_agreement_is_404(live: LiveNode) -> None:
    with live.client("officer") as officer:
        answer = officer.post(
            "/api/v1/agreements/nope/cap", json={"classification_cap": None, "reason": "r"}
        )
    assert answer.status_code == 404


# The command line's plumbing, on SQLite only: both backends are tried through the API above.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cap_on_the_command_line(live: LiveNode) -> None:
    home = str(live.node.home.root)
    code, out = cli_json(
        "agreement", "cap", TISA, "TOP SECRET", "--reason", "drill", "--as", "admin",
        "--home", home,
    )  # fmt: skip
    assert code == 0
    assert out["classification_cap"] == "TOP SECRET"
    assert out["set_by"] == "admin"
    refused = run_cli(
        "agreement", "cap", TISA, "none", "--reason", "drill", "--as", "reader", "--home", home
    )
    assert refused.returncode == 2
    assert "neither an admin nor a security officer" in refused.stderr
    assert "Traceback" not in refused.stderr

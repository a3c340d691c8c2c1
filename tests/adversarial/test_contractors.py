"""Contractors (R-CON-1): handing an item to a contractor facility is refused until every
condition of Art. 16 is on file, each missing one named; the facility's staff open only what
was handed over, and only while the conditions hold (a failed inspection stops them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from pactshare.errors import PactshareError, RefusedError
from pactshare.node.contractors import (
    add_contractor,
    attach,
    designate_custodian,
    hand_over,
    inspect,
)
from pactshare.node.holdings import admit
from pactshare.node.people import add_person
from pactshare.node.service import Node
from tests.http_support import LiveNode, sign_in
from tests.support import cli_json, footprint, run_cli


def _engineer(live: LiveNode, name: str, clearance: str) -> None:
    with live.node.db.atomic() as tx:
        add_person(
            tx, live.node.party(tx), name=name, clearance=clearance,
            need_to_know=["dprk-missile"], roles=["reader"], at=live.node.now(),
        )  # fmt: skip


def _refusal(live: LiveNode, item_id: str, contractor: str) -> tuple[str, ...]:
    with pytest.raises(RefusedError) as caught:
        hand_over(live.node, item_id, contractor, by="officer")
    return caught.value.reasons


def test_every_missing_condition_is_named_until_all_are_on_file(live: LiveNode) -> None:
    item_id = live.register()
    node = live.node
    add_contractor(node, "bare", name="Bare Ltd", facility="Busan", protects=False,
                   registry=False, custodian=None, by="officer")  # fmt: skip
    missing = " | ".join(_refusal(live, item_id, "bare"))
    for letter in ("(b)", "(g) no initial", "(i)", "(j)"):
        assert letter in missing
    add_contractor(node, "hanwha", name="Hanwha Systems", facility="Daejeon plant 3",
                   protects=True, registry=True, custodian="officer", by="admin")  # fmt: skip
    _engineer(live, "Kim Engineer", "kor-mil-2")
    attach(node, "hanwha", "Kim Engineer", briefed=False, by="officer")
    due = node.now() + timedelta(days=180)
    inspect(node, "hanwha", initial=True, passed=True, next_due=due, by="officer")
    assert _refusal(live, item_id, "hanwha") == (
        "R-CON-1 (f) Kim Engineer has not been briefed on their responsibilities",
    )
    with pytest.raises(RefusedError, match="may not open") as before:
        admit(node, item_id, person_name="Kim Engineer")
    assert "not handed over" in " ".join(before.value.reasons)
    attach(node, "hanwha", "Kim Engineer", briefed=True, by="officer")
    hand_over(node, item_id, "hanwha", by="officer")
    assert admit(node, item_id, person_name="Kim Engineer").id == item_id
    withdrawn = designate_custodian(node, "hanwha", None, reason="retired", by="officer")
    assert withdrawn.custodian is None
    with pytest.raises(RefusedError) as uncustodied:  # (j) follows at once
        admit(node, item_id, person_name="Kim Engineer")
    assert "(j) no custodian is designated" in uncustodied.value.reasons[-1]
    designate_custodian(node, "hanwha", "admin", reason="new security manager", by="officer")
    assert admit(node, item_id, person_name="Kim Engineer").id == item_id
    inspect(node, "hanwha", initial=False, passed=False, next_due=due, by="officer")
    with pytest.raises(RefusedError) as failed:
        admit(node, item_id, person_name="Kim Engineer")
    assert "(g) the last security inspection of the facility failed" in failed.value.reasons[-1]


def test_staff_without_the_clearance_blocks_the_hand_over(live: LiveNode) -> None:
    item_id = live.register()
    node = live.node
    add_contractor(node, "lig", name="LIG Nex1", facility="Gumi", protects=True, registry=True,
                   custodian="officer", by="officer")  # fmt: skip
    inspect(node, "lig", initial=True, passed=True, next_due=node.now() + timedelta(days=1),
            by="officer")  # fmt: skip
    _engineer(live, "Park Junior", "kor-mil-3")
    attach(node, "lig", "Park Junior", briefed=True, by="officer")
    [reason] = _refusal(live, item_id, "lig")
    assert reason.startswith("R-CON-1 (c)-(e), (h) staff member Park Junior:")
    assert "below" in reason


BAD_CONTRACTOR_INPUT: list[tuple[Callable[[Node], object], str]] = [
    (lambda n: add_contractor(n, "x y", name="n", facility="f", protects=True,
                              registry=True, custodian=None, by="officer"), "not an id"),
    (lambda n: add_contractor(n, "x", name="n", facility="f\x00", protects=True,
                              registry=True, custodian=None, by="officer"), "control"),
    (lambda n: add_contractor(n, "x", name="n", facility="f", protects=True,
                              registry=True, custodian=None, by="reader"), "neither"),
    (lambda n: inspect(n, "nope", initial=True, passed=True,
                       next_due=n.now() + timedelta(days=1), by="officer"), "no contractor"),
    (lambda n: inspect(n, "nope", initial=True, passed=True, next_due=n.now(),
                       by="officer"), "not after"),
    (lambda n: designate_custodian(n, "nope", "officer", reason="r", by="officer"),
     "no contractor"),
    (lambda n: designate_custodian(n, "nope", "officer", reason=" ", by="officer"),
     "give the reason"),
    (lambda n: designate_custodian(n, "nope", "officer", reason="r", by="reader"),
     "neither"),
]  # fmt: skip


def _refused_precisely(live: LiveNode, case: tuple[Callable[[Node], object], str]) -> None:
    call, message = case  # shown in a failure's traceback
    before = footprint(live.node)
    with pytest.raises(PactshareError, match=message):
        call(live.node)
    assert footprint(live.node) == before


def test_bad_contractor_input_is_refused_precisely(live: LiveNode) -> None:
    """Each bad call in turn, on one node: refused with its message, nothing recorded."""
    for case in BAD_CONTRACTOR_INPUT:
        _refused_precisely(live, case)


# The command line's plumbing, on SQLite only: both backends are tried through the API above.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_contractors_on_the_command_line(live: LiveNode) -> None:
    home = str(live.node.home.root)
    code, added = cli_json(
        "contractor", "add", "kai", "--name", "KAI", "--facility", "Sacheon", "--protects",
        "--registry", "--custodian", "officer", "--as", "officer", "--home", home,
    )  # fmt: skip
    assert code == 0
    assert added["custodian"] == "officer"
    item_id = live.register()
    refused = run_cli("contractor", "handover", item_id, "kai", "--as", "officer", "--home", home)
    assert refused.returncode == 1
    assert "(g) no initial security inspection" in refused.stdout + refused.stderr
    code, changed = cli_json(
        "contractor", "custodian", "kai", "--withdraw", "--reason", "left", "--as", "officer",
        "--home", home,
    )  # fmt: skip
    assert (code, changed["custodian"]) == (0, None)
    both = run_cli("contractor", "custodian", "kai", "admin", "--withdraw", "--reason", "r",
                   "--home", home)  # fmt: skip
    assert both.returncode == 2
    assert "give either a PERSON or --withdraw" in both.stderr
    code, listed = cli_json("contractor", "list", "--home", home)
    assert [(c["id"], c["custodian"]) for c in listed] == [("kai", None)]


def test_contractors_through_the_api_and_on_the_people_page(live: LiveNode) -> None:
    item_id = live.register()
    facility = {"id": "kai", "name": "KAI", "facility": "Sacheon", "protects": True,
                "registry": True, "custodian": "officer"}  # fmt: skip
    with live.client("reader") as reader:
        assert reader.post("/api/v1/contractors", json=facility).status_code == 403
    with live.client("officer") as officer:
        assert officer.post("/api/v1/contractors", json=facility).status_code == 201
        assert officer.post("/api/v1/contractors", json=facility).status_code == 400
        refused = officer.post(f"/api/v1/items/{item_id}/handover", json={"contractor": "kai"})
        assert refused.status_code == 422
        assert "(g) no initial security inspection" in refused.text
        naive = officer.post("/api/v1/contractors/kai/inspections",
                             json={"passed": True, "next_due": "2030-01-01T00:00:00"})  # fmt: skip
        assert naive.status_code == 422
        passed = officer.post(
            "/api/v1/contractors/kai/inspections",
            json={"initial": True, "passed": True, "next_due": "2030-01-01T00:00:00Z"},
        )
        assert passed.json()["initial_passed"] is True
        handed = officer.post(f"/api/v1/items/{item_id}/handover", json={"contractor": "kai"})
        assert handed.status_code == 200, handed.text
        missing = officer.post("/api/v1/items/nope/handover", json={"contractor": "kai"})
        assert missing.status_code == 404
        unknown = officer.post("/api/v1/contractors/nope/staff", json={"person": "reader"})
        assert unknown.status_code == 404
        same = officer.post("/api/v1/contractors/kai/custodian",
                            json={"custodian": "officer", "reason": "again"})  # fmt: skip
        assert same.status_code == 400
        assert "already officer" in same.text
        moved = officer.post("/api/v1/contractors/kai/custodian",
                             json={"custodian": "admin", "reason": "rotation"})  # fmt: skip
        assert moved.json()["custodian"] == "admin"
        reasonless = officer.post("/api/v1/contractors/kai/custodian", json={"custodian": None})
        assert reasonless.status_code == 422
    with live.client() as browser:
        sign_in(browser, live.tokens["officer"], "/people")
        page = browser.get("/people").text
    assert '<tr data-contractor="kai">' in page

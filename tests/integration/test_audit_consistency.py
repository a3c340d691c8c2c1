"""Consistency proofs from a node, by the API and the CLI: ``GET /api/v1/audit/consistency``
and ``pactshare audit consistency OLD [NEW]``; bad sizes name the parameter (400, exit 2)."""

from __future__ import annotations

import json
from typing import Any

from pactshare import audit
from pactshare.node import journal
from tests.http_support import LiveNode
from tests.support import run_cli


def _grow(live: LiveNode, count: int) -> None:
    with live.node.db.atomic() as tx:
        for index in range(count):
            journal.record(tx, kind=audit.EntryKind.EVENT, at=live.node.now(), actor="KOR",
                           subject="consistency-test", details={"index": index})  # fmt: skip


def _two_heads(live: LiveNode) -> tuple[dict[str, Any], dict[str, Any]]:
    with live.client("auditor") as http:
        old = http.post("/api/v1/audit/heads").json()
        _grow(live, 5)
        new = http.post("/api/v1/audit/heads").json()
    return old, new


def test_the_auditor_gets_a_verified_consistency_proof_between_two_signed_heads(
    live: LiveNode,
) -> None:
    old, new = _two_heads(live)
    with live.client("auditor") as http:
        answer = http.get("/api/v1/audit/consistency", params={"from": old["size"]})
    assert answer.status_code == 200, answer.text
    proof = answer.json()
    assert (proof["old_size"], proof["new_size"]) == (old["size"], new["size"])
    assert proof["old_head"] == old
    assert proof["new_head"] == new
    audit.verify_consistency(
        int(proof["old_size"]), int(proof["new_size"]), bytes.fromhex(old["root"]),
        bytes.fromhex(new["root"]), [bytes.fromhex(h) for h in proof["proof"]],
    )  # fmt: skip


def test_bad_sizes_answer_400_naming_the_parameter(live: LiveNode) -> None:
    _, new = _two_heads(live)
    size = int(new["size"])
    with live.client("auditor") as http:
        answers = {
            "from": http.get("/api/v1/audit/consistency", params={"from": 0}),
            "to": http.get("/api/v1/audit/consistency", params={"from": 1, "to": size + 1}),
            "backwards": http.get("/api/v1/audit/consistency", params={"from": 3, "to": 2}),
        }
    with live.client("reader") as http:
        forbidden = http.get("/api/v1/audit/consistency", params={"from": 1})
    assert {k: a.status_code for k, a in answers.items()} == dict.fromkeys(answers, 400)
    assert answers["from"].json()["detail"].startswith("from: 0 is not a size")
    assert answers["to"].json()["detail"].startswith(f"to: {size + 1} is not a size")
    assert answers["backwards"].json()["detail"].startswith("from: 3 is not a size from 1 to 2")
    assert forbidden.status_code == 403


def test_the_cli_proves_consistency_and_inclusion_as_json_and_names_a_bad_size(
    live: LiveNode,
) -> None:
    old, new = _two_heads(live)
    home = str(live.node.home.root)
    consistency = run_cli("audit", "consistency", str(old["size"]), "--home", home, "--json")
    prove = run_cli("audit", "prove", "0", "--home", home, "--json")
    bad = run_cli("audit", "consistency", "2", "1", "--home", home)
    assert consistency.returncode == 0, consistency.stderr
    assert json.loads(consistency.stdout)["new_head"] == new
    assert prove.returncode == 0, prove.stderr
    assert json.loads(prove.stdout)["head"] == new
    assert bad.returncode == 2
    assert "OLD: 2 is not a size from 1 to 1 (NEW)" in bad.stderr

"""An operator rolls their own node's audit log back, or rewrites an entry in the middle, and
re-signs the heads with the node's key, so that the node's own ``audit verify`` passes.

Someone else must see it: the witness that cosigned a later head keeps fork evidence (both
signed heads) and opens one incident; ``audit verify`` checks the cosignatures the node kept;
and ``audit verify --with-peers``, with the inspector's own directory and peer URLs, asks the
witnesses what they cosigned. A stale or retried message is not evidence.

KOR (the log) runs on SQLite so that its operator can rewrite it; USA, the witness, on the
backend under test.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from pactshare import audit, seal
from pactshare.errors import ForkDetectedError
from pactshare.federation.attestation import COSIGNED_HEAD, QUERY_PATH, ask_peers
from pactshare.federation.peers import add_peer
from pactshare.federation.storage import forks
from pactshare.federation.witness import record_cosignature, tree_head_message, witness_head
from pactshare.node import journal
from pactshare.node.documents import verify_document
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries, audit_heads, audit_nodes, cosignatures, peers
from tests.e2e.federation_support import signed_headers
from tests.integration.test_witnessing import grow, incidents, witnessed
from tests.support import Clock, at, cli_json, footprint, pinned_nodes, run_cli


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2026-11-23T10:00:00+00:00"))


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    opened = pinned_nodes(tmp_path, clock, ("KOR", "USA", "JPN"), {"USA": database_url})
    yield opened
    for node in opened.values():
        node.close()


def cosigned_twice(kor: Node, usa: Node, clock: Clock) -> tuple[int, int]:
    """USA cosigns KOR's log at one size, then (an hour later) at a larger one."""
    grow(kor, 3, "first")
    first = witnessed(kor, usa)["body"]["head"]["size"]
    clock.now = at("2026-11-23T11:00:00+00:00")
    grow(kor, 4, "second")
    second = witnessed(kor, usa)["body"]["head"]["size"]
    return first, second


def roll_back(node: Node, size: int) -> None:
    """What a dishonest operator does: drop every entry from ``size`` on, with the tree nodes
    over them, the heads and the cosignatures that would betray it."""
    with node.db.atomic() as tx:
        tx.execute(delete(audit_entries).where(audit_entries.c.position >= size))
        for level, index in tx.execute(select(audit_nodes.c.level, audit_nodes.c.idx)).all():
            if (index + 1) << level > size:
                tx.execute(
                    delete(audit_nodes).where(
                        audit_nodes.c.level == level, audit_nodes.c.idx == index
                    )
                )
        tx.execute(delete(audit_heads).where(audit_heads.c.size > size))
        tx.execute(delete(cosignatures))


def rewrite_entry(node: Node, position: int) -> None:
    """Rebuild the whole log with one entry changed, as an operator with the key can: every
    stored node recomputed, every head dropped (to be signed again)."""
    with node.db.atomic() as tx:
        rows = tx.execute(select(audit_entries.c.data).order_by(audit_entries.c.position))
        entries = [audit.Entry.from_bytes(bytes(data)) for data in rows.scalars()]
        for table in (audit_entries, audit_nodes, audit_heads):
            tx.execute(delete(table))
        for number, entry in enumerate(entries):
            details = {**entry.details, "rewritten": True} if number == position else entry.details
            journal.record(
                tx,
                kind=entry.kind,
                at=entry.at,
                actor=entry.actor,
                subject=entry.subject,
                details=details,
            )


def verify_locally(node: Node) -> audit.VerifyReport:
    """The operator's own check (``audit verify``): heads signed with the node's own key."""
    with node.db.atomic() as tx:
        journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now())
        return journal.verify(tx, node.keys.signing_key.public_key(), directory=node.directory)


def kor_size(node: Node) -> int:
    with node.db.atomic() as tx:
        return journal.size(tx)


def test_a_rollback_re_signed_by_the_operator_is_a_fork_for_the_witness(
    nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    first, second = cosigned_twice(kor, usa, clock)
    roll_back(kor, first + 2)  # not a size USA cosigned: no head to compare roots with
    clock.now = at("2026-11-23T12:00:00+00:00")
    assert verify_locally(kor).ok  # the node's own check is fooled

    with pytest.raises(ForkDetectedError, match="rolled back") as caught:
        witness_head(usa, "KOR", tree_head_message(kor, "USA"))
    seen, shown = (
        audit.SignedTreeHead.from_json(json.dumps(caught.value.evidence[k]))
        for k in ("seen", "shown")
    )
    kor_key = kor.keys.signing_key.public_key()
    for head in (seen, shown):
        audit.verify_head(head, kor_key)  # anyone with KOR's key can check the evidence
    assert (seen.size, shown.size) == (second, first + 2)
    assert shown.head.timestamp > seen.head.timestamp

    with pytest.raises(ForkDetectedError):  # shown again: refused again, recorded once
        witness_head(usa, "KOR", tree_head_message(kor, "USA"))
    (fork,) = forks(usa)
    assert fork.party == "KOR"
    assert fork.evidence == caught.value.evidence
    assert [e.details["incident"] for e in incidents(usa)] == ["fork-detected"]


def test_a_rollback_to_a_size_once_cosigned_is_not_excused_as_already_known(
    nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    first, _ = cosigned_twice(kor, usa, clock)
    roll_back(kor, first)  # exactly the head USA cosigned first, signed again later
    with kor.db.atomic() as tx:
        tx.execute(delete(audit_heads))
    clock.now = at("2026-11-23T12:00:00+00:00")
    with pytest.raises(ForkDetectedError, match="rolled back"):
        witness_head(usa, "KOR", tree_head_message(kor, "USA"))


def test_stale_and_retried_heads_are_answered_not_taken_for_evidence(
    nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    grow(kor, 3, "first")
    early = tree_head_message(kor, "USA")
    early_answer = witness_head(usa, "KOR", early)
    record_cosignature(kor, "USA", early_answer)
    clock.now = at("2026-11-23T11:00:00+00:00")
    grow(kor, 4, "second")
    late = tree_head_message(kor, "USA")
    late_answer = witness_head(usa, "KOR", late)
    with usa.db.atomic() as tx:
        size = journal.size(tx)

    assert witness_head(usa, "KOR", late) == late_answer  # a retry
    assert witness_head(usa, "KOR", early) == early_answer  # a delayed, older message
    assert forks(usa) == []
    with usa.db.atomic() as tx:
        assert journal.size(tx) == size  # nothing recorded either
    assert incidents(usa) == []


def test_a_rewritten_middle_entry_is_caught_with_or_without_the_kept_cosignatures(
    nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    _, second = cosigned_twice(kor, usa, clock)
    rewrite_entry(kor, 2)
    clock.now = at("2026-11-23T12:00:00+00:00")

    report = verify_locally(kor)  # the cosignatures kept now betray the rewrite
    problems = [p for p in report.problems if p.fatal]
    assert [p.kind for p in problems] == [audit.ProblemKind.DIVERGED] * len(problems)
    assert any(f"USA cosigned at size {second}" in p.message for p in problems)
    with pytest.raises(ForkDetectedError, match="does not extend"):  # the proof from them fails
        witness_head(usa, "KOR", tree_head_message(kor, "USA"))

    with kor.db.atomic() as tx:
        tx.execute(delete(cosignatures))
    assert verify_locally(kor).ok  # with them gone, the node's own check is fooled again
    assert kor_size(kor) > second
    roll_back(kor, second)  # the rewritten log at the size USA cosigned: another root
    with pytest.raises(ForkDetectedError, match=f"two heads at size {second}"):
        witness_head(usa, "KOR", tree_head_message(kor, "USA"))
    assert len(forks(usa)) == 2  # two pairs of heads, two incidents
    assert len(incidents(usa)) == 2


@pytest.fixture
def served(nodes: dict[str, Node]) -> Iterator[dict[str, str]]:
    """USA and JPN, the witnesses, served on loopback; their URLs."""
    with ExitStack() as stack:
        yield {party: stack.enter_context(NodeServer(nodes[party])).url for party in ("USA", "JPN")}


def inspect(kor: Node, *args: str) -> tuple[int, Any]:
    return cli_json("audit", "verify", "--with-peers", *args, "--home", str(kor.home.root))


def test_an_inspector_with_their_own_directory_and_peers_sees_a_rollback(
    tmp_path: Path, nodes: dict[str, Node], served: dict[str, str], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    first, second = cosigned_twice(kor, usa, clock)
    witnessed(kor, jpn)
    anchors = tmp_path / "inspector-directory"
    anchors.mkdir()
    for node in (kor, usa, jpn):
        shutil.copy(node.home.public_key, anchors / f"{node.party_code}.json")
    ask = ["--directory", str(anchors)]
    ask += [arg for party, url in served.items() for arg in ("--peer", f"{party}={url}")]

    code, before = inspect(kor, *ask)
    assert (code, before["ok"]) == (0, True), before
    assert {(p["party"], p["error"]) for p in before["peers"]} == {("USA", None), ("JPN", None)}

    roll_back(kor, first + 1)
    with kor.db.atomic() as tx:  # and the node's own list of peers is gone too
        tx.execute(delete(peers))
    clock.now = at("2026-11-23T12:00:00+00:00")
    assert verify_locally(kor).ok

    code, after = inspect(kor, *ask)
    assert code == 1
    assert after["ok"] is False
    removed = [p for p in after["problems"] if p["kind"] == "removed"]
    assert removed
    assert all("rolled back" in p["message"] for p in removed)
    assert max(p["size"] for p in after["peers"]) >= second


def test_answers_not_signed_by_the_inspectors_anchors_are_not_trusted(
    tmp_path: Path, nodes: dict[str, Node], served: dict[str, str], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    cosigned_twice(kor, usa, clock)
    stranger = seal.init_keys(tmp_path / "stranger-keys", "USA", at=clock.now)
    anchors = tmp_path / "inspector-directory"
    anchors.mkdir()
    shutil.copy(kor.home.public_key, anchors / "KOR.json")
    (anchors / "USA.json").write_bytes(seal.PublicKeyRecord.export(stranger))
    code, answer = inspect(kor, "--directory", str(anchors), "--peer", f"USA={served['USA']}")
    assert code == 1
    assert answer["ok"] is False
    (usa_answer,) = answer["peers"]
    assert "not to be trusted" in usa_answer["error"]


def query(
    url: str, keys: seal.PartyKeys, body: bytes, content_type: str = "application/json"
) -> httpx.Response:
    headers = signed_headers(
        keys,
        body,
        message_id=uuid.uuid4().hex,
        path=QUERY_PATH,
        content_type=content_type,
        recipient="USA",  # every query here goes to USA's node
    )
    return httpx.post(url + QUERY_PATH, content=body, headers=headers, timeout=10)


def test_the_query_answers_a_signed_head_bound_to_the_challenge(
    nodes: dict[str, Node], served: dict[str, str], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    _, second = cosigned_twice(kor, usa, clock)
    challenge = "ab" * 32
    body = json.dumps({"log": "KOR", "challenge": challenge}).encode()
    answer = query(served["USA"], kor.keys, body)
    assert answer.status_code == 200, answer.text
    signer, signed = verify_document(answer.json(), kor.directory, kind=COSIGNED_HEAD, where="t")
    assert (signer, signed["challenge"], signed["head"]["size"]) == ("USA", challenge, second)
    never = json.dumps({"log": "JPN", "challenge": challenge}).encode()
    assert query(served["USA"], kor.keys, never).json()["body"]["head"] is None


HOSTILE_QUERIES = [
    (b"{", "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 413),
    (b"[" * 400 + b"]" * 400, "application/json", 400),
    (b'{"log": "KOR"}', "application/json", 400),
    (b'{"log": "KOR", "challenge": "ab", "x": 1}', "application/json", 400),
    (b'{"log": "\\ud800OR", "challenge": "' + b"ab" * 32 + b'"}', "application/json", 400),
    (b'{"log": 7, "challenge": "' + b"ab" * 32 + b'"}', "application/json", 400),
    (b'{"log": "KOR", "challenge": "' + b"AB" * 32 + b'"}', "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b'{"log": "KOR", "challenge": "' + b"ab" * 32 + b'"}', "application/zip", 415),
]


def test_hostile_queries_are_4xx_never_5xx(nodes: dict[str, Node], served: dict[str, str]) -> None:
    """Each hostile query in turn to one served node: a 4xx problem, never a 5xx."""
    wrong = []
    for body, content_type, status in HOSTILE_QUERIES:
        answer = query(served["USA"], nodes["KOR"].keys, body, content_type=content_type)
        kind = answer.headers.get("content-type")
        if (answer.status_code, kind) != (status, "application/problem+json"):
            wrong.append((body[:40], content_type, answer.status_code, kind, answer.text[:200]))
    assert not wrong


def test_an_unsigned_query_is_unauthenticated(
    nodes: dict[str, Node], served: dict[str, str]
) -> None:
    body = json.dumps({"log": "KOR", "challenge": "ab" * 32}).encode()
    answer = httpx.post(served["USA"] + QUERY_PATH, content=body, timeout=10)
    assert answer.status_code == 401


def test_hostile_or_replayed_answers_from_a_peer_are_errors_not_verdicts(
    nodes: dict[str, Node], served: dict[str, str], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    cosigned_twice(kor, usa, clock)
    old = json.dumps({"log": "KOR", "challenge": "cd" * 32}).encode()
    replayed = query(served["USA"], kor.keys, old).content  # a genuine answer, to another question
    hostile = {
        "replayed": (200, replayed),
        "server error": (500, b"oops"),
        "not json": (200, b"<html>"),
        "deep": (200, b"[" * 50_000 + b"]" * 50_000),
        "huge": (200, b" " * (1 << 20)),
        "not a document": (200, b'{"kind": "cosigned-head"}'),
    }
    for name, (status, content) in hostile.items():
        transport = httpx.MockTransport(lambda _, s=status, c=content: httpx.Response(s, content=c))
        with httpx.Client(transport=transport) as client:
            (answer,) = ask_peers(kor, {"USA": "http://usa.test"}, kor.directory, client=client)
        assert answer.head is None, name
        assert answer.error, name


def test_by_default_the_nodes_own_peers_are_asked(
    nodes: dict[str, Node], served: dict[str, str], clock: Clock
) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    cosigned_twice(kor, usa, clock)
    add_peer(kor, "USA", served["USA"])
    code, answer = inspect(kor)
    assert (code, answer["ok"]) == (0, True), answer
    assert [(p["party"], p["url"]) for p in answer["peers"]] == [("USA", served["USA"])]


BAD_INSPECTION_ARGUMENTS: list[tuple[str, str]] = [
    ("--peer", "USA"),
    ("--peer", "usa=ftp://x"),
    ("--peer", "KOR=http://127.0.0.1:1"),
    ("--peer", "U\u00c9A=http://127.0.0.1:1"),
    ("--directory", "/nonexistent"),
]


def _exits_2_with_one_line(kor: Node, args: tuple[str, str]) -> None:
    before = footprint(kor)
    done = run_cli("audit", "verify", "--with-peers", *args, "--home", str(kor.home.root))
    assert done.returncode == 2
    assert done.stderr.startswith("pactshare: error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert footprint(kor) == before


def test_bad_inspection_arguments_exit_2_with_one_line(tmp_path: Path, clock: Clock) -> None:
    """Each bad argument in turn, against one node: exit 2, one line, nothing changed."""
    (kor,) = pinned_nodes(tmp_path, clock, ("KOR",)).values()  # arguments: one backend is enough
    kor.close()
    for args in BAD_INSPECTION_ARGUMENTS:
        _exits_2_with_one_line(kor, args)

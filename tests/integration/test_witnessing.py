"""Witnessing across three in-process nodes: KOR's log is cosigned by USA and JPN as it grows;
a deliberately forked copy of KOR's log, shown to one witness while the real one is shown to
the other, is caught by the witnesses' gossip; tampered or unpinned signatures are refused.

USA (a witness) runs on the backend under test; KOR and JPN on SQLite, so that KOR's home can
be copied to fork its log.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from pactshare import audit, seal
from pactshare.errors import (
    ForkDetectedError,
    InvalidProofError,
    InvalidTreeHeadError,
    PackageError,
)
from pactshare.federation.storage import cosignatures, forks
from pactshare.federation.witness import (
    compare_seen_heads,
    record_cosignature,
    seen_heads_message,
    tree_head_message,
    witness_head,
)
from pactshare.node import journal
from pactshare.node.documents import sign_document
from pactshare.node.home import NodeConfig, NodeHome
from pactshare.node.service import Node
from pactshare.store import sqlite_url
from pactshare.store.schema import audit_entries
from tests.support import Clock, at, at_once, cli_json, pinned_nodes, run_cli


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2026-11-23T10:00:00+00:00"))


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[dict[str, Node]]:
    """KOR (the log), USA (a witness, on the backend under test) and JPN, pinning each other."""
    opened = pinned_nodes(  # no hand-over here: logs of the sizes the tests count
        tmp_path, clock, ("KOR", "USA", "JPN"), {"USA": database_url}, assured=False
    )
    yield opened
    for node in opened.values():
        node.close()


def grow(node: Node, count: int, tag: str) -> None:
    """Append ``count`` entries to the node's log, told apart by ``tag``."""
    with node.db.atomic() as tx:
        for index in range(count):
            journal.record(
                tx,
                kind=audit.EntryKind.EVENT,
                at=node.now(),
                actor=node.party_code,
                subject="witnessing-test",
                details={"event": "test-entry", "tag": tag, "index": index},
            )


def witnessed(log: Node, witness: Node) -> dict[str, Any]:
    """One round: the log sends its head, the witness cosigns it, the log keeps the answer."""
    cosignature = witness_head(witness, log.party_code, tree_head_message(log, witness.party_code))
    record_cosignature(log, witness.party_code, cosignature)
    return cosignature


def fork_of(node: Node, root: Path, clock: Clock) -> Node:
    """A copy of ``node`` (same party, same keys) whose log will go its own way from now."""
    node.close()
    shutil.copytree(node.home.root, root)
    home = NodeHome(root)
    home.write_config(NodeConfig(party=node.party_code, database=sqlite_url(home.database_file)))
    return Node(home, clock=clock)


def incidents(node: Node) -> list[audit.Entry]:
    with node.db.atomic() as tx:
        rows = tx.execute(select(audit_entries.c.data).where(audit_entries.c.kind == "incident"))
        return [audit.Entry.from_bytes(bytes(row.data)) for row in rows]


def head_of(document: dict[str, Any]) -> audit.SignedTreeHead:
    return audit.SignedTreeHead.from_json(json.dumps(document["body"]["head"]))


def head_object(head: audit.SignedTreeHead) -> Any:
    return json.loads(head.to_json())


def flip(hex_text: str) -> str:
    """The same hex text with its first digit changed."""
    return ("0" if hex_text[0] != "0" else "1") + hex_text[1:]


def test_a_growing_log_is_cosigned_by_both_witnesses_with_its_consistency_checked(
    nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    grow(kor, 3, "first")
    # Keeping a cosignature is itself journaled: the second witness sees one entry more.
    assert [witnessed(kor, w)["body"]["head"]["size"] for w in (usa, jpn)] == [4, 5]

    clock.now = at("2026-11-23T11:00:00+00:00")
    grow(kor, 5, "second")
    message = tree_head_message(kor, "USA")
    assert message["body"]["proof"]["from_size"] == 4
    assert message["body"]["proof"]["hashes"]  # 4 → 11 needs hashes
    answer = witness_head(usa, "KOR", message)
    record_cosignature(kor, "USA", answer)
    assert tree_head_message(kor, "JPN")["body"]["proof"]["from_size"] == 5
    witnessed(kor, jpn)

    usa_key = usa.keys.signing_key.public_key()
    audit.verify_cosignature(head_of(answer), usa.keys.signing_key_id, usa_key)
    with kor.db.atomic() as tx:
        report = journal.verify(tx, kor.keys.signing_key.public_key())
    every, at_11 = cosignatures(kor), cosignatures(kor, size=11)
    assert [(c.size, c.witness) for c in every] == [
        (4, "USA"),
        (5, "JPN"),
        (11, "USA"),
        (12, "JPN"),
    ]
    assert [c.head for c in at_11] == [answer["body"]["head"]]
    assert all(p.kind is audit.ProblemKind.UNCOVERED for p in report.problems)

    with usa.db.atomic() as tx:
        usa_size = journal.size(tx)
    assert witness_head(usa, "KOR", message) == answer  # the same head twice: one effect
    record_cosignature(kor, "USA", answer)
    with usa.db.atomic() as tx:
        assert journal.size(tx) == usa_size
    assert len(cosignatures(kor)) == 4
    assert seen_heads_message(usa, "KOR")["body"]["heads"] == []  # KOR knows its own log
    assert [h["size"] for h in seen_heads_message(usa, "JPN")["body"]["heads"]] == [11]


@pytest.fixture
def split(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> Iterator[tuple[Node, Node, Node, Node]]:
    """KOR cosigned by both witnesses (sizes 4 and 5), then forked at size 6: the real log
    (2 more entries) is shown to USA, the fork (2 other entries) to JPN, both at size 8.
    Each witness cosigns what it sees: each view alone is consistent."""
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    grow(kor, 3, "shared")
    witnessed(kor, usa)
    witnessed(kor, jpn)
    forked = fork_of(kor, tmp_path / "kor-fork", clock)
    clock.now = at("2026-11-23T12:00:00+00:00")
    grow(kor, 2, "true history")
    grow(forked, 2, "rewritten history")
    witnessed(kor, usa)
    witnessed(forked, jpn)
    yield kor, forked, usa, jpn
    forked.close()


def test_witnesses_gossip_and_catch_two_histories_of_one_size(
    split: tuple[Node, Node, Node, Node],
) -> None:
    kor, _, usa, jpn = split
    with pytest.raises(ForkDetectedError) as at_jpn:
        compare_seen_heads(jpn, "USA", seen_heads_message(usa, "JPN"))
    with pytest.raises(ForkDetectedError) as at_usa:
        compare_seen_heads(usa, "JPN", seen_heads_message(jpn, "USA"))

    kor_key = kor.keys.signing_key.public_key()
    for caught, witness in ((at_jpn.value, jpn), (at_usa.value, usa)):
        assert caught.party == "KOR"
        heads = [
            audit.SignedTreeHead.from_json(json.dumps(caught.evidence[k]))
            for k in ("seen", "shown")
        ]
        for head in heads:
            audit.verify_head(head, kor_key)  # anyone with KOR's key can check the evidence
        assert heads[0].size == heads[1].size == 8
        assert heads[0].root != heads[1].root
        (fork,) = forks(witness)
        assert fork.party == "KOR"
        assert fork.evidence == caught.evidence
        (entry,) = incidents(witness)
        assert entry.details["incident"] == "fork-detected"
        assert entry.subject == "KOR"
    assert at_jpn.value.evidence["shown"] == at_usa.value.evidence["seen"]

    with pytest.raises(ForkDetectedError):  # told again: refused again, recorded once
        compare_seen_heads(jpn, "USA", seen_heads_message(usa, "JPN"))
    assert len(forks(jpn)) == 1
    assert len(incidents(jpn)) == 1


def test_a_fork_of_another_size_is_caught_when_the_log_reaches_it(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    grow(kor, 3, "shared")
    witnessed(kor, usa)
    witnessed(kor, jpn)
    forked = fork_of(kor, tmp_path / "kor-fork", clock)
    try:
        grow(kor, 2, "true history")
        grow(forked, 3, "rewritten history")
        assert head_of(witnessed(kor, usa)).size == 8
        assert head_of(witnessed(forked, jpn)).size == 9
        compare_seen_heads(jpn, "USA", seen_heads_message(usa, "JPN"))  # sizes differ: kept
        compare_seen_heads(usa, "JPN", seen_heads_message(jpn, "USA"))
        # The real log reaches size 9 too (keeping USA's cosignature was its 9th entry).
        with pytest.raises(ForkDetectedError) as caught:
            witness_head(usa, "KOR", tree_head_message(kor, "USA"))
        assert caught.value.evidence["shown"]["size"] == 9
        assert "by JPN" in str(caught.value)  # the other head came by JPN's gossip
        assert [f.party for f in forks(usa)] == ["KOR"]
    finally:
        forked.close()


def test_a_head_that_does_not_extend_the_cosigned_one_is_refused_directly(
    split: tuple[Node, Node, Node, Node],
) -> None:
    _, forked, usa, _ = split
    # The fork's head at size 8, the size USA cosigned, with another root: a fork, no gossip.
    with forked.db.atomic() as tx:
        head = journal.latest_head(tx)
    assert head is not None
    assert head.size == 8
    body = {"log": "KOR", "witness": "USA", "head": head_object(head), "proof": None}
    with pytest.raises(ForkDetectedError, match="two heads at size 8"):
        witness_head(usa, "KOR", sign_document("tree-head", body, forked.keys))

    # Larger, with the fork's own proof from USA's size: it cannot lead from USA's root.
    grow(forked, 2, "rewritten further")
    with forked.db.atomic() as tx:
        head = journal.sign_head(
            tx, forked.keys.signing_key, forked.keys.signing_key_id, at=forked.now()
        )
        hashes = journal.consistency(tx, 8, head.size)
    body = {
        "log": "KOR",
        "witness": "USA",
        "head": head_object(head),
        "proof": {"from_size": 8, "hashes": [h.hex() for h in hashes]},
    }
    with pytest.raises(ForkDetectedError, match="does not extend") as caught:
        witness_head(usa, "KOR", sign_document("tree-head", body, forked.keys))
    assert caught.value.evidence["proof"]["from_size"] == 8

    # A proof from another size than the one USA cosigned: refused, but no evidence of a fork.
    with pytest.raises(InvalidProofError, match="from size 8"):
        witness_head(usa, "KOR", tree_head_message(forked, "USA"))  # the fork offers 4 → 11
    assert len(forks(usa)) == 2
    assert len(incidents(usa)) == 2


def test_an_older_head_is_refused_and_nothing_is_recorded(nodes: dict[str, Node]) -> None:
    kor, usa = nodes["KOR"], nodes["USA"]
    old = tree_head_message(kor, "USA")
    grow(kor, 2, "more")
    witnessed(kor, usa)
    stale = {**old["body"], "proof": None}
    # The old head was never cosigned: replaying it is refused as older, not answered.
    with pytest.raises(InvalidTreeHeadError, match="older"):
        witness_head(usa, "KOR", sign_document("tree-head", stale, kor.keys))
    assert forks(usa) == []


def test_tampered_and_unpinned_signatures_are_refused(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    kor, usa, jpn = nodes["KOR"], nodes["USA"], nodes["JPN"]
    grow(kor, 2, "entries")
    message = tree_head_message(kor, "USA")
    body = message["body"]

    altered = copy.deepcopy(message)
    altered["body"]["head"]["size"] += 1
    with pytest.raises(PackageError, match="does not verify"):
        witness_head(usa, "KOR", altered)  # the document's signature covers the head

    bad_head = {**body, "head": {**body["head"], "signature": flip(body["head"]["signature"])}}
    with pytest.raises(InvalidTreeHeadError, match="does not verify"):
        witness_head(usa, "KOR", sign_document("tree-head", bad_head, kor.keys))

    with pytest.raises(PackageError, match="signed by KOR, not JPN"):
        witness_head(usa, "JPN", message)  # KOR's document passed off as JPN's

    stranger = Ed25519PrivateKey.generate()
    stranger_id = audit.key_id_of(stranger.public_key())
    signed = head_of(message)
    foreign = audit.sign_head(signed.head, stranger, stranger_id)
    unpinned = {**body, "head": head_object(foreign)}
    with pytest.raises(InvalidTreeHeadError, match="not in the pinned directory"):
        witness_head(usa, "KOR", sign_document("tree-head", unpinned, kor.keys))

    borrowed = {**body, "head": tree_head_message(jpn, "USA")["body"]["head"]}
    with pytest.raises(InvalidTreeHeadError, match="signed by JPN's key, not KOR's"):
        witness_head(usa, "KOR", sign_document("tree-head", borrowed, kor.keys))

    for malformed, error in (
        ({**body, "head": "not a head"}, InvalidTreeHeadError),
        ({**body, "head": {**body["head"], "root": "00"}}, InvalidTreeHeadError),
        ({**body, "proof": {"from_size": -1, "hashes": []}}, PackageError),
        ({**body, "proof": {"from_size": 1, "hashes": ["zz"]}}, PackageError),
        ({**body, "witness": "JPN"}, PackageError),
    ):
        with pytest.raises(error):
            witness_head(usa, "KOR", sign_document("tree-head", malformed, kor.keys))

    impostor = seal.init_keys(tmp_path / "impostor", "KOR", at=clock.now)
    with pytest.raises(PackageError, match="not in the pinned directory"):
        witness_head(usa, "KOR", sign_document("tree-head", body, impostor))

    answer = witness_head(usa, "KOR", message)
    cosigned = answer["body"]["head"]
    forged = {
        **cosigned,
        "cosignatures": [
            {**c, "signature": flip(c["signature"])} for c in cosigned["cosignatures"]
        ],
    }
    with pytest.raises(InvalidTreeHeadError, match="cosignature"):
        record_cosignature(
            kor, "USA", sign_document("cosignature", {**answer["body"], "head": forged}, usa.keys)
        )
    with pytest.raises(InvalidTreeHeadError, match="no cosignature by JPN"):
        record_cosignature(
            kor, "JPN", sign_document("cosignature", {**answer["body"], "witness": "JPN"}, jpn.keys)
        )
    assert cosignatures(kor) == []

    record_cosignature(kor, "USA", answer)
    gossip = seen_heads_message(usa, "JPN")
    (seen,) = gossip["body"]["heads"]
    seen_forged = {
        **seen,
        "cosignatures": [{**c, "signature": flip(c["signature"])} for c in seen["cosignatures"]],
    }
    lie = {**gossip["body"], "heads": [seen_forged]}
    with pytest.raises(InvalidTreeHeadError, match="cosignature"):
        compare_seen_heads(jpn, "USA", sign_document("witnessed-heads", lie, usa.keys))
    compare_seen_heads(jpn, "USA", gossip)  # the honest list is accepted


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the CLI reads SQLite homes
def test_the_cli_shows_cosignatures_and_forks(split: tuple[Node, Node, Node, Node]) -> None:
    kor, _, usa, jpn = split
    with pytest.raises(ForkDetectedError):
        compare_seen_heads(jpn, "USA", seen_heads_message(usa, "JPN"))
    kor.close()
    jpn.close()
    code, shown = cli_json("audit", "cosignatures", "--home", str(kor.home.root))
    assert code == 0
    assert [(c["size"], c["witness"]) for c in shown] == [(4, "USA"), (5, "JPN"), (8, "USA")]
    code, found = cli_json("audit", "forks", "--home", str(jpn.home.root))
    assert code == 0
    assert [(f["party"], f["reported_by"]) for f in found] == [("KOR", "USA")]
    text = run_cli("audit", "forks", "--home", str(jpn.home.root))
    assert text.returncode == 0
    assert "FORK in the log of KOR, reported by USA" in text.stdout
    text = run_cli("audit", "forks", "--home", str(kor.home.root))
    assert "no forks detected" in text.stdout


def test_one_head_sent_many_times_at_once_gets_the_same_cosignature_every_time(
    nodes: dict[str, Node],
) -> None:
    """A delivery retried while the first try is still being answered (the log's worker and
    a command both delivering) is answered as a retry, never refused as unproven."""
    kor, usa = nodes["KOR"], nodes["USA"]
    grow(kor, 3, "sent at once")
    message = tree_head_message(kor, "USA")
    answers = at_once([partial(witness_head, usa, "KOR", message) for _ in range(8)])
    assert not [a for a in answers if isinstance(a, Exception)]
    assert len({json.dumps(a, sort_keys=True) for a in answers}) == 1


def test_two_heads_that_do_not_extend_each_other_sent_at_once_are_not_both_cosigned(
    tmp_path: Path, nodes: dict[str, Node], clock: Clock
) -> None:
    """A split view tried by racing: each head extends the one cosigned last, neither extends
    the other; the witness checks one after the other, so the second is refused."""
    kor, usa = nodes["KOR"], nodes["USA"]
    grow(kor, 3, "shared")
    witnessed(kor, usa)
    forked = fork_of(kor, tmp_path / "kor-fork", clock)
    try:
        grow(kor, 2, "true history")
        grow(forked, 3, "rewritten history")
        messages = [tree_head_message(log, "USA") for log in (kor, forked)]
        answers = at_once([partial(witness_head, usa, "KOR", m) for m in messages])
    finally:
        forked.close()
    cosigned = [a for a in answers if not isinstance(a, Exception)]
    assert len(cosigned) == 1, answers
    (refused,) = [a for a in answers if isinstance(a, Exception)]
    assert isinstance(refused, (InvalidProofError, InvalidTreeHeadError, ForkDetectedError)), (
        refused
    )

"""The node's audit log in storage: heads, proofs, and tampering found by position."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from pactshare import audit
from pactshare.errors import RefusedError
from pactshare.node import journal
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node, init_node
from pactshare.store.schema import audit_entries
from tests.support import Clock, at

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[Node]:
    """A KOR node with a few entries: initialisation, three registrations, one refusal."""
    clock = Clock(at("2019-11-22T12:00:00+09:00"))
    home = init_node(tmp_path / "kor", party="KOR", at=clock.now, database=database_url)
    node = Node(home, clock=clock)
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    (tmp_path / "item.txt").write_text("x", encoding="utf-8")
    items = [register(node, tmp_path / "item.txt", tmp_path / "label.toml") for _ in range(3)]
    with pytest.raises(RefusedError):
        provide(node, items[0], "USA", package=None)
    yield node
    node.close()


def _head(node: Node) -> audit.SignedTreeHead:
    with node.db.atomic() as tx:
        return journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now())


def _problems(node: Node) -> list[audit.Problem]:
    with node.db.atomic() as tx:
        report = journal.verify(tx, node.keys.signing_key.public_key())
    return [p for p in report.problems if p.kind is not audit.ProblemKind.UNCOVERED]


def test_an_untouched_log_verifies_and_every_entry_has_a_proof(node: Node) -> None:
    head = _head(node)
    assert head.head.size == 5
    assert _problems(node) == []
    with node.db.atomic() as tx:
        kinds = tx.execute(select(audit_entries.c.kind).order_by("position")).scalars().all()
        proofs = [journal.prove(tx, position) for position in range(head.head.size)]
    assert kinds == ["event", "registration", "registration", "registration", "refusal"]
    for proof in proofs:
        audit.verify_inclusion(
            bytes.fromhex(proof.leaf_hash), proof.position, proof.size,
            [bytes.fromhex(h) for h in proof.proof], bytes.fromhex(proof.root),
        )  # fmt: skip
    assert proofs[4].entry["kind"] == "refusal"


def test_signing_twice_without_new_entries_returns_the_same_head(node: Node) -> None:
    assert _head(node) == _head(node)


def test_a_changed_row_is_reported_at_its_position(node: Node) -> None:
    _head(node)
    with node.db.atomic() as tx:
        data = tx.execute(
            select(audit_entries.c.data).where(audit_entries.c.position == 2)
        ).scalar_one()
        forged = bytes(data).replace(b"registration", b"registratiom")
        tx.execute(update(audit_entries).where(audit_entries.c.position == 2).values(data=forged))
    problems = _problems(node)
    assert problems
    assert problems[0].position == 2


def test_a_removed_row_is_reported_at_its_position(node: Node) -> None:
    _head(node)
    with node.db.atomic() as tx:
        tx.execute(delete(audit_entries).where(audit_entries.c.position == 1))
    assert _problems(node)[0].position == 1


def test_two_swapped_rows_are_reported_at_the_first(node: Node) -> None:
    _head(node)
    with node.db.atomic() as tx:
        rows = {
            p: bytes(d)
            for p, d in tx.execute(select(audit_entries.c.position, audit_entries.c.data))
        }
        tx.execute(update(audit_entries).where(audit_entries.c.position == 3).values(data=rows[4]))
        tx.execute(update(audit_entries).where(audit_entries.c.position == 4).values(data=rows[3]))
    assert _problems(node)[0].position == 3


def test_entries_after_the_last_head_are_uncovered_not_tampered(node: Node, tmp_path: Path) -> None:
    _head(node)
    register(node, tmp_path / "item.txt", tmp_path / "label.toml")
    with node.db.atomic() as tx:
        report = journal.verify(tx, node.keys.signing_key.public_key())
    assert [p.kind for p in report.problems] == [audit.ProblemKind.UNCOVERED]

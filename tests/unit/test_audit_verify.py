"""Verifying a whole log: every kind of tampering is found, and reported by position."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pactshare.audit.heads import SignedTreeHead, TreeHead, sign_head
from pactshare.audit.tree import MemoryLog, PerfectNode
from pactshare.audit.verify import ProblemKind, VerifyReport, verify_log, verify_stream
from pactshare.errors import InputError, LogTamperedError

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
START = datetime(2026, 11, 23, tzinfo=UTC)
SIZE = 20
HEAD_SIZES = (4, 8, 12, 16, 20)


def _log(size: int = SIZE) -> MemoryLog:
    log = MemoryLog()
    for index in range(size):
        log.append(f"entry {index}".encode())
    return log


def _heads(log: MemoryLog, sizes: tuple[int, ...] = HEAD_SIZES) -> list[SignedTreeHead]:
    return [
        sign_head(TreeHead(size, log.root(size), START + timedelta(minutes=size)), KEY, "node")
        for size in sizes
    ]


def _entries(log: MemoryLog) -> list[bytes]:
    return [log.entry(index) for index in range(log.size)]


def _verify(
    entries: list[bytes], log: MemoryLog, *, nodes: bool, heads: list[SignedTreeHead] | None = None
) -> VerifyReport:
    return verify_log(
        entries,
        _heads(log) if heads is None else heads,
        KEY.public_key(),
        list(log.nodes()) if nodes else None,
    )


def _only(report: VerifyReport) -> tuple[ProblemKind, int | None, int | None]:
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    return problem.kind, problem.position, problem.last_position


def test_an_intact_log_verifies_with_every_head_and_node() -> None:
    log = _log()
    report = _verify(_entries(log), log, nodes=True)
    assert report.ok
    assert report.problems == ()
    assert (report.size, report.covered, report.heads_verified) == (20, 20, 5)
    assert report.root == log.root()
    report.raise_for_problems()


def test_an_empty_log_without_heads_verifies() -> None:
    report = verify_log([], [], KEY.public_key(), [])
    assert report.ok
    assert report.problems == ()


def test_a_changed_entry_is_found_at_its_position() -> None:
    log = _log()
    entries = _entries(log)
    entries[9] = b"entry 9, rewritten"
    assert _only(_verify(entries, log, nodes=True)) == (ProblemKind.CHANGED, 9, None)


def test_a_changed_entry_without_stored_nodes_is_bounded_by_the_heads() -> None:
    log = _log()
    entries = _entries(log)
    entries[9] = b"entry 9, rewritten"
    assert _only(_verify(entries, log, nodes=False)) == (ProblemKind.DIVERGED, 8, 11)


def test_a_removed_entry_is_found_at_its_position() -> None:
    log = _log()
    entries = _entries(log)
    del entries[9]
    assert _only(_verify(entries, log, nodes=True)) == (ProblemKind.REMOVED, 9, None)


def test_a_removed_entry_without_stored_nodes_is_bounded_by_the_heads() -> None:
    log = _log()
    entries = _entries(log)
    del entries[9]
    assert _only(_verify(entries, log, nodes=False)) == (ProblemKind.DIVERGED, 8, 11)


def test_a_removed_tail_is_found_where_it_starts() -> None:
    log = _log()
    entries = _entries(log)[:17]
    assert _only(_verify(entries, log, nodes=True)) == (ProblemKind.REMOVED, 17, 19)
    assert _only(_verify(entries, log, nodes=False)) == (ProblemKind.REMOVED, 16, 17)


def test_two_swapped_entries_are_found_as_reordered() -> None:
    log = _log()
    entries = _entries(log)
    entries[5], entries[6] = entries[6], entries[5]
    assert _only(_verify(entries, log, nodes=True)) == (ProblemKind.REORDERED, 5, 6)
    assert _only(_verify(entries, log, nodes=False)) == (ProblemKind.DIVERGED, 4, 7)


def test_an_entry_inserted_in_the_middle_is_found() -> None:
    log = _log()
    entries = _entries(log)
    entries.insert(13, b"an entry nobody appended")
    report = _verify(entries, log, nodes=True)
    kinds = [(p.kind, p.position) for p in report.problems]
    assert kinds == [(ProblemKind.INSERTED, 13), (ProblemKind.UNCOVERED, 20)]
    assert report.first_problem is not None
    assert report.first_problem.kind is ProblemKind.INSERTED


def test_entries_appended_after_the_last_head_are_uncovered_but_not_a_failure() -> None:
    log = _log()
    heads = _heads(log)
    log.append(b"entry 20")
    report = _verify(_entries(log), log, nodes=True, heads=heads)
    assert _only(report) == (ProblemKind.UNCOVERED, 20, 20)
    assert report.ok
    assert report.covered == 20


def test_an_entry_appended_outside_the_log_is_inserted_and_uncovered() -> None:
    log = _log()
    entries = [*_entries(log), b"slipped in"]
    report = _verify(entries, log, nodes=True)
    kinds = [(p.kind, p.position) for p in report.problems]
    assert kinds == [(ProblemKind.INSERTED, 20), (ProblemKind.UNCOVERED, 20)]
    assert not report.ok


def test_a_forged_head_signature_is_reported_by_head() -> None:
    log = _log()
    heads = _heads(log)
    heads[2] = sign_head(heads[2].head, OTHER_KEY, "node")
    report = _verify(_entries(log), log, nodes=True, heads=heads)
    assert [(p.kind, p.head) for p in report.problems] == [(ProblemKind.BAD_SIGNATURE, 2)]
    assert report.heads_verified == 4
    assert not report.ok


def test_a_head_with_an_altered_root_fails_its_signature() -> None:
    log = _log()
    heads = _heads(log)
    heads[1] = replace(heads[1], head=replace(heads[1].head, root=log.root(7)))
    report = _verify(_entries(log), log, nodes=False, heads=heads)
    assert [(p.kind, p.head) for p in report.problems] == [(ProblemKind.BAD_SIGNATURE, 1)]


def test_entries_and_nodes_rewritten_together_are_caught_by_the_heads() -> None:
    log = _log()
    forged = MemoryLog()
    for index in range(SIZE):
        forged.append(b"rewritten" if index == 14 else log.entry(index))
    report = verify_log(_entries(forged), _heads(log), KEY.public_key(), list(forged.nodes()))
    assert _only(report) == (ProblemKind.DIVERGED, 12, 15)


def test_an_altered_stored_leaf_hash_is_blamed_on_the_node_not_the_entry() -> None:
    log = _log()
    nodes = [
        PerfectNode(0, 6, b"\x00" * 32) if (n.level, n.index) == (0, 6) else n for n in log.nodes()
    ]
    report = verify_log(_entries(log), _heads(log), KEY.public_key(), nodes)
    assert _only(report) == (ProblemKind.NODE_CHANGED, 6, None)


def test_an_altered_interior_node_is_reported_with_its_entries() -> None:
    log = _log()
    nodes = [
        PerfectNode(2, 1, b"\x00" * 32) if (n.level, n.index) == (2, 1) else n for n in log.nodes()
    ]
    report = verify_log(_entries(log), _heads(log), KEY.public_key(), nodes)
    assert _only(report) == (ProblemKind.NODE_CHANGED, 4, 7)


def test_a_missing_interior_node_is_reported() -> None:
    log = _log()
    nodes = [n for n in log.nodes() if (n.level, n.index) != (1, 3)]
    report = verify_log(_entries(log), _heads(log), KEY.public_key(), nodes)
    assert _only(report) == (ProblemKind.NODE_MISSING, 6, 7)


def test_a_stored_node_placed_far_outside_the_tree_is_reported_not_allocated() -> None:
    log = _log()
    nodes = [*log.nodes(), PerfectNode(0, 10**15, b"\x00" * 32)]
    report = verify_log(_entries(log), _heads(log), KEY.public_key(), nodes)
    kinds = [(p.kind, p.position) for p in report.problems]
    assert kinds == [(ProblemKind.NODE_CHANGED, None)]
    assert "level 0, index 1000000000000000" in report.problems[0].message


def test_two_signed_heads_for_one_size_with_different_roots_are_a_fork() -> None:
    log = _log()
    fork = sign_head(TreeHead(20, log.root(19), START + timedelta(hours=1)), KEY, "node")
    report = _verify(_entries(log), log, nodes=False, heads=[*_heads(log), fork])
    assert [(p.kind, p.head) for p in report.problems] == [(ProblemKind.HEAD_CONFLICT, 5)]
    assert not report.ok


def test_a_head_off_the_history_later_heads_verify_is_a_conflict() -> None:
    log = _log()
    stray = sign_head(TreeHead(10, log.root(9), START + timedelta(minutes=10)), KEY, "node")
    report = _verify(_entries(log), log, nodes=False, heads=[*_heads(log), stray])
    assert [(p.kind, p.position) for p in report.problems] == [(ProblemKind.HEAD_CONFLICT, None)]


def test_a_conflict_is_reported_beside_an_entry_problem() -> None:
    log = _log()
    stray = sign_head(TreeHead(10, log.root(9), START + timedelta(minutes=10)), KEY, "node")
    entries = [*_entries(log), b"slipped in"]
    report = _verify(entries, log, nodes=True, heads=[*_heads(log), stray])
    assert [(p.kind, p.position) for p in report.problems] == [
        (ProblemKind.INSERTED, 20),
        (ProblemKind.UNCOVERED, 20),
        (ProblemKind.HEAD_CONFLICT, None),
    ]


def test_heads_that_go_back_in_time_conflict() -> None:
    log = _log()
    heads = _heads(log)
    heads[4] = sign_head(TreeHead(20, log.root(20), START), KEY, "node")
    report = _verify(_entries(log), log, nodes=False, heads=heads)
    assert [(p.kind, p.head) for p in report.problems] == [(ProblemKind.HEAD_CONFLICT, 4)]


def test_raise_for_problems_names_the_first_position() -> None:
    log = _log()
    entries = _entries(log)
    entries[3] = b"changed"
    report = _verify(entries, log, nodes=True)
    with pytest.raises(LogTamperedError, match="entry 3 was changed") as caught:
        report.raise_for_problems()
    assert caught.value.position == 3


def test_a_head_a_witness_holds_catches_a_rollback_the_node_re_signed() -> None:
    log = _log()
    (witnessed,) = _heads(log, (16,))
    rolled_back = _log(12)  # the operator cut the log to 12 entries and signed it again
    report = verify_log(
        _entries(rolled_back),
        _heads(rolled_back, (4, 8, 12)),
        KEY.public_key(),
        list(rolled_back.nodes()),
        [("the head USA cosigned", witnessed)],
    )
    assert _only(report) == (ProblemKind.REMOVED, 12, 15)
    assert "USA" in report.problems[0].message


def test_a_head_a_witness_holds_catches_a_rewrite_the_node_re_signed() -> None:
    log = _log()
    (witnessed,) = _heads(log, (16,))
    rewritten = MemoryLog()
    for index in range(SIZE):
        rewritten.append(b"rewritten" if index == 3 else f"entry {index}".encode())
    report = verify_log(
        _entries(rewritten),
        _heads(rewritten),
        KEY.public_key(),
        list(rewritten.nodes()),
        [("the head USA cosigned", witnessed)],
    )
    assert _only(report) == (ProblemKind.DIVERGED, 0, 15)


def test_a_held_head_not_signed_by_the_node_is_a_bad_signature() -> None:
    log = _log()
    forged = sign_head(TreeHead(16, log.root(16), START), OTHER_KEY, "node")
    report = verify_log(_entries(log), _heads(log), KEY.public_key(), None, [("a head", forged)])
    assert _only(report)[0] is ProblemKind.BAD_SIGNATURE


@pytest.mark.parametrize("given", [19, 21])
def test_a_stream_of_another_length_than_announced_is_refused(given: int) -> None:
    log = _log()
    entries = iter([*_entries(log), b"one more"][:given])
    with pytest.raises(InputError, match="a log of 20 entries"):
        verify_stream(entries, SIZE, _heads(log), KEY.public_key())

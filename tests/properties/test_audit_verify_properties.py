"""Properties of log verification: any single tampering is found, at its position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from pactshare.audit.heads import SignedTreeHead, TreeHead, sign_head
from pactshare.audit.tree import MemoryLog
from pactshare.audit.verify import ProblemKind, VerifyReport, verify_log

KEY = Ed25519PrivateKey.generate()
START = datetime(2026, 11, 23, tzinfo=UTC)


def _log(size: int) -> MemoryLog:
    log = MemoryLog()
    for index in range(size):
        log.append(f"entry {index}".encode())
    return log


def _heads(log: MemoryLog, every: int) -> list[SignedTreeHead]:
    return [
        sign_head(TreeHead(size, log.root(size), START + timedelta(seconds=size)), KEY, "node")
        for size in range(every, log.size + 1, every)
    ]


def _check(entries: list[bytes], log: MemoryLog, every: int, *, nodes: bool = True) -> VerifyReport:
    stored = list(log.nodes()) if nodes else None
    return verify_log(entries, _heads(log, every), KEY.public_key(), stored)


@st.composite
def log_and_position(draw: st.DrawFn) -> tuple[MemoryLog, int, int]:
    size = draw(st.integers(min_value=2, max_value=70))
    return _log(size), draw(st.integers(0, size - 1)), draw(st.integers(1, 9))


def _first(report: VerifyReport) -> tuple[ProblemKind, int | None]:
    problem = report.first_problem
    assert problem is not None, report
    return problem.kind, problem.position


@given(st.integers(0, 70), st.integers(1, 9))
def test_an_untouched_log_has_no_fatal_problem(size: int, every: int) -> None:
    log = _log(size)
    report = _check([log.entry(i) for i in range(size)], log, every)
    assert report.ok
    assert report.root == log.root()


@given(log_and_position())
def test_a_changed_entry_is_found_at_its_position(case: tuple[MemoryLog, int, int]) -> None:
    log, position, every = case
    entries = [log.entry(i) for i in range(log.size)]
    entries[position] = b"rewritten"
    assert _first(_check(entries, log, every)) == (ProblemKind.CHANGED, position)


@given(log_and_position())
def test_heads_alone_bound_a_change_they_cover(case: tuple[MemoryLog, int, int]) -> None:
    log, position, every = case
    entries = [log.entry(i) for i in range(log.size)]
    entries[position] = b"rewritten"
    report = _check(entries, log, every, nodes=False)
    covered = log.size // every * every
    if position >= covered:
        assert report.ok  # beyond the last signed head, only stored nodes can tell
        return
    problem = report.first_problem
    assert problem is not None
    assert problem.position is not None
    assert problem.last_position is not None
    assert problem.position <= position <= problem.last_position
    assert problem.last_position - problem.position < every


@given(log_and_position())
def test_a_removed_entry_is_found_at_its_position(case: tuple[MemoryLog, int, int]) -> None:
    log, position, every = case
    entries = [log.entry(i) for i in range(log.size)]
    del entries[position]
    assert _first(_check(entries, log, every)) == (ProblemKind.REMOVED, position)


@given(log_and_position())
def test_an_inserted_entry_is_found_at_its_position(case: tuple[MemoryLog, int, int]) -> None:
    log, position, every = case
    entries = [log.entry(i) for i in range(log.size)]
    entries.insert(position, b"inserted")
    assert _first(_check(entries, log, every)) == (ProblemKind.INSERTED, position)


@given(log_and_position(), st.data())
def test_two_swapped_entries_are_found_as_reordered(
    case: tuple[MemoryLog, int, int], data: st.DataObject
) -> None:
    log, position, every = case
    other = data.draw(st.integers(0, log.size - 1).filter(lambda i: i != position))
    first, second = sorted((position, other))
    entries = [log.entry(i) for i in range(log.size)]
    entries[first], entries[second] = entries[second], entries[first]
    report = _check(entries, log, every)
    problem = report.first_problem
    assert problem is not None
    assert (problem.kind, problem.position, problem.last_position) == (
        ProblemKind.REORDERED,
        first,
        second,
    )

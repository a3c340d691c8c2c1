"""An honest log never raises a fork alarm: whatever the order in which it grows, is cosigned
by its witnesses and they gossip, every head is cosigned and nothing is recorded as a fork."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare import audit
from pactshare.federation.storage import forks
from pactshare.federation.witness import (
    compare_seen_heads,
    record_cosignature,
    seen_heads_message,
    tree_head_message,
    witness_head,
)
from pactshare.node import journal
from pactshare.node.service import Node
from tests.properties.conftest import examples
from tests.support import Clock, at, pinned_nodes

WITNESSES = ("USA", "JPN")

steps = st.lists(
    st.one_of(
        st.tuples(st.just("grow"), st.integers(min_value=0, max_value=4)),
        st.tuples(st.just("witness"), st.sampled_from(WITNESSES)),
        st.tuples(st.just("gossip"), st.sampled_from([WITNESSES, WITNESSES[::-1]])),
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Clock, dict[str, Node]]]:
    """KOR's log and its two witnesses, kept across examples: the log only ever grows."""
    root: Path = tmp_path_factory.mktemp("witnessing")
    clock = Clock(at("2026-11-23T10:00:00+00:00"))
    nodes = pinned_nodes(root, clock, ("KOR", *WITNESSES))
    yield clock, nodes
    for node in nodes.values():
        node.close()


@settings(max_examples=examples(25, 10))
@given(plan=steps)
def test_an_honest_log_is_always_cosigned_and_never_called_forked(
    honest: tuple[Clock, dict[str, Node]], plan: list[tuple[str, object]]
) -> None:
    clock, nodes = honest
    kor = nodes["KOR"]
    for action, argument in plan:
        clock.now += timedelta(seconds=1)
        if action == "grow":
            assert isinstance(argument, int)
            with kor.db.atomic() as tx:
                for index in range(argument):
                    journal.record(tx, kind=audit.EntryKind.EVENT, at=clock.now, actor="KOR",
                                   subject="property", details={"index": index})  # fmt: skip
        elif action == "witness":
            assert isinstance(argument, str)
            message = tree_head_message(kor, argument)
            answer = witness_head(nodes[argument], "KOR", message)
            assert answer["body"]["head"]["size"] == message["body"]["head"]["size"]
            record_cosignature(kor, argument, answer)
        else:
            assert isinstance(argument, tuple)
            sender, receiver = argument
            compare_seen_heads(nodes[receiver], sender, seen_heads_message(nodes[sender], receiver))
    for party, node in nodes.items():
        assert forks(node) == []
        with node.db.atomic() as tx:
            report = journal.verify(tx, node.keys.signing_key.public_key())
            assert all(p.kind is audit.ProblemKind.UNCOVERED for p in report.problems), party

"""End-to-end fixtures: the storage backends of the integration tier, and node processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.federation_support import NodeProcess
from tests.integration.conftest import database_url  # noqa: F401 - the fixture, for this tier

MakeNode = Callable[..., NodeProcess]


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    """Create nodes (``make_node("KOR", clock)``); every server process is killed at the end."""
    made: list[NodeProcess] = []

    def make(party: str, clock: str, *, db: str | None = None, cli: bool = False) -> NodeProcess:
        node = NodeProcess(tmp_path, party, clock, db=db, cli=cli)
        made.append(node)
        return node

    yield make
    for node in made:
        node.kill()

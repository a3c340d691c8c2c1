"""Fixtures shared by every tier."""

from __future__ import annotations

import compileall
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import pactshare
from pactshare.node import service
from pactshare.store import Database, sqlite_url
from pactshare.store.database import Revision
from tests.seal_support import World, make_world


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package's modules once, before any worker starts.

    Hundreds of tests run ``python -m pactshare`` as a subprocess. Where the environment
    says not to write bytecode (PYTHONDONTWRITEBYTECODE, as on this project's machines), an
    editable install leaves none, and every one of those processes compiled each module it
    imports from source again (a fifth of a command's start-up); Python still reads
    bytecode that exists. Only the controller compiles (xdist workers have ``workerinput``).
    """
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(Path(pactshare.__file__).parent, quiet=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, each kind in its collected order: the workers take tests
    in order, so the longest start early and none is left running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()


@pytest.fixture(scope="session", autouse=True)
def migrated_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A node created in this process on a new SQLite file starts from a copy of a database
    migrated once per test process, then migrates it (nothing left to do).

    The migrations are most of ``init_node``'s time (0.5 s of 0.7 s) and build the same file
    every time. They still run in full where they are the subject: the storage tests'
    databases, nodes on PostgreSQL, and every ``pactshare node init`` run as a command.
    """
    template = tmp_path_factory.mktemp("migrated") / "node.db"
    built = Database(sqlite_url(template))
    built.migrate()
    built.dispose()

    class FromTemplate(Database):
        def migrate(self) -> Revision:
            name = self.engine.url.database
            target = Path(name) if self.engine.dialect.name == "sqlite" and name else None
            if target and target.is_absolute() and target.parent.is_dir() and not target.exists():
                shutil.copyfile(template, target)  # else: as without a template
            return super().migrate()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "Database", FromTemplate)
        yield

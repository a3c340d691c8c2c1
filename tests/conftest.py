"""Fixtures shared by every tier."""

from __future__ import annotations

import compileall
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect

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
    """A node created in this process starts from the migrations run once per test process,
    then migrates (nothing left to do): on SQLite a new file is a copy of a database migrated
    once; on PostgreSQL a new schema gets the statements the migrations ran on the first
    one, replayed in one transaction.

    The migrations are most of ``init_node``'s time (0.5 s of 0.7 s on either backend) and
    build the same tables every time. They still run in full where they are the subject: the
    storage tests' databases, the first node of each process on PostgreSQL, and every
    ``pactshare node init`` run as a command.
    """
    template = tmp_path_factory.mktemp("migrated") / "node.db"
    built = Database(sqlite_url(template))
    built.migrate()
    built.dispose()
    ran: list[tuple[str, Any]] = []  # the first PostgreSQL migration's writing statements

    def record(_c: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):  # reads change nothing
            ran.append((statement, parameters))

    class FromTemplate(Database):
        def migrate(self) -> Revision:
            name = self.engine.url.database
            if self.engine.dialect.name == "postgresql":
                self._migrate_postgresql()
            target = Path(name) if self.engine.dialect.name == "sqlite" and name else None
            if target and target.is_absolute() and target.parent.is_dir() and not target.exists():
                shutil.copyfile(template, target)  # else: as without a template
            return super().migrate()

        def _migrate_postgresql(self) -> None:
            with self.engine.connect() as connection:
                if inspect(connection).has_table("alembic_version"):
                    return  # migrated already (or by another pactshare): as without a template
            if not ran:
                event.listen(self.engine, "before_cursor_execute", record)
                try:
                    super().migrate()
                except BaseException:
                    ran.clear()  # a partial record is no template
                    raise
                finally:
                    event.remove(self.engine, "before_cursor_execute", record)
                return
            with self.engine.begin() as connection:
                for statement, parameters in ran:
                    connection.exec_driver_sql(statement, parameters)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "Database", FromTemplate)
        yield

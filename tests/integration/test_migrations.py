"""Migrations: a node whose database is behind the code (a home made by an earlier
pactshare) or ahead of it (made by a newer one) is refused with what to do, by every command
and by the server; ``pactshare node migrate`` upgrades it; ``node init`` needs none.

A home "made by an earlier pactshare" is built for real: its database is created by Alembic
at that release's last revision, and the node's rows are copied in with that revision's
columns. Both backends (PostgreSQL with CI=true).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, Table, create_engine, func, insert, inspect, select, text

import pactshare.store
from pactshare.node import NodeHome, service
from pactshare.node.home import NodeConfig
from pactshare.node.service import init_node, migrate_node
from pactshare.store import Database, schema, sqlite_url
from pactshare.store.database import _script as database_revisions
from tests.integration.conftest import POSTGRES
from tests.support import at, cli_json, run_cli

PREVIOUS = "0003_witnessing"  # the last revision of the release before versions and migrations
_MIGRATIONS = Path(pactshare.store.__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head() -> str:
    """The revision this build's migrations end at."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def age(home: Path, url: str, revision: str = PREVIOUS) -> None:
    """Make ``home`` as the pactshare of ``revision`` made it: its database at ``url`` built
    by Alembic up to ``revision``, holding the node's rows in that revision's columns."""
    config = _config()
    target = create_engine(url)
    with target.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    old_home = NodeHome(home)
    source = create_engine(old_home.read_config().database)
    columns = {name: {c["name"] for c in inspect(target).get_columns(name)} for name in
               inspect(target).get_table_names()}  # fmt: skip
    with source.connect() as reading, target.begin() as writing:
        for table in schema.metadata.sorted_tables:
            kept = [c for c in table.columns if c.name in columns.get(table.name, ())]
            if not kept:
                continue
            narrow = Table(table.name, MetaData(), *(Column(c.name, c.type) for c in kept))
            if writing.execute(select(func.count()).select_from(narrow)).scalar_one():
                continue  # seeded by a migration itself (e.g. the registry's version)
            rows = [dict(r._mapping) for r in reading.execute(select(*kept))]
            if rows:
                writing.execute(insert(narrow), rows)
    source.dispose()
    target.dispose()
    old_home.write_config(NodeConfig(old_home.read_config().party, url))


def _fresh(tmp_path: Path) -> Path:
    home = tmp_path / "kor"
    init_node(home, party="KOR", at=at("2019-08-01T10:00:00+09:00"))
    return home


@pytest.mark.slow
def test_a_home_at_the_previous_revision_is_refused_until_node_migrate(
    tmp_path: Path, database_url: str
) -> None:
    home = _fresh(tmp_path)
    age(home, database_url)
    needed = head()
    assert needed != PREVIOUS
    message = (
        f"pactshare: error: database of node {home} is at revision {PREVIOUS}, this pactshare "
        f"needs {needed}: run `pactshare node migrate --home {home}`\n"
    )

    for command_line in (("audit", "verify"), ("serve", "--port", "0")):
        done = run_cli(*command_line, "--home", str(home))
        assert (done.returncode, done.stderr) == (2, message), command_line

    code, migrated = cli_json("node", "migrate", "--home", str(home))
    assert code == 0
    assert migrated == {"home": str(home), "from": PREVIOUS, "to": needed, "migrated": True}
    verified = run_cli("audit", "verify", "--home", str(home))
    assert verified.returncode == 0, verified.stderr
    assert migrate_node(NodeHome(home)).migrated is False


def test_the_revisions_read_without_alembic_are_alembics() -> None:
    """Opening a node reads the migrations' revision lines instead of importing Alembic."""
    needed, known = database_revisions()
    walked = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    assert (needed, set(known)) == (head(), walked)


def test_node_init_creates_an_up_to_date_database(tmp_path: Path) -> None:
    home = _fresh(tmp_path)
    code, migrated = cli_json("node", "migrate", "--home", str(home))
    assert code == 0
    assert migrated == {"home": str(home), "from": head(), "to": head(), "migrated": False}


def test_a_database_ahead_of_the_code_is_refused_and_left_as_it_is(
    tmp_path: Path, database_url: str
) -> None:
    home = _fresh(tmp_path)
    age(home, database_url, head())
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for command_line in (("outbox",), ("node", "migrate")):
        done = run_cli(*command_line, "--home", str(home))
        assert done.returncode == 2, command_line
        assert "is at revision 9999_future, newer than this pactshare knows" in done.stderr
        assert "Traceback" not in done.stderr
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert kept == "9999_future"


def test_a_database_never_migrated_is_refused_with_what_to_do(
    tmp_path: Path, database_url: str
) -> None:
    home = _fresh(tmp_path)
    NodeHome(home).write_config(NodeConfig("KOR", database_url))  # an empty database
    done = run_cli("outbox", "--home", str(home))
    assert done.returncode == 2
    assert f"database of node {home} is at revision none, this pactshare needs" in done.stderr


def _shape(url: str) -> dict[str, Any]:
    """Every table's columns, keys, indexes and checks, and the recorded revision."""
    engine = create_engine(url)
    try:
        seen = inspect(engine)
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        tables = {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in seen.get_columns(table)],
                seen.get_pk_constraint(table),
                sorted(map(str, seen.get_foreign_keys(table))),
                sorted(map(str, seen.get_indexes(table))),
                sorted(map(str, seen.get_unique_constraints(table))),
                sorted(map(str, seen.get_check_constraints(table))),
            )
            for table in seen.get_table_names()
        }
        return {"revision": revision, "tables": tables}
    finally:
        engine.dispose()


@contextmanager
def _databases(kind: str, root: Path, count: int) -> Iterator[list[str]]:
    """``count`` fresh, empty databases of ``kind``, as the ``database_url`` fixture makes."""
    if kind == "sqlite":
        yield [sqlite_url(root / f"db{index}.db") for index in range(count)]
        return
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        for name in schemas:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield [f"{POSTGRES}?options=-csearch_path%3D{name}" for name in schemas]
    finally:
        with admin.begin() as connection:
            for name in schemas:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def test_nodes_made_from_the_test_sessions_template_have_the_migrated_schema(
    tmp_path: Path, database_url: str
) -> None:
    """The test session's shortcut (tests/conftest.py: a node's database starts from the
    migrations run once per process) builds exactly what the migrations build."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with _databases(kind, tmp_path, 3) as (first, second, reference):
        for url in (first, second):  # on PostgreSQL the first of a process may record, then replay
            shortcut = vars(service)["Database"](url)  # what init_node opens
            assert type(shortcut) is not Database  # the session's shortcut is in place
            shortcut.migrate()
            shortcut.dispose()
        migrated = Database(reference)
        migrated.migrate()
        migrated.dispose()
        assert _shape(second) == _shape(reference)
        assert _shape(first) == _shape(reference)

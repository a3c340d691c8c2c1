"""One database per node: SQLite (WAL) in the node's directory by default, PostgreSQL by URL.

:meth:`Database.atomic` is the one unit of work: a state change, its audit entry and any outbox
message commit together or not at all; nested calls become savepoints. Connections are pooled
and kept open: on SQLite a commit is then one sync of the write-ahead log
(``synchronous=FULL``), where opening and closing a connection per unit of work also
checkpointed and deleted the log (five syncs); a unit of work whose records are made again if
lost may commit without that sync (``atomic(durable=False)``). On SQLite the units of work of
one process's threads are grouped into shared commits (:mod:`pactshare.store.group_commit`);
each returns only once its commit is durable. Migrations (Alembic) are applied only when asked
(:meth:`Database.migrate`: ``node init`` and ``node migrate``), each together with its record;
:meth:`Database.revision` says where a database stands against this build's migrations, so that
a node never runs on a schema it was not written for. :func:`after_commit` runs an action once
the transaction is committed (durable), never if it rolls back: how a waiter is told of new rows
(:mod:`pactshare.store.wakeups`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from pactshare.errors import StorageError
from pactshare.store.group_commit import MOST, GroupCommit

__all__ = ["Database", "Revision", "after_commit", "driver_error", "sqlite_url"]

_MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_)?revision = (?:"([^"]+)"|None)$', re.MULTILINE)
_VERSION_TABLE = "alembic_version"  # where Alembic records a database's revision
_VERSIONS = text("SELECT version_num FROM alembic_version")
_AFTER_COMMIT = "pactshare.after_commit"  # the actions of the transaction a connection runs


def after_commit(tx: Connection, action: Callable[[], None]) -> None:
    """Run ``action`` once the outermost transaction ``tx`` belongs to has committed, never if
    it rolls back (a savepoint rolled back inside a committed transaction still runs it: a
    wake-up too many is harmless, one too early is not). ``action`` must not raise."""
    tx.info[_AFTER_COMMIT].append(action)


def sqlite_url(path: Path) -> str:
    """The URL of an SQLite database file."""
    return f"sqlite:///{path}"


@cache
def _script() -> tuple[str, frozenset[str]]:
    """This build's head revision and every revision it knows, read once per process from
    the migration files' ``revision`` lines, without importing Alembic: every command that
    opens a node asks, and only ``node init`` and ``node migrate`` apply migrations (a test
    holds this reading to Alembic's own)."""
    known: set[str] = set()
    replaced: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        for down, name in _REVISION.findall(script.read_text(encoding="utf-8")):
            if name:
                (replaced if down else known).add(name)
    heads = known - replaced
    if len(heads) != 1:  # a packaging error, not something a user can fix
        raise StorageError(f"this pactshare's migrations have {len(heads)} heads, not one")
    return heads.pop(), frozenset(known)


@dataclass(frozen=True, slots=True)
class Revision:
    """Where a database stands: its recorded revision (None: never migrated) and the one this
    build needs; ``ahead`` when a newer pactshare migrated it (a revision we do not know)."""

    current: str | None
    needed: str
    ahead: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.needed


BUSY = 10.0  # seconds a unit of work waits for SQLite's write lock (or its turn in a group)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # Let SQLAlchemy, not the driver, begin transactions, so that SAVEPOINT and transactional
    # DDL work (SQLAlchemy's pysqlite notes); WAL for concurrent readers; wait for writers;
    # FULL: in WAL mode, each commit syncs the log before it returns (NORMAL would not).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    busy = f"busy_timeout={BUSY * 1000:.0f}"
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", busy, "synchronous=FULL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Take the write lock at the start so two writers never deadlock upgrading a read lock.
    # On the driver: SQLAlchemy's execution of a statement (context, result) cost more than
    # the statement itself, for every transaction (~55k of an empty one's ~190k instructions).
    _on_driver(connection, "BEGIN IMMEDIATE")


def _savepoint(connection: Connection, name: str) -> None:
    _on_driver(connection, f"SAVEPOINT {connection.dialect.identifier_preparer.quote(name)}")


def _release_savepoint(connection: Connection, name: str) -> None:
    quoted = connection.dialect.identifier_preparer.quote(name)
    _on_driver(connection, f"RELEASE SAVEPOINT {quoted}")


def _on_driver(connection: Connection, statement: str) -> None:
    """Run ``statement`` (no parameters, no rows) on the connection's driver; its error as
    SQLAlchemy would raise it."""
    driver = connection.connection.driver_connection
    try:
        driver.execute(statement)  # type: ignore[union-attr]  # in a transaction: not None
    except connection.dialect.loaded_dbapi.Error as exc:
        error = driver_error(connection, exc, driver, None, statement=statement, parameters=None)
        raise error from exc


def driver_error(
    tx: Connection, exc: Any, driver: Any, cursor: Any, *, statement: str, parameters: Any
) -> StatementError:
    """A driver's error, from a statement run on the driver's own connection (``driver``)
    or cursor, as SQLAlchemy would raise it: wrapped in its :class:`DBAPIError`, and the
    connection invalidated if the error says it is lost (it is not returned to the pool)."""
    dialect = tx.dialect
    lost = dialect.is_disconnect(exc, driver, cursor)
    if lost and not tx.invalidated:
        tx.invalidate(exc)
    error: StatementError = DBAPIError.instance(
        statement,
        parameters,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=dialect,
        connection_invalidated=lost,
    )
    return error


class Database:
    """A node's database: an engine, its migrations, and the unit of work."""

    def __init__(self, url: str, *, group: int = MOST) -> None:
        """``group``: how many units of work of this process may share one commit on SQLite
        (1: each commits on its own, as a benchmark's baseline does)."""
        self.url = url
        try:
            if url.startswith("sqlite"):
                # A pool of connections kept open (SQLAlchemy's default for a file); each is
                # used by one thread at a time, so the driver's same-thread check is off.
                self.engine: Engine = create_engine(url)
                event.listen(self.engine, "connect", _sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin)
                # Savepoints on the driver too (named by SQLAlchemy, quoted as it would):
                # every nested unit of work and every member of a group but the first takes
                # one; through SQLAlchemy's execution a pair cost ~70 us here, ~16 us so.
                dialect = self.engine.dialect
                dialect.do_savepoint = _savepoint  # type: ignore[method-assign]
                dialect.do_release_savepoint = _release_savepoint  # type: ignore[method-assign]
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(f"cannot use database {self.safe_url}: {exc}") from exc
        # SQLite has one writer at a time: one process's units of work share their commits.
        # PostgreSQL runs them side by side, each on its own pooled connection.
        self._groups = (
            GroupCommit(self.engine, where=self.safe_url, wait=BUSY, most=group)
            if self.engine.dialect.name == "sqlite"
            else None
        )
        self._current: ContextVar[Connection | None] = ContextVar(f"tx-{id(self)}", default=None)

    @property
    def safe_url(self) -> str:
        """The URL without any password, for messages and logs."""
        head, at, tail = self.url.rpartition("@")
        if not at:
            return self.url
        scheme, _, credentials = head.partition("://")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}@{tail}"

    def revision(self) -> Revision:
        """The database's revision against this build's migrations (reads, never writes)."""
        needed, known = _script()
        try:
            with self.engine.connect() as connection:
                heads: list[str] = []
                if inspect(connection).has_table(_VERSION_TABLE):
                    heads = list(connection.execute(_VERSIONS).scalars())
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read database {self.safe_url}: {exc}") from exc
        current = ", ".join(heads) if heads else None
        return Revision(current, needed, ahead=any(head not in known for head in heads))

    def migrate(self) -> Revision:
        """Apply every pending migration (each in its own transaction with its record); return
        where the database stood before. A database ahead of this build is left untouched."""
        before = self.revision()
        if before.ahead:
            raise StorageError(
                f"database {self.safe_url} is at revision {before.current}, newer than this "
                f"pactshare knows (its latest is {before.needed}): use a newer pactshare"
            )
        if before.up_to_date:
            return before  # nothing to apply: Alembic is not even loaded
        from alembic import command  # noqa: PLC0415 - loaded only to migrate
        from alembic.config import Config  # noqa: PLC0415
        from alembic.util.exc import CommandError  # noqa: PLC0415

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.connect() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (SQLAlchemyError, OSError, CommandError) as exc:
            raise StorageError(f"cannot migrate database {self.safe_url}: {exc}") from exc
        return before

    @contextmanager
    def atomic(self, *, durable: bool = True) -> Iterator[Connection]:
        """A transaction; inside another one, a savepoint. Commits only if the block succeeds,
        and returns only once the commit is durable (on SQLite, the commit of its group).

        ``durable=False`` (a *relaxed* commit) returns once committed, before the commit is
        synced: a power loss or an operating-system crash (not a killed process) may then
        lose it, until a later commit that is synced (the database's log is synced in order,
        so that commit carries it too). Only for records that are made again if lost, never
        for anything acknowledged to someone (the sender's mark that a message was delivered:
        lost, the message goes again and its receiver answers the same receipt). SQLite:
        ``synchronous=NORMAL`` for that commit's group (:mod:`pactshare.store.group_commit`);
        PostgreSQL: ``SET LOCAL synchronous_commit = off``, which ends with the transaction.
        A savepoint is as durable as the transaction it is part of."""
        current = self._current.get()
        try:
            if current is not None:
                with current.begin_nested():
                    yield current
                return
            unit = (
                self.engine.begin()
                if self._groups is None
                else self._groups.member(durable=durable)
            )
            with unit as connection:
                if self._groups is None and not durable:
                    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                token = self._current.set(connection)
                actions: list[Callable[[], None]] = []
                connection.info[_AFTER_COMMIT] = actions
                try:
                    yield connection
                finally:
                    self._current.reset(token)
                    del connection.info[_AFTER_COMMIT]
            for action in actions:  # committed: what waited for it may go
                action()
        except DBAPIError as exc:
            raise StorageError(f"database {self.safe_url}: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            cause = exc.orig if isinstance(exc, StatementError) else exc
            raise StorageError(f"database {self.safe_url}: {cause}") from exc

    def dispose(self) -> None:
        if self._groups is not None:
            self._groups.close()
        self.engine.dispose()

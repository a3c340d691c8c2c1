"""Group commit: the units of work of one process's threads share one transaction and one sync.

SQLite has one writer at a time, and every unit of work begins ``IMMEDIATE`` (it takes the
write lock), so the units of work of a serving node's threads run one after the other anyway;
what each one pays on its own is its commit: one sync of the write-ahead log. Here they share
it. A unit of work joins the open *group* — one transaction on one connection — in a savepoint
of its own (the group's first member in the transaction itself): its block runs, then the
savepoint is released (or, if the block fails, rolled back, so that the failed member keeps
nothing and the others are untouched). Members take their turns in order of arrival. A member
that sees another waiting for its turn hands the group over and waits for the group's commit;
the last one (no one waiting, or the group full) commits it. Every member returns only once
the commit that holds its records is durable, and a failed commit fails every member of the
group: nothing is acknowledged before it is durable.

Members run one at a time, in turn, so statements that read and then write (the audit log's
next position) see every earlier member's records, and a member rolled back leaves no gap
behind it. Grouping cannot span processes: another process (a CLI command) waits for the
write lock as before, between groups.

A unit of work may ask for a *relaxed* commit (``durable=False``): its group commits with
``synchronous=NORMAL``, which in WAL mode writes the log without syncing it, so that a power
loss or an operating-system crash (not a killed process) may lose it until the next commit
that syncs the log (the log is synced whole, in order: that commit makes it durable too).
SQLite fixes the safety level outside a transaction, so it is set before the group begins and
put back to ``FULL`` once it ends; a connection on which that fails is discarded, never used
again. A group is relaxed only if its first member is, and a member asking for a durable
commit never joins a relaxed group: it waits for the next one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import SQLAlchemyError

from pactshare.errors import StorageError

__all__ = ["GroupCommit"]

MOST = 64  # members in one group by default: bounds how long the first waits for the commit


@dataclass(slots=True, eq=False)
class _Group:
    """One open transaction and its members' fate."""

    connection: Connection
    transaction: RootTransaction
    durable: bool  # committed with a sync of the log (synchronous=FULL), or relaxed (NORMAL)
    members: int = 0
    committed: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None  # why the group did not commit


class GroupCommit:
    """Units of work of this process on ``engine``, grouped into shared commits (SQLite)."""

    def __init__(self, engine: Engine, *, where: str, wait: float, most: int = MOST) -> None:
        self._engine = engine
        self._where = where  # the database, as messages name it
        self._wait = wait  # seconds a member waits for its turn, as SQLite's busy timeout
        self._most = most  # members in one group (1: each unit of work commits on its own)
        self._lock = threading.Lock()  # guards the two fields below
        self._running = False  # a member (or the committer) holds the turn
        # Members waiting, first come first, each with whether it asks for a durable commit.
        self._queue: deque[tuple[threading.Event, bool]] = deque()
        # Used only by the member holding the turn:
        self._group: _Group | None = None
        self._connection: Connection | None = None  # the groups' connection, kept between them

    @contextmanager
    def member(self, *, durable: bool = True) -> Iterator[Connection]:
        """Run the block as one member of a group; return once the group's commit is durable
        (with ``durable=False``, once it is committed: see the module's notes), or raise if it
        failed. The first member of a group runs in the group's transaction itself (a failure
        rolls it all back: no one else is in it yet); each later one in a savepoint of its
        own."""
        group = self._take_turn(durable)
        first = group.members == 1
        try:
            if first:
                yield group.connection
            else:
                with group.connection.begin_nested():
                    yield group.connection
        except BaseException:
            self._end_turn(group, broken=first or _broken(group), waits=False)
            raise  # this member's records went with its savepoint (or the whole transaction)
        self._end_turn(group, broken=_broken(group), waits=True)
        if group.failure is not None:
            cause = getattr(group.failure, "orig", None) or group.failure
            raise StorageError(
                f"database {self._where}: the commit of this unit of work failed: {cause}"
            ) from group.failure

    def _take_turn(self, durable: bool) -> _Group:
        """Wait for this member's turn (in order of arrival); join the open group, or begin
        one (relaxed unless ``durable``)."""
        turn: threading.Event | None = None
        with self._lock:
            if self._running:
                turn = threading.Event()
                self._queue.append((turn, durable))
            else:
                self._running = True
        if turn is not None and not turn.wait(self._wait):
            with self._lock:
                given = turn.is_set()  # handed over just as the wait ended
                if not given:
                    self._queue.remove((turn, durable))
            if not given:
                raise StorageError(
                    f"database {self._where}: database is locked (no turn to write within "
                    f"{self._wait:g} s)"
                )
        group = self._group
        if group is None:
            try:
                if self._connection is None:
                    self._connection = self._engine.connect()
                if not durable:
                    _synchronous(self._connection, "NORMAL")
                group = _Group(self._connection, self._connection.begin(), durable)
            except BaseException:
                self._forget_connection(discard=not durable)
                self._release()
                raise
            self._group = group
        group.members += 1
        return group

    def _end_turn(self, group: _Group, *, broken: bool, waits: bool) -> None:
        """After a member's block: hand the group over to a waiting member (and, if ``waits``,
        wait for its commit), or commit it (roll it back if ``broken``: a failure ended it)."""
        with self._lock:
            hand_over = (
                not broken
                and bool(self._queue)
                and group.members < self._most
                and (group.durable or not self._queue[0][1])  # none durable in a relaxed one
            )
            if hand_over:
                self._queue.popleft()[0].set()  # the turn passes on; the group stays open
        if hand_over:
            if waits:
                group.committed.wait()
            return
        try:
            if broken:
                group.failure = StorageError("a failure in the group ended its transaction")
                group.transaction.rollback()
            else:
                group.transaction.commit()
        except BaseException as exc:
            group.failure = exc
            # Discarded: SQLite may keep a transaction open after a failed COMMIT (a deferred
            # constraint), which a rollback on return to the pool would not undo.
            group.connection.invalidate()
        finally:
            relaxed_left = False  # the connection would keep synchronous=NORMAL
            if not group.durable and group.failure is None:
                try:
                    _synchronous(group.connection, "FULL")
                except BaseException:
                    relaxed_left = True
            if group.failure is not None or relaxed_left:
                # A failed group's connection is not used again; a relaxed one whose safety
                # level could not be put back is discarded, never pooled.
                self._forget_connection(discard=relaxed_left or not group.durable)
            self._group = None
            group.committed.set()
            self._release()

    def close(self) -> None:
        """Close the kept connection (its database is being disposed of)."""
        with self._lock:
            self._forget_connection()

    def _forget_connection(self, *, discard: bool = False) -> None:
        """Stop using the kept connection: back to the pool, or (``discard``) closed for good
        (its state is not one another user of the pool may inherit)."""
        if self._connection is not None:
            if discard:
                self._connection.invalidate()
            self._connection.close()
            self._connection = None

    def _release(self) -> None:
        """Give the turn to the first member waiting, or free it."""
        with self._lock:
            if self._queue:
                self._queue.popleft()[0].set()
            else:
                self._running = False


def _synchronous(connection: Connection, level: str) -> None:
    """Set SQLite's safety level on ``connection``, outside any transaction (SQLite refuses to
    change it inside one), through the driver: SQLAlchemy would begin a transaction first."""
    driver = connection.connection.driver_connection
    if driver is None:  # the connection was invalidated under us
        raise StorageError("the database connection is closed")
    driver.execute(f"PRAGMA synchronous={level}")


def _broken(group: _Group) -> bool:
    """Whether the group's transaction ended under it: a failed statement can roll back the
    whole transaction (SQLite does on a full disk or an I/O error), not only its own."""
    try:
        driver = group.connection.connection.driver_connection  # sqlite3's own view
    except SQLAlchemyError:  # the connection itself was invalidated
        return True
    return not (group.transaction.is_active and driver is not None and driver.in_transaction)

"""Waking a waiter as soon as a transaction that gave it work is durable, in this process and
in others: the delivery worker of a serving node sleeps here between passes, and every
transaction that queues an outbox message wakes it (:func:`wake_on_commit`).

- **In process** (the API's workflows, the worker's own commits): the waiter is woken by
  :func:`~pactshare.store.database.after_commit`, once the commit returned.
- **Across processes on PostgreSQL** (CLI commands, replicas on other machines):
  ``NOTIFY`` in the transaction itself, which PostgreSQL delivers only when it commits, to
  the waiter's ``LISTEN`` connection.
- **Across processes on SQLite** (CLI commands against a serving node): one datagram to a
  local socket the waiter binds beside the database file (``node.db.wake``), sent after the
  commit. SQLite has no notification of its own, and polling the file for commits would
  cost a query per poll in every idle node; a datagram costs nothing when nobody listens
  (the send fails at once and is ignored) and reaches a listening worker in microseconds.
  Anyone who may write in the node's home may send one: it only causes an extra pass.

A wake-up is a hint, never the only path: the worker still polls (its interval), so a lost
datagram or a dropped ``LISTEN`` connection delays a message, never loses it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from pactshare.store.database import Database, after_commit

__all__ = ["Waiter", "wake_on_commit"]

log = logging.getLogger(__name__)

_MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux, 104 on macOS
_waiters: dict[tuple[str, str], set[Waiter]] = {}
_lock = threading.Lock()


def _key(url: URL, channel: str) -> tuple[str, str]:
    return (url.render_as_string(hide_password=True), channel)


@functools.lru_cache(maxsize=64)  # asked at every commit that queues a message
def _socket_path(url: URL, channel: str) -> Path | None:
    """Where an SQLite database's waiter listens on ``channel`` (None: not SQLite on disk)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(str(url.database))
    return database.with_name(f"{database.name}.{channel}")


@contextlib.contextmanager
def _short(path: Path) -> Iterator[str]:
    """``path`` as a socket address: through ``/proc/self/fd`` when too long for one."""
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def wake_on_commit(tx: Connection, channel: str) -> None:
    """Wake every waiter on ``channel`` of ``tx``'s database once ``tx`` commits."""
    url = tx.engine.url
    if url.get_backend_name() == "postgresql":
        # sent at COMMIT, never on rollback
        tx.exec_driver_sql(f"NOTIFY {_pg_channel(url, channel)}")
    key, path = _key(url, channel), _socket_path(url, channel)
    after_commit(tx, lambda: _wake(key, path))


@functools.lru_cache(maxsize=64)  # asked at every commit that queues a message
def _pg_channel(url: URL, channel: str) -> str:
    """The ``NOTIFY`` channel of ``channel`` for the database at ``url``. A PostgreSQL channel
    spans the whole database, so nodes kept in separate schemas of one database (a
    ``search_path`` in their URLs) must not share one: the name carries a digest of the URL."""
    digest = hashlib.sha256(_key(url, channel)[0].encode()).hexdigest()[:16]
    return f"pactshare_{channel}_{digest}"  # channel: one of our constants; an SQL identifier


def _wake(key: tuple[str, str], path: Path | None) -> None:
    with _lock:
        here = tuple(_waiters.get(key, ()))
    for waiter in here:
        waiter.wake()
    if here or path is None:
        return  # the waiter lives in this process (or listens to NOTIFY)
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
        out.setblocking(False)
        with _short(path) as address:
            out.sendto(b"\0", address)  # nobody listening: refused at once, ignored


class Waiter:
    """Sleeps until woken on ``channel`` of ``db`` (by any process) or a timeout passes.
    Open it with ``with``; :meth:`wake` wakes it from another thread."""

    def __init__(self, db: Database, channel: str) -> None:
        self._key = _key(db.engine.url, channel)
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._path = _socket_path(db.engine.url, channel)
        self._datagrams: socket.socket | None = None
        self._listener: Any = None  # a raw psycopg connection that LISTENs
        try:
            if self._path is not None:
                self._datagrams = self._bind(self._path)
            else:
                self._listener = self._listen(db, _pg_channel(db.engine.url, channel))
        except Exception as exc:  # any failure leaves polling, never a crash
            log.warning(
                "other processes cannot wake the worker; it polls",
                extra={"reason": f"{type(exc).__name__}: {exc}"},
            )
        with _lock:
            _waiters.setdefault(self._key, set()).add(self)

    @staticmethod
    def _bind(path: Path) -> socket.socket:
        datagrams = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            datagrams.setblocking(False)
            with _short(path) as address:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(address)  # left by a node that was killed
                datagrams.bind(address)
                os.chmod(address, 0o600)
        except BaseException:
            datagrams.close()
            raise
        return datagrams

    @staticmethod
    def _listen(db: Database, channel: str) -> Any:
        raw = db.engine.raw_connection()
        listener: Any = raw.driver_connection
        raw.detach()  # ours until closed, never handed back to the pool
        listener.autocommit = True
        listener.execute(f"LISTEN {channel}")
        return listener

    def _sources(self) -> list[Any]:
        sources: list[Any] = [self._reader]
        if self._datagrams is not None:
            sources.append(self._datagrams)
        if self._listener is not None:
            sources.append(self._listener.fileno())
        return sources

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # already awake: the buffer is full
            self._writer.send(b"\0")

    def wait(self, timeout: float) -> bool:
        """Sleep until woken or ``timeout`` seconds passed; True if woken. Wake-ups that
        arrived meanwhile are consumed: one pass answers them all."""
        ready, _, _ = select.select(self._sources(), [], [], timeout)
        for source in (self._reader, self._datagrams):
            if source is not None:
                _drain(source)
        if self._listener is not None and ready:
            try:
                for _ in self._listener.notifies(timeout=0):
                    pass
            except Exception as exc:  # a dropped connection: poll from now on
                log.warning("LISTEN failed; the worker polls", extra={"reason": str(exc)})
                self._close_listener()
        return bool(ready)

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()

    def close(self) -> None:
        with _lock:
            here = _waiters.get(self._key, set())
            here.discard(self)
            if not here:
                _waiters.pop(self._key, None)
        self._close_listener()
        if self._datagrams is not None and self._path is not None:
            with contextlib.suppress(OSError), _short(self._path) as address:
                os.unlink(address)
            self._datagrams.close()
        self._reader.close()
        self._writer.close()

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _drain(source: socket.socket) -> None:
    with contextlib.suppress(BlockingIOError, InterruptedError):
        while source.recv(64):
            pass

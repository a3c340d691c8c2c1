"""Connection limits and read timeouts for the node's HTTP server.

uvicorn bounds none of these: a client that opens connections and sends half a request
head, or a body one byte at a time, holds a socket (and a file descriptor) for ever; a few
hundred of them made a node stop answering and flood its log with "Too many open files".
The guard lives in the HTTP protocol, where the bytes arrive, because an ASGI middleware is
never called for a request whose head does not end. :class:`GuardedProtocol` is uvicorn's h11
protocol with three limits (:class:`Limits`):

- at most ``max_connections`` connections are open at once; one more is answered
  ``503 Service Unavailable`` (``Retry-After: 1``) and closed at once, before it is read;
- a request head (request line and headers) must arrive within ``header_timeout`` seconds of
  the connection opening or of the previous response ending (idle keep-alive connections are
  closed sooner, by uvicorn's own keep-alive timeout);
- a request body must keep arriving: a wait of more than ``body_timeout`` seconds for its next
  bytes while the application is ready to read them ends the request ``408 Request Timeout``
  (or, once a response has begun, closes the connection), as nginx's ``client_body_timeout``.

Only reading a request is timed. Writing a response is not: a large download, or any long
answer streamed to a slow reader, is never cut by these limits (by design: what the node
sends is bounded by what it holds, and TCP flow control paces it). Cut connections are not
logged one by one: an attacker must not be able to fill the node's log.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

from pactshare.defaults import DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS
from pactshare.errors import InputError

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "GuardedProtocol",
    "Limits",
    "guarded_protocol",
]

_RESERVED_DESCRIPTORS = 64  # for the database, object files, logs and the worker's client

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\n"
    b"connection: close\r\n\r\n"
)
_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Limits:
    """How many connections a server holds and how long it waits for a request's bytes."""

    max_connections: int = DEFAULT_MAX_CONNECTIONS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise InputError(f"--max-connections: {self.max_connections} is not at least 1")
        for flag, value in (
            ("--header-timeout", self.header_timeout),
            ("--body-timeout", self.body_timeout),
        ):
            if not 0 < value <= 3600:  # also refuses NaN
                raise InputError(f"{flag}: {value} s is not between 0 (excluded) and 3600 s")


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with :class:`Limits` (set by :func:`guarded_protocol`)."""

    limits: ClassVar[Limits]
    _refused = False  # over the connection limit: answered 503 and closed, never read
    _timer: asyncio.TimerHandle | None = None
    _waiting_for = "head"  # or "body": what the armed timer waits for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override] # uvicorn's own signature
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            transport.write(_BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, "head")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def _watch(self) -> None:
        """Time what the connection waits for: a request head (not re-armed by its bytes: a
        head sent slowly is as late as one not sent), a body's next bytes, or nothing (a
        request being answered)."""
        if self.transport.is_closing():
            self._disarm()
        elif self.cycle is None or self.cycle.response_complete:
            if self._timer is None or self._waiting_for != "head":
                self._arm(self.limits.header_timeout, "head")
        elif self.cycle.more_body:
            self._arm(self.limits.body_timeout, "body")
        else:
            self._disarm()

    def _arm(self, seconds: float, waiting_for: str) -> None:
        self._disarm()
        self._waiting_for = waiting_for
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._waiting_for == "body" and self.flow.read_paused:
            # The application has not read what came: the client is not the one late.
            self._arm(self.limits.body_timeout, "body")
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT)
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedProtocol]:
    """The protocol class for one server's ``limits`` (uvicorn builds one per connection);
    refused if this process may not open that many connections beside its own files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and limits.max_connections > soft - _RESERVED_DESCRIPTORS:
        raise InputError(
            f"--max-connections: {limits.max_connections} is more than this process may open "
            f"(ulimit -n is {soft}; {_RESERVED_DESCRIPTORS} are kept for the node's own files)"
        )

    class Bound(GuardedProtocol):
        pass

    Bound.limits = limits
    return Bound

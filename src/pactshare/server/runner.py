"""Running a node's server: uvicorn on a real socket in a thread, with the delivery worker.

``with NodeServer(node, port=0) as server:`` binds a free port (``server.url``), serves the
node's app and delivers its outbox until the block ends. ``pactshare serve`` uses the same.
Every server holds a bounded number of connections and times the reading of requests
(:mod:`pactshare.server.limits`).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from pactshare.api.rate import DEFAULT_OPENS_PER_MINUTE
from pactshare.errors import NodeError
from pactshare.federation.delivery import DeliveryWorker
from pactshare.node.clock import monotonic
from pactshare.node.service import Node
from pactshare.server.app import create_app
from pactshare.server.limits import Limits, guarded_protocol

__all__ = ["AppServer", "NodeServer"]

_STARTUP_TIMEOUT = 15.0


class AppServer:
    """An ASGI app served by uvicorn on ``host:port`` (0: a free port, chosen now) in a thread."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        log_level: str = "warning",
        limits: Limits | None = None,
    ) -> None:
        protocol = guarded_protocol(limits or Limits())  # refused before a socket is opened
        self._socket = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
        )
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it every response waited for the
        # client's delayed ACK (~40 ms per request on Linux loopback, measured).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise NodeError(f"cannot listen on {host}:{port} ({exc.strerror})") from exc
        self.host, self.port = host, int(self._socket.getsockname()[1])
        scheme = "https" if ssl_certfile else "http"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{self.port}"
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=False,  # request lines could carry query strings; we log none
            log_config=None,  # the entry point configures logging (pactshare.cli.logs)
            ssl_keyfile=ssl_keyfile,
            ssl_certfile=ssl_certfile,
            lifespan="off",
            http=protocol,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        deadline = monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or monotonic() > deadline:
                raise NodeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop taking requests and finish those in flight."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class NodeServer(AppServer):
    """A node's app served on ``host:port``, with its delivery worker."""

    def __init__(
        self,
        node: Node,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int | None = None,
        witness_every: float | None = None,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        log_level: str = "warning",
        limits: Limits | None = None,
        opens_per_minute: int = DEFAULT_OPENS_PER_MINUTE,
    ) -> None:
        self.node = node
        self.app = create_app(node, opens_per_minute=opens_per_minute)
        if max_body is not None:
            self.app.state.federation_max_body = max_body
        self.worker = DeliveryWorker(node, witness_every=witness_every)
        self.app.state.delivery_worker = self.worker
        super().__init__(
            self.app,
            host,
            port,
            ssl_keyfile=ssl_keyfile,
            ssl_certfile=ssl_certfile,
            log_level=log_level,
            limits=limits,
        )

    def start(self) -> Self:
        super().start()
        self.worker.start()
        return self

    def stop(self) -> None:
        """Stop taking requests, finish those in flight, then stop the worker."""
        super().stop()
        self.worker.stop()

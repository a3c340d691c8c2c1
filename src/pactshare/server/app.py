"""The node's web application: one FastAPI app per node, built around an open :class:`Node`.

Each part brings its router: ``pactshare.api`` (people and peers) and ``pactshare.web``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pactshare import __version__, web
from pactshare.api.federation import router as federation_router
from pactshare.api.openapi import install_docs
from pactshare.api.problems import install_handlers
from pactshare.api.rate import DEFAULT_OPENS_PER_MINUTE, RateLimit
from pactshare.api.v1 import router as api_v1
from pactshare.node.service import Node

__all__ = ["create_app"]

_PRIVATE = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"))


class _Private:
    """Every answer but a static asset may carry item data (content, labels, metadata,
    receipts): no cache keeps it, and no browser guesses its type (``nosniff``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _PRIVATE:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, sending)


def create_app(node: Node, *, opens_per_minute: int = DEFAULT_OPENS_PER_MINUTE) -> FastAPI:
    """The app serving ``node``: ``/api/v1``, ``/federation/v1`` and the dashboard at ``/``;
    each person opens at most ``opens_per_minute`` items' content a minute."""
    app = FastAPI(
        title=f"pactshare node ({node.party_code})",
        version=__version__,
        description="Share sensitive information only as written agreements allow.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.node = node
    app.state.open_rate = RateLimit(opens_per_minute)
    install_handlers(app)
    app.include_router(api_v1)
    app.include_router(federation_router)
    install_docs(app)

    @app.get("/healthz", tags=["node"], summary="Liveness: the node answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "party": node.party_code}

    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.add_middleware(_Private)

    return app

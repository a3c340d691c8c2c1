"""The node's web application: one FastAPI app per node, built around an open :class:`Node`.

Each part brings its router: ``pactshare.api`` (people and peers) and ``pactshare.web``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pactshare import __version__, web
from pactshare.api.federation import router as federation_router
from pactshare.api.openapi import install_docs
from pactshare.api.problems import install_handlers
from pactshare.api.v1 import router as api_v1
from pactshare.node.service import Node

__all__ = ["create_app"]


def create_app(node: Node) -> FastAPI:
    """The app serving ``node``: ``/api/v1``, ``/federation/v1`` and the dashboard at ``/``."""
    app = FastAPI(
        title=f"pactshare node ({node.party_code})",
        version=__version__,
        description="Share sensitive information only as written agreements allow.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.node = node
    install_handlers(app)
    app.include_router(api_v1)
    app.include_router(federation_router)
    install_docs(app)

    @app.get("/healthz", tags=["node"], summary="Liveness: the node answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "party": node.party_code}

    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    return app

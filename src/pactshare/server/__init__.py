"""A node served over HTTP: the app that puts the API, the federation endpoint and the
dashboard together, and what runs beside it."""

from pactshare.server.app import create_app

__all__ = ["create_app"]

"""Persistence for a node: SQLAlchemy Core over SQLite (default) or PostgreSQL (by URL)."""

from pactshare.store.database import Database, sqlite_url

__all__ = ["Database", "sqlite_url"]

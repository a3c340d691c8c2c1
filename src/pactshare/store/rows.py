"""Writing a row only if its key is new, in one statement on either backend.

``INSERT … ON CONFLICT DO NOTHING`` (SQLite from 3.24, PostgreSQL) in place of a look-up and
then an insert: one statement instead of two, and two transactions inserting the same key at
once (PostgreSQL) do not fail the second: it waits for the first and inserts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_new"]


def insert_new(tx: Connection, table: Table, values: Mapping[str, object]) -> bool:
    """Insert ``values`` into ``table`` unless a row with the same unique key is there;
    whether it was inserted. (SQLite counts the rows it changed; psycopg does not say, so on
    PostgreSQL the statement returns the key of the row it inserted, if any.)"""
    if tx.dialect.name == "sqlite":
        ignoring = sqlite.insert(table).values(dict(values)).on_conflict_do_nothing()
        return bool(tx.execute(ignoring).rowcount)
    statement = postgresql.insert(table).values(dict(values)).on_conflict_do_nothing()
    return tx.execute(statement.returning(*table.primary_key.columns)).first() is not None
